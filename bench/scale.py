"""The retrieval path at a size we don't have: build an index and a retriever over N synthetic entries
(bench/synthetic.py), time FAISS and the whole retrieval after encoding, measure recall against exact
search, and time flat vs IVF at several sizes. Runs in a fresh process (`python -m bench.scale`).

>>> recall_at(np.array([[1, 2, 3]]), np.array([[1, 2, 4]]), k=3)
0.6667
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from bench.serving import PROJECT_ROOT, percentiles
from bench.synthetic import NOTE, SyntheticGlossary, make_synthetic, perturbed
from glossary_rag.engine import Engine
from glossary_rag.index import LoadedIndex
from glossary_rag.ivf import choose_index_type, create_faiss_index, train_index
from glossary_rag.manifest import FORMAT_VERSION, Manifest
from glossary_rag.outside import no_outside_vectors
from glossary_rag.nearest import candidate_count, nearest_vectors
from glossary_rag.search import Retriever
from glossary_rag.settings import Settings


def build_faiss(vectors: np.ndarray, index_type: str, settings: Settings, chunk: int = 65_536,
                progress: bool = False):
    """The index of `index_type` that `build_index` would make for these vectors (trained on a sample if it
    is IVF), added in chunks."""
    index = create_faiss_index(vectors.shape[1], index_type, len(vectors), settings=settings)
    train_index(index, vectors, settings)
    bar = _progress(len(vectors), progress)
    for start in range(0, len(vectors), chunk):
        index.add(vectors[start:start + chunk])
        bar.update(min(chunk, len(vectors) - start))
    bar.close()
    return index


def loaded_index(synthetic: SyntheticGlossary, faiss_index, index_type: str) -> LoadedIndex:
    """A `LoadedIndex` over the synthetic vectors, as `load_index` would return it."""
    manifest = Manifest(format_version=FORMAT_VERSION, model="synthetic", model_fingerprint="", dimension=int(faiss_index.d),
                        normalized=True, metric="inner_product", index_type=index_type, glossary_name="synthetic",
                        glossary_hash="", enriched=False, entries=len(synthetic.glossary.entries),
                        vectors=int(faiss_index.ntotal), faiss_file="", passages_file="", faiss_sha256="",
                        passages_sha256="")
    # No passage texts: the retriever needs only which entry each vector belongs to.
    return LoadedIndex(manifest, faiss_index, (), synthetic.entry_of_vector, no_outside_vectors(int(faiss_index.d)))


def recall_at(found: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    """Mean share of the exact top-k ids that the approximate search also returned in its top k.

    >>> recall_at(np.array([[1, 2, 3]]), np.array([[1, 2, 4]]), k=3)
    0.6667
    """
    hits = [len(set(f[:k].tolist()) & set(e[:k].tolist())) / k for f, e in zip(found, exact)]
    return round(float(np.mean(hits)), 4)


def time_ms(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


def _progress(total: int, show: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="vec", desc="index", disable=not show, mininterval=1.0)


def measure_scale(engine, n_entries: int, questions: list[str], settings, *, vectors_per_entry: int = 5,
                  progress: bool = False) -> dict:
    """Build the index and retriever for `n_entries` synthetic entries, then time dense search and the whole
    retrieval path after encoding (query embeddings cached), and the dense recall against exact search."""
    faiss_index = engine.index.faiss_index
    synthetic = make_synthetic(engine.glossary, faiss_index.reconstruct_n(0, faiss_index.ntotal),
                               engine.index.entry_of_vector, n_entries, vectors_per_entry=vectors_per_entry)
    index_type = choose_index_type(len(synthetic.vectors), settings.ann_threshold)
    faiss.omp_set_num_threads(_cores())  # building uses every core; the retriever sets one for queries
    started = time.perf_counter()
    index = build_faiss(synthetic.vectors, index_type, settings, progress=progress)
    faiss_s = time.perf_counter() - started
    started = time.perf_counter()
    retriever = Retriever(synthetic.glossary, loaded_index(synthetic, index, index_type), engine.encoder, settings)
    retriever_s = time.perf_counter() - started

    texts = list(dict.fromkeys([*questions[:200], *synthetic.queries]))
    for text in texts:  # embeds each query once; the timed pass below reads the embedding cache
        retriever.search(text)
    search_ms = [time_ms(retriever.search, text) for text in texts]
    vectors = np.stack([engine.encoder.encode_query(text) for text in texts])
    dense_ms, found, found_entries = [], [], []
    for vector in vectors:
        started = time.perf_counter()
        scores, ids = index.search(vector[None, :], retriever.vector_k)
        dense_ms.append((time.perf_counter() - started) * 1000)
        found.append(ids[0][:10])
        found_entries.append(_best_entries(np.where(ids[0] >= 0, synthetic.entry_of_vector[ids[0]], -1), 10))
    exact = exact_top(vectors, synthetic.vectors, 10)
    # Entry level, as search ranks: an entry scores by its best vector (vectors of an entry are adjacent).
    exact_entries = exact_top(vectors, synthetic.vectors, 10, per=vectors_per_entry) + 1
    return {"synthetic": True, "note": NOTE, "entries": n_entries, "vectors": int(index.ntotal),
            "index_type": index_type, "build_s": round(faiss_s + retriever_s, 1),
            "faiss_build_s": round(faiss_s, 1), "retriever_init_s": round(retriever_s, 1),
            "queries": len(texts), "vector_k": int(retriever.vector_k),
            "dense_ms": percentiles(dense_ms), "search_ms": percentiles(search_ms),
            "recall@10": recall_at(np.array(found), exact),
            "entry_recall@10": recall_at(np.array(found_entries), exact_entries)}


def measure_threshold(engine, sizes: tuple[int, ...], settings, queries: int = 100) -> dict:
    """Flat vs IVF search time at several index sizes, each searched as the retriever would search it, with
    the IVF's recall@10 against the flat result; the crossover is the smallest size where IVF is faster
    (Settings.ann_threshold is set from it)."""
    faiss_index = engine.index.faiss_index
    real = faiss_index.reconstruct_n(0, faiss_index.ntotal)
    rng = np.random.default_rng(1)
    rows = []
    for size in sizes:
        vectors = perturbed(real, size, rng)
        probes = perturbed(real, queries, rng)
        faiss.omp_set_num_threads(_cores())
        flat = build_faiss(vectors, "flat", settings)
        started = time.perf_counter()
        ivf = build_faiss(vectors, "ivf", settings)
        ivf_build_s = time.perf_counter() - started
        faiss.omp_set_num_threads(1)
        # Each with the number of candidates the retriever would ask that index type for.
        flat_ms = [time_ms(nearest_vectors, flat, p, candidate_count(size, "flat", settings)) for p in probes]
        ivf_ms = [time_ms(nearest_vectors, ivf, p, candidate_count(size, "ivf", settings)) for p in probes]
        recall = recall_at(ivf.search(probes, 10)[1], exact_top(probes, vectors, 10))
        rows.append({"vectors": size, "flat_ms": round(float(np.median(flat_ms)), 3),
                     "ivf_ms": round(float(np.median(ivf_ms)), 3), "ivf_recall@10": recall,
                     "ivf_lists": int(ivf.nlist), "ivf_probes": int(ivf.nprobe),
                     "ivf_build_s": round(ivf_build_s, 1)})
    crossover = next((row["vectors"] for row in rows if row["ivf_ms"] < row["flat_ms"]), None)
    return {"rows": rows, "crossover_vectors": crossover, "ann_threshold": settings.ann_threshold}


def exact_top(queries: np.ndarray, vectors: np.ndarray, k: int, chunk: int = 32, per: int = 1) -> np.ndarray:
    """Ids of the k largest inner products for each query, by brute force in numpy (the ground truth);
    with `per`, ids of groups of `per` adjacent vectors, each scored by its best vector.

    >>> exact_top(np.eye(2), np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.4]]), 2)
    array([[0, 2],
           [1, 2]])
    """
    rows = []
    for start in range(0, len(queries), chunk):
        scores = queries[start:start + chunk] @ vectors.T
        if per > 1:
            scores = scores.reshape(len(scores), -1, per).max(axis=2)
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1, kind="stable")
        rows.append(np.take_along_axis(best, order, axis=1))
    return np.concatenate(rows)


def _best_entries(entries: np.ndarray, k: int) -> np.ndarray:
    """The first k distinct entries of candidates that arrive best first (-1: no candidate)."""
    ordered = list(dict.fromkeys(entries[entries > 0].tolist()))
    return np.array((ordered + [-1] * k)[:k])


def _cores() -> int:
    return max(1, os.cpu_count() or 1)


def measure_scale_in_fresh_process(settings, n_entries: int, questions: list[str],
                                   threshold_sizes: tuple[int, ...], progress: bool = False) -> dict:
    """`measure_scale` and `measure_threshold` in a child process of their own, as a server of a large
    glossary would run: in the benchmark's own process, after the HTTP and load phases, the same FAISS
    searches ran 1.3-1.7x slower (0.82 vs 1.08 ms p50 at 500,000 vectors, 4.5 vs 8.1 ms for a flat
    50,000), so the earlier phases must not colour these numbers."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(questions, handle)
    env = {**os.environ, "GLOSSARY_RAG_GLOSSARY_PATH": str(settings.glossary_path),
           "GLOSSARY_RAG_INDEX_DIR": str(settings.index_dir), "GLOSSARY_RAG_MODEL": settings.model,
           "GLOSSARY_RAG_ANN_THRESHOLD": str(settings.ann_threshold)}
    command = [sys.executable, "-m", "bench.scale", "--entries", str(n_entries),
               "--questions", handle.name, "--threshold-sizes", ",".join(map(str, threshold_sizes))]
    if progress:
        command.append("--progress")
    try:  # the child's stderr (progress bar, errors) goes straight to ours
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    finally:
        os.unlink(handle.name)
    if done.returncode != 0:
        raise RuntimeError(f"scale benchmark failed (exit {done.returncode}); its error is printed above")
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    """The child of `measure_scale_in_fresh_process`: prints {"scale": ..., "threshold": ...} as JSON."""
    parser = argparse.ArgumentParser(description="scale and threshold benchmark (see bench/benchmark.py)")
    parser.add_argument("--entries", type=int, required=True)
    parser.add_argument("--questions", type=Path, required=True, help="JSON list of questions")
    parser.add_argument("--threshold-sizes", default="")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    engine = Engine.load(settings)
    questions = json.loads(args.questions.read_text(encoding="utf-8"))
    result = {"scale": measure_scale(engine, args.entries, questions, settings, progress=args.progress)}
    sizes = tuple(int(s) for s in args.threshold_sizes.split(",") if s.strip())
    if sizes:
        result["threshold"] = measure_threshold(engine, sizes, settings)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
