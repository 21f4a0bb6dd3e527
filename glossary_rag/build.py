"""`build` and `build --check`: turn the glossary into a fresh index, or tell whether the committed one is."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from glossary_rag.adapt import adapter_glossary_hash, select_adapter
from glossary_rag.embed import load_encoder
from glossary_rag.glossary import load_glossary
from glossary_rag.index import build_index, index_dir_for, load_index
from glossary_rag.manifest import IndexError_, read_manifest, staleness
from glossary_rag.settings import Settings


def build_command(settings: Settings, *, check: bool = False, enriched: bool = True, encoder=None) -> int:
    """Build (or with `check`, verify) the glossary's index folder (`index_dir_for`). Returns the exit code."""
    glossary = load_glossary(settings.glossary_path)
    index_dir = index_dir_for(settings, glossary)
    house = Path(settings.glossary_path).resolve() == Settings().glossary_path.resolve()
    explicit = f" --index {index_dir}" if index_dir == Path(settings.index_dir) else ""
    rebuild = ("Rebuild with `python scripts/build_index.py` and commit index/." if house else
               f"Rebuild with `python scripts/build_index.py --glossary {settings.glossary_path}{explicit}`.")
    encoder = encoder or load_encoder(settings.model, select_adapter(settings.adapter, glossary))
    if check:
        try:
            manifest = read_manifest(index_dir)
            problems = staleness(manifest, glossary=glossary, model=encoder.model_id,
                                 fingerprint=encoder.fingerprint(), dimension=encoder.dimension)
            if manifest.enriched != enriched:
                problems.append(f"built with enrichment={manifest.enriched}, expected {enriched}")
            trained_on = adapter_glossary_hash(settings.adapter)
            if house and trained_on not in (None, glossary.content_hash):
                problems.append(f"the adapter in {settings.adapter} was trained on another version of the glossary "
                                f"(hash {trained_on[:12]}); retrain it with `python scripts/train_adapter.py`, "
                                "then rebuild and refit (`python scripts/fit_decision.py`)")
            if not problems:
                load_index(index_dir, settings=settings, glossary=glossary)  # checksums and counts
        except IndexError_ as err:
            problems = [str(err)]
        if problems:
            for problem in problems:
                print(f"stale: {index_dir}: {problem}", file=sys.stderr)
            print(rebuild, file=sys.stderr)
            return 1
        print(f"{index_dir} is fresh: {manifest.entries} entries, {manifest.vectors} vectors, "
              f"{manifest.index_type}, model {manifest.model}.")
        return 0
    # What the import found (skipped sections, a paragraph with no heading, ...) is worth a look first.
    print(glossary.render_report(), file=sys.stderr)
    started = time.perf_counter()
    manifest = build_index(glossary, encoder, index_dir, enriched=enriched, settings=settings,
                           show_progress=len(glossary.entries) > 1000)
    print(f"Built {index_dir}: {manifest.entries} entries, {manifest.vectors} vectors "
          f"({manifest.index_type}, dimension {manifest.dimension}) in {time.perf_counter() - started:.1f}s.")
    return 0
