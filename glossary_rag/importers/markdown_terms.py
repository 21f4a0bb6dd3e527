"""Markdown glossaries whose terms sit inside the text rather than in headings:

- bullets: `- **Term**: definition`, `- **Term** — definition`, `* Term: definition`;
- bold-term paragraphs: `**Term**: definition`, or a `**Term**` line and then its paragraph;
- definition lists: `Term` and then `: definition` on the next line;
- tables with a term and a definition column (named as in a CSV header, or simply the first two).

Headings are then sections: the nearest one above an entry becomes its topic (a lone title or a letter
of the alphabet does not). Text that is none of these is skipped and reported, one finding per section.

>>> text = "# Sheet\\n## Training\\n- **Epoch**: one pass.\\n- **Batch** —\\n## Loss\\nLoss\\n: what is minimised\\n"
>>> from glossary_rag.importers.markdown_blocks import read_blocks
>>> drafts, findings = read_term_blocks(read_blocks(text))
>>> [(d.id, d.term, d.definition, d.topic) for d in drafts]
[(1, 'Epoch', 'one pass.', 'Training'), (2, 'Batch', '', 'Training'), (3, 'Loss', 'what is minimised', 'Loss')]
"""

from __future__ import annotations

import re
from collections import Counter

from glossary_rag.importers.markdown_blocks import Block, Item
from glossary_rag.importers.records import FIELD_OF, Draft, Finding, split_aliases, split_term

# "Term: definition" or "Term — definition" in a bullet without bold: a short name, then the separator.
_PLAIN_TERM = re.compile(r"^(?P<term>[^\s:.!?;,][^:.!?;]{0,58}?)\s*(?::|\s[—–]|\s-)\s+(?P<rest>\S.*)$")
_MAX_TERM_WORDS = 6
# Bold words that open an aside, not a term ("**Note:** ...").
_ASIDES = frozenset("""note notes nb important warning caution tip tips hint example examples update edit
    disclaimer summary tldr tl;dr reminder todo fixme answer question""".split())


def count_term_blocks(blocks: list[Block]) -> int:
    """How many entries the inline layouts above would read from `blocks`."""
    return sum(len(entries) for _, entries in _candidates(blocks))


def read_term_blocks(blocks: list[Block]) -> tuple[list[Draft], list[Finding]]:
    """Drafts (numbered in document order) and findings, reading `blocks` with the layouts above."""
    titles = Counter(b.level for b in blocks if b.kind == "heading")
    drafts: list[Draft] = []
    findings: list[Finding] = []
    topic: str | None = None
    section_line, section, skipped = 0, "", False
    used = {id(block) for block, _ in _candidates(blocks)}
    pending: tuple[int, str] | None = None  # a "**Term**" line waiting for its paragraph

    def add(line: int, term: str, definition: str, more: tuple[str, ...] = ()) -> None:
        name, aliases = split_term(term)
        drafts.append(Draft(line, name, definition, (*aliases, *more), id=len(drafts) + 1, topic=topic))

    def report_skipped() -> None:
        if skipped:
            where = f"under '{section}'" if section else "before the first heading"
            findings.append(Finding(section_line, f"skipped text {where}: not a term and its definition"))

    for block in blocks:
        if block.kind == "heading":
            if pending:
                add(*pending, "")
                pending = None
            report_skipped()
            section_line, section, skipped = block.line, block.text, False
            topic = _topic(block, titles)
            continue
        if pending and block.kind == "paragraph" and block.lead is None:
            add(*pending, block.text)
            pending = None
            continue
        if pending:
            add(*pending, "")
            pending = None
        if id(block) not in used:
            if block.kind != "rule":
                skipped = skipped or bool(block.text or block.items or block.cells)
                if section_line == 0 and skipped:
                    section_line = block.line
            continue
        for line, term, definition, aliases in _read(block):
            if definition is None:
                pending = (line, term)
            else:
                add(line, term, definition, aliases)
    if pending:
        add(*pending, "")
    report_skipped()
    return drafts, findings


def _candidates(blocks: list[Block]):
    """(block, entries) for each block that holds terms with their definitions."""
    for block in blocks:
        entries = list(_read(block))
        if entries:
            yield block, entries


def _read(block: Block):
    """(line, term, definition, aliases) a block holds; definition None: the next paragraph gives it."""
    if block.kind == "definition":
        yield block.line, block.text, " ".join(item.text for item in block.items), ()
    elif block.kind == "paragraph" and block.lead is not None and _is_term(block.lead.bold):
        yield block.line, block.lead.bold, block.lead.rest or None, ()
    elif block.kind == "list":
        entries = [entry for item in block.items if (entry := _item_entry(item))]
        # A list is a list of terms when most of its items are: a "Pros: fast" aside in prose is not.
        if entries and len(entries) * 2 > len(block.items):
            yield from entries
    elif block.kind == "table" and len(block.cells) > 1:
        header = [FIELD_OF.get(cell.strip().lower()) for cell in block.cells[0]]
        term_col = header.index("term") if "term" in header else 0
        def_col = header.index("definition") if "definition" in header else (1 if len(header) > 1 else None)
        if def_col is None or not {"term", "definition"} & set(header):
            return  # a table of something else (years and papers, say)
        alias_col = header.index("aliases") if "aliases" in header else None
        for line, row in zip(block.row_lines[1:], block.cells[1:]):
            cells = list(row) + [""] * (len(header) - len(row))
            if cells[term_col].strip():
                aliases = split_aliases(cells[alias_col]) if alias_col is not None else ()
                yield line, cells[term_col].strip(), cells[def_col].strip(), aliases


def _item_entry(item: Item) -> tuple[int, str, str, tuple[str, ...]] | None:
    if item.bold is not None and _is_term(item.bold):
        return item.line, item.bold, item.rest, ()
    match = _PLAIN_TERM.match(item.text)
    if match and _is_term(match["term"]):
        return item.line, match["term"].strip(), match["rest"].strip(), ()
    return None


def _is_term(text: str) -> bool:
    return (0 < len(text.split()) <= _MAX_TERM_WORDS and not text.rstrip().endswith((".", "!", "?"))
            and text.strip().lower() not in _ASIDES)


def _topic(heading: Block, levels: Counter) -> str | None:
    # The document's one title and letter headings ("A", "A–C") say nothing about the entries under them.
    if heading.level == min(levels) and levels[heading.level] == 1:
        return None
    if len(re.sub(r"[\W_]", "", heading.text)) <= 2:
        return None
    return heading.text
