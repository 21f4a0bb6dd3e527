"""The facade the app, CLI and scripts use: load everything once, then `ask` and `search`.

Loading order: glossary (validated) -> model -> index (verified against the glossary and the model). A
missing or stale index is rebuilt only when the caller allows it (the app does, with a log line; the CLI
tells you to run the build).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from glossary_rag.adapt import select_adapter
from glossary_rag.answer import Answer, compose_answer
from glossary_rag.decision import DecisionModel
from glossary_rag.embed import Encoder, load_encoder
from glossary_rag.glossary import Glossary, load_glossary
from glossary_rag.index import LoadedIndex, build_index, index_dir_for, load_index
from glossary_rag.manifest import IndexError_
from glossary_rag.query import Query
from glossary_rag.search import Retriever, SearchResult
from glossary_rag.settings import Settings

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
             encoder: Encoder | None = None, decision_model: DecisionModel | None = None,
             load: Callable[[str, str], Encoder] = load_encoder) -> "Engine":
        """Load glossary, model and index. With `rebuild`, a missing/stale/corrupt index is rebuilt once.

        `load(model, adapter)` loads the encoder when none is given (the app wraps it for ZeroGPU); the
        adapter is the glossary's own, or "" for a glossary it was not trained on."""
        settings = settings or Settings.from_env()
        glossary = load_glossary(settings.glossary_path)
        # Each glossary has its own index folder (index/ for ours); settings.index_dir then names it.
        settings = dataclasses.replace(settings, index_dir=index_dir_for(settings, glossary))
        encoder = encoder or load(settings.model, select_adapter(settings.adapter, glossary))
        fingerprint = encoder.fingerprint()
        try:
            index = load_index(settings.index_dir, settings=settings, glossary=glossary, model=encoder.model_id,
                               fingerprint=fingerprint, dimension=encoder.dimension)
        except IndexError_ as err:
            if not rebuild:
                if Path(settings.glossary_path).resolve() != Settings().glossary_path.resolve():
                    # The plain rebuild command would build glossary/, not this one.
                    raise type(err)(f"{err} For this glossary: `python scripts/build_index.py --glossary "
                                    f"{settings.glossary_path} --index {settings.index_dir}`.") from err
                raise
            log.warning("Index unusable (%s); rebuilding %s once.", err, settings.index_dir)
            if glossary.warnings:  # first use of an imported glossary: show what the import tolerated
                log.warning("%s", glossary.render_report())
            build_index(glossary, encoder, settings.index_dir, settings=settings)
            index = load_index(settings.index_dir, settings=settings, glossary=glossary, model=encoder.model_id,
                               fingerprint=fingerprint, dimension=encoder.dimension)
        return cls(settings, glossary, encoder, index, Retriever(glossary, index, encoder, settings, decision_model))

    def search(self, text: str, k: int | None = None) -> SearchResult:
        """Ranked entries for `text`, with the abstention decision."""
        return self.retriever.search(text, k)

    def ask(self, text: str | Query) -> Answer:
        """A composed, cited answer for `text` (or for a query already parsed, e.g. a follow-up's)."""
        return compose_answer(self.retriever.search(text), self.glossary, self.settings)
