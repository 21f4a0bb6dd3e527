"""Import a JSON glossary: a list of objects with our entry's fields (`term` and `definition` at least).

`id` is optional: without ids an entry's id is its position in the list (all entries have one or none).
`aliases` may be a list or one string separated by ";" or "|". Fields we don't know are reported and
ignored, so an export from another tool imports as is.

>>> parsed = parse_json('[{"term": "Epoch", "definition": "One pass.", "aliases": "epochs"}]', Path("g.json"))
>>> [(e.id, e.term, e.aliases) for e in parsed.entries]
[(1, 'Epoch', ('epochs',))]
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from glossary_rag.glossary import Entry, GlossaryError
from glossary_rag.importers.records import Finding, Parsed, find_duplicate_terms, make_entry, split_aliases

_BETWEEN_ITEMS = re.compile(r"[\s,]*")
_FIELDS = frozenset(Entry.model_fields) - {"source"}


def parse_json(text: str, file: Path) -> Parsed:
    """Entries and findings of a JSON glossary; malformed JSON raises `GlossaryError` with line and column."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise GlossaryError(f"{file}, line {err.lineno}, column {err.colno}: invalid JSON: {err.msg}. Fix the "
                            "syntax there.") from err
    if not isinstance(data, list):
        raise GlossaryError(f"{file}, line 1: expected a list of entries "
                            f'([{{"term": ..., "definition": ...}}, ...]), got a JSON {type(data).__name__}.')
    lines = item_lines(text)
    with_id = [isinstance(item, dict) and "id" in item for item in data]
    findings: list[Finding] = []
    located: list[tuple[int, Entry]] = []
    unknown_seen: set[str] = set()
    for position, (item, line) in enumerate(zip(data, lines), 1):
        if not isinstance(item, dict):
            raise GlossaryError(f"{file}, line {line}: entry {position} should be an object with 'term' and "
                                f"'definition', got a JSON {type(item).__name__}.")
        if any(with_id) and "id" not in item:
            raise GlossaryError(f"{file}, line {line}: entry {position} ({item.get('term', '?')}) has no 'id' "
                                "while others do. Give every entry an id, or none to number them in order.")
        for key in sorted(set(item) - _FIELDS - unknown_seen):
            unknown_seen.add(key)
            findings.append(Finding(line, f"field '{key}' is not an entry field; ignored"))
        fields = {key: value for key, value in item.items() if key in _FIELDS}
        fields.setdefault("id", position)
        if isinstance(fields.get("aliases"), str):
            fields["aliases"] = split_aliases(fields["aliases"])
        definition = fields.get("definition")
        if definition is None or (isinstance(definition, str) and not definition.strip()):
            findings.append(Finding(line, f"entry {fields['id']} '{fields.get('term', '?')}' has an empty "
                                          "definition; skipped"))
            continue
        located.append((line, make_entry(fields, file, line)))
    findings += find_duplicate_terms(located)
    return Parsed(tuple(entry for _, entry in located), tuple(findings))


def item_lines(text: str) -> list[int]:
    """The line on which each item of a valid top-level JSON list starts.

    >>> item_lines('[\\n  {"a": 1},\\n\\n  {"b": [2, 3]}\\n]')
    [2, 4]
    """
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    lines = []
    while True:
        position = _BETWEEN_ITEMS.match(text, position).end()
        if text[position] == "]":
            return lines
        lines.append(text.count("\n", 0, position) + 1)
        _, position = decoder.raw_decode(text, position)
