"""Compose a short answer from retrieved entries only: deterministic, no language model, every sentence cited.

A citation `[n]` always points at an entry that search returned; the answer never mentions an entry it
cannot cite, and never states a relation between entries that the glossary does not write down.
Near-duplicate entries (`same_as`) are folded into one mention instead of repeated.

Shapes: definition (the whole, short, definition), question and reverse lookup (the sentences closest to the
question), an example named ("sigmoid" is a kind of activation function), comparison (the glossary's
contrast note, then what each is), "did you mean A or B?", abstention, and a prompt for empty input.
Chat follow-ups ("tell me more") are in glossary_rag/followups.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from glossary_rag.glossary import Entry, Glossary
from glossary_rag.names import match_entry
from glossary_rag.passages import split_sentences
from glossary_rag.decision import Confidence, Outcome, outcome_of
from glossary_rag.citing import Citation, Citer, cite_definition, cite_sentences, join_items
from glossary_rag.search import Hit, SearchResult
from glossary_rag.settings import Settings

__all__ = ["Answer", "AnswerKind", "Citation", "Citer", "EMPTY_PROMPT", "NOT_COVERED", "cite_definition",
           "cite_sentences", "compose_answer", "join_items", "not_covered_side", "tentative_lead"]

AnswerKind = Literal["definition", "reverse", "example", "compare", "did_you_mean", "abstain", "empty",
                     "more", "opposite"]
# Thresholds (nearby entries, quoted sentences, listed kinds, a name that settles ambiguity) are in Settings.


@dataclass(frozen=True)
class Answer:
    """What the person sees: Markdown text with `[n]` citations, the citations, and the ranked hits."""

    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    kind: AnswerKind
    confidence: Confidence = "low"
    suggestions: tuple[str, ...] = ()  # follow-up questions the UI can offer as buttons
    notice: str = ""  # e.g. that the input was cut

    @property
    def outcome(self) -> Outcome:
        """answer / tentative (answered with low confidence, and the text says so) / declined (abstained)."""
        return outcome_of(self.abstained, self.confidence)

    def to_json(self) -> dict:
        """The JSON contract shared by the CLI (`ask --json`) and the web API (`/ask`)."""
        return {
            "answer": self.text,
            "citations": [{"n": c.n, "id": c.id, "term": c.term} for c in self.citations],
            "hits": [{"id": h.id, "term": h.term, "score": h.score} for h in self.hits],
            "abstained": self.abstained,
            "outcome": self.outcome,
            "confidence": self.confidence,
        }


def not_covered_side(part: str) -> str:
    """What a half-covered comparison says of the side the glossary lacks (no citation: nothing is claimed).

    >>> not_covered_side("a random forest")
    'The glossary has no entry for “a random forest”, so it cannot compare the two.'
    """
    return f"The glossary has no entry for “{part}”, so it cannot compare the two."


def tentative_lead(term: str, mark: str) -> str:
    """The first line of a tentative answer.

    >>> tentative_lead("Dropout", "[1]")
    'The closest entry is **Dropout** [1] — it may not be exactly what you asked.'
    """
    return f"The closest entry is **{term}** {mark} — it may not be exactly what you asked."


EMPTY_PROMPT = ("Ask me about a deep-learning term — for example “what is dropout?”, “what's the term for "
                "a model that memorizes its training data?” or “precision vs recall”.")
NOT_COVERED = ("The glossary doesn't cover that, so I won't guess: it explains deep-learning terms and has no "
               "entry for this.")


def compose_answer(result: SearchResult, glossary: Glossary, settings: Settings) -> Answer:
    """Turn a search result into a cited answer.

    >>> # compose_answer(retriever.search("what is dropout?"), glossary, settings).text
    >>> # '**Dropout** — Dropout is a regularization technique ... [1]. ...'
    """
    s = settings
    query, hits = result.query, result.hits
    notice = (f"Your message was long, so only its first {len(query.text)} characters were used."
              if query.truncated else "")
    if query.intent == "empty" or not hits:
        return Answer(EMPTY_PROMPT, (), hits, True, "empty", "low", notice=notice)
    citer = Citer(hits)
    if result.abstained:
        return _finish(_abstention(citer, hits, s.nearby_min_dense, result.members), "abstain", result, citer,
                       glossary, notice)
    if query.intent == "compare" and len(result.sides) >= 2:
        text = _comparison(citer, result.sides[0], result.sides[1], glossary)
        return _finish(text, "compare", result, citer, glossary, notice)
    if query.intent == "compare" and result.sides and result.uncovered:
        # Half covered ("LSTM vs a random forest"): answer the side the glossary has, say what it lacks.
        entry = glossary.by_id[result.sides[0].id]
        text = _definition(citer, entry, hits, glossary, None) + "\n\n" + not_covered_side(result.uncovered[0])
        return _finish(text, "definition", result, citer, glossary, notice)
    top, second = hits[0], hits[1] if len(hits) > 1 else None
    # The decision (glossary_rag/decision.py) says when the first two answers are about as likely.
    if second is not None and result.ambiguous and second.id not in glossary.by_id[top.id].same_as:
        text = _did_you_mean(citer, top, second, glossary)
        suggestions = (f"What is {top.term}?", f"What is {second.term}?")
        return _finish(text, "did_you_mean", result, citer, glossary, notice, suggestions)
    entry = glossary.by_id[top.id]
    scores = result.sentence_scores.get(top.id, ())
    if query.intent == "reverse":
        text = _reverse(citer, entry, _closest_sentences(entry, scores, s.sentence_margin), hits, glossary)
        return _finish(text, "reverse", result, citer, glossary, notice)
    named = _named_example(query.core or query.text, entry, hits, glossary, s) if query.intent == "define" else None
    if named:
        text = _example(citer, *named, hits, glossary, s.other_kinds)
        return _finish(text, "example", result, citer, glossary, notice)
    chosen = None if query.intent == "define" else _closest_sentences(entry, scores, s.sentence_margin)
    return _finish(_definition(citer, entry, hits, glossary, chosen), "definition", result, citer, glossary,
                   notice)


def _finish(text: str, kind: AnswerKind, result: SearchResult, citer: Citer, glossary: Glossary, notice: str,
            suggestions: tuple[str, ...] = ()) -> Answer:
    if result.outcome == "tentative" and kind in ("definition", "reverse", "example"):
        # Said in words, not only in the confidence bar: a learner must not take a near miss for the answer.
        top = result.hits[0]
        text = tentative_lead(top.term, citer.cite(top.id)) + "\n\n" + text
    if not suggestions and kind in ("definition", "reverse", "example"):
        top = glossary.by_id[result.hits[0].id]
        suggestions = tuple(f"What is {glossary.by_id[r].term}?" for r in top.related[:3])
    if notice:
        text = f"_{notice}_\n\n{text}"
    return Answer(text, citer.citations(glossary), result.hits, result.abstained, kind, result.confidence,
                  suggestions, notice)


def _closest_sentences(entry: Entry, scores: tuple[float | None, ...], margin: float) -> list[int]:
    """Positions of the definition sentences closest to the query: the best, and the next one when it is within
    `margin` (Settings.sentence_margin), in reading order. Without scores (a one-sentence definition, or none
    returned), [0].

    >>> e = Entry(id=1, term="T", definition="One. Two. Three.")
    >>> _closest_sentences(e, (0.2, 0.6, 0.59), 0.03), _closest_sentences(e, (0.2, None, 0.5), 0.03)
    ([1, 2], [2])
    >>> _closest_sentences(e, (), 0.03)
    [0]
    """
    if len(scores) != len(split_sentences(entry.definition)):
        return [0]  # built from another version of the definition: quote its plain first sentence
    known = sorted(((score, -i) for i, score in enumerate(scores) if score is not None), reverse=True)
    if not known:
        return [0]
    best = known[0][0]
    return sorted(-i for score, i in known[:2] if score >= best - margin)


def _quoted(citer: Citer, entry: Entry, chosen: list[int] | None) -> str:
    """The chosen sentences, then the plain first sentence when they leave it out; everything when None."""
    sentences = split_sentences(entry.definition)
    if chosen is None:
        return cite_definition(citer, entry)
    text = cite_sentences([sentences[i] for i in chosen], citer.cite(entry.id))
    if 0 not in chosen:
        text += f"\n\nWhat it is: {cite_sentences(sentences[:1], citer.cite(entry.id))}"
    return text


def _same_as_note(citer: Citer, entry: Entry, hits: tuple[Hit, ...], glossary: Glossary) -> str:
    # The article lists some concepts twice; say so once instead of repeating the definition.
    twins = [h for h in hits if h.id in entry.same_as]
    if not twins:
        return ""
    names = join_items([f"**{glossary.by_id[h.id].term}** {citer.cite(h.id)}" for h in twins])
    return f" The glossary also covers this under {names}."


def _related_line(citer: Citer, entry: Entry, glossary: Glossary) -> str:
    related = [glossary.by_id[r].term for r in entry.related if r not in entry.same_as][:4]
    return f"\n\nRelated: {join_items(related)} {citer.cite(entry.id)}." if related else ""


def _definition(citer: Citer, entry: Entry, hits: tuple[Hit, ...], glossary: Glossary,
                chosen: list[int] | None) -> str:
    text = f"**{entry.term}** — {_quoted(citer, entry, chosen)}"
    return text + _same_as_note(citer, entry, hits, glossary) + _related_line(citer, entry, glossary)


def _reverse(citer: Citer, entry: Entry, chosen: list[int], hits: tuple[Hit, ...], glossary: Glossary) -> str:
    text = (f"The term you're looking for is probably **{entry.term}** {citer.cite(entry.id)}. "
            f"{_quoted(citer, entry, chosen)}")
    text += _same_as_note(citer, entry, hits, glossary)
    others = [h for h in hits[1:] if h.id not in entry.same_as][:2]
    if others:
        text += "\n\nOther candidates: " + join_items([f"**{h.term}** {citer.cite(h.id)}" for h in others]) + "."
    return text


def _named_example(text: str, top: Entry, hits: tuple[Hit, ...], glossary: Glossary,
                   settings: Settings) -> tuple[Entry, str] | None:
    """The entry whose example `text` names, and that example: the top entry's, or, when `text` does not name the
    top entry at all, its near-duplicate's among the next hits (a bare "relu" may rank Nonlinear Activation
    Functions just above the Activation Function entry that lists it)."""
    found = match_entry(text, top, settings)
    if found is not None:
        return (top, found.name) if found.kind == "example" else None
    for hit in hits[1:3]:
        if hit.id in top.same_as:
            found = match_entry(text, glossary.by_id[hit.id], settings)
            if found is not None and found.kind == "example":
                return glossary.by_id[hit.id], found.name
    return None


def _example(citer: Citer, entry: Entry, example: str, hits: tuple[Hit, ...], glossary: Glossary,
             other_kinds: int) -> str:
    mark = citer.cite(entry.id)
    kind = f"{example[0].upper()}{example[1:]} is one kind of **{_kind_name(entry)}** {mark}"
    text = f"{kind}: {cite_definition(citer, entry)}"
    text += _same_as_note(citer, entry, hits, glossary)
    others = [e for e in entry.examples if e != example]
    if len(others) > other_kinds:
        text += f"\n\nOther kinds include {', '.join(others[:other_kinds])} {mark}."
    elif others:
        text += f"\n\nOther kinds: {join_items(others)} {mark}."
    return text + _related_line(citer, entry, glossary)


def _kind_name(entry: Entry) -> str:
    """The term as a common noun, singular when the entry has the singular as an alias.

    >>> _kind_name(Entry(id=1, term="Capsule Networks", aliases=("capsule network",), definition="x"))
    'capsule network'
    >>> _kind_name(Entry(id=2, term="Optimizer", definition="x")), _kind_name(Entry(id=3, term="BERT", definition="x"))
    ('optimizer', 'BERT')
    """
    name = entry.term
    singular = next((a for a in entry.aliases if name.endswith("s") and a.casefold() == name[:-1].casefold()), None)
    name = singular or name
    # Lower only Capitalised words: acronyms (BERT, ROC) and mixed case (t-SNE) keep their spelling.
    return re.sub(r"\b[A-Z][a-z]+\b", lambda m: m.group(0).lower(), name)


def _comparison(citer: Citer, left: Hit, right: Hit, glossary: Glossary) -> str:
    a, b = glossary.by_id[left.id], glossary.by_id[right.id]
    both = f"{citer.cite(a.id)} {citer.cite(b.id)}"
    contrast = glossary.contrast(a.id, b.id)
    if contrast is not None:
        lead = cite_sentences(split_sentences(contrast.note), both)
    elif b.id in a.same_as:
        lead = f"The glossary treats them as the same idea under two names {both}."
    elif b.id in a.opposite or a.id in b.opposite:
        lead = f"The glossary lists them as opposites {both}."
    else:
        lead = ""  # no note on how they differ: say what each is, and invent no relation
    what_each = (f"- **{a.term}**: {cite_definition(citer, a, limit=1)}\n"
                 f"- **{b.term}**: {cite_definition(citer, b, limit=1)}")
    return f"**{a.term}** vs **{b.term}**\n\n" + (f"{lead}\n\n" if lead else "") + what_each


def _did_you_mean(citer: Citer, top: Hit, second: Hit, glossary: Glossary) -> str:
    a, b = glossary.by_id[top.id], glossary.by_id[second.id]
    return (f"Did you mean **{a.term}** {citer.cite(a.id)} or **{b.term}** {citer.cite(b.id)}?\n\n"
            f"- **{a.term}**: {cite_definition(citer, a, limit=1)}\n"
            f"- **{b.term}**: {cite_definition(citer, b, limit=1)}")


def _abstention(citer: Citer, hits: tuple[Hit, ...], nearby_min_dense: float,
                members: tuple[tuple[int, str], ...] = ()) -> str:
    text = NOT_COVERED
    # "what is logistic regression?": no entry defines it, but one lists it among its kinds; say where.
    shown = {h.id: h for h in hits}
    mentioned = [(shown[i], name) for i, name in members if i in shown]
    for hit, name in mentioned[:2]:
        text += (f"\n\nIt has no entry for “{name}”, but **{hit.term}** {citer.cite(hit.id)} mentions it as an "
                 f"example.")
    # Entries that are merely the least far away are not help; only ones close in meaning are offered.
    said = {hit.id for hit, _ in mentioned[:2]}
    nearby = [h for h in hits if h.dense >= nearby_min_dense and h.id not in said][:3]
    if nearby:
        text += f"\n\nNearby entries that may help: {join_items([f'**{h.term}** {citer.cite(h.id)}' for h in nearby])}."
    return text
