"""Build -> check -> load round trip, staleness and corruption detection, and the FAISS oracle."""

from __future__ import annotations

import json

import re

import numpy as np
import pytest

from glossary_rag.glossary import load_glossary
from glossary_rag.index import build_index, load_index, write_index
from glossary_rag.ivf import create_faiss_index, ivf_lists, ivf_probes, train_index
from glossary_rag.manifest import MANIFEST, IndexCorruptError, IndexMissingError, IndexStaleError, read_manifest
from glossary_rag.passages import glossary_passages
from glossary_rag.settings import Settings
from tests.conftest import write_entry

SETTINGS = Settings()


@pytest.fixture
def built(tmp_path, tiny_glossary, encoder):
    glossary = load_glossary(tiny_glossary)
    manifest = build_index(glossary, encoder, tmp_path / "index", settings=SETTINGS)
    return glossary, manifest, tmp_path / "index"


def test_round_trip(built, encoder):
    glossary, manifest, folder = built
    loaded = load_index(folder, settings=SETTINGS, glossary=glossary, model=encoder.model_id,
                        fingerprint=encoder.fingerprint())
    assert loaded.manifest == manifest == read_manifest(folder)
    assert manifest.entries == 4 and manifest.vectors == len(glossary_passages(glossary)) == loaded.faiss_index.ntotal
    assert manifest.dimension == 384 and manifest.index_type == "flat" and manifest.normalized
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [MANIFEST, manifest.faiss_file, manifest.passages_file, manifest.outside_file])
    assert set(loaded.entry_of_vector.tolist()) == {1, 2, 3, 4}


def test_build_is_deterministic(built, encoder, tmp_path):
    glossary, manifest, _ = built
    again = build_index(glossary, encoder, tmp_path / "again", settings=SETTINGS)
    assert again == manifest


def test_edited_glossary_is_stale(built, tiny_glossary):
    _, _, folder = built
    write_entry(tiny_glossary, 5, "Epoch", "An epoch is one full pass over the training data.")
    with pytest.raises(IndexStaleError, match=r"another version of the glossary.*build_index\.py"):
        load_index(folder, glossary=load_glossary(tiny_glossary), settings=SETTINGS)


def test_other_model_is_stale(built):
    glossary, _, folder = built
    with pytest.raises(IndexStaleError, match=r"built with model 'sentence-transformers/all-MiniLM-L6-v2(\+adapter-[0-9a-f]{12})?', "
                                              r"configured model is 'other/model'"):
        load_index(folder, glossary=glossary, model="other/model", settings=SETTINGS)
    with pytest.raises(IndexStaleError, match="model weights differ"):
        load_index(folder, glossary=glossary, fingerprint="0000", settings=SETTINGS)


def test_corrupt_faiss_file(built):
    glossary, manifest, folder = built
    data = bytearray((folder / manifest.faiss_file).read_bytes())
    data[100] ^= 0xFF
    (folder / manifest.faiss_file).write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"vectors-.*\.faiss: contents do not match"):
        load_index(folder, glossary=glossary, settings=SETTINGS)


@pytest.mark.parametrize("damage, error, message", [
    (lambda text: text[: len(text) // 2], IndexCorruptError, "unreadable manifest"),
    (lambda text: "[]", IndexCorruptError, "not a JSON object"),
    (lambda text: text.replace('"dimension": 384', '"dimension": "384"'), IndexCorruptError, "dimension"),
    (lambda text: re.sub(r'"format_version": \d+', '"format_version": 99', text), IndexStaleError, "index format 99"),
    # An index built before the outside vocabulary joined it (format 1) must be rebuilt, not misread.
    (lambda text: re.sub(r'"format_version": \d+', '"format_version": 1', text), IndexStaleError, "index format 1,"),
    (lambda text: text.replace('"vectors": ', '"vectors": 1'), IndexCorruptError, "counts disagree"),
])
def test_edited_manifest(built, damage, error, message):
    glossary, _, folder = built
    path = folder / MANIFEST
    path.write_text(damage(path.read_text()))
    with pytest.raises(error, match=message):
        load_index(folder, glossary=glossary, settings=SETTINGS)


def test_missing_index(tmp_path):
    with pytest.raises(IndexMissingError, match=r"no index here \(manifest.json missing\). Rebuild"):
        load_index(tmp_path / "nothing", settings=SETTINGS)


def test_faiss_matches_numpy_brute_force(encoder, engine):
    """Oracle: FAISS top-k over the real index equals an exact numpy cosine top-k."""
    index = engine.index
    vectors = index.faiss_index.reconstruct_n(0, index.faiss_index.ntotal)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    queries = encoder.encode(["stop training when validation loss rises", "gradiant decent", "what is a tensor"])
    similarities, positions = index.faiss_index.search(queries, 10)
    exact = queries @ vectors.T
    expected = np.argsort(-exact, axis=1, kind="stable")[:, :10]
    assert np.allclose(similarities, np.take_along_axis(exact, expected, axis=1), atol=1e-5)
    assert (positions == expected).all()


def test_ivf_index_recall(engine):
    """Above the size threshold we switch to IVF; on the real vectors it must agree with exact search."""
    vectors = engine.index.faiss_index.reconstruct_n(0, engine.index.faiss_index.ntotal)
    ivf = create_faiss_index(vectors.shape[1], "ivf", len(vectors), settings=SETTINGS)
    with pytest.raises(RuntimeError):  # untrained: faiss refuses vectors, so a build can't skip training
        ivf.add(vectors[:10])
    train_index(ivf, vectors, SETTINGS)
    ivf.add(vectors)
    assert ivf.nlist == ivf_lists(len(vectors), SETTINGS) and ivf.nprobe == ivf_probes(ivf.nlist, SETTINGS)
    queries = vectors[::37]
    _, approx = ivf.search(queries, 10)
    exact = np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :10]
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)])
    assert recall >= 0.97


def test_the_ivf_layout_settings_reach_the_built_and_loaded_index(tiny_glossary, encoder, tmp_path):
    """GLOSSARY_RAG_ANN_THRESHOLD / _IVF_LIST_SIZE / _IVF_MIN_LISTS / _IVF_MIN_PROBES decide what a build makes
    and what a load scans: a tiny glossary past a threshold of 1 becomes an IVF of 4 lists, scanned 1 at a time."""
    glossary = load_glossary(tiny_glossary)
    settings = Settings.from_env({"GLOSSARY_RAG_ANN_THRESHOLD": "1", "GLOSSARY_RAG_IVF_LIST_SIZE": "4",
                                  "GLOSSARY_RAG_IVF_MIN_LISTS": "2", "GLOSSARY_RAG_IVF_MIN_PROBES": "1"})
    vectors = len(glossary_passages(glossary))
    assert 12 <= vectors < 24  # 2 ** round(log2(vectors / 4)) == 4 lists
    manifest = build_index(glossary, encoder, tmp_path / "index", settings=settings)
    loaded = load_index(tmp_path / "index", settings=settings, glossary=glossary)
    assert (manifest.index_type, loaded.faiss_index.nlist, loaded.faiss_index.nprobe) == ("ivf", 4, 1)
    # The defaults make a flat index of the same glossary.
    assert build_index(glossary, encoder, tmp_path / "flat", settings=SETTINGS).index_type == "flat"


def test_configured_probes_are_honoured_when_an_ivf_index_is_loaded(engine, encoder, tmp_path):
    """An IVF index saved with the default probes (all 16 lists of the real glossary's vectors) serves with
    the probes it is configured with (GLOSSARY_RAG_IVF_MIN_PROBES=1): loading used to reset them to the
    defaults. One probe of 16 loses neighbours that all 16 find."""
    import dataclasses

    from glossary_rag.engine import Engine

    vectors = engine.index.faiss_index.reconstruct_n(0, engine.index.faiss_index.ntotal)
    ivf = create_faiss_index(vectors.shape[1], "ivf", len(vectors), settings=SETTINGS)
    train_index(ivf, vectors, SETTINGS)
    ivf.add(vectors)
    assert (ivf.nlist, ivf.nprobe) == (16, 16)
    folder = tmp_path / "ivf"
    write_index(folder, ivf, list(engine.index.passages), engine.glossary, model=encoder.model_id,
                fingerprint=encoder.fingerprint(), enriched=engine.index.manifest.enriched, index_type="ivf",
                outside=engine.index.outside)
    one_probe = Settings.from_env({"GLOSSARY_RAG_IVF_MIN_PROBES": "1"})
    served = Engine.load(dataclasses.replace(one_probe, index_dir=folder), encoder=encoder)
    default = Engine.load(dataclasses.replace(SETTINGS, index_dir=folder), encoder=encoder)
    assert (served.index.faiss_index.nprobe, default.index.faiss_index.nprobe) == (1, 16)

    queries = vectors[::17]
    exact = np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :50]

    def recall(index) -> float:
        _, found = index.search(queries, 50)
        return float(np.mean([len(set(f) & set(e)) / 50 for f, e in zip(found, exact)]))

    assert recall(default.index.faiss_index) > 0.99 > 0.9 > recall(served.index.faiss_index)


# slow: embeds the whole glossary again (~27 s on 2 cores).
@pytest.mark.slow
def test_ivf_build_of_the_real_glossary(engine, encoder, tmp_path):
    """A glossary past the threshold builds an IVF index through the same path, leaves no spooled vectors
    behind, loads with today's search parameters, and ranks like the exact index."""
    import dataclasses

    from glossary_rag.engine import Engine

    folder = tmp_path / "index"
    manifest = build_index(engine.glossary, encoder, folder, ann_threshold=1000, settings=SETTINGS)
    assert manifest.index_type == "ivf" and manifest.vectors == engine.index.faiss_index.ntotal
    assert sorted(p.suffix for p in folder.iterdir()) == [".faiss", ".json", ".jsonl", ".npz"]
    loaded = load_index(folder, glossary=engine.glossary, settings=SETTINGS)
    assert loaded.faiss_index.nprobe == ivf_probes(loaded.faiss_index.nlist, SETTINGS)
    approximate = Engine.load(dataclasses.replace(engine.settings, index_dir=folder), encoder=encoder)
    for question in ("what is dropout?", "the term for a model memorizing its training data", "lstm"):
        exact, ivf = engine.retriever.search(question), approximate.retriever.search(question)
        # The approximate index returns fewer vectors, so the weak tail may reorder; the answer may not.
        assert ivf.hits[0].id == exact.hits[0].id, question
        assert len({h.id for h in ivf.hits[:3]} & {h.id for h in exact.hits[:3]}) >= 2, question
