"""What every importer hands back: entries with the line they came from, and findings worth a look.

A finding is a `(line, message)` pair: something the importer tolerated (a section it skipped, a paragraph
with no heading, a duplicate term, an empty definition) and that a person should check in the source file.

>>> Finding(41, "paragraph with no heading") == (41, "paragraph with no heading")
True
>>> split_aliases("ANN; neural net | NN")
('ANN', 'neural net', 'NN')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from glossary_rag.glossary import Entry, GlossaryError

# People list aliases with ";" or "|" (a "," would clash with CSV and with aliases such as "1,000 classes").
_ALIAS_SEPARATOR = re.compile(r"\s*[;|]\s*")


class Finding(NamedTuple):
    """One suspicious thing in an imported file, by its 1-based line."""

    line: int
    message: str


@dataclass(frozen=True)
class Parsed:
    """An importer's result before cross-entry checks: validated entries and what it noticed."""

    entries: tuple[Entry, ...]
    findings: tuple[Finding, ...] = ()


def split_aliases(text: str) -> tuple[str, ...]:
    """Aliases written in one cell: separated by ";" or "|", blanks dropped."""
    return tuple(part for part in _ALIAS_SEPARATOR.split(text.strip()) if part)


def make_entry(fields: dict, file: Path, line: int) -> Entry:
    """Validate one imported entry; a bad field raises `GlossaryError` naming the file, line and entry.

    `source` carries the line, so cross-entry errors (duplicate ids, broken links) name it too.
    """
    try:
        return Entry.model_validate({**fields, "source": f"{file}, line {line}"})
    except ValidationError as err:
        problem = err.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "(entry)"
        name = f" ({fields['term']})" if isinstance(fields.get("term"), str) and fields["term"].strip() else ""
        raise GlossaryError(f"{file}, line {line}: entry {fields.get('id', '?')}{name}, field '{field}': "
                            f"{problem['msg']}. Fix that field (see README, 'Bring your own glossary').") from err


def find_duplicate_terms(located: list[tuple[int, Entry]]) -> list[Finding]:
    """Entries whose terms match another's, ignoring case, punctuation and a plural "s".

    >>> a = Entry(id=1, term="Attention Mechanism", definition="x")
    >>> b = Entry(id=2, term="attention mechanisms", definition="y")
    >>> find_duplicate_terms([(3, a), (9, b)])
    [Finding(line=9, message="term 'attention mechanisms' repeats entry 1 'Attention Mechanism' (line 3)")]
    """
    first: dict[str, tuple[int, Entry]] = {}
    findings = []
    for line, entry in located:
        key = fold_term(entry.term)
        if key in first:
            other_line, other = first[key]
            findings.append(Finding(line, f"term '{entry.term}' repeats entry {other.id} '{other.term}' "
                                          f"(line {other_line})"))
        else:
            first[key] = (line, entry)
    return findings


def fold_term(term: str) -> str:
    """A term's comparison key: lower case, words only, a plural "s" dropped.

    >>> fold_term("Hyper-Parameters"), fold_term("Loss")
    ('hyper parameter', 'loss')
    """
    words = re.sub(r"[^\w]+", " ", term.lower()).split()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def read_text(file: Path) -> str:
    """The file as text; a byte-order mark (Excel writes one into CSV) is dropped."""
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise GlossaryError(f"{file}: not valid UTF-8 (byte {err.start}). Save the file as UTF-8.") from err
    except OSError as err:
        raise GlossaryError(f"{file}: cannot read it ({err.strerror}).") from err
