"""Import a delimited glossary (CSV, TSV, an Anki or spreadsheet export): one row per entry.

- Rows are read by Python's `csv` module, not strictly: a file a standard reader reads is never refused. The
  dialect is sniffed (`csv.Sniffer`'s guess or comma, tab, semicolon or pipe: whichever splits the rows most
  evenly), or taken from a `.tsv` extension or an Anki `#separator:` line (Anki's `#key:value` lines are read,
  not imported).
- A row that is malformed (a quote left open, more cells than the header names, an id that is not a number)
  is reported by its line and skipped; the rows around it are kept.
- A header row naming `term` and `definition` (or names people use for them, see `records.COLUMNS`; also
  `aliases`, `id`, `topic`) maps the columns; without one, column 1 is the term and column 2 the definition.
- Quoted cells may span lines; HTML in cells becomes plain text; aliases in one cell are split on ";" or "|".
- Without an `id` column an entry's id is its row's position among the data rows, so fixing a skipped row
  later does not renumber the rows after it.

>>> parsed = parse_delimited('Epoch|"One <b>full</b>\\npass."|ml\\nBatch|Some rows.|ml\\n', Path("deck.txt"))
>>> [(d.id, d.term, d.definition) for d in parsed.drafts], parsed.findings[0]
([(1, 'Epoch', 'One full pass.'), (2, 'Batch', 'Some rows.')], Finding(line=1, message='no header row: \
column 1 read as the term, column 2 as the definition (column 3 ignored)'))
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

from glossary_rag.importers.records import (COLUMNS, FIELD_OF, Draft, Finding, FormatError, Parsed,
                                            split_aliases, split_term)
from glossary_rag.importers.resolve import resolve_drafts
from glossary_rag.importers.text_io import html_to_text, looks_like_html

DELIMITERS = ",\t;|"
_ANKI_SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t", "space": " ", "pipe": "|", "colon": ":"}
_DIRECTIVE = re.compile(r"^#([a-z ]+):(.*)$", re.IGNORECASE)
_SNIFF_CHARS = 64_000
_FIELD_LIMIT = 2**31 - 1  # csv's own default is 128 KiB a cell


def parse_delimited(text: str, file: Path) -> Parsed:
    """Drafts and findings of a delimited glossary. A row that cannot be read (a quote left open, more cells
    than the header names, an id that is not a number) is reported by its line and skipped; `FormatError` only
    when the header is unusable or no row at all could be read."""
    text, directives = read_directives(text)
    dialect = sniff_dialect(text)
    if file.suffix.lower() == ".tsv" or "separator" in directives:
        delimiter = "\t" if file.suffix.lower() == ".tsv" else _ANKI_SEPARATORS.get(
            directives["separator"].lower(), dialect.delimiter)
        dialect = _dialect(delimiter)
    delimiter = dialect.delimiter
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))  # a long HTML cell is not an error
    lines = _Lines(text)
    reader = csv.reader(lines, dialect)  # not strict: whatever Python's csv module reads, we read
    findings: list[Finding] = []
    skipped: list[Finding] = []
    drafts: list[Draft] = []
    fields: list[str | None] | None = None
    if "columns" in directives:
        fields = _read_header(directives["columns"].split(delimiter), file, 1, findings)
    position = 0
    headerless = False
    while True:
        start = lines.next_line  # where the row starts: findings name it, not where the reader stopped
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            skipped.append(Finding(start, f"malformed row ({err}); skipped"))
            continue
        end = lines.next_line - 1
        if (problem := _runaway_quote(lines.text(start, end), dialect)):
            skipped.append(Finding(start, f"{problem} (it runs to line {end}); row skipped, the lines after it "
                                          "read again as rows. Close the quote, or double a quote inside a cell "
                                          '(""like this"")'))
            lines.next_line = start + 1
            if fields is not None:
                position += 1  # the row keeps its number: fixing it later renumbers nothing after it
            continue
        if not any(cell.strip() for cell in row):
            continue
        if fields is None:
            fields = _header_or_none(row, file, start, findings)
            if fields is not None:
                continue
            fields, headerless = ["term", "definition", *[None] * (len(row) - 2)], True
        if len(row) > len(fields) and any(cell.strip() for cell in row[len(fields):]):
            if not headerless:
                position += 1
                skipped.append(Finding(start, f"{len(row)} fields but the header names {len(fields)}; row "
                                              f"skipped. Quote a cell that contains '{delimiter}' "
                                              f"(\"like{delimiter} this\")"))
                continue
            fields += [None] * (len(row) - len(fields))  # headerless: more unused columns
        position += 1
        cells = {field: _clean(cell) for field, cell in zip(fields, row) if field}
        draft = _row_draft(cells, position, start, skipped)
        if draft is not None:
            drafts.append(draft)
    if not drafts and skipped:
        shown = "; ".join(f"line {f.line}: {f.message}" for f in skipped[:3])
        raise FormatError(f"{file}: no row could be read as an entry ({shown}{'; ...' * (len(skipped) > 3)}).")
    return resolve_drafts(drafts, (*findings, *skipped))


class _Lines:
    """The text's lines, handed to `csv.reader` one at a time from `next_line` (1-based), which the parser can
    move back: after a quote left open swallowed the rows below it, they are read again."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        self.next_line = 1

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.next_line > len(self.lines):
            raise StopIteration
        self.next_line += 1
        return self.lines[self.next_line - 2]

    def text(self, first: int, last: int) -> str:
        return "".join(self.lines[first - 1:last])


def _runaway_quote(raw: str, dialect: type[csv.Dialect]) -> str | None:
    """Why a row is a quote left open rather than a cell with line breaks (or a quoted part and more text), or
    None.

    A standard reader accepts both; a strict one tells them apart, together with the rows swallowed: an
    open quote at the end of the file, or one that ends on another row's quote with lines of cells between.

    >>> _runaway_quote('A|"two\\nlines"\\n', _dialect("|")), _runaway_quote('A|"open\\nB|b\\nC|"c"\\n', _dialect("|"))
    (None, 'a quote opened on this line is not closed where its cell ends')
    """
    if dialect.quotechar not in raw:
        return None
    try:
        list(csv.reader(io.StringIO(raw), dialect, strict=True))
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            return "a quote opened on this line is never closed"
        if any(dialect.delimiter in line for line in raw.split("\n")[1:]):
            return "a quote opened on this line is not closed where its cell ends"
    return None


def _dialect(delimiter: str) -> type[csv.Dialect]:
    return type("Delimited", (csv.excel,), {"delimiter": delimiter})


def read_directives(text: str) -> tuple[str, dict[str, str]]:
    """Anki's leading `#key:value` lines as a dict, and the text with them blanked (lines keep their numbers).

    >>> read_directives("#separator:Pipe\\n#html:true\\nA|b\\n")
    ('\\n\\nA|b\\n', {'separator': 'Pipe', 'html': 'true'})
    """
    lines = text.split("\n")
    directives: dict[str, str] = {}
    for i, line in enumerate(lines):
        match = _DIRECTIVE.match(line.strip())
        if not match:
            break
        directives[match[1].strip().lower()] = match[2].strip()
        lines[i] = ""
    return "\n".join(lines), directives


def sniff_dialect(text: str) -> type[csv.Dialect]:
    """The dialect that splits the first rows into the same number (two or more) of fields most often: Python's
    `csv.Sniffer` guess, or the excel dialect with each of comma, tab, semicolon and pipe (the Sniffer is often
    wrong about multi-line cells, e.g. it drops `doublequote` when a sample has no doubled quote).

    >>> sniff_dialect("term;definition\\nA;a, b and c\\nB;d\\n").delimiter
    ';'
    >>> sniff_dialect('A|x, y|t\\nB|"z\\nw"|t\\n').delimiter, sniff_dialect('A|"<a href=""u"">x</a>\\ny"\\nB|z\\n').doublequote
    ('|', True)
    """
    sample = text[:_SNIFF_CHARS]
    header = next((line for line in sample.splitlines() if line.strip()), "")
    candidates: list[type[csv.Dialect]] = [_dialect(d) for d in DELIMITERS]
    try:
        candidates.append(csv.Sniffer().sniff(sample, delimiters=DELIMITERS))
    except csv.Error:
        pass  # the Sniffer gives up on some samples; the fixed candidates remain

    def score(dialect: type[csv.Dialect]) -> tuple[float, int, bool]:
        try:
            rows = [row for row in csv.reader(io.StringIO(sample), dialect) if any(row)]
        except csv.Error:
            return 0.0, 0, False
        if len(rows) > 2 and len(sample) == _SNIFF_CHARS:
            rows = rows[:-1]  # the sample may cut the last row short
        widths = Counter(len(row) for row in rows)
        width, count = widths.most_common(1)[0] if widths else (1, 0)
        return (count / len(rows) if width >= 2 else 0.0), header.count(dialect.delimiter), \
            dialect.delimiter == ","

    return max(candidates, key=score)  # on a tie, the first: the plain excel dialect


def looks_delimited(text: str) -> bool:
    """True when most of the first rows split evenly into two or more fields."""
    text, directives = read_directives(text)
    if "separator" in directives:
        return True
    sample = text[:_SNIFF_CHARS]
    try:
        rows = [row for row in csv.reader(io.StringIO(sample), sniff_dialect(sample)) if any(row)]
    except csv.Error:
        return False
    widths = Counter(len(row) for row in rows)
    width, count = widths.most_common(1)[0] if widths else (1, 0)
    return width >= 2 and len(rows) >= 2 and count / len(rows) >= 0.8


def _header_or_none(row: list[str], file: Path, line: int, findings: list[Finding]) -> list[str | None] | None:
    names = [cell.strip().lower() for cell in row]
    known = [FIELD_OF.get(name) for name in names]
    # A header names the term and definition columns, or only columns we know ("id,aliases" is a broken one).
    if {"term", "definition"} <= set(known) or all(field is not None for field, name in zip(known, names) if name):
        return _read_header(row, file, line, findings)
    extra = f" (column{'s' * (len(row) > 3)} {', '.join(str(i) for i in range(3, len(row) + 1))} ignored)" \
        if len(row) > 2 else ""
    findings.append(Finding(line, f"no header row: column 1 read as the term, column 2 as the definition{extra}"))
    return None


def _read_header(header: list[str], file: Path, line: int, findings: list[Finding]) -> list[str | None]:
    fields = [FIELD_OF.get(name.strip().lower()) for name in header]
    for name, field in zip(header, fields):
        if field is None and name.strip():
            findings.append(Finding(line, f"column '{name.strip()}' is not used (known columns: "
                                          f"{', '.join(COLUMNS)})"))
    if "term" not in fields or "definition" not in fields:
        raise FormatError(f"{file}, line {line}: the header row names {[h.strip() for h in header]} but not both "
                          "a 'term' and a 'definition' column. Name them so (`term,definition,aliases`), or "
                          "drop the header row to read column 1 as the term and column 2 as the definition.")
    # The first column of each field counts; a second "definition" column would silently win otherwise.
    return [field if field not in fields[:i] else None for i, field in enumerate(fields)]


def _clean(cell: str) -> str:
    cell = cell.strip()
    return html_to_text(cell) if looks_like_html(cell) else cell


def _row_draft(cells: dict[str, str], position: int, line: int, findings: list[Finding]) -> Draft | None:
    if cells.get("id"):
        try:
            entry_id = int(cells["id"])
        except ValueError:
            findings.append(Finding(line, f"id {cells['id']!r} is not a whole number; row skipped. Give every "
                                          "row a number in the id column, or drop the column to number rows in "
                                          "order"))
            return None
    else:
        entry_id = position
    if not cells.get("term"):
        findings.append(Finding(line, f"row {position} has no term; skipped"))
        return None
    term, aliases = split_term(" ".join(cells["term"].split()))
    return Draft(line, term, cells.get("definition", ""), (*aliases, *split_aliases(cells.get("aliases", ""))),
                 id=entry_id, topic=cells.get("topic") or None)
