"""Composed answers on a small reference glossary written in tmp_path, with the real model and a real index.

Every shape is asserted as a whole `Answer`; retrieval's own numbers (hits, confidence) are taken from the
same real search, so what is checked is what the composer makes of them.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from glossary_rag.answer import EMPTY_PROMPT, NOT_COVERED, Answer, Citation, compose_answer
from glossary_rag.engine import Engine
from glossary_rag.glossary import load_glossary
from glossary_rag.query import parse_query
from glossary_rag.search import Hit, SearchResult
from glossary_rag.settings import Settings
from tests.conftest import write_entry

ACTIVATION, EPOCH, BATCH_SIZE, OVERFITTING, UNDERFITTING, PRECISION, RECALL, DROPOUT = range(1, 9)

DEFINITIONS = {
    ACTIVATION: "An activation function is the function a neuron applies to its weighted sum to produce its "
                "output. Without a nonlinear activation, stacked layers collapse into one linear map. Common "
                "choices differ in their output range and in how their gradients behave.",
    EPOCH: "An epoch is one full pass of training over every example in the training set. Training usually "
           "runs for many epochs, and the loss on validation data is often checked after each one.",
    BATCH_SIZE: "The batch size is the number of training examples used to compute one gradient update. "
                "Larger batches give smoother gradient estimates but need more memory.",
    OVERFITTING: "Overfitting is when a model learns its training data so closely that it does badly on new "
                 "data. A telltale sign is the validation loss going up while the training loss keeps going "
                 "down. More data, regularization or early stopping reduce it.",
    UNDERFITTING: "Underfitting is when a model is too simple to capture the pattern in its training data. It "
                  "makes large errors even on the examples it was trained on.",
    PRECISION: "Precision is the share of a model's positive predictions that are really positive. It matters "
               "most when false alarms are costly.",
    RECALL: "Recall is the share of the real positives that a model finds. It matters most when missing a "
            "positive is costly.",
    DROPOUT: "Dropout is a regularization method that randomly switches off units during training. It stops "
             "the network from relying on any single unit.",
}
EPOCH_VS_BATCH = ("An epoch counts full passes over the training set, while the batch size counts how many "
                  "examples go into each single update within a pass.")
PRECISION_VS_RECALL = ("Precision asks how many of the flagged cases are right, recall asks how many of the real "
                       "cases were flagged. Raising one usually lowers the other.")


def first(entry_id: int) -> str:
    return DEFINITIONS[entry_id].split(". ")[0]


def write_reference_glossary(folder: Path) -> Path:
    """Eight entries with examples, an opposite pair and two contrast notes; returns the glossary folder."""
    entries = folder / "entries"
    write_entry(entries, ACTIVATION, "Activation Function", DEFINITIONS[ACTIVATION],
                aliases=["activation functions"], examples=["sigmoid", "tanh", "ReLU"],
                descriptions=["the function a neuron applies to its summed input, such as sigmoid"])
    write_entry(entries, EPOCH, "Epoch", DEFINITIONS[EPOCH], aliases=["epochs"])
    write_entry(entries, BATCH_SIZE, "Batch Size", DEFINITIONS[BATCH_SIZE], related=[EPOCH])
    write_entry(entries, OVERFITTING, "Overfitting", DEFINITIONS[OVERFITTING], opposite=[UNDERFITTING],
                related=[DROPOUT])
    write_entry(entries, UNDERFITTING, "Underfitting", DEFINITIONS[UNDERFITTING], opposite=[OVERFITTING],
                descriptions=["a model too simple to learn the pattern in its data"])
    write_entry(entries, PRECISION, "Precision", DEFINITIONS[PRECISION], related=[RECALL])
    write_entry(entries, RECALL, "Recall", DEFINITIONS[RECALL], related=[PRECISION])
    write_entry(entries, DROPOUT, "Dropout", DEFINITIONS[DROPOUT], related=[OVERFITTING])
    (folder / "contrasts.yaml").write_text(
        f"- between: [{EPOCH}, {BATCH_SIZE}]\n  note: {EPOCH_VS_BATCH}\n"
        f"- between: [{RECALL}, {PRECISION}]\n  note: {PRECISION_VS_RECALL}\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def reference(encoder, tmp_path_factory) -> Engine:
    folder = write_reference_glossary(tmp_path_factory.mktemp("reference") / "glossary")
    settings = dataclasses.replace(Settings(), glossary_path=folder, index_dir=folder.parent / "index")
    return Engine.load(settings, rebuild=True, encoder=encoder)


def answer_and_result(engine: Engine, question: str) -> tuple[Answer, SearchResult]:
    result = engine.search(question)
    return compose_answer(result, engine.glossary, engine.settings), result


def expected(result: SearchResult, text: str, citations: list[tuple[int, str]], kind: str,
             suggestions: tuple[str, ...] = ()) -> Answer:
    return Answer(text, tuple(Citation(n, i, t) for n, (i, t) in enumerate(citations, 1)), result.hits,
                  result.abstained, kind, result.confidence, suggestions)


# --- Comparisons ---------------------------------------------------------------------------------------------

def test_comparison_leads_with_the_contrast_note_cited_to_both(reference):
    answer, result = answer_and_result(reference, "What is the difference between an epoch and a batch size?")
    assert answer == expected(result, (
        "**Epoch** vs **Batch Size**\n\n"
        f"{EPOCH_VS_BATCH[:-1]} [1] [2].\n\n"
        f"- **Epoch**: {first(EPOCH)} [1].\n"
        f"- **Batch Size**: {first(BATCH_SIZE)} [2]."), [(EPOCH, "Epoch"), (BATCH_SIZE, "Batch Size")], "compare")


def test_a_two_sentence_contrast_cites_both_in_each_sentence_in_the_order_asked(reference):
    # The note is stored as recall/precision; the answer follows the order the person used.
    answer, result = answer_and_result(reference, "precision vs recall")
    note = PRECISION_VS_RECALL.split(". ")
    assert answer == expected(result, (
        "**Precision** vs **Recall**\n\n"
        f"{note[0]} [1] [2]. {note[1][:-1]} [1] [2].\n\n"
        f"- **Precision**: {first(PRECISION)} [1].\n"
        f"- **Recall**: {first(RECALL)} [2]."), [(PRECISION, "Precision"), (RECALL, "Recall")], "compare")


def test_comparison_without_a_note_says_what_each_is_and_invents_no_relation(reference):
    answer, result = answer_and_result(reference, "dropout vs batch size")
    assert answer == expected(result, (
        "**Dropout** vs **Batch Size**\n\n"
        f"- **Dropout**: {first(DROPOUT)} [1].\n"
        f"- **Batch Size**: {first(BATCH_SIZE)} [2]."), [(DROPOUT, "Dropout"), (BATCH_SIZE, "Batch Size")],
        "compare")


def test_real_opposites_may_say_so(reference):
    answer, result = answer_and_result(reference, "overfitting vs underfitting")
    assert answer == expected(result, (
        "**Overfitting** vs **Underfitting**\n\n"
        "The glossary lists them as opposites [1] [2].\n\n"
        f"- **Overfitting**: {first(OVERFITTING)} [1].\n"
        f"- **Underfitting**: {first(UNDERFITTING)} [2]."),
        [(OVERFITTING, "Overfitting"), (UNDERFITTING, "Underfitting")], "compare")


# --- Questions, reverse lookups, examples, definitions ------------------------------------------------------

def test_a_question_leads_with_the_sentence_that_answers_it(reference):
    answer, result = answer_and_result(reference,
                                       "Why does my validation loss go up while training loss keeps going down?")
    scores = result.sentence_scores[OVERFITTING]
    assert max(range(len(scores)), key=lambda i: scores[i]) == 1  # the second sentence is the closest
    second = DEFINITIONS[OVERFITTING].split(". ")[1]
    assert answer == expected(result, (
        f"**Overfitting** — {second} [1].\n\n"
        f"What it is: {first(OVERFITTING)} [1].\n\n"
        "Related: Dropout [1]."), [(OVERFITTING, "Overfitting")], "definition", ("What is Dropout?",))


def test_reverse_lookup_names_the_term_and_quotes_the_closest_sentences(reference):
    answer, result = answer_and_result(reference, "What's the term for a model too simple to learn the pattern?")
    assert result.hits[0].id == UNDERFITTING and result.outcome != "declined"
    # An eight-entry fixture with two descriptions and no questions is far from what the decision was fitted
    # on, so it may answer tentatively; then it says so first, and the answer itself is the same.
    caveat = ("The closest entry is **Underfitting** [1] — it may not be exactly what you asked.\n\n"
              if result.outcome == "tentative" else "")
    # Only the first sentence says "too simple ... pattern": it leads, and nothing is repeated.
    assert answer == expected(result, (
        f"{caveat}The term you're looking for is probably **Underfitting** [1]. {first(UNDERFITTING)} [1].\n\n"
        f"Other candidates: **{result.hits[1].term}** [2] and **{result.hits[2].term}** [3]."),
        [(UNDERFITTING, "Underfitting"), (result.hits[1].id, result.hits[1].term),
         (result.hits[2].id, result.hits[2].term)], "reverse")


@pytest.mark.parametrize("question, said", [("what is sigmoid?", "Sigmoid"), ("relu", "ReLU"),
                                             ("whats sigmod", "Sigmoid"), ("what are tanh", "Tanh")])
def test_naming_an_example_says_it_is_a_kind_of_the_entry(reference, question, said):
    answer, result = answer_and_result(reference, question)
    name = said.lower() if said != "ReLU" else "ReLU"
    others = [e for e in ("sigmoid", "tanh", "ReLU") if e != name]
    sentences = DEFINITIONS[ACTIVATION].split(". ")
    assert answer == expected(result, (
        f"{said} is one kind of **activation function** [1]: {sentences[0]} [1]. {sentences[1]} [1]. "
        f"{sentences[2][:-1]} [1].\n\n"
        f"Other kinds: {others[0]} and {others[1]} [1]."), [(ACTIVATION, "Activation Function")], "example")
    assert not answer.abstained


def test_naming_the_entry_itself_is_a_definition_even_when_it_has_examples(reference):
    answer, _ = answer_and_result(reference, "what is an activation function?")
    assert answer.kind == "definition" and answer.text.startswith(f"**Activation Function** — {first(ACTIVATION)}")


def test_define_shows_the_whole_short_definition(reference):
    answer, result = answer_and_result(reference, "what is dropout?")
    sentences = DEFINITIONS[DROPOUT].split(". ")
    assert answer == expected(result, (
        f"**Dropout** — {sentences[0]} [1]. {sentences[1][:-1]} [1].\n\n"
        "Related: Overfitting [1]."), [(DROPOUT, "Dropout")], "definition", ("What is Overfitting?",))


# --- Abstention ------------------------------------------------------------------------------------------------

def test_abstention_says_what_the_glossary_covers_and_guesses_nothing(reference):
    answer, result = answer_and_result(reference, "how do I bake sourdough bread")
    assert result.abstained and max(h.dense for h in result.hits) < Settings().nearby_min_dense
    assert answer == expected(result, NOT_COVERED, [], "abstain")
    assert answer.text.startswith("The glossary doesn't cover that, so I won't guess")


@pytest.mark.parametrize("dense, listed", [(Settings().nearby_min_dense + 0.01, True), (Settings().nearby_min_dense - 0.01, False)])
def test_abstention_lists_nearby_entries_only_when_they_are_near(reference, dense, listed):
    hits = (Hit(OVERFITTING, "Overfitting", 0.5, dense=dense), Hit(DROPOUT, "Dropout", 0.3, dense=0.1))
    result = SearchResult(parse_query("what is a validation curve"), hits, True, "low")
    answer = compose_answer(result, reference.glossary, reference.settings)
    if listed:
        assert answer == Answer(f"{NOT_COVERED}\n\nNearby entries that may help: **Overfitting** [1].",
                                (Citation(1, OVERFITTING, "Overfitting"),), hits, True, "abstain", "low")
    else:
        assert answer == Answer(NOT_COVERED, (), hits, True, "abstain", "low")


# --- Contracts for every shape -----------------------------------------------------------------------------------

QUESTIONS = ["what is dropout?", "What's the term for a model too simple to learn the pattern?", "precision vs recall",
             "what is sigmoid?", "dropout vs batch size", "Why does my validation loss go up while training loss "
             "keeps going down?", "how do I bake sourdough bread", "overfitting vs underfitting"]


def sentences_of(markdown: str) -> list[str]:
    """Split rendered Markdown into sentences: list items and lines break too."""
    text = re.sub(r"^\s*[-*]\s+", "", markdown, flags=re.M).replace("**", "")
    return [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text) if p.strip()]


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_glossary_sentence_cites_a_retrieved_entry(reference, question):
    answer = reference.ask(question)
    retrieved = {h.id for h in answer.hits}
    assert {c.id for c in answer.citations} <= retrieved
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} == {c.n for c in answer.citations}
    for sentence in sentences_of(answer.text):
        if re.fullmatch(r"[\w\s-]+ vs [\w\s-]+", sentence) or NOT_COVERED.endswith(sentence):
            continue  # the comparison's title, and the abstention, which states nothing from an entry
        assert re.search(r"\[\d+\]", sentence), sentence


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "???", "\u200b"])
def test_empty_input_gets_a_prompt(reference, text):
    answer = reference.ask(text)
    assert (answer.text, answer.kind, answer.citations) == (EMPTY_PROMPT, "empty", ())


def test_json_contract(reference):
    payload = reference.ask("what is sigmoid?").to_json()
    assert payload == {"answer": payload["answer"], "abstained": False, "outcome": "answer",
                       "confidence": reference.search("what is sigmoid?").confidence,
                       "citations": [{"n": 1, "id": ACTIVATION, "term": "Activation Function"}],
                       "hits": [{"id": h.id, "term": h.term, "score": h.score}
                                for h in reference.search("what is sigmoid?").hits]}
    assert payload["answer"].startswith("Sigmoid is one kind of **activation function** [1]: ")


def test_an_example_of_the_top_entrys_near_duplicate_is_answered_from_the_entry_that_lists_it(tmp_path):
    # A bare "relu" can rank the twin entry (which only mentions ReLU in its text) above the one listing it.
    entries = tmp_path / "entries"
    write_entry(entries, 2, "Activation Function", "An activation function shapes a neuron's output.",
                examples=["ReLU", "tanh"], same_as=[51])
    write_entry(entries, 51, "Nonlinear Activation Functions", "Nonlinear activations such as ReLU bend the output.",
                aliases=["nonlinear activation function"], same_as=[2])
    glossary = load_glossary(tmp_path)
    hits = (Hit(51, "Nonlinear Activation Functions", 0.68), Hit(2, "Activation Function", 0.67, name=0.95))
    answer = compose_answer(SearchResult(parse_query("relu"), hits, False, "high"), glossary, Settings())
    assert answer == Answer("ReLU is one kind of **activation function** [1]: An activation function shapes a "
                            "neuron's output [1]. The glossary also covers this under **Nonlinear Activation "
                            "Functions** [2].\n\nOther kinds: tanh [1].",
                            (Citation(1, 2, "Activation Function"), Citation(2, 51, "Nonlinear Activation Functions")),
                            hits, False, "example", "high")
    # Naming the twin itself is a definition of the twin.
    named = compose_answer(SearchResult(parse_query("nonlinear activation function"), hits, False, "high"), glossary, Settings())
    assert named.kind == "definition" and named.citations[0].id == 51


# --- Three outcomes --------------------------------------------------------------------------------------------

def test_a_low_confidence_answer_says_in_words_that_it_is_tentative(reference):
    from glossary_rag.render import format_hits

    hits = (Hit(DROPOUT, "Dropout", 0.3, dense=0.5), Hit(OVERFITTING, "Overfitting", 0.2, dense=0.4))
    result = SearchResult(parse_query("how do I keep units from co-adapting in training"), hits, False, "low")
    answer = compose_answer(result, reference.glossary, reference.settings)
    assert (answer.outcome, answer.to_json()["outcome"], answer.to_json()["confidence"]) == ("tentative",) * 2 + ("low",)
    assert answer.text.startswith("The closest entry is **Dropout** [1] — it may not be exactly what you asked.\n\n")
    assert answer.citations[0] == Citation(1, DROPOUT, "Dropout")
    assert "**A tentative answer:**" in format_hits(answer, reference.glossary)
    # The same result with medium confidence is a plain answer, and declining is its own outcome.
    sure = compose_answer(dataclasses.replace(result, confidence="medium"), reference.glossary, reference.settings)
    assert sure.outcome == "answer" and not sure.text.startswith("The closest entry")
    declined = compose_answer(dataclasses.replace(result, abstained=True), reference.glossary, reference.settings)
    assert declined.outcome == "declined" and declined.kind == "abstain"
