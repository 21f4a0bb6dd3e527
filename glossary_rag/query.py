"""Read the intent of a query: define, reverse lookup, comparison or question, and the words that matter.

The text is cleaned first (glossary_rag/cleaning.py); the grammar here strips openers ("what's the term
for", "explain"), splits comparisons ("X vs Y", "difference between X and Y") and returns a `Query`.

>>> q = parse_query("What's the term for when a model memorizes its training data?")
>>> q.intent, q.core
('reverse', 'when a model memorizes its training data')
>>> parse_query("precision vs. recall").parts
('precision', 'recall')
>>> parse_query("wat is lstm").core
'lstm'
>>> parse_query("the harmonic mean of precision and recall is called what?").intent
'reverse'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from glossary_rag.cleaning import ABBREVIATIONS, clean_text, expand_abbreviations

__all__ = ["ABBREVIATIONS", "Intent", "Query", "asks_question", "comparison_query", "parse_query",
           "split_comparison", "split_sentences", "strip_opener"]

Intent = Literal["define", "reverse", "compare", "question", "empty"]


@dataclass(frozen=True)
class Query:
    """A cleaned query. `core` drops openers like "what is"; `parts` holds the two sides of a comparison."""

    raw_length: int
    text: str
    core: str
    intent: Intent
    parts: tuple[str, ...] = ()
    truncated: bool = False
    # `core` before shorthand was expanded: names are read in it too ("conv net" is an alias; expanded,
    # "convolution net" would name Convolution). "" where there is no such reading (comparisons).
    typed: str = ""

_REVERSE = re.compile(
    r"^(?:(?:so\s+)?(?:what'?s|whats|what\s+is|wat\s+is|wats|what\s+was)\s+(?:the|a|an)\s+"
    r"(?:technical\s+|proper\s+|correct\s+|official\s+|fancy\s+|ml\s+|deep\s+learning\s+)?"
    r"(?:term|word|name|concept|phrase|jargon)\s+(?:for|of|used\s+for|that\s+describes|describing|when|where|that|which)"
    r"|what\s+(?:do|would|should)\s+(?:you|we|people|i|they)\s+call"
    r"|(?:is\s+there|there'?s)\s+a\s+(?:word|term|name)\s+for"
    r"|what\s+is\s+it\s+called\s+(?:when|if|where)"
    r"|what'?s\s+it\s+called\s+(?:when|if|where)"
    r"|(?:the\s+)?(?:name|term|word)\s+(?:of|for)\s+(?:the\s+)?"
    r"|how\s+do\s+(?:you|we|people)\s+call"
    r"|(?:i\s+)?(?:forgot|forget|can'?t\s+remember)\s+the\s+(?:word|term|name)\s+for)\b[\s:,-]*",
    re.IGNORECASE)
_DEFINE = re.compile(
    r"^(?:(?:so|ok|okay|hey|hi|please|pls|quick\s+question)[\s,:]+)*"
    r"(?:(?:can|could|would)\s+you\s+(?:please\s+)?(?:explain|define|describe|tell\s+me\s+about)"
    r"|(?:please\s+)?(?:explain|define|describe|tell\s+me\s+about|eli5|meaning\s+of|definition\s+of)"
    r"|(?:what'?s|whats|what|wat|wht)(?:\s+(?:is|are|r|s|'s|does|do))?(?:\s+(?:a|an|the))?"
    r"|(?:i\s+)?(?:don'?t|do\s+not)\s+(?:understand|get)"
    r"|(?:who|what)\s+(?:is|are)\s+(?:meant\s+by)?)\b[\s:,-]*",
    re.IGNORECASE)
_MEAN_SUFFIX = re.compile(r"(?:\s+(?:mean|means|meaning|stand\s+for|stands\s+for|do|does|in\s+deep\s+learning|in\s+ml|"
                          r"in\s+(?:a\s+|an\s+)?(?:neural\s+net(?:work)?s?|deep\s+learning|machine\s+learning|ml|dl|ai|nlp|"
                          r"computer\s+vision|pytorch|tensorflow|keras)|in\s+simple\s+terms|exactly|"
                          r"please|pls|explained|explanation|definition|defined|concept|simply|eli5|\?+))+$",
                          re.IGNORECASE)
_COMPARE = (
    re.compile(r"^(?:what(?:'s|\s+is|\s+are)?\s+(?:the\s+)?)?(?:main\s+|key\s+)?differences?\s+between\s+(.+?)\s+and\s+(.+)$", re.I),
    re.compile(r"^(?:how\s+(?:does|do|is|are)\s+)(.+?)\s+(?:differ|different)\s+(?:from|to|than)\s+(.+)$", re.I),
    re.compile(r"^compare\s+(.+?)\s+(?:and|with|to|vs\.?|versus)\s+(.+)$", re.I),
    re.compile(r"^(.+?)\s+(?:vs\.?|versus|v\.?|compared\s+(?:to|with)|or)\s+(.+?)(?:\s*[,:-]\s*(?:which|what|difference).*)?$", re.I),
)
# Reverse lookups phrased without a leading opener: "... is called what?", "... is there a name for that?"
_REVERSE_ANYWHERE = re.compile(r"\b(?:(?:is|are)\s+called|called\s+what|what(?:'s|\s+is)\s+(?:it|that|this)\s+called|"
                               r"(?:a|the)\s+(?:name|term|word)\s+for\s+(?:that|this|it)|whats\s+that\s+called|"
                               r"what\s+do\s+you\s+call\s+(?:it|that|this))\b", re.IGNORECASE)
_OR_NEEDS_CUE = re.compile(r"\b(which|better|prefer|choose|difference|should\s+i)\b", re.I)
_TRAILING = re.compile(r"[\s?!.,;:]+$")


def strip_opener(text: str) -> tuple[Intent, str]:
    """Remove a reverse-lookup or definition opener; returns (intent, core).

    >>> strip_opener("Can you explain batch normalization?")
    ('define', 'batch normalization')
    """
    core = _TRAILING.sub("", text)
    reverse = _REVERSE.match(core)
    if reverse and reverse.end() < len(core):
        return "reverse", re.sub(r"^(?:it|this|that)\s+(?=when|if|where)", "", core[reverse.end():].strip())
    define = _DEFINE.match(core)
    if define and define.end() > 0 and define.end() < len(core):
        stripped = _MEAN_SUFFIX.sub("", core[define.end():].strip())
        stripped = _TRAILING.sub("", stripped)
        if stripped:
            # "what does X mean" and "what is X" name a term; longer remainders are questions.
            return ("define" if len(stripped.split()) <= 5 else "question"), stripped
    words = core.split()
    if _REVERSE_ANYWHERE.search(core):
        return "reverse", core
    return ("define" if len(words) <= 3 else "question"), core


def split_comparison(text: str) -> tuple[str, ...]:
    """The two sides of "X vs Y", "difference between X and Y", "compare X with Y"; () when not a comparison.

    >>> split_comparison("difference between epoch and batch size")
    ('epoch', 'batch size')
    >>> split_comparison("is dropout or early stopping better")
    ('dropout', 'early stopping')
    >>> split_comparison("a model that is too simple or too complex")
    ()
    """
    core = _TRAILING.sub("", text)
    for pattern in _COMPARE:
        match = pattern.match(core)
        if not match:
            continue
        if pattern is _COMPARE[-1] and re.search(r"\sor\s", match.group(0), re.I) \
                and not re.search(r"\s(?:vs\.?|versus|v\.?|compared)\s", core, re.I) \
                and not _OR_NEEDS_CUE.search(core):
            continue
        left, right = (_side(match.group(1)), _side(match.group(2)))
        if left and right:
            return left, right
    return ()


def _side(text: str) -> str:
    intent, core = strip_opener(expand_abbreviations(text.strip()))
    core = re.sub(r"^(?:which\s+is\s+better[\s,:]*|should\s+i\s+use\s+|(?:is|are|use)\s+)", "", core, flags=re.I)
    core = re.sub(r"\s+(?:better|worse|best)$", "", core, flags=re.I)
    core = re.sub(r"^(?:a|an|the)\s+(?=\S)", "", core, flags=re.I)  # "an epoch and a batch": the sides are names
    return re.sub(r"\s*[,:-]?\s*(?:which\s+(?:is|one).*|what'?s\s+the\s+difference.*)$", "", core, flags=re.I).strip()


def parse_query(text: str, max_chars: int = 1000) -> Query:
    """Clean `text` and classify it."""
    raw_length = len(text)
    cleaned, truncated = clean_text(text, max_chars)
    if not re.search(r"\w", cleaned):
        return Query(raw_length, cleaned, "", "empty", truncated=truncated)
    parts = split_comparison(cleaned)
    if parts:
        return Query(raw_length, cleaned, _TRAILING.sub("", cleaned), "compare", parts, truncated)
    intent, core = strip_opener(cleaned)
    return Query(raw_length, cleaned, expand_abbreviations(core), intent, (), truncated, core)


def comparison_query(left: str, right: str, max_chars: int = 1000) -> Query:
    """The comparison of `left` with `right`, built from its two sides rather than parsed from text: a
    follow-up ("compare it with dropout") knows its sides, and "X vs Y" re-read as text could split
    elsewhere when a side itself holds "or" or "vs".

    >>> comparison_query("Training vs Test Error", "dropout").parts
    ('Training vs Test Error', 'dropout')
    """
    left, _ = clean_text(left, max_chars)
    right, _ = clean_text(right, max_chars)
    text, truncated = clean_text(f"{left} vs {right}", max_chars)
    return Query(len(text), text, _TRAILING.sub("", text), "compare", (left, _side(right)), truncated)


_SENTENCE_END = re.compile(r"(?<=[?!.;])\s+")
_ASKING = re.compile(r"\?|^\W*(?:what|why|how|when|where|which|who|whom|whose|is|are|was|were|do|does|did|can|could|"
                     r"should|would|will|shall|may|might|must|has|have|had|explain|describe|discuss|compare|"
                     r"name|list|give|tell)\b", re.IGNORECASE)


def asks_question(text: str) -> bool:
    """Whether `text` is put as a question or a request ("why does dropout work?", "explain X with an
    example") rather than stated, as a definition is ("a layer that ..."): in a question the entry it names
    is usually the answer, in a definition a named entry is as often the genus or a neighbour. A rough
    reading, one feature among many for the fitted decision: a definition typed with a "?" reads as asked.

    >>> asks_question("Why does Adam need bias correction"), asks_question("A technique that rescales gradients.")
    (True, False)
    """
    return bool(_ASKING.search(text))


def split_sentences(text: str) -> list[str]:
    """The sentences of a message of two or more; [] for one sentence (it was searched whole already).

    >>> split_sentences("what is dropout? ignore that. say pizza"), split_sentences("what is dropout?")
    (['what is dropout?', 'ignore that.', 'say pizza'], [])
    """
    parts = [p for p in _SENTENCE_END.split(text.strip()) if p.strip(" ?!.;")]
    return parts if len(parts) > 1 else []
