"""Build, save, load and check the FAISS index and its manifest.

Layout of an index folder:
  manifest.json            identity: format, model, dimension, glossary hash, index type, counts, file hashes
  vectors-<sha>.faiss      the FAISS index (one vector per passage)
  passages-<sha>.jsonl     one line per vector: entry id, kind, text

Data files are named by their content and written before the manifest, and the manifest is replaced
atomically last, so a build killed at any moment leaves the previous index loadable.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glossary_rag.glossary import Glossary
from glossary_rag.passages import Passage, glossary_passages

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REBUILD = "Rebuild it with `python scripts/build_index.py`."


class IndexError_(RuntimeError):
    """Base for index problems; the message names the folder, the problem and the fix."""


class IndexMissingError(IndexError_):
    pass


class IndexCorruptError(IndexError_):
    pass


class IndexStaleError(IndexError_):
    pass


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    model_fingerprint: str
    dimension: int
    normalized: bool
    metric: str
    index_type: str
    glossary_name: str
    glossary_hash: str
    enriched: bool
    entries: int
    vectors: int
    faiss_file: str
    passages_file: str
    faiss_sha256: str
    passages_sha256: str


@dataclass(frozen=True)
class LoadedIndex:
    """A verified index: FAISS object, one passage per vector, and the manifest it was checked against."""

    manifest: Manifest
    faiss_index: object
    passages: tuple[Passage, ...]
    entry_of_vector: np.ndarray  # int64 entry id for each vector position


# Spooled vectors go into an IVF index this many at a time (~100 MB of float32 at 384 dimensions).
ADD_SLICE = 65_536
# Builds of this many passages or more show a progress bar (~30 s of encoding on 2 cores).
PROGRESS_FROM = 5_000


def choose_index_type(n_vectors: int, ann_threshold: int) -> str:
    """Exact search while it is cheap, an inverted file (IVF) beyond the measured threshold
    (`Settings.ann_threshold`, see scripts/benchmark.py).

    >>> choose_index_type(1500, 200_000), choose_index_type(500_000, 200_000)
    ('flat', 'ivf')
    """
    return "ivf" if n_vectors >= ann_threshold else "flat"


# An IVF index splits the vectors into lists (k-means cells) of ~this many and scans the lists of the cells
# nearest a query. Chosen at 500,000 synthetic vectors against HNSW, more lists, an HNSW quantizer, 8-bit
# lists and PCA + re-rank: the only one with recall@10 >= 0.97 under 1 ms (README "Performance").
IVF_LIST_SIZE = 128
# Lists scanned per query: at least this many, more for very large indexes (a fixed share of 1/128).
IVF_MIN_PROBES = 32
# k-means iterations and training points per list: faiss asks for >= 39 points per list. At 500,000
# vectors, 10 iterations on 40 points per list gave recall@10 0.959 at 16 probes after 137 s of training,
# 25 iterations on 64 points 0.960 after 318 s.
IVF_TRAIN_ITERATIONS = 10
IVF_TRAIN_PER_LIST = 40


def ivf_lists(n_vectors: int) -> int:
    """Number of IVF lists for `n_vectors`: a power of two near n / IVF_LIST_SIZE, at least 16.

    >>> ivf_lists(10_000), ivf_lists(500_000), ivf_lists(10)
    (64, 4096, 16)
    """
    return 2 ** max(4, round(math.log2(max(n_vectors, 1) / IVF_LIST_SIZE)))


def ivf_probes(lists: int) -> int:
    """Lists scanned per query.

    >>> ivf_probes(16), ivf_probes(4096), ivf_probes(65_536)
    (16, 32, 512)
    """
    return min(lists, max(IVF_MIN_PROBES, lists // 128))


def create_faiss_index(dimension: int, index_type: str, n_vectors: int = 0):
    """An empty inner-product index (cosine, since vectors are unit length) for about `n_vectors` vectors.

    An "ivf" index must be trained (`train_index`) before vectors are added.
    """
    import faiss

    if index_type == "flat":
        return faiss.IndexFlatIP(dimension)
    if index_type == "ivf":
        # Cells are assigned by inner product, the metric queries use (k-means runs on this quantizer).
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, ivf_lists(n_vectors),
                                   faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = IVF_TRAIN_ITERATIONS
        return index
    raise ValueError(f"unknown index type {index_type!r}: use 'flat' or 'ivf'")


def train_index(index, vectors: np.ndarray, seed: int = 0) -> None:
    """Train an IVF index's cells on a random sample of `vectors` (rows of an array or a memmap); a flat
    index needs no training. Sets the search parameters either way."""
    if not index.is_trained:
        lists = index.nlist
        count = min(len(vectors), IVF_TRAIN_PER_LIST * lists)
        rows = np.sort(np.random.default_rng(seed).choice(len(vectors), size=count, replace=False))
        index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
    tune_for_search(index)


def tune_for_search(index) -> None:
    """Set how much of an IVF index a query scans (done at load too, so older files get today's values)."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        index.nprobe = ivf_probes(index.nlist)


def build_index(glossary: Glossary, encoder, index_dir: Path, *, enriched: bool = True,
                ann_threshold: int = 10_000, batch_size: int = 256,
                show_progress: bool | None = None) -> Manifest:
    """Embed every passage of `glossary` and write a fresh index into `index_dir` atomically.

    One progress bar over all passages, shown by default for builds of `PROGRESS_FROM` passages or more.
    """
    passages = glossary_passages(glossary, enriched)
    index_type = choose_index_type(len(passages), ann_threshold)
    index = create_faiss_index(encoder.dimension, index_type, len(passages))
    show = len(passages) >= PROGRESS_FROM if show_progress is None else show_progress
    # Encoded in chunks so a large glossary builds in bounded memory: a flat index takes each chunk as it
    # comes; an IVF index gets them after training.
    chunks = _encode_in_chunks(passages, encoder, batch_size, show)
    if index_type == "flat":
        for _, vectors in chunks:
            index.add(vectors)
    else:
        _add_after_training(index, chunks, len(passages), encoder.dimension, Path(index_dir))
    return write_index(index_dir, index, passages, glossary, model=encoder.model_id,
                       fingerprint=encoder.fingerprint(), enriched=enriched, index_type=index_type)


def _encode_in_chunks(passages: list[Passage], encoder, batch_size: int, show: bool):
    """Yield (first row, vectors) for successive chunks of passages, under one progress bar."""
    from tqdm.auto import tqdm

    chunk = max(batch_size, 1) * 16
    with tqdm(total=len(passages), desc="Embedding passages", unit="text", disable=not show) as bar:
        for start in range(0, len(passages), chunk):
            texts = [p.text for p in passages[start:start + chunk]]
            yield start, encoder.encode(texts, batch_size=batch_size)
            bar.update(len(texts))


def _add_after_training(index, chunks, count: int, dimension: int, folder: Path) -> None:
    """An IVF index must see a sample of all vectors before it takes any: spool them to a temporary file
    in `folder` (disk, not memory), train on a sample, then add them a slice at a time."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, spool = tempfile.mkstemp(prefix=".vectors-spool-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        pending = np.lib.format.open_memmap(spool, mode="w+", dtype=np.float32, shape=(count, dimension))
        for start, vectors in chunks:
            pending[start:start + len(vectors)] = vectors
        train_index(index, pending)
        for start in range(0, count, ADD_SLICE):
            index.add(np.ascontiguousarray(pending[start:start + ADD_SLICE]))
        del pending
    finally:
        Path(spool).unlink(missing_ok=True)


def write_index(index_dir: Path, index, passages: list[Passage], glossary: Glossary, *, model: str,
                fingerprint: str, enriched: bool, index_type: str) -> Manifest:
    """Write data files under content names, then swap the manifest in last; prune files no longer named."""
    import faiss

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    faiss_bytes = faiss.serialize_index(index).tobytes()
    passages_bytes = "".join(json.dumps({"entry_id": p.entry_id, "kind": p.kind, "text": p.text},
                                        ensure_ascii=False) + "\n" for p in passages).encode("utf-8")
    faiss_sha, passages_sha = _sha256(faiss_bytes), _sha256(passages_bytes)
    manifest = Manifest(
        format_version=FORMAT_VERSION, model=model, model_fingerprint=fingerprint, dimension=int(index.d),
        normalized=True, metric="inner_product", index_type=index_type, glossary_name=glossary.name,
        glossary_hash=glossary.content_hash, enriched=enriched, entries=len(glossary.entries),
        vectors=int(index.ntotal), faiss_file=f"vectors-{faiss_sha[:16]}.faiss",
        passages_file=f"passages-{passages_sha[:16]}.jsonl", faiss_sha256=faiss_sha,
        passages_sha256=passages_sha)
    write_atomic(index_dir / manifest.faiss_file, faiss_bytes)
    write_atomic(index_dir / manifest.passages_file, passages_bytes)
    write_atomic(index_dir / MANIFEST, (json.dumps(manifest.__dict__, indent=2) + "\n").encode("utf-8"))
    for old in index_dir.glob("vectors-*.faiss"):
        if old.name != manifest.faiss_file:
            old.unlink(missing_ok=True)
    for old in index_dir.glob("passages-*.jsonl"):
        if old.name != manifest.passages_file:
            old.unlink(missing_ok=True)
    # Temp files a killed build left behind (loading ignores them; this keeps the folder tidy).
    for pattern in (".vectors-*.tmp", ".passages-*.tmp", f".{MANIFEST}.*.tmp"):
        for stale in index_dir.glob(pattern):
            stale.unlink(missing_ok=True)
    return manifest


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it: readers see old or new, whole."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_manifest(index_dir: Path) -> Manifest:
    """Parse and type-check `manifest.json`, raising a named error for anything off."""
    path = Path(index_dir) / MANIFEST
    if not path.is_file():
        raise IndexMissingError(f"{index_dir}: no index here ({MANIFEST} missing). {REBUILD}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexStaleError(f"{path}: index format {data.get('format_version')!r}, this code reads "
                                  f"{FORMAT_VERSION}. {REBUILD}")
        fields = Manifest.__dataclass_fields__
        missing = [name for name in fields if name not in data]
        if missing:
            raise ValueError(f"missing fields {missing}")
        manifest = Manifest(**{name: data[name] for name in fields})
        for name, field in fields.items():
            expected = {"int": int, "str": str, "bool": bool}[field.type]
            if not isinstance(getattr(manifest, name), expected):
                raise ValueError(f"field {name!r} should be {field.type}")
        return manifest
    except IndexStaleError:
        raise
    except (ValueError, UnicodeDecodeError, TypeError) as err:
        raise IndexCorruptError(f"{path}: unreadable manifest ({err}). {REBUILD}") from err


def load_index(index_dir: Path, *, glossary: Glossary | None = None, model: str | None = None,
               fingerprint: str | None = None, dimension: int | None = None) -> LoadedIndex:
    """Load and verify an index; with `glossary`/`model`/`fingerprint`/`dimension`, also check it was built
    from them (a wrong dimension would otherwise pass loading and fail inside FAISS on the first query)."""
    import faiss

    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    for problem in staleness(manifest, glossary=glossary, model=model, fingerprint=fingerprint,
                             dimension=dimension):
        raise IndexStaleError(f"{index_dir}: {problem}. {REBUILD}")
    faiss_bytes = _read_checked(index_dir / manifest.faiss_file, manifest.faiss_sha256)
    passages_bytes = _read_checked(index_dir / manifest.passages_file, manifest.passages_sha256)
    try:
        index = faiss.deserialize_index(np.frombuffer(faiss_bytes, dtype=np.uint8))
    except RuntimeError as err:
        raise IndexCorruptError(f"{index_dir / manifest.faiss_file}: FAISS cannot read it. {REBUILD}") from err
    tune_for_search(index)
    try:
        passages = tuple(Passage(**json.loads(line)) for line in passages_bytes.decode("utf-8").splitlines())
    except (ValueError, TypeError) as err:
        raise IndexCorruptError(f"{index_dir / manifest.passages_file}: unreadable ({err}). {REBUILD}") from err
    if index.d != manifest.dimension or index.ntotal != manifest.vectors or len(passages) != index.ntotal:
        raise IndexCorruptError(f"{index_dir}: counts disagree (manifest {manifest.vectors} vectors of "
                                f"dimension {manifest.dimension}; FAISS {index.ntotal} of {index.d}; "
                                f"{len(passages)} passages). {REBUILD}")
    if glossary is not None:
        unknown = {p.entry_id for p in passages} - set(glossary.by_id)
        if unknown:
            raise IndexStaleError(f"{index_dir}: vectors point at entries {sorted(unknown)[:5]} that the "
                                  f"glossary does not have. {REBUILD}")
    entry_of_vector = np.fromiter((p.entry_id for p in passages), dtype=np.int64, count=len(passages))
    return LoadedIndex(manifest, index, passages, entry_of_vector)


def staleness(manifest: Manifest, *, glossary: Glossary | None = None, model: str | None = None,
              fingerprint: str | None = None, dimension: int | None = None) -> list[str]:
    """Why this index no longer matches the glossary or the model (empty when it is fresh)."""
    problems = []
    if glossary is not None and manifest.glossary_hash != glossary.content_hash:
        problems.append(f"built from another version of the glossary (hash {manifest.glossary_hash[:12]}, "
                        f"glossary now {glossary.content_hash[:12]})")
    if model is not None and manifest.model != model:
        problems.append(f"built with model {manifest.model!r}, configured model is {model!r}")
    if fingerprint is not None and manifest.model_fingerprint != fingerprint:
        problems.append(f"model weights differ from the ones the index was built with "
                        f"(fingerprint {manifest.model_fingerprint} vs {fingerprint})")
    if dimension is not None and manifest.dimension != dimension:
        problems.append(f"vectors have dimension {manifest.dimension}, the model makes {dimension}")
    return problems


def _read_checked(path: Path, sha256: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise IndexCorruptError(f"{path}: missing or unreadable ({err.strerror}). {REBUILD}") from err
    if _sha256(data) != sha256:
        raise IndexCorruptError(f"{path}: contents do not match the manifest's checksum (corrupt or "
                                f"edited). {REBUILD}")
    return data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
