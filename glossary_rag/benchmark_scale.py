"""The retrieval path at a size we don't have: a synthetic glossary of N entries with ~5 vectors each.

Nothing here is real text meant for people. Names and definitions are drawn from a word list (every word of
our glossary plus generated pseudo-words, Zipf-distributed like real text), so BM25, the name table and the
typo matching work on realistic sizes; vectors are perturbed copies of our real passage vectors,
re-normalised, so FAISS searches clusters shaped like ours. Queries are real: the dev questions plus
synthetic names asked exactly and with typos.

>>> words = word_list(["Dropout drops units", "Epoch: one pass"], extra=3, seed=0)
>>> words[:5], len(words)
(['dropout', 'drops', 'epoch', 'one', 'pass'], 9)
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from glossary_rag.glossary import Entry, Glossary
from glossary_rag.index import LoadedIndex, Manifest, choose_index_type, create_faiss_index, train_index

_WORD = re.compile(r"[a-z]{3,}")
_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "xi", "ze", "bra", "cor", "den", "fil", "gor", "hun",
              "jes", "kin", "lum", "mor", "nax", "pel", "quo", "ris", "sul", "tor", "ul", "ver", "wen", "yl")
# Each synthetic vector is (1 - s) * a real passage vector + s * another one, s < MAX_SHARE, plus noise of
# norm NOISE: its cosine with the passage it copies is ~0.8.
MAX_SHARE = 0.5
NOISE = 0.4


@dataclass(frozen=True)
class SyntheticGlossary:
    glossary: Glossary
    vectors: np.ndarray          # (n_vectors, dimension) float32, unit length
    entry_of_vector: np.ndarray  # int64 entry id of each vector
    queries: tuple[str, ...]     # synthetic names asked plainly and misspelt


def word_list(texts: list[str], extra: int, seed: int = 0) -> list[str]:
    """Every word (3+ letters) of `texts`, sorted, then `extra` generated pseudo-words (deterministic)."""
    words = sorted({w for text in texts for w in _WORD.findall(text.lower())})
    known, rng, target = set(words), np.random.default_rng(seed), len(words) + extra
    while len(words) < target:
        word = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 5))))
        if word not in known:
            known.add(word)
            words.append(word)
    return words


def make_synthetic(real: Glossary, real_vectors: np.ndarray, real_entry_of_vector: np.ndarray, n_entries: int,
                   *, vectors_per_entry: int = 5, seed: int = 0) -> SyntheticGlossary:
    """`n_entries` entries with `vectors_per_entry` vectors each, copied from `real` and its vectors."""
    rng = np.random.default_rng(seed)
    texts = [t for e in real.entries for t in (*e.names, e.definition, *e.descriptions, *e.questions)]
    words = np.array(word_list(texts, extra=20_000, seed=seed))
    # Zipf-like word frequencies: a few words everywhere, most words rare, as in real definitions.
    cumulative = np.cumsum(1.0 / np.arange(1, len(words) + 1) ** 1.05)
    cumulative /= cumulative[-1]
    common = rng.permutation(len(words))  # which words are common is random, not alphabetical

    def draw(count: int) -> list[str]:
        ranks = np.minimum(np.searchsorted(cumulative, rng.random(count)), len(words) - 1)
        return words[common[ranks]].tolist()

    entries, seen = [], set()
    for i in range(n_entries):
        term_words = draw(int(rng.integers(1, 4)))
        term = " ".join(term_words).title()
        while term.lower() in seen:  # names are unique, as in a real glossary
            term = f"{term} {words[rng.integers(len(words))].title()}"
        seen.add(term.lower())
        aliases = ("".join(w[0] for w in term.split()).upper(),) if len(term_words) > 1 and i % 3 == 0 else ()
        definition = f"{term} is " + " ".join(draw(int(rng.integers(12, 30)))) + "."
        entries.append(Entry(id=i + 1, term=term, aliases=aliases, definition=definition, topic="synthetic"))
    glossary = Glossary(tuple(entries), name="synthetic")

    # Entry i copies real entry i % 100: some of its passage vectors, each pulled the same random share
    # towards one other real passage (a neighbouring idea) and jittered, so 1,000 copies of an entry
    # spread out instead of piling onto one point.
    real_ids = np.array([e.id for e in real.entries])
    vectors_of = {entry_id: np.flatnonzero(real_entry_of_vector == entry_id) for entry_id in real_ids.tolist()}
    source = np.concatenate([rng.choice(vectors_of[int(real_ids[i % len(real_ids)])], size=vectors_per_entry)
                             for i in range(n_entries)])
    partner = np.repeat(rng.integers(0, len(real_vectors), n_entries), vectors_per_entry)
    share = np.repeat(rng.uniform(0.0, MAX_SHARE, n_entries).astype(np.float32), vectors_per_entry)[:, None]
    dimension = real_vectors.shape[1]
    vectors = (1 - share) * real_vectors[source] + share * real_vectors[partner]
    vectors += rng.standard_normal(vectors.shape, dtype=np.float32) * np.float32(NOISE / np.sqrt(dimension))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    entry_of_vector = np.repeat(np.arange(1, n_entries + 1, dtype=np.int64), vectors_per_entry)

    sample = [entries[i] for i in rng.choice(n_entries, size=min(100, n_entries), replace=False)]
    queries = [f"what is {e.term.lower()}" for e in sample[:50]] + [_typo(e.term.lower(), rng) for e in sample[50:]]
    return SyntheticGlossary(glossary, np.ascontiguousarray(vectors, dtype=np.float32), entry_of_vector,
                             tuple(queries))


def _typo(text: str, rng: np.random.Generator) -> str:
    """Swap two neighbouring letters somewhere past the first: "dropout" -> "drpoout"."""
    if len(text) < 4:
        return text
    i = int(rng.integers(1, len(text) - 2))
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def build_faiss(vectors: np.ndarray, index_type: str, chunk: int = 65_536, progress: bool = False):
    """The index of `index_type` that `build_index` would make for these vectors (trained on a sample if it
    is IVF), added in chunks."""
    index = create_faiss_index(vectors.shape[1], index_type, len(vectors))
    train_index(index, vectors)
    bar = _progress(len(vectors), progress)
    for start in range(0, len(vectors), chunk):
        index.add(vectors[start:start + chunk])
        bar.update(min(chunk, len(vectors) - start))
    bar.close()
    return index


def loaded_index(synthetic: SyntheticGlossary, faiss_index, index_type: str) -> LoadedIndex:
    """A `LoadedIndex` over the synthetic vectors, as `load_index` would return it."""
    manifest = Manifest(format_version=1, model="synthetic", model_fingerprint="", dimension=int(faiss_index.d),
                        normalized=True, metric="inner_product", index_type=index_type, glossary_name="synthetic",
                        glossary_hash="", enriched=False, entries=len(synthetic.glossary.entries),
                        vectors=int(faiss_index.ntotal), faiss_file="", passages_file="", faiss_sha256="",
                        passages_sha256="")
    # No passage texts: the retriever needs only which entry each vector belongs to.
    return LoadedIndex(manifest, faiss_index, (), synthetic.entry_of_vector)


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


NOTE = ("synthetic: names and definitions generated from a word list (our glossary's words plus pseudo-words), "
        "vectors are perturbed copies of our real passage vectors; queries are real dev questions and "
        "synthetic names asked plainly and misspelt")


def measure_scale(engine, n_entries: int, questions: list[str], settings, *, vectors_per_entry: int = 5,
                  progress: bool = False) -> dict:
    """Build the index and retriever for `n_entries` synthetic entries, then time dense search and the whole
    retrieval path after encoding (query embeddings cached), and the dense recall against exact search."""
    import faiss

    from glossary_rag.benchmark import percentiles
    from glossary_rag.search import Retriever

    faiss_index = engine.index.faiss_index
    synthetic = make_synthetic(engine.glossary, faiss_index.reconstruct_n(0, faiss_index.ntotal),
                               engine.index.entry_of_vector, n_entries, vectors_per_entry=vectors_per_entry)
    index_type = choose_index_type(len(synthetic.vectors), settings.ann_threshold)
    faiss.omp_set_num_threads(_cores())  # building uses every core; the retriever sets one for queries
    started = time.perf_counter()
    index = build_faiss(synthetic.vectors, index_type, progress=progress)
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
    import faiss

    from glossary_rag.search import candidate_count, nearest_vectors

    faiss_index = engine.index.faiss_index
    real = faiss_index.reconstruct_n(0, faiss_index.ntotal)
    rng = np.random.default_rng(1)
    rows = []
    for size in sizes:
        vectors = _perturbed(real, size, rng)
        probes = _perturbed(real, queries, rng)
        faiss.omp_set_num_threads(_cores())
        flat = build_faiss(vectors, "flat")
        started = time.perf_counter()
        ivf = build_faiss(vectors, "ivf")
        ivf_build_s = time.perf_counter() - started
        faiss.omp_set_num_threads(1)
        # Each with the number of candidates the retriever would ask that index type for.
        flat_ms = [time_ms(nearest_vectors, flat, p, candidate_count(size, "flat")) for p in probes]
        ivf_ms = [time_ms(nearest_vectors, ivf, p, candidate_count(size, "ivf")) for p in probes]
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


def _perturbed(real: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    vectors = real[rng.integers(0, len(real), count)] + rng.standard_normal((count, real.shape[1]), dtype=np.float32) \
        * np.float32(NOISE / np.sqrt(real.shape[1]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def _cores() -> int:
    import os

    return max(1, os.cpu_count() or 1)


def measure_scale_in_fresh_process(settings, n_entries: int, questions: list[str],
                                   threshold_sizes: tuple[int, ...], progress: bool = False) -> dict:
    """`measure_scale` and `measure_threshold` in a child process of their own, as a server of a large
    glossary would run: in the benchmark's own process, after the HTTP and load phases, the same FAISS
    searches ran 1.3-1.7x slower (0.82 vs 1.08 ms p50 at 500,000 vectors, 4.5 vs 8.1 ms for a flat
    50,000), so the earlier phases must not colour these numbers."""
    import json
    import os
    import subprocess
    import sys
    import tempfile

    from glossary_rag.settings import PROJECT_ROOT

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(questions, handle)
    env = {**os.environ, "GLOSSARY_RAG_GLOSSARY_PATH": str(settings.glossary_path),
           "GLOSSARY_RAG_INDEX_DIR": str(settings.index_dir), "GLOSSARY_RAG_MODEL": settings.model,
           "GLOSSARY_RAG_ANN_THRESHOLD": str(settings.ann_threshold)}
    command = [sys.executable, "-m", "glossary_rag.benchmark_scale", "--entries", str(n_entries),
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
    import argparse
    import json
    from pathlib import Path

    from glossary_rag.engine import Engine
    from glossary_rag.settings import Settings

    parser = argparse.ArgumentParser(description="scale and threshold benchmark (see glossary_rag/benchmark.py)")
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
