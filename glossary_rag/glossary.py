"""Load and validate a glossary: our YAML entry files, or any file `glossary_rag.importers` reads (Markdown,
CSV, JSON, YAML shapes, plain text), in; a `Glossary` of frozen `Entry` objects out. `load_glossary` is the
one public loader; an imported glossary carries what the import tolerated in `warnings`.

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

from glossary_rag.importers import Draft, Finding, Format, FormatError, detect_format, read_file
from glossary_rag.settings import PROJECT_ROOT

# Beside entries/: how commonly confused pairs differ (see glossary/README.md).
CONTRASTS_FILE = "contrasts.yaml"

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
    # Kinds of the concept (sigmoid, tanh for Activation Function): a query naming one lands here, and the
    # answer says it is a kind of this entry. Unlike aliases they are not other names for the entry.
    examples: tuple[NonEmpty, ...] = ()
    descriptions: tuple[NonEmpty, ...] = ()
    questions: tuple[NonEmpty, ...] = ()
    source: str = Field(default="", exclude=True)

    @property
    def names(self) -> tuple[str, ...]:
        """The term followed by its aliases: everything a person might type to name this entry."""
        return (self.term, *self.aliases)


class Contrast(BaseModel):
    """How two commonly confused entries differ, in one or two sentences; each pair is stored once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    between: tuple[int, int]
    note: NonEmpty
    source: str = Field(default="", exclude=True)


@dataclass(frozen=True)
class Glossary:
    """A validated glossary, entries sorted by id, with the contrast notes between confused pairs."""

    entries: tuple[Entry, ...]
    name: str = "glossary"
    contrasts: tuple[Contrast, ...] = ()
    # Where it came from and what the import tolerated (skipped sections, empty entries, duplicates), by
    # line: not part of the content hash, so the same entries from another layout share an index.
    format: Format = "yaml"
    warnings: tuple[Finding, ...] = ()
    path: Path | None = None

    def contrast(self, a: int, b: int) -> Contrast | None:
        """The note on how entries `a` and `b` differ, in either order; None when there is none."""
        return self._contrast_by_pair.get(frozenset((a, b)))

    @cached_property
    def _contrast_by_pair(self) -> dict[frozenset[int], Contrast]:
        return {frozenset(c.between): c for c in self.contrasts}

    @cached_property
    def by_id(self) -> dict[int, Entry]:
        return {entry.id: entry for entry in self.entries}

    @cached_property
    def content_hash(self) -> str:
        """sha256 of the entries' canonical JSON: formatting-only edits keep the index fresh."""
        canonical = json.dumps([e.model_dump() for e in self.entries], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def render_report(self) -> str:
        """What was loaded and each warning by line, as a person reads it on the terminal.

        >>> g = Glossary((Entry(id=1, term="Epoch", definition="One pass."),), format="markdown",
        ...              warnings=(Finding(4, "skipped section 'Intro': not an entry"),), path=Path("g.md"))
        >>> print(g.render_report())
        g.md: markdown glossary, 1 entries, 1 warning
          line 4: skipped section 'Intro': not an entry
        """
        count = len(self.warnings)
        head = (f"{self.path or self.name}: {self.format} glossary, {len(self.entries)} entries, {count} "
                f"warning{'s' * (count != 1)}")
        return "\n".join([head, *(f"  line {w.line}: {w.message}" for w in self.warnings)])


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
    _check_examples(glossary)
    _check_contrasts(glossary, seen)


def _check_examples(glossary: Glossary) -> None:
    # A query naming an example lands on its entry, so an example must not also be a name of an entry (then
    # "what is X?" would have two answers). It may be a kind of two entries (a VAE is an autoencoder and a
    # generative model): the answer then says both. Spellings are compared the way the name matcher reads
    # them ("Max-Pooling" = "max pooling" = "maxpooling").
    owner = {_spelling(name): entry for entry in glossary.entries for name in entry.names}
    for entry in glossary.entries:
        for example in entry.examples:
            other = owner.get(_spelling(example))
            if other is not None:
                raise GlossaryError(f"{_where(entry, 'examples', example)}: entry {entry.id} ({entry.term}), "
                                    f"field 'examples': {example!r} is a name of entry {other.id} ({other.term}). "
                                    "An example is a kind of the concept, not a name: drop it, or make it an "
                                    "alias if it names this entry.")


def _check_contrasts(glossary: Glossary, seen: dict[int, Entry]) -> None:
    pairs: dict[frozenset[int], str] = {}
    for contrast in glossary.contrasts:
        a, b = contrast.between
        for target in (a, b):
            if target not in seen:
                raise GlossaryError(f"{contrast.source}: contrast {a}/{b}: id {target} does not exist. Use the "
                                    "id of an entry in entries/ (the number at the start of its file name).")
        if a == b:
            raise GlossaryError(f"{contrast.source}: contrast {a}/{b}: an entry cannot contrast with itself. "
                                "Name two different entries.")
        pair = frozenset((a, b))
        if pair in pairs:
            raise GlossaryError(f"{contrast.source}: contrast {a}/{b} is already given at {pairs[pair]}. "
                                "Store each pair once (in either order) and merge the two notes.")
        pairs[pair] = contrast.source


def _spelling(name: str) -> str:
    """A name with case, spaces and punctuation folded away: "Max-Pooling" -> "maxpooling"."""
    return re.sub(r"[\W_]+", "", name.casefold())


def _where(entry: Entry, field: str, value: str) -> str:
    """`file, line N` of `value` inside `field` of `entry`, read back from its YAML file (errors only)."""
    try:
        root = yaml.compose(Path(entry.source).read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return entry.source
    for node in root.value if isinstance(root, yaml.SequenceNode) else [root]:
        fields = {key.value: item for key, item in node.value} if isinstance(node, yaml.MappingNode) else {}
        if getattr(fields.get("id"), "value", None) != str(entry.id):
            continue
        items = fields.get(field)
        for item in items.value if isinstance(items, yaml.SequenceNode) else []:
            if isinstance(item, yaml.ScalarNode) and item.value.strip() == value:
                return f"{entry.source}, line {item.start_mark.line + 1}"
        if items is not None:
            return f"{entry.source}, line {items.start_mark.line + 1}"
    return entry.source


def _check_retrieval_texts(entry: Entry) -> None:
    # Descriptions and questions are for people who don't know the name; naming it there would also
    # make reverse-lookup look better than it is.
    for field in ("descriptions", "questions"):
        for text in getattr(entry, field):
            for name in entry.names:
                if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags=re.IGNORECASE):
                    raise GlossaryError(f"{entry.source}: entry {entry.id} ({entry.term}), field '{field}': "
                                        f"{text!r} names the entry ({name!r}). Describe it without its name.")
