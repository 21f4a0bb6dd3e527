"""The feedback store: append-only, WAL, safe under concurrent writes, survives restarts, configurable path."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from glossary_rag.feedback import (DEFAULT_FEEDBACK_PATH, Feedback, FeedbackError, FeedbackStore,
                                   StoredFeedback, feedback_path_from_env)
from glossary_rag.settings import PROJECT_ROOT

DROPOUT = Feedback("like", "what is dropout?", "**Dropout** — Dropout zeroes units [1].",
                   ({"n": 1, "id": 17, "term": "Dropout"},), "definition")


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "nested" / "feedback.sqlite3")


def test_records_and_reads_back_whole_rows(store):
    pizza = Feedback("dislike", "pizza?", "The glossary doesn't cover that.", (), "abstain", "c0ffee", 3)
    taken_back = Feedback("withdrawn", "pizza?", "The glossary doesn't cover that.", (), "abstain", "c0ffee", 3)
    ids = [store.record(DROPOUT), store.record(pizza), store.record(taken_back)]
    rows = store.read_all()
    assert [row.id for row in rows] == ids == [1, 2, 3]
    assert [row.feedback for row in rows] == [DROPOUT, pizza, taken_back]
    assert all(isinstance(row, StoredFeedback) and row.created_at.endswith("+00:00") for row in rows)


@pytest.mark.parametrize("question", ["", "🧠 what is dropout? 🔥", "x" * 100_000, "<script>alert(1)</script>",
                                      "quote ' and \" and ; DROP TABLE feedback; --"],
                         ids=["empty", "emoji", "huge", "html", "sql"])
def test_any_text_is_stored_verbatim(store, question):
    store.record(Feedback("like", question, "answer"))
    assert store.read_all()[0].feedback.question == question


def test_uses_wal_and_the_file_survives_a_restart(store):
    store.record(DROPOUT)
    reopened = FeedbackStore(store.path)
    reopened.record(DROPOUT)
    assert [row.id for row in reopened.read_all()] == [1, 2]
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize("statement", ["UPDATE feedback SET rating = 'like'", "DELETE FROM feedback"])
def test_rows_cannot_be_changed_or_deleted(store, statement):
    store.record(DROPOUT)
    db = sqlite3.connect(store.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="feedback is append-only"):
            db.execute(statement)
    finally:
        db.close()
    assert [row.feedback for row in store.read_all()] == [DROPOUT]


def test_many_threads_write_at_once_without_losing_a_row(store):
    threads, per_thread = 16, 40

    def write(worker: int) -> list[int]:
        return [store.record(Feedback("like" if i % 2 else "dislike", f"q{worker}-{i}", "a"))
                for i in range(per_thread)]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        ids = [row_id for batch in pool.map(write, range(threads)) for row_id in batch]
    rows = store.read_all()
    assert len(rows) == len(set(ids)) == threads * per_thread
    assert {row.feedback.question for row in rows} == {f"q{w}-{i}" for w in range(threads) for i in range(per_thread)}


def test_a_second_store_on_the_same_file_writes_concurrently(store):
    other = FeedbackStore(store.path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: (store if i % 2 else other).record(DROPOUT), range(200)))
    assert len(store.read_all()) == 200


def test_rejects_an_unknown_rating():
    with pytest.raises(ValueError, match="feedback rating must be one of \\('like', 'dislike', 'withdrawn'\\), "
                                         "got 'meh'"):
        Feedback("meh", "q", "a")


def test_an_unwritable_location_names_the_file_and_the_fix(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(FeedbackError, match="not-a-folder/feedback.sqlite3: cannot create the feedback database.*"
                                            "GLOSSARY_RAG_FEEDBACK_PATH"):
        FeedbackStore(blocker / "feedback.sqlite3")


def test_path_comes_from_the_environment_or_defaults_under_the_project(tmp_path):
    assert feedback_path_from_env({}) == DEFAULT_FEEDBACK_PATH == PROJECT_ROOT / "feedback" / "feedback.sqlite3"
    assert feedback_path_from_env({"GLOSSARY_RAG_FEEDBACK_PATH": str(tmp_path / "f.db")}) == tmp_path / "f.db"
    assert feedback_path_from_env({"GLOSSARY_RAG_FEEDBACK_PATH": "  "}) == DEFAULT_FEEDBACK_PATH


def test_the_default_location_is_ignored_by_git():
    ignored = (PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "/feedback/" in ignored and "*.sqlite3" in ignored
