"""BM25 (bm25s, stemmed) over each entry's term, aliases, definition and examples: the lexical score of every
entry for a query, built once at load."""

from __future__ import annotations

import bm25s
import numpy as np
import Stemmer

from glossary_rag.glossary import Entry

_STEMMER = Stemmer.Stemmer("english")


def tokenize(texts: list[str]):
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER.stemWords, show_progress=False)


class LexicalIndex:
    """BM25 (bm25s) over each entry's term, aliases and definition; scores every entry for a query."""

    def __init__(self, entries: list[Entry]):
        self.ids = np.array([e.id for e in entries], dtype=np.int64)
        docs = [" ".join([e.term, *e.aliases, e.term, e.definition, *e.examples]) for e in entries]
        self.retriever = bm25s.BM25()
        self.retriever.index(tokenize(docs), show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every entry (aligned with `self.ids`); zeros when no query word is known."""
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_STEMMER.stemWords, return_ids=False,
                                show_progress=False)[0]
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)
