"""Build, save and load the FAISS index of a glossary, and choose the folder it lives in.

Layout of an index folder:
  manifest.json            identity: format, model, dimension, glossary hash, index type, counts, file hashes
                           (glossary_rag/manifest.py)
  vectors-<sha>.faiss      the FAISS index (one vector per passage; flat or IVF, glossary_rag/ivf.py)
  passages-<sha>.jsonl     one line per vector: entry id, kind, text
  outside-<sha>.npz        the concepts outside the glossary: names and vectors (glossary_rag/outside.py)

Data files are named by their content and written before the manifest, and the manifest is replaced
atomically last, so a build killed at any moment leaves the previous index loadable.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glossary_rag.glossary import Glossary
from glossary_rag.ivf import add_after_training, choose_index_type, create_faiss_index, tune_for_search
from glossary_rag.manifest import (FORMAT_VERSION, MANIFEST, REBUILD, IndexCorruptError, IndexStaleError, Manifest,
                                   read_manifest, staleness)
from glossary_rag.outside import OutsideVectors, embed_outside, outside_hash
from glossary_rag.passages import Passage, glossary_passages
from glossary_rag.settings import Settings

@dataclass(frozen=True)
class LoadedIndex:
    """A verified index: FAISS object, one passage per vector, and the manifest it was checked against."""

    manifest: Manifest
    faiss_index: object
    passages: tuple[Passage, ...]
    entry_of_vector: np.ndarray  # int64 entry id for each vector position
    outside: OutsideVectors      # concepts the glossary does not define, embedded alike


# Builds of this many passages or more show a progress bar (~30 s of encoding on 2 cores).
PROGRESS_FROM = 5_000


def build_index(glossary: Glossary, encoder, index_dir: Path, *, enriched: bool = True,
                settings: Settings, ann_threshold: int | None = None, batch_size: int = 256,
                show_progress: bool | None = None) -> Manifest:
    """Embed every passage of `glossary` and write a fresh index into `index_dir` atomically.

    The index type and IVF layout come from `settings` (`ann_threshold`, when given, overrides its
    threshold). One progress bar over all passages, shown by default from `PROGRESS_FROM` passages.
    """
    s = settings
    passages = glossary_passages(glossary, enriched)
    index_type = choose_index_type(len(passages), s.ann_threshold if ann_threshold is None else ann_threshold)
    index = create_faiss_index(encoder.dimension, index_type, len(passages), settings=s)
    show = len(passages) >= PROGRESS_FROM if show_progress is None else show_progress
    # Encoded in chunks so a large glossary builds in bounded memory: a flat index takes each chunk as it
    # comes; an IVF index gets them after training.
    chunks = _encode_in_chunks(passages, encoder, batch_size, show)
    if index_type == "flat":
        for _, vectors in chunks:
            index.add(vectors)
    else:
        add_after_training(index, chunks, len(passages), encoder.dimension, Path(index_dir), s)
    return write_index(index_dir, index, passages, glossary, model=encoder.model_id,
                       fingerprint=encoder.fingerprint(), enriched=enriched, index_type=index_type,
                       outside=embed_outside(glossary, encoder))


def _encode_in_chunks(passages: list[Passage], encoder, batch_size: int, show: bool):
    """Yield (first row, vectors) for successive chunks of passages, under one progress bar."""
    from tqdm.auto import tqdm

    chunk = max(batch_size, 1) * 16
    with tqdm(total=len(passages), desc="Embedding passages", unit="text", disable=not show) as bar:
        for start in range(0, len(passages), chunk):
            texts = [p.text for p in passages[start:start + chunk]]
            yield start, encoder.encode(texts, batch_size=batch_size)
            bar.update(len(texts))


def write_index(index_dir: Path, index, passages: list[Passage], glossary: Glossary, *, model: str,
                fingerprint: str, enriched: bool, index_type: str, outside: OutsideVectors) -> Manifest:
    """Write data files under content names, then swap the manifest in last; prune files no longer named."""
    import faiss

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    faiss_bytes = faiss.serialize_index(index).tobytes()
    passages_bytes = "".join(json.dumps({"entry_id": p.entry_id, "kind": p.kind, "text": p.text},
                                        ensure_ascii=False) + "\n" for p in passages).encode("utf-8")
    outside_bytes = outside.to_bytes()
    faiss_sha, passages_sha, outside_sha = _sha256(faiss_bytes), _sha256(passages_bytes), _sha256(outside_bytes)
    manifest = Manifest(
        format_version=FORMAT_VERSION, model=model, model_fingerprint=fingerprint, dimension=int(index.d),
        normalized=True, metric="inner_product", index_type=index_type, glossary_name=glossary.name,
        glossary_hash=glossary.content_hash, enriched=enriched, entries=len(glossary.entries),
        vectors=int(index.ntotal), faiss_file=f"vectors-{faiss_sha[:16]}.faiss",
        passages_file=f"passages-{passages_sha[:16]}.jsonl", faiss_sha256=faiss_sha,
        passages_sha256=passages_sha, outside_file=f"outside-{outside_sha[:16]}.npz", outside_sha256=outside_sha,
        outside_source_hash=outside.source_hash)
    write_atomic(index_dir / manifest.faiss_file, faiss_bytes)
    write_atomic(index_dir / manifest.passages_file, passages_bytes)
    write_atomic(index_dir / manifest.outside_file, outside_bytes)
    write_atomic(index_dir / MANIFEST, manifest.to_json().encode("utf-8"))
    for old in index_dir.glob("vectors-*.faiss"):
        if old.name != manifest.faiss_file:
            old.unlink(missing_ok=True)
    for old in index_dir.glob("passages-*.jsonl"):
        if old.name != manifest.passages_file:
            old.unlink(missing_ok=True)
    for old in index_dir.glob("outside-*.npz"):
        if old.name != manifest.outside_file:
            old.unlink(missing_ok=True)
    # Temp files a killed build left behind (loading ignores them; this keeps the folder tidy).
    for pattern in (".vectors-*.tmp", ".passages-*.tmp", ".outside-*.tmp", f".{MANIFEST}.*.tmp"):
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


def load_index(index_dir: Path, *, settings: Settings, glossary: Glossary | None = None, model: str | None = None,
               fingerprint: str | None = None, dimension: int | None = None) -> LoadedIndex:
    """Load and verify an index, tuned for search by `settings` (an IVF index's probes); with
    `glossary`/`model`/`fingerprint`/`dimension`, also check it was built from them (a wrong dimension would
    otherwise pass loading and fail inside FAISS on the first query)."""
    import faiss

    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    # With a glossary to check against, the outside vocabulary is checked too (an edit of it means rebuild).
    for problem in staleness(manifest, glossary=glossary, model=model, fingerprint=fingerprint,
                             dimension=dimension, outside_source_hash=None if glossary is None else outside_hash()):
        raise IndexStaleError(f"{index_dir}: {problem}. {REBUILD}")
    faiss_bytes = _read_checked(index_dir / manifest.faiss_file, manifest.faiss_sha256)
    passages_bytes = _read_checked(index_dir / manifest.passages_file, manifest.passages_sha256)
    outside_path = index_dir / manifest.outside_file
    try:
        outside = OutsideVectors.from_bytes(_read_checked(outside_path, manifest.outside_sha256),
                                            manifest.outside_source_hash)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as err:
        raise IndexCorruptError(f"{outside_path}: unreadable ({err}). {REBUILD}") from err
    try:
        index = faiss.deserialize_index(np.frombuffer(faiss_bytes, dtype=np.uint8))
    except RuntimeError as err:
        raise IndexCorruptError(f"{index_dir / manifest.faiss_file}: FAISS cannot read it. {REBUILD}") from err
    tune_for_search(index, settings)
    try:
        passages = tuple(Passage(**json.loads(line)) for line in passages_bytes.decode("utf-8").splitlines())
    except (ValueError, TypeError) as err:
        raise IndexCorruptError(f"{index_dir / manifest.passages_file}: unreadable ({err}). {REBUILD}") from err
    if len(outside.vectors) and outside.vectors.shape[1] != manifest.dimension:
        raise IndexCorruptError(f"{outside_path}: vectors of dimension {outside.vectors.shape[1]}, the index "
                                f"has {manifest.dimension}. {REBUILD}")
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
    return LoadedIndex(manifest, index, passages, entry_of_vector, outside)


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


def index_dir_for(settings: Settings, glossary: Glossary) -> Path:
    """The index folder that belongs to `glossary`, so switching glossaries never mixes their indexes.

    The house glossary (glossary/) uses `settings.index_dir` (index/, committed), and so does any glossary
    given an index folder explicitly. Any other glossary gets `indexes/<name>-<hash12>/`: named by its
    content hash, an edited glossary gets a fresh folder instead of overwriting the one another copy uses.

    >>> from glossary_rag.glossary import Entry, Glossary
    >>> from glossary_rag.settings import PROJECT_ROOT
    >>> g = Glossary((Entry(id=1, term="Epoch", definition="One pass."),), name="My Terms")
    >>> index_dir_for(Settings(glossary_path=Path("my terms.csv")), g) == PROJECT_ROOT / "indexes" / (
    ...     "my-terms-" + g.content_hash[:12])
    True
    >>> index_dir_for(Settings(), g) == Settings().index_dir
    True
    """
    defaults = Settings()
    house_glossary = Path(settings.glossary_path).resolve() == defaults.glossary_path.resolve()
    explicit_index = Path(settings.index_dir).resolve() != defaults.index_dir.resolve()
    if house_glossary or explicit_index:
        return Path(settings.index_dir)
    slug = re.sub(r"[^a-z0-9_]+", "-", glossary.name.lower()).strip("-") or "glossary"
    return Path(settings.indexes_dir) / f"{slug}-{glossary.content_hash[:12]}"
