"""Import a plain-text glossary: one `Term: definition` or `Term - definition` line per entry (also `—`, `–`
or `=` between them). A line that does not start a new entry, or is indented, continues the definition above;
a `Term:` line alone takes the lines under it. Anything before the first entry is skipped and reported.

>>> text = "My terms\\n\\nEpoch: one pass\\n  over the data.\\nBatch - some rows.\\nLoss:\\n"
>>> parsed = parse_text(text, Path("t.txt"))
>>> [(d.id, d.term, d.definition) for d in parsed.drafts], parsed.findings
([(1, 'Epoch', 'one pass over the data.'), (2, 'Batch', 'some rows.')], \
(Finding(line=1, message='skipped text before the first term: not an entry'), \
Finding(line=6, message="entry 3 'Loss' has an empty definition; skipped")))
"""

from __future__ import annotations

import re
from pathlib import Path

from glossary_rag.importers.records import Draft, Finding, Parsed, split_term
from glossary_rag.importers.resolve import resolve_drafts

# A term is a short name (no sentence punctuation), then the separator; a colon may end the line.
_ENTRY = re.compile(r"^(?P<term>[^\s:.!?;,=][^:.!?;,=]{0,58}?)\s*(?:(?::|：)(?:\s+|$)|\s+(?:-{1,2}|[—–=])\s+)"
                    r"(?P<rest>.*)$")
_MAX_TERM_WORDS = 6


def entry_line(line: str) -> re.Match | None:
    """The match when `line` opens an entry ("Term: ...", "Term - ..."), else None.

    >>> bool(entry_line("Learning rate - the step size")), bool(entry_line("In short, no: x")), \
bool(entry_line("  indented: no"))
    (True, False, False)
    """
    if line[:1].isspace():
        return None
    match = _ENTRY.match(line.rstrip())
    return match if match and len(match["term"].split()) <= _MAX_TERM_WORDS else None


def looks_like_text(text: str) -> bool:
    """True when at least half of the unindented non-blank lines open an entry."""
    lines = [line for line in text.split("\n")[:400] if line.strip() and not line[:1].isspace()]
    return len(lines) >= 1 and sum(1 for line in lines if entry_line(line)) * 2 >= len(lines)


def parse_text(text: str, file: Path) -> Parsed:
    """Drafts and findings of a plain-text glossary (rules in the module docstring)."""
    drafts: list[Draft] = []
    findings: list[Finding] = []
    current: tuple[int, str, list[str]] | None = None
    skipped_line = 0

    def close() -> None:
        if current is not None:
            line, term, parts = current
            name, aliases = split_term(term)
            drafts.append(Draft(line, name, " ".join(" ".join(parts).split()), aliases, id=len(drafts) + 1))

    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        match = entry_line(line)
        if match:
            close()
            current = (number, match["term"].strip(), [match["rest"].strip()] if match["rest"].strip() else [])
        elif current is not None:
            current[2].append(line.strip())
        elif not skipped_line:
            skipped_line = number
    close()
    if skipped_line:
        findings.append(Finding(skipped_line, "skipped text before the first term: not an entry"))
    return resolve_drafts(drafts, findings)
