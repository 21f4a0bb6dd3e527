"""Citing: numbering the entries an answer cites, in the order first cited, and putting the marks inside
each sentence. An entry that search did not return cannot be cited (`Citer.cite` refuses it).

>>> citer = Citer((Hit(17, "Dropout", 1.0),))
>>> cite_sentences(["Dropout switches units off."], citer.cite(17)), citer.numbers
('Dropout switches units off [1].', {17: 1})
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glossary_rag.glossary import Entry, Glossary
from glossary_rag.passages import split_sentences
from glossary_rag.search import Hit


@dataclass(frozen=True)
class Citation:
    n: int
    id: int
    term: str


@dataclass
class Citer:
    """Numbers entries in the order they are first cited; refuses an entry that was not retrieved."""

    hits: tuple[Hit, ...]
    numbers: dict[int, int] = field(default_factory=dict)

    def cite(self, entry_id: int) -> str:
        if entry_id not in {h.id for h in self.hits}:
            raise ValueError(f"entry {entry_id} was not retrieved and cannot be cited")
        self.numbers.setdefault(entry_id, len(self.numbers) + 1)
        return f"[{self.numbers[entry_id]}]"

    def citations(self, glossary: Glossary) -> tuple[Citation, ...]:
        return tuple(Citation(n, entry_id, glossary.by_id[entry_id].term)
                     for entry_id, n in sorted(self.numbers.items(), key=lambda item: item[1]))


def cite_sentences(sentences: list[str], marks: str) -> str:
    """Each sentence with `marks` before its final stop, so the citation stays inside its sentence.

    >>> cite_sentences(["A is B.", "Is it?"], "[1] [2]")
    'A is B [1] [2]. Is it [1] [2]?'
    """
    cited = []
    for sentence in sentences:
        sentence = sentence.rstrip()
        stop = sentence[-1] if sentence[-1] in "!?" else "."
        cited.append(f"{sentence.rstrip('.!?')} {marks}{stop}")
    return " ".join(cited)


def cite_definition(citer: Citer, entry: Entry, limit: int | None = None) -> str:
    """The first `limit` sentences of the entry's definition (all by default), each cited to the entry."""
    return cite_sentences(split_sentences(entry.definition)[:limit], citer.cite(entry.id))


def join_items(items: list[str]) -> str:
    """English list: "a", "a and b", "a, b and c"."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
