"""Bring your own glossary: read a Markdown, CSV or JSON glossary (or our YAML) into a `Glossary`, and say
what was found on the way.

The format comes from the extension (.md, .csv/.tsv, .json, .yaml/.yml), or from the content when the
extension says nothing (.txt, none): JSON opens with "[", our YAML is a list of mappings with `term`, CSV
has a header naming `term` and `definition`, Markdown has `#` headings. Each importer is one module:
`markdown`, `csv_file`, `json_file`; `records` holds what they share.

Imported entries have no descriptions or questions (unless a JSON file carries them), topic "general" and
no links; search still finds them by name, definition and each definition sentence.

>>> glossary, report = import_glossary(PROJECT_ROOT / "glossary")
>>> report.format, report.entries, report.warnings
('yaml', 100, ())
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from glossary_rag.glossary import Glossary, GlossaryError, check_consistency, load_glossary
from glossary_rag.importers.csv_file import parse_csv
from glossary_rag.importers.json_file import parse_json
from glossary_rag.importers.markdown import parse_markdown
from glossary_rag.importers.records import Finding, read_text
from glossary_rag.settings import PROJECT_ROOT  # noqa: F401  (the doctests use it)

__all__ = ["FORMATS", "Finding", "ImportReport", "detect_format", "import_glossary", "sniff_format"]

FORMATS = ("yaml", "markdown", "csv", "json")
_BY_EXTENSION = {".yaml": "yaml", ".yml": "yaml", ".md": "markdown", ".markdown": "markdown",
                 ".csv": "csv", ".tsv": "csv", ".json": "json"}
_PARSERS = {"markdown": parse_markdown, "csv": parse_csv, "json": parse_json}


@dataclass(frozen=True)
class ImportReport:
    """What an import found: the format, how many entries, and each suspicious thing by line."""

    path: Path
    format: str
    entries: int
    warnings: tuple[Finding, ...] = ()

    def render(self) -> str:
        """The report as a person reads it on the terminal.

        >>> warning = Finding(4, "skipped section 'Intro': not an entry")
        >>> print(ImportReport(Path("g.md"), "markdown", 2, (warning,)).render())
        g.md: markdown glossary, 2 entries, 1 warning
          line 4: skipped section 'Intro': not an entry
        """
        count = len(self.warnings)
        head = f"{self.path}: {self.format} glossary, {self.entries} entries, {count} warning{'s' * (count != 1)}"
        return "\n".join([head, *(f"  line {w.line}: {w.message}" for w in self.warnings)])


def detect_format(path: Path) -> str:
    """One of `FORMATS`, from the extension or, failing that, the content. A folder holds YAML entries.

    >>> detect_format(PROJECT_ROOT / "glossary"), detect_format(PROJECT_ROOT / "README.md")
    ('yaml', 'markdown')
    """
    path = Path(path)
    if path.is_dir():
        return "yaml"
    if path.suffix.lower() in _BY_EXTENSION:
        return _BY_EXTENSION[path.suffix.lower()]
    detected = sniff_format(read_text(path))
    if detected is None:
        raise GlossaryError(f"{path}: cannot tell this file's format. Use a .md, .csv, .json or .yaml "
                            "extension, or a folder of YAML entries (see README, 'Bring your own glossary').")
    return detected


def sniff_format(text: str) -> str | None:
    """The format a text looks like, or None.

    >>> sniff_format("## Intro\\n### 1. Epoch\\nOne pass."), sniff_format("term,definition\\nA,b\\n")
    ('markdown', 'csv')
    >>> sniff_format('[{"term": "A"}]'), sniff_format("- term: A\\n  definition: b\\n"), sniff_format("hello")
    ('json', 'yaml', None)
    """
    if text.lstrip()[:1] in ("[", "{"):
        return "json"
    if _looks_like_our_yaml(text):
        return "yaml"
    first = next((line for line in text.splitlines() if line.strip()), "")
    if (not first.lstrip().startswith("#") and re.search(r"[,;\t|]", first)
            and re.search(r"\bterm\b", first, re.I) and re.search(r"\bdefinition\b", first, re.I)):
        return "csv"
    if re.search(r"(?m)^\s{0,3}#{1,6}\s+\S", text):
        return "markdown"
    return None


def import_glossary(path: Path, require_enrichment: bool = False) -> tuple[Glossary, ImportReport]:
    """Load the glossary at `path` in any supported format, with the report of what was found.

    Raises `GlossaryError` naming the file and line when the file cannot be read as a glossary.
    """
    path = Path(path)
    fmt = detect_format(path) if path.is_file() else "yaml"
    if fmt == "yaml":
        glossary = load_glossary(path, require_enrichment)  # also names a path that does not exist
        return glossary, ImportReport(path, "yaml", len(glossary.entries))
    parsed = _PARSERS[fmt](read_text(path), path)
    if not parsed.entries:
        raise GlossaryError(f"{path}: no entries found in this {fmt} file (see README, 'Bring your own "
                            "glossary', for the layout).")
    glossary = Glossary(tuple(sorted(parsed.entries, key=lambda e: e.id)), name=path.stem or "glossary")
    check_consistency(glossary, require_enrichment)
    warnings = tuple(sorted(parsed.findings, key=lambda finding: finding.line))
    return glossary, ImportReport(path, fmt, len(glossary.entries), warnings)


def _looks_like_our_yaml(text: str) -> bool:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    items = data if isinstance(data, list) else [data]
    return bool(items) and all(isinstance(item, dict) and "term" in item for item in items)

