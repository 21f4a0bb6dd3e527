"""Import a delimited glossary (CSV, TSV, an Anki or spreadsheet export): one row per entry.

- The delimiter is sniffed (comma, tab, semicolon or pipe: the one that splits the rows most evenly), or taken
  from a `.tsv` extension or an Anki `#separator:` line (Anki's `#key:value` lines are read, not imported).
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


def parse_delimited(text: str, file: Path) -> Parsed:
    """Drafts and findings of a delimited glossary; a malformed file raises `FormatError` with its line."""
    text, directives = read_directives(text)
    delimiter = ("\t" if file.suffix.lower() == ".tsv" else
                 _ANKI_SEPARATORS.get(directives.get("separator", "").lower()) or sniff_delimiter(text))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    findings: list[Finding] = []
    drafts: list[Draft] = []
    fields: list[str | None] | None = None
    if "columns" in directives:
        fields = _read_header(directives["columns"].split(delimiter), file, 1, findings)
    line = 1  # where the row being read starts: errors name it, not where the reader gave up
    position = 0
    headerless = False
    try:
        for row in reader:
            start, line = line, reader.line_num + 1  # a quoted cell may span lines: a row starts after the last
            if not any(cell.strip() for cell in row):
                continue
            if fields is None:
                fields = _header_or_none(row, file, start, findings)
                if fields is not None:
                    continue
                fields, headerless = ["term", "definition", *[None] * (len(row) - 2)], True
            if len(row) > len(fields) and any(cell.strip() for cell in row[len(fields):]):
                if headerless:
                    fields += [None] * (len(row) - len(fields))  # headerless: more unused columns
                else:
                    raise FormatError(f"{file}, line {start}: {len(row)} fields but the header names "
                                      f"{len(fields)}. Quote a cell that contains '{delimiter}' "
                                      f"(\"like{delimiter} this\").")
            position += 1
            cells = {field: _clean(cell) for field, cell in zip(fields, row) if field}
            draft = _row_draft(cells, position, file, start, findings)
            if draft is not None:
                drafts.append(draft)
    except csv.Error as err:
        raise FormatError(f"{file}, line {line}: malformed delimited file ({err}). Check the quotes in the row "
                          "that starts there.") from err
    return resolve_drafts(drafts, findings)


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


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first rows into the same number (two or more) of fields most often.

    >>> sniff_delimiter("term;definition\\nA;a, b and c\\nB;d\\n"), sniff_delimiter("A|x, y|t\\nB|\\"z\\nw\\"|t\\n")
    (';', '|')
    """
    sample = text[:_SNIFF_CHARS]
    header = next((line for line in sample.splitlines() if line.strip()), "")

    def score(delimiter: str) -> tuple[float, int]:
        try:
            rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(row)]
        except csv.Error:
            return 0.0, 0
        if len(rows) > 2 and len(sample) == _SNIFF_CHARS:
            rows = rows[:-1]  # the sample may cut the last row short
        widths = Counter(len(row) for row in rows)
        width, count = widths.most_common(1)[0] if widths else (1, 0)
        return (count / len(rows) if width >= 2 else 0.0), header.count(delimiter)

    return max(DELIMITERS, key=lambda d: (*score(d), d == ","))


def looks_delimited(text: str) -> bool:
    """True when most of the first rows split evenly into two or more fields."""
    text, directives = read_directives(text)
    if "separator" in directives:
        return True
    sample = text[:_SNIFF_CHARS]
    delimiter = sniff_delimiter(sample)
    try:
        rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(row)]
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


def _row_draft(cells: dict[str, str], position: int, file: Path, line: int,
               findings: list[Finding]) -> Draft | None:
    if cells.get("id"):
        try:
            entry_id = int(cells["id"])
        except ValueError:
            raise FormatError(f"{file}, line {line}: id {cells['id']!r} is not a whole number. Give every row "
                              "a number in the id column, or drop the column to number rows in order.") from None
    else:
        entry_id = position
    if not cells.get("term"):
        findings.append(Finding(line, f"row {position} has no term; skipped"))
        return None
    term, aliases = split_term(" ".join(cells["term"].split()))
    return Draft(line, term, cells.get("definition", ""), (*aliases, *split_aliases(cells.get("aliases", ""))),
                 id=entry_id, topic=cells.get("topic") or None)
