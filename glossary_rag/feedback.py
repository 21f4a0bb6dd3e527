"""Store the likes and dislikes people give answers: an append-only SQLite file, safe under concurrent writes.

Each row keeps what was asked, what was answered and which entries were cited, so a disliked answer can be
reproduced later. The file is for the people who maintain the glossary, never for the browser: the app
writes to it and nothing the app serves reads it.

Concurrency: every write opens its own connection (sqlite3 connections must not be shared across threads)
in WAL mode with a busy timeout, so many request threads can record feedback at once without "database is
locked" errors. Triggers reject UPDATE and DELETE, so history cannot be rewritten by accident.

Usage: `FeedbackStore(path).record(Feedback("like", question, answer_text, citations, kind))`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, get_args
from datetime import datetime, timezone
from pathlib import Path

from glossary_rag.answer import AnswerKind
from glossary_rag.settings import PROJECT_ROOT

DEFAULT_FEEDBACK_PATH = PROJECT_ROOT / "feedback" / "feedback.sqlite3"
FEEDBACK_PATH_ENV = "GLOSSARY_RAG_FEEDBACK_PATH"
# "withdrawn": the person clicked their like (or dislike) again to take it back.
Rating = Literal["like", "dislike", "withdrawn"]
RATINGS: tuple[Rating, ...] = get_args(Rating)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating       TEXT NOT NULL CHECK (rating IN ('like', 'dislike', 'withdrawn')),
    question     TEXT NOT NULL,
    answer       TEXT NOT NULL,
    citations    TEXT NOT NULL,
    kind         TEXT NOT NULL DEFAULT '',
    conversation TEXT NOT NULL DEFAULT '',
    turn         INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER IF NOT EXISTS feedback_no_update BEFORE UPDATE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TRIGGER IF NOT EXISTS feedback_no_delete BEFORE DELETE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
"""


class FeedbackError(RuntimeError):
    """The feedback file cannot be created or written; the message names the file and what to check."""


@dataclass(frozen=True)
class Feedback:
    """One rating of one answer. `citations` are the answer's `{"n", "id", "term"}` dicts.

    Ratings can change (like, then take it back), so rows are events: the latest row for a
    (`conversation`, `turn`) pair is that answer's current rating.
    """

    rating: Rating
    question: str
    answer: str
    citations: tuple[dict, ...] = ()
    kind: AnswerKind | Literal[""] = ""
    conversation: str = ""
    turn: int = 0

    def __post_init__(self):
        """
        >>> Feedback("meh", "q", "a")
        Traceback (most recent call last):
        ValueError: feedback rating must be one of ('like', 'dislike', 'withdrawn'), got 'meh'
        """
        if self.rating not in RATINGS:
            raise ValueError(f"feedback rating must be one of {RATINGS}, got {self.rating!r}")


@dataclass(frozen=True)
class StoredFeedback:
    """A row as stored: the feedback plus its id and UTC timestamp."""

    id: int
    created_at: str
    feedback: Feedback


def feedback_path_from_env(environ: dict[str, str] | None = None) -> Path:
    """The feedback file: `GLOSSARY_RAG_FEEDBACK_PATH` if set, else feedback/feedback.sqlite3 in the project.

    >>> feedback_path_from_env({"GLOSSARY_RAG_FEEDBACK_PATH": "/data/fb.sqlite3"})
    PosixPath('/data/fb.sqlite3')
    """
    env = os.environ if environ is None else environ
    value = env.get(FEEDBACK_PATH_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_FEEDBACK_PATH


class FeedbackStore:
    """Append-only feedback in one SQLite file, created (with its folder) on first use."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connection() as db:
                # WAL lets readers and one writer proceed together; the setting is stored in the file.
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise FeedbackError(f"{self.path}: cannot create the feedback database ({err}). Check that the "
                                f"folder is writable or set {FEEDBACK_PATH_ENV} to another file.") from err

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # A fresh connection per call: safe from any thread, and the busy timeout queues concurrent writers.
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    def record(self, feedback: Feedback) -> int:
        """Append one rating; returns its row id."""
        row = (datetime.now(timezone.utc).isoformat(timespec="milliseconds"), feedback.rating,
               feedback.question, feedback.answer, json.dumps(list(feedback.citations), ensure_ascii=False),
               feedback.kind, feedback.conversation, feedback.turn)
        try:
            with self._connection() as db, db:  # the inner `db` commits the insert or rolls it back
                cursor = db.execute("INSERT INTO feedback (created_at, rating, question, answer, citations, kind, "
                                    "conversation, turn) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            return int(cursor.lastrowid)
        except sqlite3.Error as err:
            raise FeedbackError(f"{self.path}: could not record feedback ({err}).") from err

    def read_all(self) -> list[StoredFeedback]:
        """Every stored rating, oldest first (for maintainers and tests; the app never serves this)."""
        with self._connection() as db:
            rows = db.execute("SELECT id, created_at, rating, question, answer, citations, kind, conversation, "
                              "turn FROM feedback ORDER BY id").fetchall()
        return [StoredFeedback(row_id, created_at, Feedback(rating, question, answer, tuple(json.loads(citations)),
                                                            kind, conversation, turn))
                for row_id, created_at, rating, question, answer, citations, kind, conversation, turn in rows]
