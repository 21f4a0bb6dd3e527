"""`build` and `build --check`: turn the glossary into a fresh index, or tell whether the committed one is."""

from __future__ import annotations

import sys
import time

from glossary_rag.embed import load_encoder
from glossary_rag.glossary import load_glossary
from glossary_rag.index import IndexError_, build_index, load_index, read_manifest, staleness
from glossary_rag.settings import Settings


def build_command(settings: Settings, *, check: bool = False, enriched: bool = True) -> int:
    """Build (or with `check`, verify) `settings.index_dir`. Returns the process exit code."""
    glossary = load_glossary(settings.glossary_path)
    encoder = load_encoder(settings.model)
    if check:
        try:
            manifest = read_manifest(settings.index_dir)
            problems = staleness(manifest, glossary=glossary, model=settings.model,
                                 fingerprint=encoder.fingerprint())
            if manifest.enriched != enriched:
                problems.append(f"built with enrichment={manifest.enriched}, expected {enriched}")
            if not problems:
                load_index(settings.index_dir, glossary=glossary)  # checksums and counts
        except IndexError_ as err:
            problems = [str(err)]
        if problems:
            for problem in problems:
                print(f"stale: {settings.index_dir}: {problem}", file=sys.stderr)
            print("Rebuild with `python scripts/build_index.py` and commit index/.", file=sys.stderr)
            return 1
        print(f"{settings.index_dir} is fresh: {manifest.entries} entries, {manifest.vectors} vectors, "
              f"{manifest.index_type}, model {manifest.model}.")
        return 0
    started = time.perf_counter()
    manifest = build_index(glossary, encoder, settings.index_dir, enriched=enriched,
                           hnsw_threshold=settings.hnsw_threshold, show_progress=len(glossary.entries) > 1000)
    print(f"Built {settings.index_dir}: {manifest.entries} entries, {manifest.vectors} vectors "
          f"({manifest.index_type}, dimension {manifest.dimension}) in {time.perf_counter() - started:.1f}s.")
    return 0
