"""The nearest vectors to a query in FAISS, how many to ask for, and the k best of a score array."""

from __future__ import annotations

import numpy as np

from glossary_rag.settings import Settings


def candidate_count(total: int, index_type: str, settings: Settings) -> int:
    """How many nearest vectors a query asks the index for.

    Small flat indexes: every vector (exact). An approximate index (IVF, or HNSW from older builds) returns
    a small pool: ~25 entries at ~5 vectors each, plenty for the candidates (see README "Performance").

    >>> s = Settings()
    >>> candidate_count(1727, "flat", s), candidate_count(50_000, "flat", s), candidate_count(500_000, "ivf", s)
    (1727, 1024, 128)
    """
    if index_type != "flat":
        return min(total, settings.ann_candidates)
    return total if total <= settings.exact_up_to else settings.flat_candidates


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


# Up to this many scores a full stable sort is as fast as partitioning first (numpy, measured in commit 63986c0).
_SORT_WHOLE_UP_TO = 4096


def top_k_stable(scores: np.ndarray, k: int) -> np.ndarray:
    """`np.argsort(-scores, kind="stable")[:k]` (highest first, ties by position) without sorting all of a
    100,000-entry array: partition out the k best, then sort just those.

    >>> top_k_stable(np.array([0.1, 0.5, 0.3, 0.5]), 2), top_k_stable(np.arange(5000.0) % 7, 3)
    (array([1, 3]), array([ 6, 13, 20]))
    """
    if k >= len(scores) or len(scores) <= _SORT_WHOLE_UP_TO:
        return np.argsort(-scores, kind="stable")[:k]
    negated = -scores
    kth = np.partition(negated, k - 1)[k - 1]
    best = np.flatnonzero(negated <= kth)  # every tie at the boundary, in position order
    return best[np.argsort(negated[best], kind="stable")][:k]
