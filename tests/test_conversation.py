"""Chat follow-ups, the follow-up answer shapes and the Browse filter: pure functions over the real glossary."""

from __future__ import annotations

import pytest

from glossary_rag.answer import Answer, Citation
from glossary_rag.followups import compose_entry_details, compose_no_subject, compose_opposite
from glossary_rag.browse import ALL_TOPICS, filter_entries, list_topics
from glossary_rag.conversation import Conversation, FollowUp, Turn, next_focus, resolve_follow_up
from glossary_rag.glossary import Entry, Glossary, load_glossary
from glossary_rag.query import Query, parse_query
from glossary_rag.settings import PROJECT_ROOT
from tests.conftest import write_entry

OVERFITTING, UNDERFITTING, DROPOUT, GENERATIVE = 14, 15, 17, 46


@pytest.fixture(scope="module")
def glossary():
    return load_glossary(PROJECT_ROOT / "glossary")


@pytest.mark.parametrize("message", ["tell me more", "Tell me more!", "more", "ok, tell me more about it",
                                     "can you elaborate?", "explain it in more detail", "what else?",
                                     "more details please"])
def test_tell_me_more_shows_the_whole_focused_entry(glossary, message):
    follow_up = resolve_follow_up(message, OVERFITTING, glossary)
    assert follow_up == FollowUp(compose_entry_details(glossary.by_id[OVERFITTING], glossary), kind="more")


def test_tell_me_more_about_a_named_entry_needs_no_focus(glossary):
    assert resolve_follow_up("tell me more about Dropout", None, glossary).answer == compose_entry_details(
        glossary.by_id[DROPOUT], glossary)
    assert resolve_follow_up("tell me more about pizza", OVERFITTING, glossary) == FollowUp()


@pytest.mark.parametrize("message", ["what's the opposite?", "What’s the opposite?", "opposite?",
                                     "and its opposite", "is there an opposite?", "what is the opposite of it"])
def test_opposite_uses_the_entry_opposite_field(glossary, message):
    follow_up = resolve_follow_up(message, OVERFITTING, glossary)
    assert follow_up == FollowUp(compose_opposite(glossary.by_id[OVERFITTING], glossary), kind="opposite")
    assert follow_up.answer.citations == (Citation(1, OVERFITTING, "Overfitting"),
                                          Citation(2, UNDERFITTING, "Underfitting"))


def test_opposite_of_a_named_entry_and_of_an_unknown_thing(glossary):
    assert resolve_follow_up("what's the opposite of a generative model?", None, glossary).answer == (
        compose_opposite(glossary.by_id[GENERATIVE], glossary))
    assert resolve_follow_up("opposite of pizza", OVERFITTING, glossary) == FollowUp()


@pytest.fixture
def small(tmp_path):
    """Three shots with two opposites, and a contrast note: links the house glossary may or may not keep."""
    entries = tmp_path / "entries"
    write_entry(entries, 1, "Zero-Shot Learning", "Zero-shot learning handles classes with no examples.",
                opposite=[2, 3], related=[2], examples=["zero-shot classification"], aliases=["ZSL"])
    write_entry(entries, 2, "One-Shot Learning", "One-shot learning learns a class from one example.", opposite=[1])
    write_entry(entries, 3, "Few-Shot Learning", "Few-shot learning learns a class from a handful.", opposite=[1])
    write_entry(entries, 4, "Dropout", "Dropout switches units off while training.")
    (tmp_path / "contrasts.yaml").write_text("- between: [3, 1]\n  note: Few-shot sees a handful, zero-shot none.\n",
                                             encoding="utf-8")
    return load_glossary(tmp_path)


def test_opposite_answers(small):
    several = compose_opposite(small.by_id[1], small)
    assert several == Answer(
        "The opposite of **Zero-Shot Learning** [1] is **One-Shot Learning** [2] and **Few-Shot Learning** [3].\n\n"
        "- **One-Shot Learning**: One-shot learning learns a class from one example [2].\n"
        "- **Few-Shot Learning**: Few-shot learning learns a class from a handful [3].",
        (Citation(1, 1, "Zero-Shot Learning"), Citation(2, 2, "One-Shot Learning"), Citation(3, 3, "Few-Shot Learning")),
        (), False, "opposite", "high",
        ("What is One-Shot Learning?", "What is Few-Shot Learning?", "Zero-Shot Learning vs One-Shot Learning"))
    none = compose_opposite(small.by_id[4], small)
    assert none == Answer("The glossary lists no opposite for **Dropout** [1].", (Citation(1, 4, "Dropout"),), (),
                          False, "opposite", "high")


def test_entry_details_list_kinds_and_the_entries_it_is_confused_with(small):
    assert compose_entry_details(small.by_id[1], small) == Answer(
        "**Zero-Shot Learning** — Zero-shot learning handles classes with no examples [1].\n\n"
        "- Also called: ZSL [1].\n- Kinds: zero-shot classification [1].\n- Related: One-Shot Learning [1].\n"
        "- Opposite: One-Shot Learning and Few-Shot Learning [1].\n- Often confused with: Few-Shot Learning [1].",
        (Citation(1, 1, "Zero-Shot Learning"),), (), False, "more", "high",
        ("What's the opposite of Zero-Shot Learning?", "Zero-Shot Learning vs Few-Shot Learning",
         "What is One-Shot Learning?"))


def test_entry_details_cite_everything_they_show(glossary):
    entry = glossary.by_id[OVERFITTING]
    more = compose_entry_details(entry, glossary)
    assert more.citations == (Citation(1, OVERFITTING, "Overfitting"),) and more.hits == ()
    assert all(d in more.text for d in entry.descriptions)
    assert "- Opposite: Underfitting [1]." in more.text and "- Also called: overfit" in more.text
    paragraphs = [p for p in more.text.split("\n\n")]
    assert all("[1]" in p for p in paragraphs)


@pytest.mark.parametrize("message, rewritten", [
    ("compare it with dropout", "Overfitting vs dropout"),
    ("Compare it with Dropout", "Overfitting vs Dropout"),
    ("compare with dropout", "Overfitting vs dropout"),
    ("compare dropout with it", "Overfitting vs dropout"),
    ("how is it different from dropout?", "Overfitting vs dropout"),
    ("what's the difference between it and batch norm", "Overfitting vs batch norm"),
    ("vs underfitting", "Overfitting vs underfitting"),
    ("dropout vs this", "Overfitting vs dropout"),
])
def test_compare_it_with_x_becomes_a_comparison_question(glossary, message, rewritten):
    follow_up = resolve_follow_up(message, OVERFITTING, glossary)
    left, right = rewritten.split(" vs ")
    assert follow_up == FollowUp(query=Query(len(rewritten), rewritten, rewritten, "compare", (left, right)),
                                 kind="compare")


def test_a_compared_term_is_never_re_read_as_text():
    """The sides go to search as they are: a term holding "or" stays one side (re-parsing the rebuilt text
    "Bias or Variance vs dropout" would split it at the "or")."""
    g = Glossary((Entry(id=1, term="Bias or Variance", definition="A trade-off."),
                  Entry(id=2, term="Dropout", definition="Zeroes units.")))
    follow_up = resolve_follow_up("compare it with dropout", 1, g)
    assert follow_up.query.parts == ("Bias or Variance", "dropout")
    assert parse_query(follow_up.query.text).parts != follow_up.query.parts


@pytest.mark.parametrize("message", ["what is dropout?", "precision vs recall", "compare precision and recall",
                                     "", "🧠", "x" * 10_000, "<script>alert(1)</script>"])
def test_anything_else_passes_through_unchanged(glossary, message):
    assert resolve_follow_up(message, OVERFITTING, glossary) == FollowUp()


@pytest.mark.parametrize("message", ["tell me more", "what's the opposite?", "compare it with dropout"])
def test_a_follow_up_before_any_answer_asks_for_a_term_first(glossary, message):
    follow_up = resolve_follow_up(message, None, glossary)
    assert follow_up.answer == compose_no_subject() and follow_up.answer.kind == "empty"


def test_focus_moves_to_the_subject_and_stays_on_abstentions(glossary):
    opposite = compose_opposite(glossary.by_id[OVERFITTING], glossary)
    more = compose_entry_details(glossary.by_id[DROPOUT], glossary)
    assert next_focus(opposite, None) == UNDERFITTING
    assert next_focus(more, OVERFITTING) == DROPOUT
    assert next_focus(compose_no_subject(), OVERFITTING) == OVERFITTING
    conversation = Conversation().add("what's the opposite of overfitting", opposite)
    assert conversation == Conversation((Turn("what's the opposite of overfitting", opposite),), UNDERFITTING)


def test_browse_lists_every_entry_a_to_z(glossary):
    entries = filter_entries(glossary)
    assert len(entries) == len(glossary.entries) == 128
    assert [e.term.casefold() for e in entries] == sorted(e.term.casefold() for e in glossary.entries)
    assert filter_entries(glossary, "", ALL_TOPICS) == entries


@pytest.mark.parametrize("text, expected", [
    ("dropot", ["Dropout"]),           # a typo
    ("DROPOUT", ["Dropout"]),          # case
    ("lstm", ["Long Short-Term Memory"]),  # an alias
    ("batchnorm", ["Batch Normalization"]),
    ("xyzzy", []),
    ("🧠", []),
    ("<script>", []),
])
def test_browse_filter_is_fuzzy(glossary, text, expected):
    assert [e.term for e in filter_entries(glossary, text)] == expected


def test_browse_topic_filter(glossary):
    assert list_topics(glossary) == sorted({e.topic for e in glossary.entries})
    regularization = filter_entries(glossary, "", "regularization")
    assert regularization and {e.topic for e in regularization} == {"regularization"}
    assert [e.term for e in filter_entries(glossary, "drop", "regularization")] == ["Dropout"]
    assert filter_entries(glossary, "dropout", "vision") == []


def test_rating_a_turn_returns_a_new_conversation(glossary):
    answer = compose_entry_details(glossary.by_id[DROPOUT], glossary)
    conversation = Conversation(id="abc").add("tell me more about dropout", answer)
    rated = conversation.rate(0, "like")
    assert rated.turns[0] == Turn("tell me more about dropout", answer, "", "like") and rated.id == "abc"
    assert conversation.turns[0].rating == ""
    with pytest.raises(IndexError, match="turn 1 does not exist; the conversation has 1 turns"):
        conversation.rate(1, "like")
