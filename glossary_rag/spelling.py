"""Correct misspelt words against the glossary's own vocabulary, so typos reach every kind of evidence.

Name matching forgives typos by itself, but the encoder and BM25 see "gradiant decent" as two unknown
tokens. A word the glossary never uses is replaced by the glossary word closest to it in spelling (rapidfuzz
`fuzz.ratio` at least the cutoff, Settings.fuzzy_word_cutoff, same first letter, the more frequent word on ties); words the glossary uses
and short words are left alone.

>>> from glossary_rag.glossary import Entry
>>> speller = Speller([Entry(id=8, term="Gradient Descent", definition="Gradient descent lowers a loss.")])
>>> speller.correct("gradiant decent"), speller.correct("gradient descent"), speller.correct("xgboost")
('gradient descent', 'gradient descent', 'xgboost')
"""

from __future__ import annotations

import re
from collections import Counter

from rapidfuzz import fuzz, process

from glossary_rag.glossary import Entry

# 85 accepts one wrong or missing letter in a 7-letter word ("dropot", "overfiting") and rejects different
# words of similar shape ("forest"/"forget" score 83). Words under MIN_LENGTH letters are never changed
# (mostly acronyms); words shorter than FUZZY_LENGTH are only completed by one missing last letter ("epoc"
# -> "epoch"), because any other one-letter change of a short word is usually another word ("bake"/"brake",
# "alert"/"albert").
DEFAULT_CUTOFF = 85.0  # Settings.fuzzy_word_cutoff's default; the retriever passes the configured one
MIN_LENGTH = 4
FUZZY_LENGTH = 6
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")


class Speller:
    """The glossary's words with their counts; corrects the words of a query it does not know."""

    def __init__(self, entries: list[Entry], cutoff: float = DEFAULT_CUTOFF):
        self.cutoff = cutoff
        counts: Counter[str] = Counter()
        for entry in entries:
            for text in (*entry.names, *entry.examples, entry.definition, *entry.descriptions, *entry.questions):
                counts.update(w.lower() for w in _WORD.findall(text))
        self.counts = counts
        self.by_letter: dict[str, list[str]] = {}
        for word in sorted(counts, key=lambda w: (-counts[w], w)):
            if len(word) >= MIN_LENGTH - 1:
                self.by_letter.setdefault(word[0], []).append(word)

    def correct_word(self, word: str) -> str:
        """The glossary word closest to `word`, or `word` itself when it is known, short or far from all."""
        lower = word.lower()
        if len(lower) < MIN_LENGTH or lower in self.counts or not lower.isalpha():
            return word
        candidates = self.by_letter.get(lower[0], [])
        if len(lower) < FUZZY_LENGTH:
            completions = [w for w in candidates if len(w) == len(lower) + 1 and w.startswith(lower)]
            return completions[0] if completions else word  # the most frequent
        found = process.extractOne(lower, candidates, scorer=fuzz.ratio, score_cutoff=self.cutoff)
        return found[0] if found else word

    def correct(self, text: str) -> str:
        """`text` with each unknown word replaced by its correction (everything else unchanged)."""
        return _WORD.sub(lambda m: self.correct_word(m.group(0)), text)
