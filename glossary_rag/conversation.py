"""Chat follow-ups: "tell me more", "what's the opposite?", "compare it with dropout".

A follow-up is about the entry the conversation last cited (its *focus*). `resolve_follow_up` is pure: given
the message, the focus and the glossary it either turns the message into a parsed query the engine can
answer on its own ("compare it with dropout" -> the comparison of Overfitting with "dropout", built from its
two sides, never re-read as text), or answers it directly from the entry ("tell me more" shows the whole
entry). Anything that is not a follow-up passes through unchanged (no query: ask the message itself).

>>> from glossary_rag.glossary import load_glossary
>>> from glossary_rag.settings import PROJECT_ROOT
>>> g = load_glossary(PROJECT_ROOT / "glossary")
>>> resolve_follow_up("compare it with dropout", 14, g).query.parts
('Overfitting', 'dropout')
>>> resolve_follow_up("what's the opposite?", 14, g).answer.citations[1].term
'Underfitting'
>>> resolve_follow_up("what is dropout?", 14, g).kind
'new'
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from glossary_rag.answer import Answer
from glossary_rag.followups import compose_entry_details, compose_no_subject, compose_opposite
from glossary_rag.feedback import Rating
from glossary_rag.glossary import Entry, Glossary
from glossary_rag.query import Query, comparison_query

FollowUpKind = Literal["new", "more", "opposite", "compare"]

_IT = r"(?:it|this|that|this one|that one|this term|that term|this concept|that concept)"
_POLITE = re.compile(r"^(?:(?:ok(?:ay)?|and|so|now|then|great|thanks|please|hmm|cool|nice)[,!.]?\s+)+", re.I)
_TAIL = re.compile(r"[\s?!.,;:]+$")

_MORE = re.compile(rf"^(?:can you |could you |please )?(?:tell me more|more|more info(?:rmation)?|more details?|"
                   rf"details|go on|continue|keep going|elaborate|expand|explain more|say more|"
                   rf"explain (?:it|that|this) (?:more|further|in more detail)|what else)"
                   rf"(?: (?:about|on) (?P<subject>.+?))?(?: please)?$", re.I)
_OPPOSITE = re.compile(r"\b(?:opposite|antonym|contrary|inverse)s?\b", re.I)
_OPPOSITE_SUBJECT = re.compile(r"\b(?:opposite|antonym|contrary|inverse)s? (?:of|to|for) (?P<subject>.+)$", re.I)
# Words a bare "what's the opposite?" may contain besides the keyword; anything else names a subject.
_OPPOSITE_FILLER = {"what", "whats", "what's", "is", "are", "the", "its", "it's", "it", "of", "to", "for", "that",
                    "this", "there", "an", "a", "and", "so", "then", "one", "term", "concept", "s", "which",
                    "opposite", "opposites", "antonym", "antonyms", "contrary", "inverse", "about", "how"}
_COMPARE = [
    re.compile(rf"^(?:can you |please )?(?:compare|contrast) (?:{_IT} )?(?:with|to|and|against|vs\.?|versus) "
               rf"(?P<other>.+)$", re.I),
    re.compile(rf"^(?:can you |please )?(?:compare|contrast) (?P<other>.+?) (?:with|to|and|against) {_IT}$", re.I),
    re.compile(rf"^how (?:is|does|do) {_IT} (?:differ|different|compare|relate|contrast)(?: from| to| with)? "
               rf"(?P<other>.+)$", re.I),
    re.compile(rf"^(?:what(?:'s| is) the )?difference between {_IT} and (?P<other>.+)$", re.I),
    re.compile(rf"^(?:what(?:'s| is) the )?difference between (?P<other>.+?) and {_IT}$", re.I),
    re.compile(rf"^(?:{_IT} |and |what about |how about )?(?:vs\.?|versus|compared (?:to|with)) (?P<other>.+)$",
               re.I),
    re.compile(rf"^(?:how (?:is|does) )?(?P<other>.+?) (?:vs\.?|versus|compared (?:to|with)) {_IT}$", re.I),
]


@dataclass(frozen=True)
class FollowUp:
    """What to do with one chat message: show `answer` as it is, or ask the engine `query` (a follow-up
    rewritten against the focus), or, with neither, ask the message as typed."""

    answer: Answer | None = None
    query: Query | None = None
    kind: FollowUpKind = "new"


def resolve_follow_up(message: str, focus: int | None, glossary: Glossary, max_chars: int = 1000) -> FollowUp:
    """Rewrite or answer `message` against `focus`, the id of the entry the conversation last cited
    (`max_chars`: Settings.max_query_chars, for a rewritten query)."""
    text = _normalize(message)
    subject = glossary.by_id.get(focus) if focus is not None else None

    more = _MORE.match(text)
    if more:
        named = _entry_named(more.group("subject"), glossary)
        if more.group("subject") and not named and not re.fullmatch(_IT, more.group("subject"), re.IGNORECASE):
            return FollowUp()  # "tell me more about pizza": an ordinary question
        target = named or subject
        answer = compose_entry_details(target, glossary) if target else compose_no_subject()
        return FollowUp(answer, kind="more")

    if _OPPOSITE.search(text):
        named_subject = _OPPOSITE_SUBJECT.search(text)
        words = set(re.findall(r"[\w']+", text.lower()))
        if words <= _OPPOSITE_FILLER:
            return FollowUp(compose_opposite(subject, glossary) if subject else compose_no_subject(),
                            kind="opposite")
        named = _entry_named(named_subject.group("subject"), glossary) if named_subject else None
        if named:
            return FollowUp(compose_opposite(named, glossary), kind="opposite")
        return FollowUp()

    for pattern in _COMPARE:
        match = pattern.match(text)
        if match:
            other = match.group("other").strip()
            if subject is None:
                return FollowUp(compose_no_subject(), kind="compare")
            return FollowUp(query=comparison_query(subject.term, other, max_chars), kind="compare")
    return FollowUp()


@dataclass(frozen=True)
class Turn:
    """One exchange: what the person typed, what was asked if it was rewritten, the answer and its rating."""

    message: str
    answer: Answer
    rewritten: str = ""
    rating: Rating | Literal[""] = ""  # "" none yet, or taken back ("withdrawn" is a feedback event, not a state)


@dataclass(frozen=True)
class Conversation:
    """A chat so far: its turns and the entry follow-ups refer to. Immutable; changes return a new one.

    `id` tells one conversation's feedback from another's; the app sets it on the first message.
    """

    turns: tuple[Turn, ...] = ()
    focus: int | None = None
    id: str = ""

    def add(self, message: str, answer: Answer, rewritten: str = "") -> "Conversation":
        return dataclasses.replace(self, turns=(*self.turns, Turn(message, answer, rewritten)),
                                   focus=next_focus(answer, self.focus))

    def rate(self, turn_number: int, rating: Rating | Literal[""]) -> "Conversation":
        """The conversation with turn `turn_number` rated `rating` ("" takes a rating back)."""
        if not 0 <= turn_number < len(self.turns):
            raise IndexError(f"turn {turn_number} does not exist; the conversation has {len(self.turns)} turns")
        turns = list(self.turns)
        turns[turn_number] = dataclasses.replace(turns[turn_number], rating=rating)
        return dataclasses.replace(self, turns=tuple(turns))


def next_focus(answer: Answer, previous: int | None) -> int | None:
    """The entry later follow-ups refer to, after `answer` was shown.

    Answers that settle on a subject move the focus to it (for "what's the opposite?", to the opposite, so
    "tell me more" next goes on from there). Abstentions, "did you mean A or B?" and prompts do not settle on
    anything, so the focus stays where it was.
    """
    if not answer.citations or answer.kind in ("abstain", "did_you_mean", "empty"):
        return previous
    if answer.kind == "opposite":
        return answer.citations[-1].id
    return answer.citations[0].id


def _normalize(message: str) -> str:
    text = unicodedata.normalize("NFKC", message or "").replace("\u2019", "'")
    text = " ".join(text.split())
    text = _TAIL.sub("", text)
    return _POLITE.sub("", text).strip()


def _entry_named(text: str | None, glossary: Glossary) -> Entry | None:
    """The entry whose term or alias is exactly `text` (case and a leading article ignored)."""
    if not text:
        return None
    wanted = re.sub(r"^(?:a|an|the) ", "", _TAIL.sub("", text.strip().lower()))
    for entry in glossary.entries:
        if any(name.lower() == wanted for name in entry.names):
            return entry
    return None
