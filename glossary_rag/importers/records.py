"""What every importer hands back: drafts of entries with the line they came from, and findings worth a look.

A draft is an entry before validation (`glossary_rag.glossary` turns drafts into `Entry` objects); a finding is
a `(line, message)` pair: something the importer tolerated (a section it skipped, an empty definition, a
duplicate term) that a person should check in the source file. The importers import nothing from the loader,
so `load_glossary` can build on them without an import cycle.

>>> Finding(41, "paragraph with no heading") == (41, "paragraph with no heading")
True
>>> split_aliases("ANN; neural net | NN")
('ANN', 'neural net', 'NN')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

# The formats a glossary file can be in; "yaml" is also our own folder of entry files.
Format = Literal["yaml", "markdown", "csv", "json", "text"]

# People list aliases with ";" or "|" (a "," would clash with CSV and with aliases such as "1,000 classes").
_ALIAS_SEPARATOR = re.compile(r"\s*[;|]\s*")

# Entry fields an import may carry beyond term, definition, aliases, topic and id (a JSON export of ours has
# them all). Kept in step with `Entry` by a test, since the importers don't import the loader.
EXTRA_FIELDS = ("related", "opposite", "same_as", "examples", "descriptions", "questions")

# Column / key names people use for each field, lower case (CSV headers, JSON keys, Markdown table headers).
COLUMNS = {
    "id": ("id", "number", "no", "#"),
    "term": ("term", "name", "word", "title", "concept", "front"),
    "definition": ("definition", "meaning", "description", "explanation", "desc", "back", "text", "summary"),
    "aliases": ("aliases", "alias", "synonyms", "synonym", "also known as", "aka", "abbreviation"),
    "topic": ("topic", "category", "section", "tags"),
}
FIELD_OF = {name: field for field, names in COLUMNS.items() for name in names}


class Finding(NamedTuple):
    """One suspicious thing in an imported file, by its 1-based line (0: the file as a whole)."""

    line: int
    message: str


class FormatError(ValueError):
    """The file cannot be read as a glossary; the message names the file and line and says what to do."""


@dataclass(frozen=True)
class Draft:
    """One entry as an importer read it, before validation. `id` is None until numbered."""

    line: int
    term: str
    definition: str
    aliases: tuple[str, ...] = ()
    id: int | None = None
    topic: str | None = None
    # Other entry fields by name (see EXTRA_FIELDS), as the file gave them; validated by the loader.
    extra: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Parsed:
    """An importer's result: drafts in document order and what it noticed on the way."""

    drafts: tuple[Draft, ...]
    findings: tuple[Finding, ...] = field(default=())


def split_aliases(text: str) -> tuple[str, ...]:
    """Aliases written in one cell: separated by ";" or "|", blanks dropped."""
    return tuple(part for part in _ALIAS_SEPARATOR.split(text.strip()) if part)


def fold_term(term: str) -> str:
    """A term's comparison key: lower case, words only, a plural "s" dropped.

    >>> fold_term("Hyper-Parameters"), fold_term("Loss")
    ('hyper parameter', 'loss')
    """
    words = re.sub(r"[^\w]+", " ", term.lower()).split()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def split_term(title: str) -> tuple[str, tuple[str, ...]]:
    """A written term and the aliases it carries: "Term (ABBR)" and "A / B" both name one thing twice.

    >>> split_term("Long Short-Term Memory (LSTM)"), split_term("Loss / Cost Function")
    (('Long Short-Term Memory', ('LSTM',)), ('Loss', ('Cost Function',)))
    >>> split_term("Precision (also: positive predictive value)"), split_term("TCP/IP")
    (('Precision', ('positive predictive value',)), ('TCP/IP', ()))
    """
    title = title.strip().rstrip(":").strip()
    match = re.match(r"^(.*?\S)\s*\(([^()]+)\)$", title)
    if match:
        alias = re.sub(r"^(?:or|aka|a\.k\.a\.|also(?: called| known as)?|short|abbr\.?|e\.g\.)[:,]?\s+", "",
                       match[2].strip(), flags=re.IGNORECASE)
        return match[1].strip(), (alias,) if alias else ()
    # Only a slash with spaces around it separates names ("TCP/IP" and "I/O" are one name).
    parts = [part.strip() for part in re.split(r"\s+/\s+", title) if part.strip()]
    return (parts[0], tuple(parts[1:])) if len(parts) > 1 else (title, ())


def line_of_offset(text: str, offset: int) -> int:
    """The 1-based line of a character offset.

    >>> line_of_offset("a\\nb\\nc", 2)
    2
    """
    return text.count("\n", 0, offset) + 1

