"""Write a loaded glossary back out: as JSON (`export --json`), or as our YAML entry files (`export --to DIR`)
so a person converts an imported glossary once and edits it from then on. Loading the folder gives the same
entries (and so the same content hash and index).

>>> from glossary_rag.glossary import Entry
>>> print(entry_yaml(Entry(id=7, term="Epoch", aliases=("epochs",), definition="One pass.")), end="")
id: 7
term: Epoch
aliases:
- epochs
topic: general
definition: One pass.
>>> entry_file_name(Entry(id=7, term="Learning Rate (LR)", definition="x"), width=3)
'007-learning-rate-lr.yaml'
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:  # the loader builds on this package; only its types are needed here
    from glossary_rag.glossary import Entry, Glossary

# The order our entry files use (see glossary/README.md); empty lists are left out.
_FIELD_ORDER = ("id", "term", "aliases", "topic", "definition", "related", "opposite", "same_as", "examples",
                "descriptions", "questions")


def export_json(glossary: Glossary) -> dict:
    """The glossary as the JSON `export --json` prints: entries with every field, and the import warnings."""
    return {"entries": [entry.model_dump(mode="json") for entry in glossary.entries],
            "warnings": [{"line": w.line, "message": w.message} for w in glossary.warnings]}


def entry_yaml(entry: Entry) -> str:
    """One entry as the YAML text of its own file."""
    data = entry.model_dump(mode="json")
    ordered = {key: data[key] for key in _FIELD_ORDER if key in data and data[key] not in ([], None)}
    return yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def entry_file_name(entry: Entry, width: int) -> str:
    """`NNN-slug.yaml`, the way the house glossary names its files, so they sort by id."""
    slug = re.sub(r"[^a-z0-9]+", "-", entry.term.lower()).strip("-")[:60].rstrip("-") or "entry"
    return f"{entry.id:0{width}d}-{slug}.yaml"


def write_yaml_folder(glossary: Glossary, folder: Path) -> list[Path]:
    """Write `folder/entries/*.yaml` (and `contrasts.yaml` when there are contrasts); returns the entry files.

    The folder must not exist or be empty: an export never overwrites. It is written beside `folder` first
    and renamed into place, so an interrupted export leaves nothing half-written.
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder}: already exists and is not an empty folder. Export into a new folder "
                              "(it never overwrites one).")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.{os.getpid()}.partial"
    shutil.rmtree(staging, ignore_errors=True)  # left by an export that was killed
    staging.mkdir()
    try:
        entries = staging / "entries"
        entries.mkdir()
        width = max(3, len(str(max((e.id for e in glossary.entries), default=1))))
        names = []
        for entry in glossary.entries:
            name = entry_file_name(entry, width)
            (entries / name).write_text(entry_yaml(entry), encoding="utf-8")
            names.append(name)
        if glossary.contrasts:
            notes = [{"between": list(c.between), "note": c.note} for c in glossary.contrasts]
            (staging / "contrasts.yaml").write_text(
                yaml.dump(notes, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
        if folder.exists():
            folder.rmdir()  # empty, checked above
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / "entries" / name for name in names]


class _Dumper(yaml.SafeDumper):
    """Safe YAML with multi-line text as a literal block, so definitions stay readable to edit."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)
