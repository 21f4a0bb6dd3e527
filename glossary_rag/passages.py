"""What each entry contributes to the dense index: several short texts, each its own vector.

An entry is found by its name, its definition (whole and sentence by sentence) and, when the glossary is
enriched, by plain-language descriptions and questions written for people who don't know the name. Search
scores an entry by its best-matching passage, so one good paraphrase is enough to find it.

>>> from glossary_rag.glossary import Entry
>>> e = Entry(id=1, term="Epoch", definition="An epoch is one pass. It repeats.")
>>> [(p.kind, p.text) for p in entry_passages(e)]
[('name', 'Epoch'), ('definition', 'Epoch: An epoch is one pass. It repeats.'), ('sentence', 'An epoch is one pass.'), ('sentence', 'It repeats.')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from glossary_rag.glossary import Entry, Glossary

# Split after ., ! or ? followed by a space and a capital/digit: good enough for definitions we write.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class Passage:
    """One embedded text and the entry it belongs to."""

    entry_id: int
    kind: str  # name | example | definition | sentence | description | question
    text: str


def split_sentences(text: str) -> list[str]:
    """Split a definition into sentences.

    >>> split_sentences("A is B. It helps, e.g. here. Done!")
    ['A is B.', 'It helps, e.g. here.', 'Done!']
    """
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def entry_passages(entry: Entry, enriched: bool = True) -> list[Passage]:
    """The passages of one entry; `enriched=False` leaves out descriptions and questions."""
    names = entry.term if not entry.aliases else f"{entry.term} ({', '.join(entry.aliases)})"
    passages = [Passage(entry.id, "name", names),
                Passage(entry.id, "definition", f"{entry.term}: {entry.definition}")]
    if entry.examples:
        # Kinds of the concept ("sigmoid, tanh, ReLU" for Activation Function): a query naming one is
        # about this entry. Scored with the name passages (glossary_rag/decision.py KINDS).
        passages.append(Passage(entry.id, "example", f"{', '.join(entry.examples)}: kinds of {entry.term}"))
    sentences = split_sentences(entry.definition)
    if len(sentences) > 1:
        passages += [Passage(entry.id, "sentence", s) for s in sentences]
    if enriched:
        passages += [Passage(entry.id, "description", d) for d in entry.descriptions]
        passages += [Passage(entry.id, "question", q) for q in entry.questions]
    return passages


def glossary_passages(glossary: Glossary, enriched: bool = True) -> list[Passage]:
    """All passages of a glossary, in entry-id order (deterministic, so builds are reproducible)."""
    return [p for entry in glossary.entries for p in entry_passages(entry, enriched)]
