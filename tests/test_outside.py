"""The vocabulary of concepts outside the glossary: what the index keeps of it, and what it changes in
answers (glossary_rag/outside.py)."""

from __future__ import annotations

import dataclasses
import pytest

from glossary_rag.engine import Engine
from glossary_rag.glossary import load_glossary
from glossary_rag.outside import concepts_outside, load_outside_concepts, name_forms, outside_names
from glossary_rag.settings import Settings
from tests.conftest import write_entry

DISCRIMINATIVE_MODEL = 47


def test_the_vocabulary_is_well_formed_and_defines_nothing_the_glossary_names():
    concepts = load_outside_concepts()
    assert len(concepts) >= 400
    assert len({c.term.lower() for c in concepts}) == len(concepts), "a concept is listed twice"
    assert all(c.term and 8 <= len(c.definition.split()) <= 40 for c in concepts)
    glossary = load_glossary(Settings().glossary_path)
    # Written from the entry names, it must hold none of them: the build drops such a concept anyway, but
    # then the file says something the index does not.
    assert concepts_outside(glossary, concepts) == concepts


def test_the_index_holds_the_vocabulary_for_its_glossary(engine):
    outside = engine.index.outside
    assert len(outside.vectors) == 2 * len(outside.terms) == 2 * len(load_outside_concepts())
    assert outside.vectors.shape[1] == engine.encoder.dimension


def test_a_glossary_that_defines_a_concept_keeps_it_out_of_its_outside_vocabulary(encoder, tmp_path):
    """An imported glossary with an entry for SVMs (plural, acronym in parentheses) or for k-nearest
    neighbours (another spelling) is not told those are outside it, and answers them from its entries."""
    entries = tmp_path / "glossary" / "entries"
    write_entry(entries, 1, "Support Vector Machines (SVMs)",
                "A support vector machine is a classifier that separates two classes with the widest possible "
                "margin between them.")
    write_entry(entries, 2, "K-nearest neighbors",
                "K-nearest neighbors classifies a point by the majority label of the k closest training points.")
    write_entry(entries, 3, "Dropout", "Dropout randomly zeroes units during training to reduce overfitting.")
    settings = dataclasses.replace(Settings(), glossary_path=tmp_path / "glossary", index_dir=tmp_path / "index")
    engine = Engine.load(settings, rebuild=True, encoder=encoder)
    kept = set(engine.index.outside.terms)
    assert not any(name_forms(t) & {"svm", "support vector machine", "k nearest neighbours", "k nearest neighbors"}
                   for t in kept)
    assert "Naive Bayes Classifier" in kept
    for question, entry_id in (("what is an SVM?", 1), ("how does k-nearest neighbours work", 2)):
        result = engine.search(question)
        # Answered (a three-entry glossary brought as it is may answer tentatively), never declined.
        assert result.hits[0].id == entry_id and result.outcome != "declined", (question, result.outcome)


@pytest.mark.parametrize("question", [
    "what is a support vector machine?",
    "how does k-means clustering work",
    "how does naive Bayes handle a word it never saw in training?",
    "A density-based clustering algorithm that grows clusters from core points and marks isolated points as noise.",
])
def test_near_domain_questions_are_declined(engine, question):
    result = engine.search(question)
    assert result.outcome == "declined", (question, result.hits[0].term, result.covered)


def test_a_member_example_ranks_its_entry_but_does_not_name_it(engine):
    """"support vector machine" is one of Discriminative Model's examples and a concept of its own."""
    names = engine.retriever.names
    assert "support vector machine" in outside_names(engine.index.outside.terms)
    match = names.match_names("support vector machine")[DISCRIMINATIVE_MODEL]
    assert match.kind == "member" and match.score < engine.settings.named_score
    assert DISCRIMINATIVE_MODEL not in names.mentioned("how do support vector machine kernels work?")
    # A question about the family itself is still answered from the entry that defines it.
    result = engine.search("is an SVM a discriminative model or a generative one?")
    assert result.hits[0].id == DISCRIMINATIVE_MODEL and result.outcome != "declined"


def test_a_malformed_vocabulary_line_names_the_file_and_line(tmp_path):
    bad = tmp_path / "outside.jsonl"
    bad.write_text('{"term": "A", "definition": "fine"}\n{"term": "B"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"outside\.jsonl: line 2: not a"):
        load_outside_concepts(bad)


def test_declining_a_member_example_says_which_entry_mentions_it(engine):
    answer = engine.ask("what is logistic regression?")
    assert answer.abstained
    n = next(c.n for c in answer.citations if c.id == DISCRIMINATIVE_MODEL)
    assert (f"It has no entry for “logistic regression”, but **Discriminative Model** [{n}] mentions it as an "
            "example.") in answer.text
    # A question about something nobody's kinds list names gets the plain refusal.
    assert "mentions it" not in engine.ask("how do I bake sourdough bread?").text
