"""Lexical evidence: BM25 over names, aliases and definitions, and exact/fuzzy matching of names.

Dense vectors understand paraphrase but not typos in rare words or bare acronyms ("xent", "t-sne", "gradiant
decent"); these two structures catch what they miss. Both are built once at load, never per query.

>>> from glossary_rag.glossary import Entry
>>> m = NameMatcher([Entry(id=3, term="Backpropagation", aliases=("backprop",), definition="x")])
>>> m.match("wat is backprp")
{3: 0.84}
"""

from __future__ import annotations

import re
from collections import defaultdict

import bm25s
import numpy as np
import Stemmer
from rapidfuzz import fuzz, process

from glossary_rag.glossary import Entry

_STEMMER = Stemmer.Stemmer("english")
_NON_WORD = re.compile(r"[^\w]+")


def normalize_name(text: str) -> str:
    """Lowercase and fold punctuation so "t-SNE", "t sne" and "T.S.N.E" compare equal to "tsne" or "t sne".

    >>> normalize_name("T-SNE!"), normalize_name("Self-Attention")
    ('t sne', 'self attention')
    """
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def tokenize(texts: list[str]):
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER.stemWords, show_progress=False)


class LexicalIndex:
    """BM25 (bm25s) over each entry's term, aliases and definition; scores every entry for a query."""

    def __init__(self, entries: list[Entry]):
        self.ids = np.array([e.id for e in entries], dtype=np.int64)
        docs = [" ".join([e.term, *e.aliases, e.term, e.definition]) for e in entries]
        self.retriever = bm25s.BM25()
        self.retriever.index(tokenize(docs), show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every entry (aligned with `self.ids`); zeros when no query word is known."""
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_STEMMER.stemWords, return_ids=False,
                                show_progress=False)[0]
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)


class NameMatcher:
    """Find entry names and aliases inside a query: exactly, as a phrase, or with typos (rapidfuzz)."""

    # Short names ("ann", "gan") only match exactly: fuzzy matching three letters is noise.
    MIN_FUZZY_LEN = 5
    FUZZY_CUTOFF = 82.0

    def __init__(self, entries: list[Entry]):
        self.exact: dict[str, set[int]] = defaultdict(set)
        for entry in entries:
            for name in entry.names:
                for variant in _variants(name):
                    self.exact[variant].add(entry.id)
        self.fuzzy_names = [n for n in self.exact if len(n) >= self.MIN_FUZZY_LEN]
        self.max_words = max((len(n.split()) for n in self.exact), default=1)

    def match(self, text: str) -> dict[int, float]:
        """Score in (0, 1] for each entry named in `text`: 1.0 when the whole text is a name, 0.9 when a
        name appears as a phrase in it, and a typo-tolerant similarity below that."""
        norm = normalize_name(text)
        if not norm:
            return {}
        found: dict[int, float] = {}

        def offer(ids: set[int], score: float) -> None:
            for entry_id in ids:
                found[entry_id] = max(found.get(entry_id, 0.0), round(score, 2))

        for variant in _variants(norm):
            if variant in self.exact:
                offer(self.exact[variant], 1.0)
        words = norm.split()
        grams = [" ".join(words[i:i + n]) for n in range(1, min(self.max_words, len(words)) + 1)
                 for i in range(len(words) - n + 1)]
        for gram in grams:
            for variant in _variants(gram):
                if variant in self.exact:
                    offer(self.exact[variant], 0.9)
        # Typos: compare each phrase of the query with the longer names.
        candidates = [g for g in grams if len(g) >= self.MIN_FUZZY_LEN and g not in self.exact]
        if candidates and self.fuzzy_names:
            scores = process.cdist(candidates, self.fuzzy_names, scorer=fuzz.ratio,
                                   score_cutoff=self.FUZZY_CUTOFF, workers=1)
            rows, cols = np.nonzero(scores)
            for row, col in zip(rows, cols):
                name = self.fuzzy_names[col]
                # Scale into (0, 0.9): a near-perfect typo match counts almost like a phrase match.
                offer(self.exact[name], 0.9 * float(scores[row, col]) / 100.0 - 0.0)
        return found


def _variants(name: str) -> set[str]:
    """Spellings that should count as the same name: spaced, joined, and singular/plural.

    >>> sorted(_variants("Pooling Layers"))
    ['pooling layer', 'pooling layers', 'poolinglayer', 'poolinglayers']
    """
    base = normalize_name(name)
    forms = {base, base.replace(" ", "")}
    for form in list(forms):
        if form.endswith("s") and len(form) > 4 and not form.endswith("ss"):
            forms.add(form[:-1])
        elif len(form) > 3:
            forms.add(form + "s")
    return {f for f in forms if f}
