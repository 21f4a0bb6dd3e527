"""Answers to chat follow-ups ("tell me more", "what's the opposite?"), straight from an entry, no search.

A follow-up is about an entry the conversation already cited, so `hits` is empty and every citation points
at an entry the answer quotes. glossary_rag/conversation.py decides when to use them.
"""

from __future__ import annotations

from glossary_rag.answer import Answer, Citer, cite_definition, join_items
from glossary_rag.glossary import Entry, Glossary
from glossary_rag.search import Hit

NO_SUBJECT_PROMPT = ("I'm not sure which term you mean yet. Ask about one first — for example “what is "
                     "overfitting?” — then “tell me more”, “what's the opposite?” or “compare it with "
                     "dropout”.")


def compose_entry_details(entry: Entry, glossary: Glossary) -> Answer:
    """"Tell me more": the entry's full definition, its plain-language descriptions and its links, cited.

    >>> from glossary_rag.glossary import load_glossary
    >>> from glossary_rag.settings import PROJECT_ROOT
    >>> g = load_glossary(PROJECT_ROOT / "glossary")
    >>> more = compose_entry_details(g.by_id[14], g)
    >>> more.kind, more.citations, more.text.startswith("**Overfitting** — Overfitting ")
    ('more', (Citation(n=1, id=14, term='Overfitting'),), True)
    """
    citer = Citer((Hit(entry.id, entry.term, 0.0),))
    mark = citer.cite(entry.id)
    parts = [f"**{entry.term}** — {cite_definition(citer, entry)}"]
    if entry.descriptions:
        parts.append(f"In plain words {mark}:\n" + "\n".join(f"- {d}" for d in entry.descriptions))
    confused = [glossary.by_id[next(i for i in c.between if i != entry.id)].term
                for c in glossary.contrasts if entry.id in c.between]
    links = [("Also called", list(entry.aliases)),
             ("Kinds", list(entry.examples)),
             ("Related", [glossary.by_id[r].term for r in entry.related]),
             ("Opposite", [glossary.by_id[o].term for o in entry.opposite]),
             ("Same idea as", [glossary.by_id[s].term for s in entry.same_as]),
             ("Often confused with", confused)]
    lines = [f"{label}: {join_items(names)} {mark}." for label, names in links if names]
    if lines:
        parts.append("\n".join(f"- {line}" for line in lines))
    suggestions = ((f"What's the opposite of {entry.term}?",) if entry.opposite else ()) + tuple(
        f"{entry.term} vs {name}" for name in confused[:1]) + tuple(
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
    citer = Citer(tuple(Hit(e.id, e.term, 0.0) for e in (entry, *opposites)))
    subject = f"**{entry.term}** {citer.cite(entry.id)}"
    if not opposites:
        text = f"The glossary lists no opposite for {subject}."
        related = [glossary.by_id[r].term for r in entry.related[:4]]
        if related:
            text += f"\n\nIt links to {join_items(related)} instead {citer.cite(entry.id)}."
        suggestions = tuple(f"{entry.term} vs {glossary.by_id[r].term}" for r in entry.related[:2])
        return Answer(text, citer.citations(glossary), (), False, "opposite", "high", suggestions)
    names = join_items([f"**{o.term}** {citer.cite(o.id)}" for o in opposites])
    text = f"The opposite of {subject} is {names}."
    text += "\n\n" + "\n".join(f"- **{o.term}**: {cite_definition(citer, o, limit=2)}" for o in opposites)
    suggestions = tuple(f"What is {o.term}?" for o in opposites[:2]) + (f"{entry.term} vs {opposites[0].term}",)
    return Answer(text, citer.citations(glossary), (), False, "opposite", "high", suggestions)


def compose_no_subject() -> Answer:
    """A follow-up ("tell me more") before the conversation has cited any entry."""
    return Answer(NO_SUBJECT_PROMPT, (), (), True, "empty", "low")
