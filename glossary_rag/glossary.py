"""Load and validate the glossary: YAML files in, a `Glossary` of frozen `Entry` objects out.

Every error is a `GlossaryError` that names the file, the entry id, the field and (where YAML tells us)
the line, and says what to do, because people edit these files by hand.

>>> g = load_glossary(PROJECT_ROOT / "glossary")
>>> g.by_id[17].term, len(g.entries)
('Dropout', 100)
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from glossary_rag.settings import PROJECT_ROOT

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class GlossaryError(ValueError):
    """A glossary file is missing, unreadable or invalid; the message says where and how to fix it."""


class Entry(BaseModel):
    """One glossary entry. Retrieval texts (`descriptions`, `questions`) may be empty for imported
    glossaries; the enriched house glossary requires them (see `require_enrichment`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int = Field(ge=1)
    term: NonEmpty
    aliases: tuple[NonEmpty, ...] = ()
    topic: NonEmpty = "general"
    definition: NonEmpty
    related: tuple[int, ...] = ()
    opposite: tuple[int, ...] = ()
    # Near-duplicate entries (the source article repeats some terms); answers merge them.
    same_as: tuple[int, ...] = ()
    descriptions: tuple[NonEmpty, ...] = ()
    questions: tuple[NonEmpty, ...] = ()
    source: str = Field(default="", exclude=True)

    @property
    def names(self) -> tuple[str, ...]:
        """The term followed by its aliases: everything a person might type to name this entry."""
        return (self.term, *self.aliases)


@dataclass(frozen=True)
class Glossary:
    """A validated glossary, entries sorted by id."""

    entries: tuple[Entry, ...]
    name: str = "glossary"

    @cached_property
    def by_id(self) -> dict[int, Entry]:
        return {entry.id: entry for entry in self.entries}

    @cached_property
    def content_hash(self) -> str:
        """sha256 of the entries' canonical JSON: formatting-only edits keep the index fresh."""
        canonical = json.dumps([e.model_dump() for e in self.entries], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_glossary(path: Path, require_enrichment: bool = False) -> Glossary:
    """Load `path`: a folder of `*.yaml` entry files, one YAML file holding a list of entries, or a
    Markdown, CSV or JSON glossary (read by `glossary_rag.importers`, which also reports what it found).

    Raises `GlossaryError` naming the file, entry, field and line at fault.
    """
    path = Path(path)
    if not path.exists():
        raise GlossaryError(f"{path}: no glossary here. Point --glossary (or GLOSSARY_RAG_GLOSSARY_PATH) "
                            "at a folder of YAML entries or a glossary file.")
    if path.is_file():
        from glossary_rag.importers import detect_format, import_glossary  # the importers build on this module

        if detect_format(path) != "yaml":
            return import_glossary(path, require_enrichment)[0]
    files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    if path.is_dir() and (path / "entries").is_dir():
        files = sorted((path / "entries").glob("*.y*ml"))
    if not files:
        raise GlossaryError(f"{path}: no .yaml files found. Add one file per entry (see glossary/README.md).")
    entries: list[Entry] = []
    for file in files:
        for raw, node in _read_yaml_entries(file):
            entries.append(_validate_entry(raw, node, file))
    glossary = Glossary(tuple(sorted(entries, key=lambda e: e.id)), name=path.stem or "glossary")
    check_consistency(glossary, require_enrichment)
    return glossary


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


def check_consistency(glossary: Glossary, require_enrichment: bool = False) -> None:
    """Cross-entry rules: unique ids, links that resolve, retrieval texts that don't name their entry."""
    seen: dict[int, Entry] = {}
    for entry in glossary.entries:
        if entry.id in seen:
            raise GlossaryError(f"{entry.source}: entry {entry.id}, field 'id': duplicate id, also used in "
                                f"{seen[entry.id].source}. Give each entry its own id.")
        seen[entry.id] = entry
    for entry in glossary.entries:
        for field in ("related", "opposite", "same_as"):
            for target in getattr(entry, field):
                if target not in seen:
                    raise GlossaryError(f"{entry.source}: entry {entry.id} ({entry.term}), field '{field}': id "
                                        f"{target} does not exist. Remove it or add that entry.")
                if target == entry.id:
                    raise GlossaryError(f"{entry.source}: entry {entry.id}, field '{field}': links to itself.")
        for target in entry.same_as:
            if entry.id not in seen[target].same_as:
                raise GlossaryError(f"{entry.source}: entry {entry.id}, field 'same_as': lists {target}, but "
                                    f"{seen[target].source} does not list {entry.id} back. Link both ways.")
        if require_enrichment and (len(entry.descriptions) < 4 or len(entry.questions) < 3):
            raise GlossaryError(f"{entry.source}: entry {entry.id} ({entry.term}): needs at least 4 descriptions "
                                f"and 3 questions (has {len(entry.descriptions)} and {len(entry.questions)}).")
        _check_retrieval_texts(entry)


def _check_retrieval_texts(entry: Entry) -> None:
    # Descriptions and questions are for people who don't know the name; naming it there would also
    # make reverse-lookup look better than it is.
    for field in ("descriptions", "questions"):
        for text in getattr(entry, field):
            for name in entry.names:
                if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags=re.IGNORECASE):
                    raise GlossaryError(f"{entry.source}: entry {entry.id} ({entry.term}), field '{field}': "
                                        f"{text!r} names the entry ({name!r}). Describe it without its name.")
