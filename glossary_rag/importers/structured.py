"""Import a JSON, JSON Lines or YAML glossary in the shapes tools write:

- a list of objects (`[{"term": ..., "definition": ...}, ...]`), also one line per object (JSON Lines);
- an object of objects keyed by slug or term (`{"backpropagation": {"definition": ...}, ...}`);
- an object mapping term to definition (`{"Epoch": "One pass.", ...}`);
- any of these nested under one key (`{"glossary": [...], "version": 2}`).

Keys are matched like CSV headers (`records.COLUMNS`), so `name`/`meaning` work; our own entry fields
(`related`, `descriptions`, ...) are kept, so our `export --json` imports as is. Unknown keys are reported
once and ignored. `id` is optional: without ids an entry's id is its position (all records have one or none).

>>> parsed = parse_json('{"glossary": {"epoch": {"meaning": "One <i>pass</i>."}, "batch": "Some rows."}}',
...                     Path("g.json"))
>>> [(d.id, d.term, d.definition) for d in parsed.drafts]
[(1, 'epoch', 'One pass.'), (2, 'batch', 'Some rows.')]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.decoder import scanstring
from pathlib import Path

import yaml

from glossary_rag.importers.records import (EXTRA_FIELDS, FIELD_OF, Draft, Finding, FormatError, Parsed,
                                            split_aliases, split_term)
from glossary_rag.importers.resolve import resolve_drafts
from glossary_rag.importers.text_io import html_to_text, looks_like_html

Path_ = tuple[str | int, ...]
_OURS = ("id", "term", "definition", "aliases", "topic", *EXTRA_FIELDS)
_WS = " \t\r\n"


def parse_json(text: str, file: Path) -> Parsed:
    """Drafts and findings of a JSON glossary; malformed JSON raises `FormatError` with line and column."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise FormatError(f"{file}, line {err.lineno}, column {err.colno}: invalid JSON: {err.msg}. Fix the "
                          "syntax there.") from err
    lines = json_value_lines(text)
    return read_records(data, lambda path: lines.get(path, lines.get(path[:-1], 1)), file)


def parse_json_lines(text: str, file: Path) -> Parsed:
    """Drafts and findings of a JSON Lines glossary: one object per line."""
    items, where = [], []
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise FormatError(f"{file}, line {number}, column {err.colno}: invalid JSON: {err.msg}. Each line "
                                  "must be one JSON object.") from err
            where.append(number)
    return read_records(items, lambda path: where[path[0]] if path else 1, file)


def parse_yaml(text: str, file: Path) -> Parsed:
    """Drafts and findings of a YAML glossary in any of the shapes above (our own entry files are read by
    the loader)."""
    try:
        data, node = yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        raise FormatError(f"{file}: invalid YAML at {where}: {getattr(err, 'problem', None) or err}. Fix the "
                          "syntax there.") from err
    return read_records(data, lambda path: _yaml_line(node, path), file)


def read_records(data: object, line_of: Callable[[Path_], int], file: Path) -> Parsed:
    """Drafts from parsed data in any shape above; `line_of(path)` gives the line of a value by its path."""
    records, prefix = _find_records(data, ())
    if records is None:
        raise FormatError(f"{file}, line 1: no entries found: expected a list of objects with 'term' and "
                          "'definition', an object of such objects keyed by term, or an object mapping each term "
                          f"to its definition (got a {type(data).__name__}).")
    findings: list[Finding] = []
    unknown_seen: set[str] = set()
    with_id = [isinstance(value, dict) and "id" in value for _, value in records]
    drafts = []
    for position, (key, value) in enumerate(records, 1):
        path = (*prefix, key)
        line = line_of(path)
        if isinstance(key, str) and _is_text(value):  # term -> definition
            value = {"definition": value}
        if not isinstance(value, dict):
            raise FormatError(f"{file}, line {line}: entry {position} should be an object with 'term' and "
                              f"'definition', got {type(value).__name__}.")
        if any(with_id) and "id" not in value:
            raise FormatError(f"{file}, line {line}: entry {position} ({value.get('term', key)}) has no 'id' "
                              "while others do. Give every entry an id, or none to number them in order.")
        fields = _fields(value, line, findings, unknown_seen)
        if "term" not in fields and isinstance(key, str):
            fields["term"] = key if " " in key or not key.islower() else key.replace("_", " ").replace("-", " ")
        if not str(fields.get("term") or "").strip():
            findings.append(Finding(line, f"entry {position} has no term; skipped"))
            continue
        drafts.append(_draft(fields, position, file, line))
    return resolve_drafts(drafts, findings)


def json_value_lines(text: str, depth: int = 3) -> dict[Path_, int]:
    """The line on which each value of valid JSON starts, by path, down to `depth` levels.

    >>> json_value_lines('{"a": [\\n  {"b": 1},\\n\\n  {"c": [2, 3]}\\n]}')
    {(): 1, ('a',): 1, ('a', 0): 2, ('a', 0, 'b'): 2, ('a', 1): 4, ('a', 1, 'c'): 4}
    """
    lines: dict[Path_, int] = {}
    decoder = json.JSONDecoder()
    line_starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def line_at(position: int) -> int:
        from bisect import bisect_right
        return bisect_right(line_starts, position)

    def skip(position: int) -> int:
        while position < len(text) and text[position] in _WS:
            position += 1
        return position

    def walk(position: int, path: Path_) -> int:
        position = skip(position)
        lines[path] = line_at(position)
        opener = text[position]
        if len(path) >= depth or opener not in "[{":
            return decoder.raw_decode(text, position)[1]
        position, index = skip(position + 1), 0
        while text[position] not in "]}":
            if opener == "{":
                key, position = scanstring(text, skip(position) + 1)
                position = walk(skip(position) + 1, (*path, key))  # past the ":"
            else:
                position = walk(position, (*path, index))
                index += 1
            position = skip(position)
            if text[position] == ",":
                position = skip(position + 1)
        return position + 1

    walk(0, ())
    return lines


def _find_records(data: object, path: Path_) -> tuple[list[tuple[str | int, object]] | None, Path_]:
    if isinstance(data, list):
        return list(enumerate(data)), path
    if not isinstance(data, dict) or not data:
        return None, path
    if _field_of(data, "term") and _field_of(data, "definition"):  # one record alone
        return None, path
    # Keyed records or term -> definition (or a mix): every value is a definition or a record holding one.
    if all(_is_text(v) or (isinstance(v, dict) and _field_of(v, "definition")) for v in data.values()):
        return list(data.items()), path
    # {"glossary": [...], "version": 2}; {"entries": [...], "warnings": [...]} (our export): the one key
    # whose value holds definitions.
    nested = [key for key, value in data.items() if isinstance(value, (list, dict)) and value]
    if len(nested) > 1:
        nested = [key for key in nested if _holds_definitions(data[key])]
    if len(nested) == 1:
        return _find_records(data[nested[0]], (*path, nested[0]))
    return None, path


def _holds_definitions(value: object) -> bool:
    if isinstance(value, list):
        return any(isinstance(item, dict) and _field_of(item, "definition") for item in value)
    return isinstance(value, dict) and any(_holds_definitions(v) or (isinstance(v, dict) and _field_of(v, "definition"))
                                           for v in value.values())


def _is_text(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(x, str) for x in value))


def _field_of(record: dict, field: str) -> str | None:
    """The key that holds `field` in a record: ours first, then the names people use."""
    if field in record:
        return field
    return next((key for key in record if isinstance(key, str) and FIELD_OF.get(key.strip().lower()) == field),
                None)


def _fields(record: dict, line: int, findings: list[Finding], unknown_seen: set[str]) -> dict[str, object]:
    fields: dict[str, object] = {}
    for key, value in record.items():
        name = key if key in _OURS else FIELD_OF.get(str(key).strip().lower())
        if name is None or name in fields or (name != key and name in record):
            if key not in unknown_seen and key not in _OURS:
                unknown_seen.add(key)
                findings.append(Finding(line, f"field '{key}' is not an entry field; ignored"))
            continue
        fields[name] = value
    return fields


def _draft(fields: dict[str, object], position: int, file: Path, line: int) -> Draft:
    definition = fields.get("definition")
    if isinstance(definition, list):  # several senses
        definition = " ".join(str(part) for part in definition if part)
    definition = "" if definition is None else str(definition).strip()
    if looks_like_html(definition):
        definition = html_to_text(definition)
    aliases = fields.get("aliases", ())
    if isinstance(aliases, str):
        aliases = split_aliases(aliases)
    if not isinstance(aliases, (list, tuple)):
        raise FormatError(f"{file}, line {line}: entry {position}, field 'aliases': expected a list or a string "
                          f"separated by ';', got {type(aliases).__name__}.")
    term, more = split_term(str(fields["term"]))
    topic = fields.get("topic")
    if isinstance(topic, list):  # tags
        topic = topic[0] if topic else None
    extra = tuple((name, fields[name]) for name in EXTRA_FIELDS if name in fields)
    entry_id = fields.get("id", position)
    return Draft(line, term, definition, (*more, *(str(a) for a in aliases)), id=entry_id,  # type: ignore[arg-type]
                 topic=str(topic) if topic else None, extra=extra)


def _yaml_line(node: yaml.Node | None, path: Path_) -> int:
    line = node.start_mark.line + 1 if node is not None else 1
    for step in path:
        if isinstance(node, yaml.MappingNode):  # a keyed record starts at its key
            pair = next(((key, value) for key, value in node.value if key.value == str(step)), None)
            if pair is None:
                return line
            line, node = pair[0].start_mark.line + 1, pair[1]
            continue
        if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return line
        if node is None:
            return line
        line = node.start_mark.line + 1
    return line
