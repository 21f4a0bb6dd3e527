"""How answers and entries look on the page: Markdown strings and chat messages, escaped, with no Gradio in them.

Glossary text is HTML-escaped; what a person typed is escaped for Markdown too, so it shows exactly as typed
and never renders as a tag, an image or a link. Each citation becomes a collapsed message under its answer,
titled like "[1] Overfitting" (Gradio's message `metadata`), so a click reveals the cited entry. Scores stay
numbers in the API; the page shows confidence in words and each entry's match as a bar.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from glossary_rag.answer import Answer
from glossary_rag.conversation import Conversation
from glossary_rag.glossary import Entry, Glossary

# Markdown's special characters (and LaTeX's $); a backslash before each makes Markdown print it as is.
_MARKDOWN_PUNCTUATION = re.compile(r"[\\`*_{}\[\]()#+\-.!|~>$]")

# What each confidence level means to a reader, and its three-step bar.
CONFIDENCE_WORDS = {
    "high": ("High", "▰▰▰", "the question names this entry or describes it closely."),
    "medium": ("Medium", "▰▰▱", "a likely match; open the source to check."),
    "low": ("Low", "▰▱▱", "no entry fits the question well."),
}
BAR_CELLS = 10


def escape(text: str) -> str:
    """Glossary text for Markdown/HTML: tags show as text instead of rendering.

    >>> escape("p < 0.5 & <b>")
    'p &lt; 0.5 &amp; &lt;b&gt;'
    """
    return html.escape(text or "", quote=False)


def escape_typed(text: str) -> str:
    r"""What a person typed, shown exactly as typed: no HTML, and no Markdown either (no images or links).

    >>> print(escape_typed("<img src=x> **hi** ![t](http://x)"))
    &lt;img src=x&gt; \*\*hi\*\* \!\[t\]\(http://x\)
    """
    return _MARKDOWN_PUNCTUATION.sub(r"\\\g<0>", escape(text))


def match_bar(score: float, best: float) -> str:
    """A hit's fused score as a share of the best hit's, drawn as a bar a person reads at a glance.

    >>> match_bar(1.0, 1.0), match_bar(0.26, 1.0), match_bar(-0.2, 1.0)
    ('▰▰▰▰▰▰▰▰▰▰ 100%', '▰▰▰▱▱▱▱▱▱▱ 26%', '▱▱▱▱▱▱▱▱▱▱ 0%')
    """
    share = min(max(score / best, 0.0), 1.0) if best > 0 else 0.0
    cells = round(share * BAR_CELLS)
    return f"{'▰' * cells}{'▱' * (BAR_CELLS - cells)} {round(share * 100)}%"


def format_confidence(confidence: str) -> str:
    """ "**Confidence: High** ▰▰▰ — the question names this entry ..." """
    word, bar, meaning = CONFIDENCE_WORDS.get(confidence, CONFIDENCE_WORDS["low"])
    return f"**Confidence: {word}** {bar} — {meaning}"


def format_source(entry: Entry, glossary: Glossary) -> str:
    """One cited entry, the body of its collapsed message: topic, definition, aliases, related, opposite."""
    rows = [f"*{escape(entry.topic)}* · entry {entry.id}", escape(entry.definition)]
    for label, names in (("Also called", entry.aliases),
                         ("Related", [glossary.by_id[r].term for r in entry.related]),
                         ("Opposite", [glossary.by_id[o].term for o in entry.opposite])):
        if names:
            rows.append(f"*{label}:* {escape(', '.join(names))}")
    return "\n\n".join(rows)


def format_answer(answer: Answer, glossary: Glossary, rewritten: str = "") -> str:
    """The assistant's answer text (Markdown with [n] marks); the sources follow as their own messages."""
    text = escape(answer.text)
    if rewritten:
        text = f"_Read as: “{escape_typed(rewritten)}”_\n\n{text}"
    return text


def format_hits(answer: Answer | None, glossary: Glossary) -> str:
    """The "Nearest terms" panel: confidence in words, a plain abstention notice, and each entry's match."""
    if answer is None:
        return "_Ask a question to see the nearest glossary terms and how well each matches._"
    if answer.kind == "empty":
        return "_No search was run: ask about a term first._"
    if not answer.hits:
        subject = glossary.by_id[answer.citations[0].id].term if answer.citations else "the entry"
        return (f"{format_confidence(answer.confidence)}\n\nAnswered straight from the glossary entry "
                f"**{escape(subject)}**; no search was needed for this follow-up.")
    lines = [format_confidence(answer.confidence), ""]
    if answer.abstained:
        lines += ["**The glossary doesn't cover this question.** These are only the closest entries, "
                  "with low confidence — not an answer.", ""]
    elif answer.outcome == "tentative":
        lines += ["**A tentative answer:** no entry matches the question closely, so the answer gives the "
                  "closest one and says it may not be what you asked.", ""]
    elif answer.kind == "did_you_mean":
        lines += ["The top two entries are too close to call, so the answer asks which one you meant.", ""]
    best = answer.hits[0].score
    lines += ["| # | Term | Match |", "|---:|---|---|"]
    lines += [f"| {rank} | {escape(hit.term)} | {match_bar(hit.score, best)} |"
              for rank, hit in enumerate(answer.hits, 1)]
    lines += ["", "_Bars compare each entry with the best match; `/search` and `/ask` return the scores._"]
    return "\n".join(lines)


@dataclass(frozen=True)
class Messages:
    """The chat in Gradio's messages format, and for each message the turn it belongs to (the like
    event names a message by its position, and a turn now spans an answer plus one message per source)."""

    messages: tuple[dict, ...]
    turns: tuple[int, ...]


def format_messages(conversation: Conversation, glossary: Glossary) -> Messages:
    """Each turn: the question, the answer, then one collapsed message per cited entry; the last turn's
    last message carries its suggestions as buttons."""
    messages: list[dict] = []
    turns: list[int] = []
    for number, turn in enumerate(conversation.turns):
        reply = [{"role": "user", "content": escape_typed(turn.message)},
                 {"role": "assistant", "content": format_answer(turn.answer, glossary, turn.rewritten)}]
        for citation in turn.answer.citations:
            entry = glossary.by_id[citation.id]
            # status "done": Gradio draws the message collapsed, its title the only thing shown.
            reply.append({"role": "assistant", "content": format_source(entry, glossary),
                          "metadata": {"title": f"[{citation.n}] {escape(entry.term)}", "status": "done"}})
        if number == len(conversation.turns) - 1 and turn.answer.suggestions:
            reply[-1]["options"] = [{"value": s} for s in turn.answer.suggestions]
        messages += reply
        turns += [number] * len(reply)
    return Messages(tuple(messages), tuple(turns))


def format_entry(entry: Entry | None, glossary: Glossary) -> str:
    """The Browse tab's entry card (Markdown); related entries are clickable below it."""
    if entry is None:
        return "_Pick an entry on the left to read it._"
    lines = [f"### {escape(entry.term)}", f"*{escape(entry.topic)}* · entry {entry.id}", "",
             escape(entry.definition), ""]
    for label, names in (("Also called", entry.aliases),
                         ("Opposite", [glossary.by_id[o].term for o in entry.opposite]),
                         ("Same idea as", [glossary.by_id[s].term for s in entry.same_as])):
        if names:
            lines.append(f"**{label}:** {escape(', '.join(names))}  ")
    return "\n".join(lines)
