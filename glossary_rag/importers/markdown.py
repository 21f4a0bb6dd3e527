"""Import a Markdown glossary: `### N. Term` headings (or plain `## Term` ones), each over its definition, or
terms inside the text (bullets, bold-term paragraphs, definition lists, tables: see `markdown_terms`), whichever
the document holds more of.

The heading layout was written for articles like the project's source (shared/seed), which real-world
glossaries resemble:
- The *entry level* is the heading level of the numbered headings ("N. Term"); without numbers, the most
  used heading level (the deeper one on a tie). In a numbered document only numbered headings at that level
  are entries; otherwise every heading there is, except names such as Introduction or Conclusion.
- A shallower heading, or an entry-level heading that is not an entry, opens a section that is skipped
  (introduction, conclusion, a course advertisement); so is text before the first heading and text after a
  horizontal rule that closes an entry. Each skipped piece that holds text is reported with its line.
- An entry's paragraphs are joined into prose; a bullet list becomes one sentence ("follows: a; b.").
- "(continued)" is dropped from a heading; "Term (ACR)" gives the term "Term" with the alias "ACR", and
  "A / B" the term "A" with the alias "B".
- A later paragraph of an entry that defines another subject ("Feature extraction refers to ...") is a
  paragraph whose heading went missing. It is reported; when the numbering skips exactly as many numbers
  right after that entry, each such paragraph becomes the missing entry, named after its subject.

>>> text = "## Intro\\nHi.\\n### 1. Epoch\\nOne pass.\\n\\nA batch is a slice.\\n### 3. Loss\\nx."
>>> parsed = parse_markdown(text, Path("g.md"))
>>> [(d.id, d.term, d.definition) for d in parsed.drafts]
[(1, 'Epoch', 'One pass.'), (2, 'Batch', 'A batch is a slice.'), (3, 'Loss', 'x.')]
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from glossary_rag.importers.markdown_blocks import Block, read_blocks, render_prose
from glossary_rag.importers.markdown_terms import count_term_blocks, read_term_blocks
from glossary_rag.importers.records import Draft, Finding, FormatError, Parsed, fold_term, split_term
from glossary_rag.importers.resolve import resolve_drafts

_NUMBERED = re.compile(r"^(\d{1,6})\s*[.):]\s*(.+)$")
_CONTINUED = re.compile(r"\s*\((?:continued|cont\.?|cont'd|contd)\)\s*$", re.IGNORECASE)
# "Feature extraction refers to ...": the subject before the verb names what the paragraph defines.
_DEFINES = re.compile(r"^(?:(?:a|an|the)\s+)?(?P<subject>[^\s,;:.()]+(?:\s+[^\s,;:.()]+){0,4}?)\s+"
                      r"(?:is|are|refers to|refer to|means)\s", re.IGNORECASE)
# Words that open a sentence about something already named, never a new subject.
_NOT_A_SUBJECT = frozenset("""it its this that these those they them their there here he she we you our your
    such which what each every one in on at for with by from as if when while because so but and or also
    however thus therefore then both some many most all another other""".split())
_SECTION_NAMES = frozenset("""introduction intro conclusion conclusions summary overview references resources
    contents faq faqs acknowledgements acknowledgments contributing contribute contributors authors license
    licence credits changelog installation usage links sources bibliography appendix toc""".split()) | {
    "table of contents", "further reading", "about the author", "frequently asked questions", "final thoughts",
    "wrapping up", "next steps", "key takeaways", "see also", "related articles", "end notes"}
_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to vs with".split())


@dataclass
class _Draft:
    """An entry while the document is read: its heading and the blocks under it."""

    line: int
    number: int | None
    title: str
    blocks: list[Block] = field(default_factory=list)
    headed: set[int] = field(default_factory=set)  # positions in `blocks` that open under a sub-heading


@dataclass
class _Skipped:
    """A section that is not an entry; reported when it holds text."""

    line: int
    what: str
    blocks: list[Block] = field(default_factory=list)


def parse_markdown(text: str, file: Path) -> Parsed:
    """Drafts and findings of a Markdown glossary (rules in the module docstring)."""
    blocks = read_blocks(text)
    headings = [b for b in blocks if b.kind == "heading"]
    in_text = count_term_blocks(blocks)
    if not headings and not in_text:
        raise FormatError(f"{file}: no glossary layout found: no headings, and no `- **Term**: definition` "
                          "bullets, bold terms, definition lists or term tables. Give each entry a heading such "
                          "as `## Term` followed by its definition, or one `- **Term**: definition` line.")
    level, numbered = _entry_level(headings) if headings else (0, False)
    if in_text >= 2 and in_text > _headings_over_prose(blocks, level, numbered):
        drafts, findings = read_term_blocks(blocks)
        return resolve_drafts(drafts, findings)
    drafts_, findings = _split_entries(blocks, level, numbered)
    drafts: list[Draft] = []
    for position, (draft, recovered) in enumerate(_recover_missing_headings(drafts_, numbered, findings), 1):
        term, aliases = _term_and_aliases(draft, recovered, findings)
        drafts.append(Draft(draft.line, term, render_prose(draft.blocks), aliases,
                            id=draft.number if numbered else position))
    return resolve_drafts(drafts, findings)


def _headings_over_prose(blocks: list[Block], level: int, numbered: bool) -> int:
    """Entry-level headings with a plain paragraph right under them: the mark of a heading-per-term file."""
    count = 0
    for block, following in zip(blocks, [*blocks[1:], None]):
        if (block.kind == "heading" and block.level == level and following is not None
                and following.kind == "paragraph" and following.lead is None
                and (_NUMBERED.match(block.text) if numbered else not _is_section_name(block.text))):
            count += 1
    return count


def defined_subject(paragraph: str) -> str | None:
    """What a paragraph defines, when it opens like a definition ("X is/are/refers to ...").

    >>> defined_subject("Feature extraction refers to turning raw data into features.")
    'Feature extraction'
    >>> defined_subject("It is used everywhere."), defined_subject("In practice, we use it.")
    (None, None)
    """
    text = paragraph
    match = _DEFINES.match(text)
    if not match or not text[0].isupper() or match["subject"].split()[0].lower() in _NOT_A_SUBJECT:
        return None
    return match["subject"]


def title_case(phrase: str) -> str:
    """Capitalise a term the way headings do, leaving words that already carry capitals alone.

    >>> title_case("feature extraction"), title_case("bag of words"), title_case("ReLU units")
    ('Feature Extraction', 'Bag of Words', 'ReLU Units')
    """
    words = phrase.split()
    return " ".join(word if not word.islower() or (i and word in _SMALL_WORDS) else word[0].upper() + word[1:]
                    for i, word in enumerate(words))


def _entry_level(headings: list[Block]) -> tuple[int, bool]:
    """The heading level of entries, and whether entries are numbered."""
    numbered = [h.level for h in headings if _NUMBERED.match(h.text)]
    levels = numbered or [h.level for h in headings if not _is_section_name(h.text)] or [h.level for h in headings]
    counts = Counter(levels)
    return max(counts, key=lambda level: (counts[level], level)), bool(numbered)


def _is_section_name(title: str) -> bool:
    name = re.sub(r"[^\w\s]", "", title).strip().lower()
    return name in _SECTION_NAMES or name.startswith(("introduction", "conclusion", "frequently asked"))


def _split_entries(blocks: list[Block], level: int, numbered: bool) -> tuple[list[_Draft], list[Finding]]:
    drafts: list[_Draft] = []
    findings: list[Finding] = []
    current: _Draft | _Skipped | None = None

    def close() -> None:
        if isinstance(current, _Skipped) and current.blocks:
            findings.append(Finding(current.line, f"skipped {current.what}: not an entry"))

    for block in blocks:
        if block.kind == "heading" and block.level <= level:
            close()
            number = _NUMBERED.match(block.text)
            if block.level == level and (number if numbered else not _is_section_name(block.text)):
                current = _Draft(block.line, int(number[1]) if number else None,
                                 number[2].strip() if number else block.text)
                drafts.append(current)
            else:
                current = _Skipped(block.line, f"section '{block.text}'")
        elif block.kind == "heading":
            # A sub-heading inside an entry or section: its text below still belongs there, and is not a
            # paragraph whose heading went missing.
            if isinstance(current, _Draft):
                current.headed.add(len(current.blocks))
        elif block.kind == "rule":
            if isinstance(current, _Draft):  # a rule after an entry closes it: what follows is not its text
                current = _Skipped(block.line, "text after a horizontal rule")
        else:
            if current is None:
                current = _Skipped(block.line, "text before the first heading")
            current.blocks.append(block)
    close()
    return drafts, findings


def _recover_missing_headings(drafts: list[_Draft], numbered: bool,
                              findings: list[Finding]) -> list[tuple[_Draft, bool]]:
    """Split off paragraphs that define another subject; each becomes an entry when the numbering has a gap
    of exactly their count right after their entry. Returns (draft, recovered) pairs in document order."""
    result: list[tuple[_Draft, bool]] = []
    for i, draft in enumerate(drafts):
        name = _CONTINUED.sub("", draft.title)
        after = drafts[i + 1] if i + 1 < len(drafts) else None
        missing = list(range(draft.number + 1, after.number)) if numbered and after and after.number else []
        foreign = [j for j, block in enumerate(draft.blocks) if j and j not in draft.headed
                   and block.kind == "paragraph"
                   and (subject := defined_subject(block.text)) and not _same_subject(subject, draft.title)]
        if numbered and after and after.number is not None and after.number <= draft.number:
            findings.append(Finding(after.line, f"numbering goes from {draft.number} back to {after.number}"))
        if foreign and len(foreign) == len(missing):
            result.append((_Draft(draft.line, draft.number, draft.title, draft.blocks[:foreign[0]]), False))
            for number, start, end in zip(missing, foreign, [*foreign[1:], len(draft.blocks)]):
                paragraph = draft.blocks[start]
                term = title_case(defined_subject(paragraph.text) or f"Entry {number}")
                findings.append(Finding(paragraph.line, f"paragraph with no heading under entry {draft.number} "
                                        f"'{name}'; the numbering skips {number} here, so it becomes entry "
                                        f"{number} '{term}'"))
                result.append((_Draft(paragraph.line, number, term, draft.blocks[start:end]), True))
            continue
        for j in foreign:
            findings.append(Finding(draft.blocks[j].line, f"paragraph with no heading under entry "
                                    f"'{name}' reads like the definition of "
                                    f"'{defined_subject(draft.blocks[j].text)}'; kept in that entry"))
        if missing:
            gap = str(missing[0]) if len(missing) == 1 else f"{missing[0]}-{missing[-1]}"
            findings.append(Finding(after.line, f"numbering skips {gap} between entries {draft.number} "
                                    f"and {after.number}"))
        result.append((draft, False))
    return result


def _term_and_aliases(draft: _Draft, recovered: bool, findings: list[Finding]) -> tuple[str, tuple[str, ...]]:
    """A heading's term and aliases: "Self-Attention (continued)" -> Self-Attention; "Artificial Neural
    Network (ANN)" -> Artificial Neural Network, alias ANN. A recovered entry's derived term is kept as is."""
    title = draft.title.rstrip(":").strip()
    if recovered:
        return title, ()
    if _CONTINUED.search(title):
        findings.append(Finding(draft.line, f"heading '{title}': dropped '(continued)' from the term"))
        title = _CONTINUED.sub("", title)
    return split_term(title)


def _same_subject(subject: str, title: str) -> bool:
    # "Dropout layers are ..." under "Dropout" is the same subject; "Feature extraction" under "Epoch" is not.
    return bool(set(fold_term(subject).split()) & set(fold_term(title).split()) - _SMALL_WORDS)
