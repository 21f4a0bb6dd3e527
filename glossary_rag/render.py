"""How answers and entries look on the page: Markdown and HTML strings, escaped, with no Gradio in them.

Glossary text is HTML-escaped; what a person typed is escaped for Markdown too, so it shows exactly as typed
and never renders as a tag, an image or a link. The chat's citations become expandable "Sources" blocks
under each answer, so a click reveals the cited entry.
"""

from __future__ import annotations

import html
import re

from glossary_rag.answer import Answer
from glossary_rag.conversation import Conversation
from glossary_rag.glossary import Entry, Glossary

# Markdown's special characters (and LaTeX's $); a backslash before each makes Markdown print it as is.
_MARKDOWN_PUNCTUATION = re.compile(r"[\\`*_{}\[\]()#+\-.!|~>$]")


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


def format_source(n: int, entry: Entry, glossary: Glossary) -> str:
    """One citation as an expandable HTML block: term, topic, definition, aliases, related."""
    rows = [f'<p><strong>{escape(entry.term)}</strong> <span class="entry-meta">· {escape(entry.topic)} · '
            f'entry {entry.id}</span></p>', f"<p>{escape(entry.definition)}</p>"]
    for label, names in (("Also called", entry.aliases),
                         ("Related", [glossary.by_id[r].term for r in entry.related]),
                         ("Opposite", [glossary.by_id[o].term for o in entry.opposite])):
        if names:
            rows.append(f"<p><em>{label}:</em> {escape(', '.join(names))}</p>")
    return f"<details><summary>[{n}] {escape(entry.term)}</summary>{''.join(rows)}</details>"


def format_answer(answer: Answer, glossary: Glossary, rewritten: str = "") -> str:
    """The assistant message: the cited answer, then its sources, each expandable to its entry."""
    text = escape(answer.text)
    if rewritten:
        text = f"_Read as: “{escape_typed(rewritten)}”_\n\n{text}"
    if not answer.citations:
        return text
    sources = "".join(format_source(c.n, glossary.by_id[c.id], glossary) for c in answer.citations)
    return f'{text}\n\n<div class="sources"><p><strong>Sources</strong></p>{sources}</div>'


def format_hits(answer: Answer | None, glossary: Glossary) -> str:
    """The "Nearest terms" panel: confidence, a plain abstention notice, and the ranked hits with scores."""
    if answer is None:
        return "_Ask a question to see the nearest glossary terms and their scores._"
    if answer.kind == "empty":
        return "_No search was run: ask about a term first._"
    if not answer.hits:
        subject = glossary.by_id[answer.citations[0].id].term if answer.citations else "the entry"
        return (f"**Confidence: {answer.confidence}** — answered straight from the glossary entry "
                f"**{escape(subject)}**; no search was needed for this follow-up.")
    lines = [f"**Confidence: {answer.confidence}**", ""]
    if answer.abstained:
        lines += ["**The glossary doesn't cover this question.** These are only the closest entries, "
                  "with low confidence — not an answer.", ""]
    elif answer.kind == "did_you_mean":
        lines += ["The top two entries are too close to call, so the answer asks which one you meant.", ""]
    lines += ["| # | Term | Score |", "|---:|---|---:|"]
    lines += [f"| {rank} | {escape(hit.term)} | {hit.score:.3f} |" for rank, hit in enumerate(answer.hits, 1)]
    return "\n".join(lines)


def format_messages(conversation: Conversation, glossary: Glossary) -> list[dict]:
    """The chat history in Gradio's messages format; the last answer offers its suggestions as buttons."""
    messages: list[dict] = []
    for i, turn in enumerate(conversation.turns):
        messages.append({"role": "user", "content": escape_typed(turn.message)})
        reply = {"role": "assistant", "content": format_answer(turn.answer, glossary, turn.rewritten)}
        if i == len(conversation.turns) - 1 and turn.answer.suggestions:
            reply["options"] = [{"value": s} for s in turn.answer.suggestions]
        messages.append(reply)
    return messages


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
