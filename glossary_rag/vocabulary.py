"""Every word the glossary uses, to notice questions about things it has no word for.

"naive bayes classifier" lands near entries about classifiers, but "naive" and "bayes" appear nowhere in
the glossary: that is evidence the question is out of scope, whatever the nearest vector says.
"""

from __future__ import annotations

import re

import bm25s.stopwords

from glossary_rag.fuzzy import FuzzyTable
from glossary_rag.glossary import Entry
from glossary_rag.settings import Settings


class Vocabulary:
    """The glossary's words; typos of them ("overfiting") still count as known (Settings.fuzzy_word_cutoff)."""

    def __init__(self, entries: list[Entry], extra_words: set[str], settings: Settings):
        self.typo_cutoff = settings.fuzzy_word_cutoff
        words: set[str] = set(extra_words)
        for entry in entries:
            for text in (*entry.names, *entry.examples, entry.definition, *entry.descriptions, *entry.questions):
                words.update(_WORD.findall(text.lower()))
        self.words = words
        self.typo_candidates = FuzzyTable([w for w in words if len(w) >= 4])

    def unknown_share(self, text: str) -> float:
        """Share of the content words of `text` that the glossary never uses (0.0 when it has none).

        >>> from glossary_rag.glossary import Entry
        >>> from glossary_rag.settings import Settings
        >>> words = Vocabulary([Entry(id=1, term="Dropout", definition="Randomly zero units.")], set(), Settings())
        >>> words.unknown_share("dropuot of bayes")
        0.5
        """
        content = [w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOPWORDS]
        if not content:
            return 0.0
        unknown = [w for w in content if w not in self.words]
        if unknown:
            close = {phrase for phrase, _, _ in self.typo_candidates.matches(unknown, self.typo_cutoff)}
            unknown = [w for w in unknown if w not in close]
        return len(unknown) / len(content)


_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = set(bm25s.stopwords.STOPWORDS_EN_PLUS) | {
    "what", "how", "why", "when", "which", "who", "does", "do", "did", "can", "could", "would", "should",
    "my", "me", "you", "your", "get", "use", "using", "used", "called", "term", "word", "name", "mean",
    "means", "explain", "define", "tell", "about", "please", "thing", "things", "way", "ways"}
