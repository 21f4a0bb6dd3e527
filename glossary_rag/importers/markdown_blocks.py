"""Markdown as far as a glossary needs it, read by markdown-it-py (CommonMark, tables, definition lists and
`$...$` math from mdit-py-plugins): the document cut into headings, paragraphs, lists, tables, definitions
and rules, each with its first source line, inline marks dropped, and an entry's blocks joined into prose.

Links become their text, images and HTML tags are dropped (an HTML block keeps its text), code blocks are
dropped (inline code keeps its text), and math is kept readable (`$\\sigma(x)$` -> "σ(x)").

>>> blocks = read_blocks("### 1. Epoch\\nOne *full* pass.\\n\\n- **once**: first\\n- again\\n")
>>> [(b.line, b.kind) for b in blocks], render_prose(blocks[1:])
([(1, 'heading'), (2, 'paragraph'), (4, 'list')], 'One full pass. once: first; again.')
>>> blocks[2].items[0]
Item(line=4, text='once: first', bold='once', rest='first')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from glossary_rag.importers.text_io import html_to_text

BlockKind = Literal["heading", "paragraph", "list", "table", "definition", "rule"]

_PARSER = (MarkdownIt("commonmark", {"html": True}).enable("table").use(deflist_plugin)
           .use(dollarmath_plugin, allow_space=True, double_inline=True))
_MATH_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "sum": "Σ", "prod": "Π", "int": "∫", "partial": "∂", "nabla": "∇", "cdot": "·", "times": "×", "div": "÷",
    "pm": "±", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "sim": "~",
    "infty": "∞", "in": "∈", "to": "→", "rightarrow": "→", "leftarrow": "←", "mid": "|", "ldots": "...",
    "cdots": "...", "odot": "⊙", "otimes": "⊗", "top": "ᵀ", "quad": " ", "qquad": " ", ",": " ", ";": " ",
}


@dataclass(frozen=True)
class Item:
    """A list item (or a paragraph) as plain text, and the bold words it opens with when it does."""

    line: int
    text: str
    bold: str | None = None
    rest: str = ""  # the text after the bold words and their separator


@dataclass(frozen=True)
class Block:
    """One piece of the document. A heading has `text` and `level`; a paragraph `text` (and `lead`, when it
    opens with bold words); a list `items`; a table `cells` (header row first); a definition `text` (the term)
    and `items` (its definitions)."""

    line: int
    kind: BlockKind
    text: str = ""
    level: int = 0
    items: tuple[Item, ...] = ()
    cells: tuple[tuple[str, ...], ...] = ()  # a table's rows of cells, header first
    row_lines: tuple[int, ...] = ()
    lead: Item | None = None


def read_blocks(text: str) -> list[Block]:
    """Split Markdown into blocks, each with its first line.

    >>> [(b.line, b.kind) for b in read_blocks("# T\\npara\\ngraph\\n\\n- a\\n- b\\n---\\n|a|b|\\n|-|-|\\n|1|2|\\n")]
    [(1, 'heading'), (2, 'paragraph'), (5, 'list'), (7, 'rule'), (8, 'table')]
    """
    tokens = _PARSER.parse(text)
    blocks: list[Block] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        line = token.map[0] + 1 if token.map else 0
        if token.type == "heading_open":
            blocks.append(Block(line, "heading", inline_text(tokens[i + 1]), level=int(token.tag[1])))
            i += 3
        elif token.type == "paragraph_open":
            item = read_item(tokens[i + 1], line)
            blocks.append(Block(line, "paragraph", item.text, lead=item if item.bold else None))
            i += 3
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            end = _closing(tokens, i)
            blocks.append(Block(line, "list", items=_list_items(tokens[i:end])))
            i = end
        elif token.type == "table_open":
            end = _closing(tokens, i)
            rows = [(t.map[0] + 1, []) for t in tokens[i:end] if t.type == "tr_open"]
            row = -1
            for t in tokens[i:end]:
                row += t.type == "tr_open"
                if t.type == "inline":
                    rows[row][1].append(inline_text(t))
            blocks.append(Block(line, "table", cells=tuple(tuple(cells) for _, cells in rows),
                                row_lines=tuple(n for n, _ in rows)))
            i = end
        elif token.type == "dl_open":
            end = _closing(tokens, i)
            blocks.extend(_definitions(tokens[i:end]))
            i = end
        elif token.type == "hr":
            blocks.append(Block(line, "rule"))
            i += 1
        elif token.type in ("html_block", "math_block"):
            content = html_to_text(token.content) if token.type == "html_block" else readable_math(token.content)
            if content.strip():
                blocks.append(Block(line, "paragraph", " ".join(content.split())))
            i += 1
        else:  # code blocks, blockquote marks and closing tokens: nothing to keep
            i += 1
    return blocks


def inline_text(token: Token) -> str:
    """An inline token as plain text: marks dropped, links as their text, images and HTML tags dropped."""
    return _render(token.children or [])


def read_item(token: Token, line: int) -> Item:
    """An inline token as an `Item`, split at the bold words it opens with ("**Term**: definition")."""
    children = token.children or []
    text = _render(children)
    start = 0
    while start < len(children) and children[start].type == "text" and not children[start].content.strip():
        start += 1
    if start < len(children) and children[start].type == "strong_open":
        end = next((j for j in range(start, len(children)) if children[j].type == "strong_close"), None)
        if end is not None:
            bold = _render(children[start + 1:end]).strip()
            after = children[end + 1:]
            rest = _render(after)
            if bold.endswith((":", "：")):  # "**Term:** definition"
                bold = bold[:-1].strip()
            elif next((c.type for c in after if c.type != "text" or c.content), "") in ("softbreak", "hardbreak"):
                pass  # "**Term**" on its own line, the definition on the next
            elif rest:
                # "**Term** (ABBR): definition" keeps the parenthesis with the term.
                match = re.match(r"^(\([^()]*\))?\s*(?:[:：]|[—–]|-(?=\s)|=)\s*", rest)
                if not match:
                    return Item(line, text)  # bold words opening a sentence: emphasis, not a term
                bold, rest = (f"{bold} {match[1]}" if match[1] else bold), rest[match.end():]
            if bold:
                return Item(line, text, bold, rest.strip())
    return Item(line, text)


def readable_math(tex: str) -> str:
    """TeX math as text a person (and the search) can read.

    >>> readable_math(r"\\sigma(x) = \\frac{1}{1 + e^{-x}}"), readable_math(r"\\mathbf{W}^\\top x \\leq \\lambda")
    ('σ(x) = (1)/(1 + e^(-x))', 'Wᵀ x ≤ λ')
    """
    text = re.sub(r"\\(?:mathbf|mathrm|mathit|mathcal|text|textbf|operatorname|boldsymbol|mathbb)\s*\{([^{}]*)\}",
                  r"\1", tex)
    text = re.sub(r"\\(left|right|big|Big|bigg|Bigg)\b", "", text)
    for _ in range(3):  # nested braces, innermost first
        text = re.sub(r"([\^_])\{([^{}]+)\}", lambda m: m[1] + (m[2] if len(m[2]) == 1 else f"({m[2]})"), text)
        text = re.sub(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"(\1)/(\2)", text)
        text = re.sub(r"\\sqrt\s*\{([^{}]*)\}", r"√(\1)", text)
    text = re.sub(r"\\([A-Za-z]+|[,;])", lambda m: _MATH_SYMBOLS.get(m[1], m[1]), text)
    text = text.replace("^ᵀ", "ᵀ").replace("{", "").replace("}", "")
    return " ".join(text.split())


def render_prose(blocks: list[Block]) -> str:
    """An entry's blocks as one prose definition; a list becomes one sentence, a table row "a: b".

    >>> render_prose([Block(1, "paragraph", "Two cures:"),
    ...               Block(2, "list", items=(Item(2, "less capacity"), Item(3, "more data")))])
    'Two cures: less capacity; more data.'
    """
    pieces = []
    for block in blocks:
        if block.kind in ("paragraph", "definition"):
            pieces.append(block.text if block.kind == "paragraph" else
                          f"{block.text}: {' '.join(item.text for item in block.items)}")
        elif block.kind in ("list", "table"):
            texts = [item.text for item in block.items] if block.kind == "list" else \
                [": ".join(cell for cell in row if cell) for row in block.cells[1:]]
            sentence = ""
            for text in texts:
                # "On the basis of X:" introduces the next items; a finished sentence keeps its stop.
                sentence += text + (" " if text.endswith((":", ".", "!", "?")) else "; ")
            sentence = sentence.rstrip("; ")
            pieces.append(sentence if sentence.endswith((".", "!", "?")) else sentence + ".")
    return " ".join(piece for piece in pieces if piece.strip(" ."))


def _render(children: list[Token]) -> str:
    out: list[str] = []
    for child in children:
        if child.type == "image":
            continue
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type in ("math_inline", "math_inline_double"):
            out.append(readable_math(child.content))
        elif child.type == "html_inline":
            # A tag such as <b> or <br>: the text between tags is its own token and stays.
            out.append(" " if re.match(r"<br\b", child.content, re.IGNORECASE) else "")
    return " ".join("".join(out).split())


def _closing(tokens: list[Token], start: int) -> int:
    """The index after the token that closes `tokens[start]`."""
    depth = 0
    for i in range(start, len(tokens)):
        depth += tokens[i].nesting
        if depth == 0:
            return i + 1
    return len(tokens)


def _list_items(tokens: list[Token]) -> tuple[Item, ...]:
    # Nested lists are flattened into the outer one: a glossary's sub-bullets read as more items.
    items: list[Item] = []
    fresh = False
    for token in tokens:
        if token.type == "list_item_open":
            fresh = True
        elif token.type == "inline":
            line = token.map[0] + 1 if token.map else 0
            item = read_item(token, line)
            if fresh or not items:
                items.append(item)
            else:  # a second paragraph of the same item continues it
                last = items[-1]
                items[-1] = Item(last.line, f"{last.text} {item.text}", last.bold,
                                 f"{last.rest} {item.text}".strip())
            fresh = False
    return tuple(items)


def _definitions(tokens: list[Token]) -> list[Block]:
    blocks: list[Block] = []
    term: tuple[int, str] | None = None
    texts: list[Item] = []
    in_dt = False

    def close() -> None:
        if term is not None:
            blocks.append(Block(term[0], "definition", term[1], items=tuple(texts)))

    for token in tokens:
        if token.type == "dt_open":
            close()
            term, texts, in_dt = (token.map[0] + 1 if token.map else 0, ""), [], True
        elif token.type == "dt_close":
            in_dt = False
        elif token.type == "inline" and term is not None:
            if in_dt:
                term = (term[0], inline_text(token))
            else:
                texts.append(Item(token.map[0] + 1 if token.map else term[0], inline_text(token)))
    close()
    return blocks
