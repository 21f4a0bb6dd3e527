"""The one decision search makes: which entries rank first, whether the glossary covers the query at all,
how confident the answer is, and whether to ask "did you mean A or B?".

Everything is decided here from one `Evidence` record (gathered by `glossary_rag.search`), by two small
models whose parameters are data (`decision.json`, written by `scripts/fit_decision.py` through
`glossary_rag.fitting`, which uses the feature functions below: there is no second copy of them):

  rank model   P(this candidate is a right first answer | its evidence): a logistic regression;
  scope model  P(the glossary covers the query | the best candidates' evidence and the query's shape):
               gradient-boosted trees (a name inside a long question, far from every definition, is a
               combination one linear score cannot draw), stored as arrays and walked with numpy.

Both are fitted on `eval/tune_queries.jsonl` against the enriched index *and* the plain one (names and
definitions only, as a glossary someone brings has), so thresholds hold for both kinds of index.

>>> model = load_decision_model()
>>> sorted(model.rank_features) == sorted(CANDIDATE_FEATURES)
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from glossary_rag.tree_arrays import ScopeTrees


Intent = Literal["define", "reverse", "compare", "question", "empty"]
Confidence = Literal["high", "medium", "low"]
# What the person is told: an answer, a tentative answer ("the closest entry is X — it may not be exactly
# what you asked"), or that the glossary does not cover it. Declined is `abstained`.
Outcome = Literal["answer", "tentative", "declined"]

DECISION_FILE = Path(__file__).with_name("decision.json")
# Passage kinds whose best similarity is a feature of its own (see glossary_rag/passages.py).
KINDS = ("name", "definition", "sentence", "description", "question")
# Queries this long or longer describe something; a name inside them is context more often than the answer.
LONG_QUERY_WORDS = 8


@dataclass(frozen=True)
class Evidence:
    """What search knows about one query and its first-stage candidates (positions into the entry arrays,
    best first by the first-stage score)."""

    intent: Intent
    n_words: int
    unknown_share: float        # share of content words the glossary never uses
    enriched: bool              # the index has descriptions and questions
    candidates: np.ndarray      # (N,) entry positions
    dense: np.ndarray           # (N,) best cosine over the entry's passages
    by_kind: np.ndarray         # (N, len(KINDS)) best cosine per passage kind, 0 where the kind is absent
    lexical: np.ndarray         # (N,) BM25 divided by the query's best BM25
    name: np.ndarray            # (N,) name / alias / example match, 0..1
    name_at_start: np.ndarray   # (N,) 1 when the query begins with one of the entry's names
    mentioned: np.ndarray       # (N,) 1 when the query contains one of the entry's names as a phrase
    # (N,) 1 when the entry is unnamed but linked (related, opposite, a contrast) to one the query names: "a
    # technique that rescales gradients to prevent exploding gradients" describes a neighbour of the entry it
    # names. named_neighbour: the entry is named and linked to an unnamed candidate in the first ten (a genus).
    neighbour_of_named: np.ndarray
    named_neighbour: np.ndarray
    best_dense: float           # over all entries
    second_dense: float         # best dense of any other entry
    lexical_top: float          # the query's best raw BM25 score
    # Best cosine to a concept the glossary does not define (glossary_rag/outside.py): a question about
    # naive Bayes is nearer to "Naive Bayes" there than to any entry it shares words with.
    outside_best: float = 0.0
    asks: bool = False          # put as a question or request, not a reverse look-up (query.asks_question)
    first_mentioned: np.ndarray | None = None  # (N,) 1 for the entry named first in the query; None: zeros


_CANDIDATE_BASE = (
    "dense", "dense_gap", *(f"kind_{k}" for k in KINDS), "lexical", "name", "name_long", "name_at_start",
    "mentioned", "mentioned_long", "neighbour_of_named", "neighbour_of_named_long", "named_neighbour_long",
    "first_stage_rank", "first_mentioned", "mentioned_asks", "first_mentioned_asks", "neighbour_of_named_asks",
)
# As for the query features below: each also times `enriched`, so plain indexes get their own weights.
CANDIDATE_FEATURES = (*_CANDIDATE_BASE, *(f"{f}_x_enriched" for f in _CANDIDATE_BASE))
_QUERY_BASE = (
    "top_logit", "top_probability", "logit_margin", "best_dense", "second_dense", "dense_gap_5",
    "dense_gap_mean_10", "entries_within_005", "best_name", "top_name_long", "top_name_at_start",
    "unknown_share", "log_words", "intent_define", "intent_reverse", "intent_question", "log_lexical_top",
    "top_lexical", "top_dense", *(f"top_kind_{k}" for k in KINDS),
    "top_mentioned", "top_mentioned_long", "any_mentioned", "top_neighbour_of_named",
    "outside_best", "outside_over_best", "asks", "top_first_mentioned",
)
# Every feature twice: as is, and times `enriched`, so a plain index (a glossary brought as it is) gets its
# own weights without a second model.
QUERY_FEATURES = (*_QUERY_BASE, "enriched", *(f"{f}_x_enriched" for f in _QUERY_BASE))


def candidate_features(ev: Evidence) -> np.ndarray:
    """(N, len(CANDIDATE_FEATURES)) feature matrix for the candidates."""
    n = len(ev.candidates)
    long = float(ev.n_words >= LONG_QUERY_WORDS)
    asks, first = float(ev.asks), np.zeros(n) if ev.first_mentioned is None else ev.first_mentioned
    base = np.column_stack([ev.dense, ev.dense - ev.best_dense, *ev.by_kind.T, ev.lexical, ev.name,
                            ev.name * long, ev.name_at_start, ev.mentioned, ev.mentioned * long,
                            ev.neighbour_of_named, ev.neighbour_of_named * long, ev.named_neighbour * long,
                            1.0 / (1.0 + np.arange(n)), first, ev.mentioned * asks, first * asks,
                            ev.neighbour_of_named * asks]).astype(np.float64)
    return np.concatenate([base, base * float(ev.enriched)], axis=1)


def query_features(ev: Evidence, logits: np.ndarray) -> np.ndarray:
    """The scope model's features, given the rank model's logits for the candidates."""
    order = np.argsort(-logits, kind="stable")
    top = order[0]
    margin = float(logits[order[0]] - logits[order[1]]) if len(order) > 1 else 5.0
    dense = np.sort(ev.dense)[::-1]
    near = dense[1:10] if len(dense) > 1 else dense
    base = np.array([
        float(logits[top]), float(sigmoid(logits[top])), min(margin, 5.0), ev.best_dense, ev.second_dense,
        float(dense[0] - dense[min(4, len(dense) - 1)]), float(dense[0] - near.mean()),
        float((ev.dense > dense[0] - 0.05).sum()), float(ev.name.max()),
        float(ev.name[top]) * float(ev.n_words >= LONG_QUERY_WORDS), float(ev.name_at_start[top]),
        ev.unknown_share, np.log1p(ev.n_words), float(ev.intent == "define"), float(ev.intent == "reverse"),
        float(ev.intent == "question"), np.log1p(ev.lexical_top), float(ev.lexical[top]), float(ev.dense[top]),
        *ev.by_kind[top].tolist(),
        float(ev.mentioned[top]), float(ev.mentioned[top]) * float(ev.n_words >= LONG_QUERY_WORDS),
        float(ev.mentioned.max()), float(ev.neighbour_of_named[top]),
        ev.outside_best, ev.outside_best - ev.best_dense, float(ev.asks),
        0.0 if ev.first_mentioned is None else float(ev.first_mentioned[top]),
    ], dtype=np.float64)
    enriched = float(ev.enriched)
    return np.concatenate([base, [enriched], base * enriched])


class DecisionModel(BaseModel):
    """Fitted parameters, as stored in decision.json, with the tune-set figures they were chosen by."""

    model_config = ConfigDict(frozen=True)

    rank_features: tuple[str, ...]
    rank_coef: tuple[float, ...]
    rank_intercept: float
    rank_mean: tuple[float, ...]
    rank_scale: tuple[float, ...]
    scope_features: tuple[str, ...]
    scope_coef: tuple[float, ...]
    scope_intercept: float
    scope_mean: tuple[float, ...]
    scope_scale: tuple[float, ...]
    # When present, the scope model is these trees (over the standardised features) and scope_coef is unused.
    scope_trees: ScopeTrees | None = None
    # Abstain when P(covered) is below this (chosen on the tune set: see `tune` below) ...
    abstain_below: float
    # ... or below this on a plain index (no descriptions or questions: a glossary brought as it is).
    abstain_below_plain: float = 0.5
    # The same two, for queries that contain the top answer's name, alias or example as words ("what's the
    # motivation for LSTM?"): naming an entry is strong evidence, so these are fitted on their own.
    abstain_below_named: float = 0.5
    abstain_below_plain_named: float = 0.5
    # Confidence bands over P(covered) * the top's share (`top_share`); below `medium_from`: tentative.
    high_from: float
    medium_from: float
    # "Did you mean A or B?" when the top two answers' probabilities are this close and neither is named.
    ambiguity_margin: float
    # How each figure was set: tune-set metrics for the chosen values.
    tune: dict = {}


@dataclass(frozen=True)
class Decision:
    order: tuple[int, ...]          # candidate indices (into Evidence.candidates), best first
    relevance: tuple[float, ...]    # P(right first answer), aligned with `order`
    covered: float                  # P(the glossary covers the query)
    abstained: bool
    confidence: Confidence
    ambiguous: bool
    outcome: Outcome = "answer"


def outcome_of(abstained: bool, confidence: Confidence) -> Outcome:
    """Declined when abstained; tentative when answered with low confidence; else an answer."""
    return "declined" if abstained else "tentative" if confidence == "low" else "answer"


def load_decision_model(path: Path = DECISION_FILE) -> DecisionModel:
    """Read the fitted parameters; a missing or malformed file names itself and the command that writes it."""
    try:
        model = DecisionModel.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        problem = err.errors()[0]["msg"] if hasattr(err, "errors") else str(err)
        raise RuntimeError(f"{path}: cannot read the fitted decision ({problem}). Refit it with "
                           "`python scripts/fit_decision.py`.") from err
    # A file fitted before the features changed would fail later with a bare numpy shape error.
    for kind, stored, current in (("rank", model.rank_features, CANDIDATE_FEATURES),
                                  ("scope", model.scope_features, QUERY_FEATURES)):
        if tuple(stored) != current or len(getattr(model, f"{kind}_coef")) != len(current):
            missing = sorted(set(current) - set(stored))[:3]
            raise RuntimeError(f"{path}: the fitted decision's {kind} features are not this code's "
                               f"(missing e.g. {missing}). Refit it with `python scripts/fit_decision.py`.")
    return model


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def top_share(logits: np.ndarray) -> float:
    """The top candidate's softmax share over all candidates: confidence reads this, not the top's own
    P(right), which cannot see a close second. (With fewer candidates than the fit's 30 -- a glossary that
    small -- shares run larger than the bands were fitted on.)

    >>> top_share(np.zeros(4)), round(top_share(np.array([3.0, 0.0])), 3)
    (0.25, 0.953)
    """
    return float(1.0 / np.exp(logits - logits.max()).sum())


def rank_logits(model: DecisionModel, ev: Evidence) -> np.ndarray:
    x = (candidate_features(ev) - np.asarray(model.rank_mean)) / np.asarray(model.rank_scale)
    return x @ np.asarray(model.rank_coef) + model.rank_intercept


def covered_probability(model: DecisionModel, ev: Evidence, logits: np.ndarray) -> float:
    x = (query_features(ev, logits) - np.asarray(model.scope_mean)) / np.asarray(model.scope_scale)
    if model.scope_trees is not None:
        return float(sigmoid(model.scope_trees.raw(x)))
    return float(sigmoid(x @ np.asarray(model.scope_coef) + model.scope_intercept))


def decide(model: DecisionModel, ev: Evidence, named: float) -> Decision:
    """Rank the candidates, decide abstention, confidence and ambiguity for one query. A name match of at
    least `named` (Settings.named_score) names the entry: no "did you mean A or B?" then."""
    logits = rank_logits(model, ev)
    order = np.argsort(-logits, kind="stable")
    relevance = sigmoid(logits[order])
    covered = covered_probability(model, ev, logits)
    # A query that is an entry's name, alias or example is about that entry whatever the model says: the
    # one hard rule, because a person who types "BCE" or "maxpool" must get the entry, not "not covered".
    threshold = abstention_threshold(model, ev.enriched, bool(ev.mentioned[order[0]]))
    abstained = covered < threshold and float(ev.name.max()) < named
    sure = covered * top_share(logits)
    confidence: Confidence = ("low" if abstained else "high" if sure >= model.high_from
                              else "medium" if sure >= model.medium_from else "low")
    ambiguous = (not abstained and len(order) > 1 and ev.intent in ("define", "question", "reverse")
                 and float(relevance[0] - relevance[1]) < model.ambiguity_margin
                 and float(ev.name[order[0]]) < named)
    return Decision(tuple(int(i) for i in order), tuple(round(float(p), 4) for p in relevance),
                    round(covered, 4), bool(abstained), confidence, bool(ambiguous),
                    outcome_of(bool(abstained), confidence))


def abstention_threshold(model: DecisionModel, enriched: bool, top_named_in_query: bool) -> float:
    """The P(covered) under which to decline, by kind of index and whether the query names its top answer."""
    if enriched:
        return model.abstain_below_named if top_named_in_query else model.abstain_below
    return model.abstain_below_plain_named if top_named_in_query else model.abstain_below_plain


def untrained_model() -> DecisionModel:
    """Neutral parameters (first-stage order, never abstain): what fitting starts from, before decision.json."""
    zeros = (0.0,) * len(CANDIDATE_FEATURES)
    coef = tuple(1.0 if f.startswith("first_stage_rank") else 0.0 for f in CANDIDATE_FEATURES)
    return DecisionModel(rank_features=CANDIDATE_FEATURES, rank_coef=coef, rank_intercept=0.0, rank_mean=zeros,
                         rank_scale=(1.0,) * len(CANDIDATE_FEATURES), scope_features=QUERY_FEATURES,
                         scope_coef=(0.0,) * len(QUERY_FEATURES), scope_intercept=5.0,
                         scope_mean=(0.0,) * len(QUERY_FEATURES), scope_scale=(1.0,) * len(QUERY_FEATURES),
                         abstain_below=0.5, high_from=0.7, medium_from=0.4, ambiguity_margin=0.0)
