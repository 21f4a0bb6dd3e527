"""Compose a short answer from retrieved entries only: deterministic, no language model, every sentence cited.

A citation `[n]` always points at an entry that search returned; the answer never mentions an entry it
cannot cite. Near-duplicate entries (`same_as`) are folded into one mention instead of repeated.

Shapes: definition, reverse lookup, comparison, "did you mean A or B?", abstention, and a prompt for
empty input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glossary_rag.glossary import Entry, Glossary
from glossary_rag.passages import split_sentences
from glossary_rag.search import Hit, SearchResult


@dataclass(frozen=True)
class Citation:
    n: int
    id: int
    term: str


@dataclass(frozen=True)
class Answer:
    """What the person sees: Markdown text with `[n]` citations, the citations, and the ranked hits."""

    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    kind: str  # definition | reverse | compare | did_you_mean | abstain | empty
    confidence: str = "low"
    suggestions: tuple[str, ...] = ()  # follow-up questions the UI can offer as buttons
    notice: str = ""  # e.g. that the input was cut

    def to_json(self) -> dict:
        """The JSON contract shared by the CLI (`ask --json`) and the web API (`/ask`)."""
        return {
            "answer": self.text,
            "citations": [{"n": c.n, "id": c.id, "term": c.term} for c in self.citations],
            "hits": [{"id": h.id, "term": h.term, "score": h.score} for h in self.hits],
            "abstained": self.abstained,
        }


EMPTY_PROMPT = ("Ask me about a deep-learning term — for example “what is dropout?”, “what's the term for "
                "a model that memorizes its training data?” or “precision vs recall”.")


@dataclass
class _Citer:
    """Numbers entries in the order they are first cited."""

    hits: tuple[Hit, ...]
    numbers: dict[int, int] = field(default_factory=dict)

    def cite(self, entry_id: int) -> str:
        if entry_id not in {h.id for h in self.hits}:
            raise ValueError(f"entry {entry_id} was not retrieved and cannot be cited")
        self.numbers.setdefault(entry_id, len(self.numbers) + 1)
        return f"[{self.numbers[entry_id]}]"

    def citations(self, glossary: Glossary) -> tuple[Citation, ...]:
        return tuple(Citation(n, entry_id, glossary.by_id[entry_id].term)
                     for entry_id, n in sorted(self.numbers.items(), key=lambda item: item[1]))


def compose_answer(result: SearchResult, glossary: Glossary, ambiguity_margin: float = 0.03) -> Answer:
    """Turn a search result into a cited answer.

    >>> # compose_answer(retriever.search("what is dropout?"), glossary).text
    >>> # '**Dropout** [1]: Dropout is a regularization technique ... [1] ...'
    """
    query, hits = result.query, result.hits
    notice = (f"Your message was long, so only its first {len(query.text)} characters were used."
              if query.truncated else "")
    if query.intent == "empty" or not hits:
        return Answer(EMPTY_PROMPT, (), hits, True, "empty", "low", notice=notice)
    citer = _Citer(hits)
    if result.abstained:
        return _finish(_abstention(citer, hits, glossary), "abstain", result, citer, glossary, notice)
    if query.intent == "compare" and len(result.sides) >= 2:
        text = _comparison(citer, result.sides[0], result.sides[1], glossary)
        return _finish(text, "compare", result, citer, glossary, notice)
    top, second = hits[0], hits[1] if len(hits) > 1 else None
    if (second is not None and query.intent in ("define", "question", "reverse")
            and top.score - second.score < ambiguity_margin and top.name < 0.85
            and second.id not in glossary.by_id[top.id].same_as):
        text = _did_you_mean(citer, top, second, glossary)
        suggestions = (f"What is {top.term}?", f"What is {second.term}?")
        return _finish(text, "did_you_mean", result, citer, glossary, notice, suggestions)
    if query.intent == "reverse":
        return _finish(_reverse(citer, hits, glossary), "reverse", result, citer, glossary, notice)
    return _finish(_definition(citer, top, hits, glossary), "definition", result, citer, glossary, notice)


def _finish(text: str, kind: str, result: SearchResult, citer: _Citer, glossary: Glossary, notice: str,
            suggestions: tuple[str, ...] = ()) -> Answer:
    if not suggestions and kind in ("definition", "reverse"):
        top = glossary.by_id[result.hits[0].id]
        suggestions = tuple(f"What is {glossary.by_id[r].term}?" for r in top.related[:3])
    if notice:
        text = f"_{notice}_\n\n{text}"
    return Answer(text, citer.citations(glossary), result.hits, result.abstained, kind, result.confidence,
                  suggestions, notice)


def _cited_sentences(citer: _Citer, entry: Entry, limit: int | None = None) -> str:
    sentences = split_sentences(entry.definition)[:limit]
    mark = citer.cite(entry.id)
    # The mark goes before the full stop ("... features [1].") so it stays inside its sentence.
    return " ".join(f"{s.rstrip().rstrip('.!?')} {mark}{s.rstrip()[-1] if s.rstrip()[-1] in '!?' else '.'}"
                    for s in sentences)


def _same_as_note(citer: _Citer, entry: Entry, hits: tuple[Hit, ...], glossary: Glossary) -> str:
    # The article lists some concepts twice; say so once instead of repeating the definition.
    twins = [h for h in hits if h.id in entry.same_as]
    if not twins:
        return ""
    names = _join([f"**{glossary.by_id[h.id].term}** {citer.cite(h.id)}" for h in twins])
    return f" The glossary also covers this under {names}."


def _definition(citer: _Citer, top: Hit, hits: tuple[Hit, ...], glossary: Glossary) -> str:
    entry = glossary.by_id[top.id]
    text = f"**{entry.term}** — {_cited_sentences(citer, entry)}"
    text += _same_as_note(citer, entry, hits, glossary)
    related = [glossary.by_id[r].term for r in entry.related if r not in entry.same_as][:4]
    if related:
        text += f"\n\nRelated: {_join(related)} {citer.cite(entry.id)}."
    return text


def _reverse(citer: _Citer, hits: tuple[Hit, ...], glossary: Glossary) -> str:
    entry = glossary.by_id[hits[0].id]
    text = (f"The term you're looking for is probably **{entry.term}** {citer.cite(entry.id)}. "
            f"{_cited_sentences(citer, entry, limit=2)}")
    text += _same_as_note(citer, entry, hits, glossary)
    others = [h for h in hits[1:] if h.id not in entry.same_as][:2]
    if others:
        text += "\n\nOther candidates: " + _join([f"**{h.term}** {citer.cite(h.id)}" for h in others]) + "."
    return text


def _comparison(citer: _Citer, left: Hit, right: Hit, glossary: Glossary) -> str:
    a, b = glossary.by_id[left.id], glossary.by_id[right.id]
    text = (f"**{a.term}** vs **{b.term}**\n\n"
            f"- **{a.term}**: {_cited_sentences(citer, a, limit=2)}\n"
            f"- **{b.term}**: {_cited_sentences(citer, b, limit=2)}\n\n")
    if b.id in a.same_as:
        text += (f"The glossary treats them as the same idea under two names {citer.cite(a.id)} "
                 f"{citer.cite(b.id)}.")
    elif b.id in a.opposite or a.id in b.opposite:
        text += f"The glossary lists them as opposites {citer.cite(a.id)} {citer.cite(b.id)}."
    elif b.id in a.related or a.id in b.related:
        text += f"The glossary lists them as related but distinct {citer.cite(a.id)} {citer.cite(b.id)}."
    else:
        text += f"They are separate ideas with different topics: {a.topic} {citer.cite(a.id)} and {b.topic} {citer.cite(b.id)}."
    return text


def _did_you_mean(citer: _Citer, top: Hit, second: Hit, glossary: Glossary) -> str:
    a, b = glossary.by_id[top.id], glossary.by_id[second.id]
    return (f"Did you mean **{a.term}** {citer.cite(a.id)} or **{b.term}** {citer.cite(b.id)}?\n\n"
            f"- **{a.term}**: {_cited_sentences(citer, a, limit=1)}\n"
            f"- **{b.term}**: {_cited_sentences(citer, b, limit=1)}")


def _abstention(citer: _Citer, hits: tuple[Hit, ...], glossary: Glossary) -> str:
    closest = _join([f"**{h.term}** {citer.cite(h.id)}" for h in hits[:3]])
    return (f"The glossary doesn't cover that, so I won't guess; the closest entries, with low confidence, "
            f"are {closest}.")


def _join(items: list[str]) -> str:
    """English list: "a", "a and b", "a, b and c"."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- Follow-up answers ---------------------------------------------------------------------------------------
# Chat follow-ups ("tell me more", "what's the opposite?") are about an entry the conversation already cited,
# so they are answered straight from that entry without a search: `hits` is empty and every citation points
# at an entry the answer quotes. glossary_rag/conversation.py decides when to use them.

NO_SUBJECT_PROMPT = ("I'm not sure which term you mean yet. Ask about one first — for example “what is "
                     "overfitting?” — then “tell me more”, “what's the opposite?” or “compare it with dropout”.")


def compose_entry_details(entry: Entry, glossary: Glossary) -> Answer:
    """"Tell me more": the entry's full definition, its plain-language descriptions and its links, cited.

    >>> from glossary_rag.glossary import load_glossary
    >>> from glossary_rag.settings import PROJECT_ROOT
    >>> g = load_glossary(PROJECT_ROOT / "glossary")
    >>> more = compose_entry_details(g.by_id[14], g)
    >>> more.kind, more.citations, more.text.startswith("**Overfitting** — Overfitting ")
    ('more', (Citation(n=1, id=14, term='Overfitting'),), True)
    """
    citer = _Citer((Hit(entry.id, entry.term, 0.0),))
    mark = citer.cite(entry.id)
    parts = [f"**{entry.term}** — {_cited_sentences(citer, entry)}"]
    if entry.descriptions:
        parts.append(f"In plain words {mark}:\n" + "\n".join(f"- {d}" for d in entry.descriptions))
    links = [("Also called", list(entry.aliases)),
             ("Related", [glossary.by_id[r].term for r in entry.related]),
             ("Opposite", [glossary.by_id[o].term for o in entry.opposite]),
             ("Same idea as", [glossary.by_id[s].term for s in entry.same_as])]
    lines = [f"{label}: {_join(names)} {mark}." for label, names in links if names]
    if lines:
        parts.append("\n".join(f"- {line}" for line in lines))
    suggestions = ((f"What's the opposite of {entry.term}?",) if entry.opposite else ()) + tuple(
        f"What is {glossary.by_id[r].term}?" for r in entry.related[:2])
    return Answer("\n\n".join(parts), citer.citations(glossary), (), False, "more", "high", suggestions)


def compose_opposite(entry: Entry, glossary: Glossary) -> Answer:
    """"What's the opposite?": the entry's `opposite` links with their definitions, or a plain "none listed".

    >>> from glossary_rag.glossary import load_glossary
    >>> from glossary_rag.settings import PROJECT_ROOT
    >>> g = load_glossary(PROJECT_ROOT / "glossary")
    >>> compose_opposite(g.by_id[14], g).text.splitlines()[0]
    'The opposite of **Overfitting** [1] is **Underfitting** [2].'
    >>> compose_opposite(g.by_id[17], g).text.splitlines()[0]
    'The glossary lists no opposite for **Dropout** [1].'
    """
    opposites = [glossary.by_id[o] for o in entry.opposite]
    citer = _Citer(tuple(Hit(e.id, e.term, 0.0) for e in (entry, *opposites)))
    subject = f"**{entry.term}** {citer.cite(entry.id)}"
    if not opposites:
        text = f"The glossary lists no opposite for {subject}."
        related = [glossary.by_id[r].term for r in entry.related[:4]]
        if related:
            text += f"\n\nIt links to {_join(related)} instead {citer.cite(entry.id)}."
        suggestions = tuple(f"{entry.term} vs {glossary.by_id[r].term}" for r in entry.related[:2])
        return Answer(text, citer.citations(glossary), (), False, "opposite", "high", suggestions)
    names = _join([f"**{o.term}** {citer.cite(o.id)}" for o in opposites])
    text = f"The opposite of {subject} is {names}."
    text += "\n\n" + "\n".join(f"- **{o.term}**: {_cited_sentences(citer, o, limit=2)}" for o in opposites)
    suggestions = tuple(f"What is {o.term}?" for o in opposites[:2]) + (f"{entry.term} vs {opposites[0].term}",)
    return Answer(text, citer.citations(glossary), (), False, "opposite", "high", suggestions)


def compose_no_subject() -> Answer:
    """A follow-up ("tell me more") before the conversation has cited any entry."""
    return Answer(NO_SUBJECT_PROMPT, (), (), True, "empty", "low")
