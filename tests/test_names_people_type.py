"""The short names and kinds people type land on their entry and are answered, not declined; commonly
confused pairs are answered with a sentence that says how they differ, citing both."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("typed, entry_id", [
    ("ReLU", 2), ("sigmoid", 2), ("tanh", 2), ("GELU", 2), ("what is sigmoid?", 2), ("RL", 86), ("BN", 18),
    ("GD", 8), ("batch gradient descent", 8), ("mini-batch", 52), ("KD", 73), ("NLL", 65), ("BCE", 65),
    ("maxpool", 25), ("avgpool", 25), ("max pooling", 25), ("standardization", 45), ("z-score", 45),
    ("DL", 5), ("PTQ", 78), ("QAT", 78), ("multimodal", 93), ("self-supervised", 64), ("siamese", 62),
    ("bias-variance", 91), ("Adam", 38), ("what is adam?", 38), ("RMSProp", 38),
])
def test_a_short_name_or_a_kind_is_answered_from_its_entry(engine, typed, entry_id):
    answer = engine.ask(typed)
    assert not answer.abstained and answer.citations[0].id == entry_id, (answer.kind, answer.text[:120])


@pytest.mark.parametrize("question", [
    "precision vs recall", "overfitting vs underfitting", "What is the difference between an epoch and a batch?",
    "gradient descent vs SGD", "zero-shot vs few-shot learning", "generative vs discriminative models",
    "CNN vs RNN", "LSTM vs RNN", "dropout vs early stopping", "fine-tuning vs transfer learning",
    "normalization vs feature scaling", "attention vs self-attention", "ROC curve vs AUC",
])
def test_a_confused_pair_is_told_apart_in_a_sentence_citing_both(engine, question):
    answer = engine.ask(question)
    assert answer.kind == "compare"
    sentences = re.split(r"(?<=[.!?])\s+|\n+", answer.text)
    assert any("[1]" in s and "[2]" in s and len(s.split()) >= 12 for s in sentences), answer.text
