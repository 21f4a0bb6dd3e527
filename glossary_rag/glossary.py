"""Load and validate a glossary: our YAML entry files, or any file `glossary_rag.importers` reads (Markdown,
CSV, JSON, YAML shapes, plain text), in; a `Glossary` of frozen `Entry` objects out. `load_glossary` is the
one public loader; an imported glossary carries what the import tolerated in `warnings`.

Every error is a `GlossaryError` that names the file, the entry id, the field and (where YAML tells us)
the line, and says what to do, because people edit these files by hand.

>>> g = load_glossary(PROJECT_ROOT / "glossary")
>>> g.by_id[17].term, len(g.entries)
('Dropout', 128)
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from glossary_rag.consistency import check_consistency
from glossary_rag.entries import Contrast, Entry, Glossary, GlossaryError
from glossary_rag.importers import Draft, Format, FormatError, detect_format, read_file
from glossary_rag.settings import PROJECT_ROOT

__all__ = ["CONTRASTS_FILE", "Contrast", "Entry", "Glossary", "GlossaryError", "check_consistency", "load_glossary"]

# Beside entries/: how commonly confused pairs differ (see glossary/README.md).
CONTRASTS_FILE = "contrasts.yaml"


def load_glossary(path: Path, require_enrichment: bool = False) -> Glossary:
    """Load `path`: a folder of `*.yaml` entry files, one YAML file holding a list of entries, or a glossary
    file in any layout `glossary_rag.importers` reads (its findings land in `Glossary.warnings`).

    Raises `GlossaryError` naming the file, entry, field and line at fault.
    """
    path = Path(path)
    if not path.exists():
        raise GlossaryError(f"{path}: no glossary here. Point --glossary (or GLOSSARY_RAG_GLOSSARY_PATH) "
                            "at a folder of YAML entries or a glossary file.")
    try:
        fmt = detect_format(path)
        if fmt != "yaml" or not (path.is_dir() or _holds_our_entries(path)):
            return _import_file(path, fmt, require_enrichment)
    except FormatError as err:
        raise GlossaryError(str(err)) from err
    files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    if path.is_dir() and (path / "entries").is_dir():
        files = sorted((path / "entries").glob("*.y*ml"))
    if not files:
        raise GlossaryError(f"{path}: no .yaml files found. Add one file per entry (see glossary/README.md).")
    entries: list[Entry] = []
    for file in files:
        for raw, node in _read_yaml_entries(file):
            entries.append(_validate_entry(raw, node, file))
    contrasts = _load_contrasts(path / CONTRASTS_FILE) if path.is_dir() else ()
    glossary = Glossary(tuple(sorted(entries, key=lambda e: e.id)), name=path.stem or "glossary",
                        contrasts=contrasts, path=path)
    check_consistency(glossary, require_enrichment)
    return glossary


def _holds_our_entries(file: Path) -> bool:
    """True when a YAML file is our own format (entries with ids and our fields only): read strictly then,
    so a typo in a field is an error, not a field the import ignores."""
    items = [raw for raw, _ in _read_yaml_entries(file)]
    return bool(items) and all(isinstance(raw, dict) and "id" in raw and "term" in raw
                               and set(raw) <= set(Entry.model_fields) for raw in items)


def _import_file(path: Path, fmt: Format, require_enrichment: bool) -> Glossary:
    parsed = read_file(path, fmt)
    entries = [_entry_from_draft(draft, path) for draft in parsed.drafts]
    glossary = Glossary(tuple(sorted(entries, key=lambda e: e.id)), name=path.stem or "glossary", format=fmt,
                        warnings=parsed.findings, path=path)
    check_consistency(glossary, require_enrichment)
    return glossary


def _entry_from_draft(draft: Draft, file: Path) -> Entry:
    """Validate one imported entry; `source` carries its line, so cross-entry errors name it too."""
    fields: dict[str, object] = {"id": draft.id, "term": draft.term, "aliases": draft.aliases,
                                 "definition": draft.definition, **dict(draft.extra)}
    if draft.topic:
        fields["topic"] = draft.topic
    try:
        return Entry.model_validate({**fields, "source": f"{file}, line {draft.line}"})
    except ValidationError as err:
        problem = err.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "(entry)"
        raise GlossaryError(f"{file}, line {draft.line}: entry {draft.id} ({draft.term}), field '{field}': "
                            f"{problem['msg']}. Fix that field (see README, 'Bring your own glossary').") from err


def _read_yaml_entries(file: Path) -> list[tuple[object, yaml.Node | None]]:
    """Parse one YAML file into (entry mapping, its YAML node) pairs; the node gives line numbers."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise GlossaryError(f"{file}: not valid UTF-8 (byte {err.start}). Save the file as UTF-8.") from err
    except OSError as err:
        raise GlossaryError(f"{file}: cannot read it ({err.strerror}).") from err
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        problem = getattr(err, "problem", None) or str(err)
        raise GlossaryError(f"{file}: invalid YAML at {where}: {problem}. Fix the syntax there.") from err
    if isinstance(data, list):
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [None] * len(data)
        return list(zip(data, nodes))
    return [(data, node)]


def _load_contrasts(file: Path) -> tuple[Contrast, ...]:
    """Read `contrasts.yaml` (a list of `{between: [a, b], note: ...}`) when the glossary folder has one."""
    if not file.is_file():
        return ()
    contrasts = []
    for raw, node in _read_yaml_entries(file):
        if raw is None and node is None:  # an empty file: no contrasts yet
            continue
        line = node.start_mark.line + 1 if node is not None else "?"
        if not isinstance(raw, dict):
            raise GlossaryError(f"{file}, line {line}: expected a mapping with 'between' and 'note', "
                                f"got {type(raw).__name__}.")
        try:
            contrasts.append(Contrast.model_validate({**raw, "source": f"{file}, line {line}"}))
        except ValidationError as err:
            problem = err.errors()[0]
            field = ".".join(str(part) for part in problem["loc"]) or "(contrast)"
            raise GlossaryError(f"{file}, line {line}: contrast, field '{field}': {problem['msg']}. "
                                "Each item needs between: [id, id] and a note.") from err
    return tuple(contrasts)


def _validate_entry(raw: object, node: yaml.Node | None, file: Path) -> Entry:
    line = node.start_mark.line + 1 if node is not None else "?"
    if not isinstance(raw, dict):
        raise GlossaryError(f"{file}, line {line}: expected a mapping of fields (id, term, definition, ...), "
                            f"got {type(raw).__name__}.")
    try:
        return Entry.model_validate({**raw, "source": str(file)})
    except ValidationError as err:
        problem = err.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "(entry)"
        field_line = _line_of_field(node, str(problem["loc"][0])) if problem["loc"] else None
        where = f", line {field_line}" if field_line else f", line {line}"
        raise GlossaryError(f"{file}{where}: entry {raw.get('id', '?')}, field '{field}': {problem['msg']}. "
                            "Fix that field (see glossary/README.md for the format).") from err


def _line_of_field(node: yaml.Node | None, field: str) -> int | None:
    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            if key.value == field:
                return key.start_mark.line + 1
    return None
