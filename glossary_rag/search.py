"""Hybrid retrieval: dense multi-vector + BM25 + name matching, fused into one ranking, plus abstention.

Every entry gets three pieces of evidence for a query:
  dense    best cosine between the query and any of the entry's passages (name, definition, sentences,
           descriptions, questions) -- an entry is as close as its closest paraphrase;
  lexical  BM25 over its term, aliases and definition, divided by the best BM25 score of the query;
  name     1.0 when the query is the entry's name or alias, 0.9 when it contains it, less for typos.
The fused score is a weighted sum (weights in `Settings`, set on the dev set). The glossary "does not
cover" a query when no name matches and the best dense similarity is below `Settings.abstain_below`
(or the stricter `abstain_below_unnamed` when the query is a bare "what is X").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glossary_rag.glossary import Glossary
from glossary_rag.index import LoadedIndex
from glossary_rag.lexical import LexicalIndex, NameMatcher, Vocabulary
from glossary_rag.query import ABBREVIATIONS
from glossary_rag.query import Query, parse_query
from glossary_rag.settings import Settings

# A name match this strong means the person named the entry: never abstain on it.
NAMED = 0.85
# Vectors an approximate (IVF) index returns per query: ~25 entries at ~5 vectors each, enough for top-10
# fusion; the entries it misses still get their lexical and name evidence.
ANN_CANDIDATES = 128


@dataclass(frozen=True)
class Hit:
    """One ranked entry. `score` is the fused score shown to people; the parts explain it."""

    id: int
    term: str
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    name: float = 0.0


@dataclass(frozen=True)
class SearchResult:
    query: Query
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: str  # high | medium | low
    # For comparisons: the best hit for each side, in the order the person named them.
    sides: tuple[Hit, ...] = ()


class Retriever:
    """Everything search needs, built once at load: the index, BM25, the name table, position maps."""

    def __init__(self, glossary: Glossary, index: LoadedIndex, encoder, settings: Settings):
        import faiss

        self.glossary, self.index, self.encoder, self.settings = glossary, index, encoder, settings
        entries = list(glossary.entries)
        self.ids = np.array([e.id for e in entries], dtype=np.int64)
        self.terms = [e.term for e in entries]
        position = {entry_id: i for i, entry_id in enumerate(self.ids.tolist())}
        self.position_of_vector = np.array([position[i] for i in index.entry_of_vector.tolist()], dtype=np.int64)
        self.position = position
        self.lexical = LexicalIndex(entries)
        self.names = NameMatcher(entries)
        self.vocabulary = Vocabulary(entries, set(ABBREVIATIONS))
        self.vector_k = candidate_count(index.faiss_index.ntotal, index.manifest.index_type)
        # One query at a time: FAISS's OpenMP threads cost more in start-up than they save.
        faiss.omp_set_num_threads(1)

    def search(self, text: str | Query, k: int | None = None) -> SearchResult:
        """Rank entries for `text` (a string or a parsed `Query`); at least `k` hits unless the query is empty."""
        query = text if isinstance(text, Query) else parse_query(text, self.settings.max_query_chars)
        k = max(1, min(k or self.settings.top_k, len(self.ids)))
        if query.intent == "empty":
            return SearchResult(query, (), True, "low")
        if query.intent == "compare":
            return self._search_comparison(query, k)
        fused, dense, lexical, names = self.score(query.core or query.text)
        hits = self._top_hits(fused, dense, lexical, names, k)
        abstained = self.abstains(float(dense.max()), float(names.max()), query.intent,
                                  self.vocabulary.unknown_share(query.core or query.text))
        return SearchResult(query, hits, abstained, self.confidence(hits[0], abstained))

    def score(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Fused, dense, lexical and name scores of every entry, aligned with `self.ids`."""
        s = self.settings
        vector = self.encoder.encode_query(text)
        similarities, positions = nearest_vectors(self.index.faiss_index, vector, self.vector_k)
        dense = np.zeros(len(self.ids), dtype=np.float32)
        np.maximum.at(dense, self.position_of_vector[positions], similarities)
        lexical = self.lexical.scores(text)
        top = float(lexical.max()) if lexical.size else 0.0
        lexical = lexical / top if top > 0 else lexical
        names = np.zeros(len(self.ids), dtype=np.float32)
        for entry_id, score in self.names.match(text).items():
            names[self.position[entry_id]] = score
        fused = s.weight_dense * dense + s.weight_lexical * lexical + s.weight_name * names
        return fused, dense, lexical, names

    def abstains(self, best_dense: float, best_name: float, intent: str, unknown_share: float) -> bool:
        """True when the glossary does not cover the query: nothing named, nothing close in meaning.

        A short "what is X" whose X names no entry (random forest, k-means) is held to a higher bar, and
        so is a query full of words the glossary never uses: a term we don't have still lands near
        related entries, and that nearness is not an answer.
        """
        if best_name >= NAMED:
            return False
        s = self.settings
        threshold = s.abstain_below_unnamed if intent == "define" else s.abstain_below
        return best_dense < threshold + s.abstain_unknown_penalty * unknown_share

    def confidence(self, best: Hit, abstained: bool) -> str:
        if abstained:
            return "low"
        if best.name >= NAMED or best.dense >= self.settings.abstain_below + 0.15:
            return "high"
        return "medium"

    def _top_hits(self, fused, dense, lexical, names, k: int) -> tuple[Hit, ...]:
        order = top_k_stable(fused, k)
        return tuple(Hit(int(self.ids[i]), self.terms[i], round(float(fused[i]), 4), round(float(dense[i]), 4),
                         round(float(lexical[i]), 4), round(float(names[i]), 4)) for i in order)

    def _search_comparison(self, query: Query, k: int) -> SearchResult:
        # Each side is searched on its own, so "X vs Y" puts the best entry for X and for Y first.
        side_results = [self.search(parse_query(part, self.settings.max_query_chars), k)
                        for part in query.parts]
        whole = self.score(query.text)
        sides: list[Hit] = []
        for result in side_results:
            best = next((h for h in result.hits if h.id not in {s.id for s in sides}), None)
            if best is not None and not result.abstained:
                sides.append(best)
        rest = self._top_hits(*whole, k + len(sides))
        hits = tuple(sides) + tuple(h for h in rest if h.id not in {s.id for s in sides})
        abstained = not sides
        best = sides[0] if sides else hits[0]
        return SearchResult(query, hits[:max(k, len(sides))], abstained, self.confidence(best, abstained),
                            tuple(sides))


def candidate_count(total: int, index_type: str) -> int:
    """How many nearest vectors a query asks the index for.

    Small flat indexes: every vector (exact). An approximate index (IVF, or HNSW from older builds) returns
    a small pool: ~25 entries at ~5 vectors each, plenty for top-10 fusion (see README "Performance").

    >>> candidate_count(1727, "flat"), candidate_count(50_000, "flat"), candidate_count(500_000, "ivf")
    (1727, 1024, 128)
    """
    if index_type != "flat":
        return min(total, ANN_CANDIDATES)
    return total if total <= 20_000 else 1024


def nearest_vectors(faiss_index, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Similarities and positions of the `k` vectors nearest to `vector` (unordered; no -1 padding).

    Asked for every vector of a flat index, one range search scores them all: the same numbers as
    `search`, without sorting them (half the time at 1,727 vectors).
    """
    import faiss

    if k >= faiss_index.ntotal and isinstance(faiss_index, faiss.IndexFlat) \
            and faiss_index.metric_type == faiss.METRIC_INNER_PRODUCT:
        _, similarities, positions = faiss_index.range_search(vector[None, :], -1e30)
        return similarities, positions
    similarities, positions = faiss_index.search(vector[None, :], k)
    found = positions[0] >= 0
    return similarities[0][found], positions[0][found]


def top_k_stable(scores: np.ndarray, k: int) -> np.ndarray:
    """`np.argsort(-scores, kind="stable")[:k]` (highest first, ties by position) without sorting all of a
    100,000-entry array: partition out the k best, then sort just those.

    >>> top_k_stable(np.array([0.1, 0.5, 0.3, 0.5]), 2), top_k_stable(np.arange(5000.0) % 7, 3)
    (array([1, 3]), array([ 6, 13, 20]))
    """
    if k >= len(scores) or len(scores) <= 4096:
        return np.argsort(-scores, kind="stable")[:k]
    negated = -scores
    kth = np.partition(negated, k - 1)[k - 1]
    best = np.flatnonzero(negated <= kth)  # every tie at the boundary, in position order
    return best[np.argsort(negated[best], kind="stable")][:k]
