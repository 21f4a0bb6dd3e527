"""The glossary's data: `Entry`, `Contrast` and `Glossary` (frozen, validated by pydantic), and `GlossaryError`.

Loading them from files is glossary_rag/glossary.py; the rules between entries are glossary_rag/consistency.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from glossary_rag.importers.records import Finding, Format

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
