"""Markdown syntax, as far as a glossary needs it: the text cut into headings, paragraphs, bullet lists and
horizontal rules (each with its first line), inline marks dropped, and an entry's blocks joined into prose.

>>> blocks = read_blocks("### 1. Epoch\\nOne *full* pass.\\n\\n- once\\n- again\\n")
>>> [(b.line, b.kind) for b in blocks], render_prose(blocks[1:])
([(1, 'heading'), (2, 'paragraph'), (4, 'list')], 'One full pass. once; again.')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Block:
    """One piece of the document: a heading, a paragraph, a bullet list or a horizontal rule."""

    line: int
    kind: str  # heading | paragraph | list | rule
    text: str = ""
    level: int = 0
    items: tuple[str, ...] = ()


def read_blocks(text: str) -> list[Block]:
    """Split Markdown into headings, paragraphs, bullet lists and rules, each with its first line.

    >>> [(b.line, b.kind) for b in read_blocks("# T\\npara\\ngraph\\n\\n- a\\n- b\\n---\\n")]
    [(1, 'heading'), (2, 'paragraph'), (5, 'list'), (7, 'rule')]
    """
    blocks: list[Block] = []
    paragraph: list[str] = []
    items: list[str] = []
    start = 0
    in_fence = False

    def flush() -> None:
        nonlocal paragraph, items
        if paragraph:
            blocks.append(Block(start, "paragraph", " ".join(paragraph)))
        if items:
            blocks.append(Block(start, "list", items=tuple(items)))
        paragraph, items = [], []

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if _FENCE.match(line):  # code is kept as text, but a "# comment" in it is no heading
            in_fence = not in_fence
            continue
        heading = None if in_fence else _HEADING.match(line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            blocks.append(Block(number, "heading", clean_inline(heading[2]), len(heading[1])))
        elif not in_fence and paragraph and _SETEXT.match(line):  # "Title" underlined with === or ---
            title, paragraph = " ".join(paragraph), []
            blocks.append(Block(start, "heading", clean_inline(title), 1 if "=" in line else 2))
        elif not in_fence and _RULE.match(line):
            flush()
            blocks.append(Block(number, "rule"))
        elif not in_fence and (bullet := _BULLET.match(line)):
            if paragraph:
                flush()
            if not items:
                start = number
            items.append(bullet[1].strip())
        elif items and raw[:1].isspace():  # an indented line continues the list item above
            items[-1] += " " + line.strip()
        else:
            if items:
                flush()
            if not paragraph:
                start = number
            paragraph.append(line.strip())
    flush()
    return blocks


def clean_inline(text: str) -> str:
    """Drop inline Markdown: emphasis, code marks, images, links (their text stays) and HTML tags.

    >>> clean_inline("**Bold** and *it* with [a link](http://x) and `code`")
    'Bold and it with a link and code'
    """
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(?<!\w)(\*{1,3}|_{1,3})(\S(?:.*?\S)?)\1(?!\w)", r"\2", text)
    return " ".join(text.replace("`", "").split())


def render_prose(blocks: list[Block]) -> str:
    """An entry's blocks as one prose definition; a bullet list becomes one sentence.

    >>> render_prose([Block(1, "paragraph", "Two cures:"), Block(2, "list", items=("less capacity", "more data"))])
    'Two cures: less capacity; more data.'
    """
    pieces = []
    for block in blocks:
        if block.kind == "paragraph":
            pieces.append(clean_inline(block.text))
        elif block.kind == "list":
            sentence = ""
            for item in (clean_inline(item) for item in block.items):
                # "On the basis of X:" introduces the next items; a finished sentence keeps its stop.
                sentence += item + (" " if item.endswith((":", ".", "!", "?")) else "; ")
            sentence = sentence.rstrip("; ")
            pieces.append(sentence if sentence.endswith((".", "!", "?")) else sentence + ".")
    return " ".join(piece for piece in pieces if piece.strip(" ."))
