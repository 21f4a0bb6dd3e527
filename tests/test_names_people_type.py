"""The short names and kinds people type land on their entry and are answered, not declined; commonly
confused pairs are answered with a sentence that says how they differ, citing both."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("typed, entry_id", [
    ("ReLU", 115), ("sigmoid", 2), ("tanh", 2), ("GELU", 2), ("what is sigmoid?", 2), ("RL", 86), ("BN", 18),
    ("GD", 8), ("batch gradient descent", 8), ("mini-batch training", 52), ("KD", 73), ("BCE", 65),
    ("maxpool", 25), ("avgpool", 25), ("max pooling", 25), ("standardization", 45), ("z-score", 45),
    ("DL", 5), ("PTQ", 78), ("QAT", 78), ("multimodal", 93), ("self-supervised", 64), ("siamese", 62),
    ("bias-variance", 91), ("Adam", 114), ("what is adam?", 114), ("RMSProp", 38),
    # Entries 101+: the vocabulary learners ask about first.
    ("what is an embedding?", 101), ("LLM", 102), ("logits", 104), ("RAG", 113), ("GRU", 117), ("ViT", 120),
    ("VAE", 121), ("LoRA", 122), ("layer norm", 116), ("confusion matrix", 123), ("momentum", 124),
])
def test_a_short_name_or_a_kind_is_answered_from_its_entry(engine, typed, entry_id):
    answer = engine.ask(typed)
    assert not answer.abstained and answer.citations[0].id == entry_id, (answer.kind, answer.text[:120])


@pytest.mark.parametrize("question", [
    "precision vs recall", "overfitting vs underfitting", "What is the difference between an epoch and a batch?",
    "gradient descent vs SGD", "zero-shot vs few-shot learning", "generative vs discriminative models",
    "CNN vs RNN", "LSTM vs RNN", "dropout vs early stopping", "fine-tuning vs transfer learning",
    "normalization vs feature scaling", "attention vs self-attention", "ROC curve vs AUC",
    "supervised vs unsupervised learning", "embedding vs embedding layer", "GRU vs LSTM", "BERT vs GPT",
])
def test_a_confused_pair_is_told_apart_in_a_sentence_citing_both(engine, question):
    answer = engine.ask(question)
    assert answer.kind == "compare"
    sentences = re.split(r"(?<=[.!?])\s+|\n+", answer.text)
    assert any("[1]" in s and "[2]" in s and len(s.split()) >= 12 for s in sentences), answer.text


@pytest.mark.parametrize("question, entry_id", [
    ("What's the motivation for LSTM?", 33),
    ("How do you combat overfitting?", 14),
    ("What is the effect of batch normalization on training and prediction speed?", 18),
    ("What's dropout? Why do we need it?", 17),
    ("Explain the bias-variance trade-off with examples", 91),
    ("Discuss in what context it is recommended to use transfer learning and when it is not", 11),
    ("What are the advantages and disadvantages of the Adam optimizer compared with plain SGD?", 114),
])
def test_an_interview_question_that_names_an_entry_is_answered_from_it(engine, question, entry_id):
    # Naming an entry inside a longer question is strong evidence (issue 17): never "not covered".
    answer = engine.ask(question)
    assert answer.outcome != "declined" and answer.citations[0].id == entry_id, (answer.kind, answer.text[:160])


def test_a_comparison_with_something_the_glossary_lacks_answers_the_side_it_has(engine):
    answer = engine.ask("LSTM vs a random forest for time series")
    assert answer.outcome != "declined" and answer.citations[0].id == 33
    assert answer.text.endswith("The glossary has no entry for “random forest for time series”, so it cannot "
                                "compare the two.")
