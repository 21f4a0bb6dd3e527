"""Composed answers: every sentence cites a retrieved entry, and each shape reads as promised."""

from __future__ import annotations

import re

import pytest

from glossary_rag.answer import EMPTY_PROMPT

QUESTIONS = [
    "what is dropout?", "what's the term for when a model memorizes its training data?", "precision vs recall",
    "what is attention", "gradiant decent", "how do I bake sourdough bread", "", "how do transformers know word order?",
]


def sentences(markdown: str) -> list[str]:
    """Split rendered Markdown into sentences: list items and lines break too."""
    text = re.sub(r"^\s*[-*]\s+", "", markdown, flags=re.M).replace("**", "")
    return [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text) if p.strip()]


@pytest.mark.parametrize("question", [q for q in QUESTIONS if q])
def test_every_sentence_cites_a_retrieved_entry(engine, question):
    answer = engine.ask(question)
    retrieved = {h.id for h in answer.hits}
    numbers = {c.n: c for c in answer.citations}
    assert answer.citations and {c.id for c in answer.citations} <= retrieved
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert engine.glossary.by_id[c.id].term == c.term
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert cited == set(numbers)
    for sentence in sentences(answer.text):
        if re.fullmatch(r"[\w\s-]+ vs [\w\s-]+", sentence):  # the comparison's title line
            continue
        assert re.search(r"\[\d+\]", sentence), sentence


def test_definition_shape(engine):
    answer = engine.ask("what is dropout?")
    assert answer.kind == "definition" and not answer.abstained
    assert answer.text.startswith("**Dropout** — ")
    assert answer.citations[0].term == "Dropout" and "Related:" in answer.text


def test_reverse_shape(engine):
    answer = engine.ask("what's the term for when a model memorizes its training data?")
    assert answer.kind == "reverse"
    assert answer.text.startswith("The term you're looking for is probably **Overfitting** [1].")
    assert "Other candidates:" in answer.text


def test_comparison_shape(engine):
    answer = engine.ask("precision vs recall")
    assert answer.kind == "compare"
    assert [c.term for c in answer.citations[:2]] == ["Precision", "Recall"]
    assert "opposites [1] [2]." in answer.text


def test_near_duplicates_are_merged_not_repeated(engine):
    answer = engine.ask("what is attention")
    assert "The glossary also covers this under" in answer.text
    ids = [c.id for c in answer.citations]
    assert len(set(ids) & {21, 60, 100}) >= 2
    # Only the first entry's definition is quoted.
    other_definitions = [engine.glossary.by_id[i].definition[:60] for i in ids[1:]]
    assert not any(d in answer.text for d in other_definitions)


def test_abstention_shape(engine):
    answer = engine.ask("how do I bake sourdough bread")
    assert answer.abstained and answer.kind == "abstain"
    assert answer.text.startswith("The glossary doesn't cover that")
    assert len(answer.citations) == 3


def test_did_you_mean_offers_both(engine):
    answer = engine.ask("loss")
    # "loss" alone names Loss Function; it must not be a guess between two.
    assert answer.kind == "definition" and answer.citations[0].id == 9


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "???", "\u200b"])
def test_empty_input_gets_a_prompt(engine, text):
    answer = engine.ask(text)
    assert answer.text == EMPTY_PROMPT and answer.kind == "empty" and answer.citations == ()


def test_json_contract(engine):
    payload = engine.ask("what is an epoch").to_json()
    assert set(payload) == {"answer", "citations", "hits", "abstained"}
    assert set(payload["citations"][0]) == {"n", "id", "term"}
    assert set(payload["hits"][0]) == {"id", "term", "score"}
    assert payload["hits"][0]["id"] == 6 and payload["abstained"] is False
