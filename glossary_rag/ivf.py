"""Which FAISS index a build makes, and how an inverted file (IVF) is sized, trained and filled.

Exact (flat) search while it is cheap; from `Settings.ann_threshold` vectors on, an IVF index: k-means
cells ("lists") of about `ivf_list_size` vectors, of which a query scans the `ivf_probes` nearest. An IVF
index must see a sample of all vectors before it takes any, so a large build spools its vectors to disk,
trains on a sample, then adds them a slice at a time.

>>> choose_index_type(1500, 200_000), choose_index_type(500_000, 200_000)
('flat', 'ivf')
>>> s = Settings()
>>> ivf_lists(10_000, s), ivf_lists(500_000, s), ivf_lists(10, s)
(64, 4096, 16)
>>> ivf_probes(16, s), ivf_probes(4096, s), ivf_probes(65_536, s)
(16, 32, 512)
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from glossary_rag.manifest import IndexType
from glossary_rag.settings import Settings

# Spooled vectors go into an IVF index this many at a time (~100 MB of float32 at 384 dimensions): a memory
# bound, not a tuning knob.
ADD_SLICE = 65_536


def choose_index_type(n_vectors: int, ann_threshold: int) -> IndexType:
    """Exact search below the measured threshold (`Settings.ann_threshold`), IVF from there on."""
    return "ivf" if n_vectors >= ann_threshold else "flat"


def ivf_lists(n_vectors: int, settings: Settings) -> int:
    """Number of IVF lists for `n_vectors`: a power of two near n / ivf_list_size, at least ivf_min_lists."""
    s = settings
    smallest = round(math.log2(s.ivf_min_lists))
    return 2 ** max(smallest, round(math.log2(max(n_vectors, 1) / s.ivf_list_size)))


def ivf_probes(lists: int, settings: Settings) -> int:
    """Lists scanned per query: ivf_min_probes, or one list in ivf_probe_share for very large indexes."""
    return min(lists, max(settings.ivf_min_probes, lists // settings.ivf_probe_share))


def create_faiss_index(dimension: int, index_type: IndexType, n_vectors: int = 0, *, settings: Settings):
    """An empty inner-product index (cosine, since vectors are unit length) for about `n_vectors` vectors.

    An "ivf" index must be trained (`train_index`) before vectors are added.
    """
    import faiss

    s = settings
    if index_type == "flat":
        return faiss.IndexFlatIP(dimension)
    if index_type == "ivf":
        # Cells are assigned by inner product, the metric queries use (k-means runs on this quantizer).
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, ivf_lists(n_vectors, s),
                                   faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = s.ivf_train_iterations
        return index
    raise ValueError(f"unknown index type {index_type!r}: use 'flat' or 'ivf'")


def train_index(index, vectors: np.ndarray, settings: Settings, seed: int = 0) -> None:
    """Train an IVF index's cells on a random sample of `vectors` (rows of an array or a memmap); a flat
    index needs no training. Sets the search parameters either way."""
    s = settings
    if not index.is_trained:
        count = min(len(vectors), s.ivf_train_per_list * index.nlist)
        rows = np.sort(np.random.default_rng(seed).choice(len(vectors), size=count, replace=False))
        index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
    tune_for_search(index, s)


def tune_for_search(index, settings: Settings) -> None:
    """Set how much of an IVF index a query scans, from `settings` (done at load too: the probes a server is
    configured with win over those saved in the file)."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        index.nprobe = ivf_probes(index.nlist, settings)


def add_after_training(index, chunks: Iterable[tuple[int, np.ndarray]], count: int, dimension: int, folder: Path,
                       settings: Settings) -> None:
    """Spool (first row, vectors) chunks to a temporary file in `folder` (disk, not memory), train `index`
    on a sample of them, then add them a slice at a time. The spool file is removed whatever happens."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, spool = tempfile.mkstemp(prefix=".vectors-spool-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        pending = np.lib.format.open_memmap(spool, mode="w+", dtype=np.float32, shape=(count, dimension))
        for start, vectors in chunks:
            pending[start:start + len(vectors)] = vectors
        train_index(index, pending, settings)
        for start in range(0, count, ADD_SLICE):
            index.add(np.ascontiguousarray(pending[start:start + ADD_SLICE]))
        del pending
    finally:
        Path(spool).unlink(missing_ok=True)
