"""Import a CSV glossary: a header row naming `term` and `definition` (optionally `aliases`, `id`, `topic`).

The delimiter is what the header uses (",", ";", tab or "|"; tab for .tsv). Aliases in one cell are
separated by ";" or "|". Without an `id` column an entry's id is its row's position among the data rows,
so fixing a skipped row later does not renumber the rows after it.

>>> parsed = parse_csv('term,definition,aliases\\nEpoch,One pass over the data.,epochs; pass\\n', Path("g.csv"))
>>> [(e.id, e.term, e.aliases) for e in parsed.entries]
[(1, 'Epoch', ('epochs', 'pass'))]
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from glossary_rag.glossary import Entry, GlossaryError
from glossary_rag.importers.records import Finding, Parsed, find_duplicate_terms, make_entry, split_aliases

# Header names people use for each field, lower case.
COLUMNS = {
    "id": ("id", "number", "no", "#"),
    "term": ("term", "name", "word"),
    "definition": ("definition", "meaning", "description", "explanation"),
    "aliases": ("aliases", "alias", "synonyms", "also known as", "aka"),
    "topic": ("topic", "category"),
}
_FIELD_OF = {name: field for field, names in COLUMNS.items() for name in names}


def parse_csv(text: str, file: Path) -> Parsed:
    """Entries and findings of a CSV glossary; a malformed file raises `GlossaryError` with its line."""
    delimiter = "\t" if file.suffix.lower() == ".tsv" else sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    findings: list[Finding] = []
    located: list[tuple[int, Entry]] = []
    line = 1  # where the row being read starts: errors name it, not where the reader gave up
    try:
        header = next(reader, [])
        fields = _read_header(header, file, findings)
        position = 0
        line = reader.line_num + 1
        for row in reader:
            start, line = line, reader.line_num + 1  # a quoted cell may span lines: a row starts after the last
            if not any(cell.strip() for cell in row):
                continue
            position += 1
            if len(row) > len(fields):
                raise GlossaryError(f"{file}, line {start}: {len(row)} fields but the header names {len(fields)}. "
                                    f"Quote a cell that contains '{delimiter}' (\"like{delimiter} this\").")
            cells = {field: cell.strip() for field, cell in zip(fields, row) if field}
            entry = _row_entry(cells, position, file, start, findings)
            if entry is not None:
                located.append((start, entry))
    except csv.Error as err:
        raise GlossaryError(f"{file}, line {line}: malformed CSV ({err}). Check the quotes in the row that "
                            "starts there.") from err
    findings += find_duplicate_terms(located)
    return Parsed(tuple(entry for _, entry in located), tuple(findings))


def sniff_delimiter(text: str) -> str:
    """The delimiter the header line uses most.

    >>> sniff_delimiter("term;definition;aliases\\n"), sniff_delimiter("term,definition\\n")
    (';', ',')
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max(",;\t|", key=lambda d: (header.count(d), d == ","))


def _read_header(header: list[str], file: Path, findings: list[Finding]) -> list[str | None]:
    fields = [_FIELD_OF.get(name.strip().lower()) for name in header]
    for name, field in zip(header, fields):
        if field is None and name.strip():
            findings.append(Finding(1, f"column '{name.strip()}' is not used (known columns: "
                                       f"{', '.join(COLUMNS)})"))
    if "term" not in fields or "definition" not in fields:
        raise GlossaryError(f"{file}, line 1: the header row must name a 'term' and a 'definition' column (found "
                            f"{[h.strip() for h in header]}). Put a header such as `term,definition,aliases` "
                            "on the first line.")
    return fields


def _row_entry(cells: dict[str, str], position: int, file: Path, line: int,
               findings: list[Finding]) -> Entry | None:
    if "id" in cells:
        try:
            entry_id = int(cells["id"])
        except ValueError:
            raise GlossaryError(f"{file}, line {line}: id {cells['id']!r} is not a whole number. Give every row "
                                "a number in the id column, or drop the column to number rows in order.") from None
    else:
        entry_id = position
    term, definition = cells.get("term", ""), cells.get("definition", "")
    if not term:
        findings.append(Finding(line, f"row {position} has no term; skipped"))
        return None
    if not definition:
        findings.append(Finding(line, f"entry {entry_id} '{term}' has an empty definition; skipped"))
        return None
    fields = {"id": entry_id, "term": term, "definition": definition,
              "aliases": split_aliases(cells.get("aliases", ""))}
    if cells.get("topic"):
        fields["topic"] = cells["topic"]
    return make_entry(fields, file, line)
