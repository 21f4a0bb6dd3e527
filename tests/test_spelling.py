"""Typos reach every kind of evidence: a misspelt name ranks like its right spelling."""

from __future__ import annotations

import pytest

from glossary_rag.spelling import Speller


@pytest.mark.parametrize("typo, right", [
    ("gradiant decent", "gradient descent"),
    ("dropot", "dropout"),
    ("overfiting", "overfitting"),
    ("backpropogation", "backpropagation"),
    ("convolutinal neural network", "convolutional neural network"),
    ("batch normalisation", "batch normalization"),
    ("transfomer models", "transformer models"),
    ("embeding layer", "embedding layer"),
    ("atention mechanism", "attention mechanism"),
    ("hyperparamters", "hyperparameters"),
    ("precison", "precision"),
    ("autoencoer", "autoencoder"),
    ("epoc", "epoch"),
])
def test_a_misspelt_name_ranks_like_its_right_spelling(engine, typo, right):
    wrong, correct = engine.search(typo), engine.search(right)
    assert wrong.hits[0].id == correct.hits[0].id, (typo, wrong.hits[:3])
    assert len({h.id for h in wrong.hits[:3]} & {h.id for h in correct.hits[:3]}) >= 2, (wrong.hits[:3], correct.hits[:3])
    assert not wrong.abstained


def test_the_speller_changes_only_words_the_glossary_does_not_use(engine):
    speller = Speller(list(engine.glossary.entries))
    assert speller.correct("gradiant decent with SGD") == "gradient descent with SGD"
    assert speller.correct("how do I bake bread") == "how do I bake bread"
    assert speller.correct("") == ""
