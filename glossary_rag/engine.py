"""The facade the app, CLI and scripts use: load everything once, then `ask` and `search`.

Loading order: glossary (validated) -> model -> index (verified against the glossary and the model). A
missing or stale index is rebuilt only when the caller allows it (the app does, with a log line; the CLI
tells you to run the build).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from glossary_rag.answer import Answer, compose_answer
from glossary_rag.embed import Encoder, load_encoder
from glossary_rag.glossary import Glossary
from glossary_rag.importers import import_glossary
from glossary_rag.index import IndexError_, LoadedIndex, build_index, load_index
from glossary_rag.search import Retriever, SearchResult
from glossary_rag.settings import Settings, index_dir_for

log = logging.getLogger("glossary_rag")


@dataclass
class Engine:
    settings: Settings
    glossary: Glossary
    encoder: Encoder
    index: LoadedIndex
    retriever: Retriever

    @classmethod
    def load(cls, settings: Settings | None = None, *, rebuild: bool = False,
             encoder: Encoder | None = None) -> "Engine":
        """Load glossary, model and index. With `rebuild`, a missing/stale/corrupt index is rebuilt once."""
        settings = settings or Settings.from_env()
        glossary, report = import_glossary(settings.glossary_path)
        # Each glossary has its own index folder (index/ for ours); settings.index_dir then names it.
        settings = dataclasses.replace(settings, index_dir=index_dir_for(settings, glossary))
        encoder = encoder or load_encoder(settings.model)
        fingerprint = encoder.fingerprint()
        try:
            index = load_index(settings.index_dir, glossary=glossary, model=settings.model,
                               fingerprint=fingerprint, dimension=encoder.dimension)
        except IndexError_ as err:
            if not rebuild:
                if Path(settings.glossary_path).resolve() != Settings().glossary_path.resolve():
                    # The plain rebuild command would build glossary/, not this one.
                    raise type(err)(f"{err} For this glossary: `python scripts/build_index.py --glossary "
                                    f"{settings.glossary_path} --index {settings.index_dir}`.") from err
                raise
            log.warning("Index unusable (%s); rebuilding %s once.", err, settings.index_dir)
            if report.warnings:  # first use of an imported glossary: show what the import tolerated
                log.warning("%s", report.render())
            build_index(glossary, encoder, settings.index_dir, ann_threshold=settings.ann_threshold)
            index = load_index(settings.index_dir, glossary=glossary, model=settings.model,
                               fingerprint=fingerprint, dimension=encoder.dimension)
        return cls(settings, glossary, encoder, index, Retriever(glossary, index, encoder, settings))

    def search(self, text: str, k: int | None = None) -> SearchResult:
        """Ranked entries for `text`, with the abstention decision."""
        return self.retriever.search(text, k)

    def ask(self, text: str) -> Answer:
        """A composed, cited answer for `text`."""
        return compose_answer(self.retriever.search(text), self.glossary, self.settings.ambiguity_margin)
