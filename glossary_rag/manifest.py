"""An index folder's identity card, `manifest.json`: what was built, from what, with which model, and the
checksums of its data files; and the named errors for an index that is missing, corrupt or stale.

The manifest is a pydantic model: loading it checks every field's type (a string where a count belongs is a
corrupt manifest, not a crash later), and fields a newer build may add are ignored.

>>> m = Manifest(format_version=2, model="m", model_fingerprint="f", dimension=384, normalized=True,
...              metric="inner_product", index_type="flat", glossary_name="g", glossary_hash="h", enriched=True,
...              entries=2, vectors=5, faiss_file="v.faiss", passages_file="p.jsonl", faiss_sha256="a",
...              passages_sha256="b")
>>> Manifest.model_validate_json(m.to_json()) == m
True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr, ValidationError

from glossary_rag.glossary import Glossary

# 2: the vocabulary of concepts outside the glossary is part of the index (glossary_rag/outside.py).
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
REBUILD = "Rebuild it with `python scripts/build_index.py`."

IndexType = Literal["flat", "ivf", "hnsw"]  # hnsw: indexes built before IVF replaced it still load


class IndexError_(RuntimeError):
    """Base for index problems; the message names the folder, the problem and the fix."""


class IndexMissingError(IndexError_):
    pass


class IndexCorruptError(IndexError_):
    pass


class IndexStaleError(IndexError_):
    pass


class Manifest(BaseModel):
    """What `manifest.json` holds, field for field (the JSON keeps this order)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    format_version: StrictInt
    model: StrictStr
    model_fingerprint: StrictStr
    dimension: StrictInt
    normalized: StrictBool
    metric: StrictStr
    index_type: IndexType
    glossary_name: StrictStr
    glossary_hash: StrictStr
    enriched: StrictBool
    entries: StrictInt
    vectors: StrictInt
    faiss_file: StrictStr
    passages_file: StrictStr
    faiss_sha256: StrictStr
    passages_sha256: StrictStr
    # The outside concepts' vectors and names (glossary_rag/outside.py), and the vocabulary file they came from.
    outside_file: StrictStr = ""
    outside_sha256: StrictStr = ""
    outside_source_hash: StrictStr = ""

    def to_json(self) -> str:
        """The file's text: indented, one field a line, so a diff of index/ reads well."""
        return json.dumps(self.model_dump(), indent=2) + "\n"


def read_manifest(index_dir: Path) -> Manifest:
    """Parse and type-check `manifest.json`, raising a named error for anything off."""
    path = Path(index_dir) / MANIFEST
    if not path.is_file():
        raise IndexMissingError(f"{index_dir}: no index here ({MANIFEST} missing). {REBUILD}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise IndexCorruptError(f"{path}: unreadable manifest ({err}). {REBUILD}") from err
    if not isinstance(data, dict):
        raise IndexCorruptError(f"{path}: unreadable manifest (not a JSON object). {REBUILD}")
    if data.get("format_version") != FORMAT_VERSION:
        raise IndexStaleError(f"{path}: index format {data.get('format_version')!r}, this code reads "
                              f"{FORMAT_VERSION}. {REBUILD}")
    try:
        return Manifest.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"field {'.'.join(map(str, e['loc']))!r}: {e['msg']}" for e in err.errors())
        raise IndexCorruptError(f"{path}: unreadable manifest ({problems}). {REBUILD}") from err


def staleness(manifest: Manifest, *, glossary: Glossary | None = None, model: str | None = None,
              fingerprint: str | None = None, dimension: int | None = None,
              outside_source_hash: str | None = None) -> list[str]:
    """Why this index no longer matches the glossary, the model or the outside vocabulary (empty when it
    is fresh)."""
    problems = []
    if outside_source_hash is not None and manifest.outside_source_hash != outside_source_hash:
        problems.append("built from another version of the outside-concepts vocabulary "
                        f"(glossary_rag/data/outside_concepts.jsonl, hash {manifest.outside_source_hash[:12] or 'none'})")
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
