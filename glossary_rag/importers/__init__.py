"""Bring your own glossary: read a Markdown, delimited (CSV/TSV/Anki), JSON/JSON Lines/YAML or plain-text
glossary into drafts of entries, with what was found on the way. `glossary_rag.glossary.load_glossary` is the
one public loader: it validates these drafts into a `Glossary` (and reads our own YAML entry files itself).

The format comes from the extension (.md, .csv/.tsv, .json/.jsonl, .yaml/.yml), or from the content when the
extension says nothing (.txt, none). Each format is one module: `markdown` (with `markdown_blocks` and
`markdown_terms`), `delimited`, `structured`, `plain_text`; `resolve` holds the rules they share (empty
entries, "Synonym for X" rows, duplicates) and `text_io` decoding and HTML to text. `export` writes a
glossary back out as our YAML.

>>> detect_format(PROJECT_ROOT / "glossary"), detect_format(PROJECT_ROOT / "README.md")
('yaml', 'markdown')
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from glossary_rag.importers.delimited import looks_delimited, parse_delimited
from glossary_rag.importers.markdown import parse_markdown
from glossary_rag.importers.plain_text import looks_like_text, parse_text
from glossary_rag.importers.records import Draft, Finding, Format, FormatError, Parsed
from glossary_rag.importers.resolve import resolve_drafts
from glossary_rag.importers.structured import parse_json, parse_json_lines, parse_yaml
from glossary_rag.importers.text_io import read_text
from glossary_rag.settings import PROJECT_ROOT  # noqa: F401  (the doctests use it)

__all__ = ["Draft", "Finding", "Format", "FormatError", "Parsed", "detect_format", "read_file", "resolve_drafts",
           "sniff_format"]

_BY_EXTENSION: dict[str, Format] = {
    ".yaml": "yaml", ".yml": "yaml", ".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".tsv": "csv",
    ".psv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}
_MARKDOWN = re.compile(r"(?m)^(?:\s{0,3}#{1,6}\s+\S|\s*[-*+]\s+\*\*[^*\n]+\*\*|\*\*[^*\n]+\*\*|"
                       r"\s*\|?\s*:?-{3,}:?\s*\||:\s+\S)")


def detect_format(path: Path) -> Format:
    """One of `Format`, from the extension or, failing that, the content. A folder holds YAML entries."""
    path = Path(path)
    if path.is_dir():
        return "yaml"
    if path.suffix.lower() in _BY_EXTENSION:
        return _BY_EXTENSION[path.suffix.lower()]
    detected = sniff_format(read_text(path)[0])
    if detected is None:
        raise FormatError(f"{path}: cannot tell this file's format. Use a .md, .csv, .json or .yaml extension, "
                          "`Term: definition` lines, or a folder of YAML entries (see README, 'Bring your own "
                          "glossary').")
    return detected


def sniff_format(text: str) -> Format | None:
    """The format a text looks like, or None.

    >>> sniff_format("## Intro\\n### 1. Epoch\\nOne pass."), sniff_format("term,definition\\nA,b\\n")
    ('markdown', 'csv')
    >>> sniff_format('[{"term": "A"}]'), sniff_format("- term: A\\n  definition: b\\n"), sniff_format("hello")
    ('json', 'yaml', None)
    >>> sniff_format('A|"x\\ny"|t\\nB|z|t\\n'), sniff_format("Epoch: one pass.\\nBatch - some rows.\\n")
    ('csv', 'text')
    """
    if text.lstrip()[:1] in ("[", "{"):
        return "json"
    if _looks_like_our_yaml(text):
        return "yaml"
    first = next((line for line in text.splitlines() if line.strip()), "")
    if (not first.lstrip().startswith("#") and re.search(r"[,;\t|]", first)
            and re.search(r"\bterm\b", first, re.I) and re.search(r"\bdefinition\b", first, re.I)):
        return "csv"
    if _MARKDOWN.search(text[:200_000]):
        return "markdown"
    if looks_delimited(text):
        return "csv"
    if looks_like_text(text):
        return "text"
    return None


def read_file(path: Path, fmt: Format) -> Parsed:
    """Drafts and findings of the glossary file at `path`, read as `fmt` (our own YAML entries excepted: the
    loader reads those). Raises `FormatError` naming the file and line when it cannot be read as a glossary."""
    text, findings = read_text(path)
    if fmt == "json":
        jsonl = path.suffix.lower() in (".jsonl", ".ndjson") or _looks_like_json_lines(text)
        parsed = (parse_json_lines if jsonl else parse_json)(text, path)
    else:
        parser = {"markdown": parse_markdown, "csv": parse_delimited, "yaml": parse_yaml, "text": parse_text}[fmt]
        parsed = parser(text, path)
    if not parsed.drafts:
        raise FormatError(f"{path}: no entries found in this {fmt} file (see README, 'Bring your own glossary', "
                          "for the layouts it reads).")
    return Parsed(parsed.drafts, tuple(sorted((*findings, *parsed.findings), key=lambda f: f.line)))


def _looks_like_json_lines(text: str) -> bool:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return len(lines) > 1 and all(line.startswith("{") and line.endswith("}") for line in lines[:20])


def _looks_like_our_yaml(text: str) -> bool:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    items = data if isinstance(data, list) else [data]
    return bool(items) and all(isinstance(item, dict) and "term" in item for item in items)
