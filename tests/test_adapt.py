"""The glossary-adapted encoder: training on a tiny glossary in a few steps, loading it merged, and an index
built without it counting as stale."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from glossary_rag.adapt import ADAPTER_CONFIG, ADAPTER_WEIGHTS, TRAINING_FILE, TrainingConfig, train_adapter, \
    training_pairs
from glossary_rag.embed import load_encoder, resolve_model_path
from glossary_rag.glossary import load_glossary
from glossary_rag.index import build_index, read_manifest, staleness
from glossary_rag.settings import Settings


def test_training_pairs_come_from_the_glossary_only(tiny_glossary):
    pairs = training_pairs(load_glossary(tiny_glossary))
    assert ("drop-out", "Dropout: Dropout randomly zeroes units during training.", 1) in pairs
    assert ("It reduces overfitting.", "Dropout: Dropout randomly zeroes units during training.", 1) in pairs
    assert {entry_id for _, _, entry_id in pairs} == {1, 2, 3, 4}


@pytest.mark.slow
def test_a_few_steps_give_an_adapter_that_loads_merged_and_makes_old_indexes_stale(tmp_path, tiny_glossary, encoder):
    glossary = load_glossary(tiny_glossary)
    config = dataclasses.replace(TrainingConfig(), batch_size=4, max_steps=3, learning_rate=1e-3)
    record = train_adapter(glossary, resolve_model_path(Settings().model), tmp_path / "adapter", config,
                           log=lambda line: None)
    assert sorted(p.name for p in (tmp_path / "adapter").iterdir()) == sorted(
        [ADAPTER_CONFIG, ADAPTER_WEIGHTS, TRAINING_FILE])
    assert record["steps"] == 3 and record["glossary_hash"] == glossary.content_hash
    assert json.loads((tmp_path / "adapter" / TRAINING_FILE).read_text())["config"]["seed"] == 0

    adapted = load_encoder(Settings().model, str(tmp_path / "adapter"))
    assert adapted.model_id.startswith(f"{Settings().model}+adapter-")
    text = ["randomly switching off neurons"]
    assert not np.allclose(adapted.encode(text), encoder.encode(text))

    build_index(glossary, encoder, tmp_path / "index", settings=Settings())
    problems = staleness(read_manifest(tmp_path / "index"), glossary=glossary, model=adapted.model_id,
                         fingerprint=adapted.fingerprint(), dimension=adapted.dimension)
    assert problems and any("model" in p for p in problems), problems


# slow: loads a second copy of the model.
@pytest.mark.slow
def test_a_missing_adapter_folder_means_the_plain_model(tmp_path):
    assert load_encoder(Settings().model, str(tmp_path / "no-adapter-here")).model_id == Settings().model
