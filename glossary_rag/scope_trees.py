"""Fitting the scope model (glossary_rag/decision.py): gradient-boosted trees (scikit-learn's
HistGradientBoostingClassifier), exported to `ScopeTrees` arrays so that nothing at run time needs
scikit-learn, and its probabilities for each writer's queries predicted by trees fitted without that writer.

Why out of writer: thresholds chosen on in-sample probabilities of a flexible model are chosen where the
model is overconfident; the held-out sets are written by people the fit never saw, so each tune writer's
queries are scored as a stranger's would be. Used by glossary_rag.fitting only.
"""

from __future__ import annotations

import numpy as np

from glossary_rag.decision import KINDS, QUERY_FEATURES
from glossary_rag.tree_arrays import ScopeTrees

# Set once by comparing on the tune set's out-of-writer predictions (see the note under issue 17):
# 200 rounds of 15-leaf trees at rate 0.05, L2 1.0; 7-leaf trees and logistic regression drew a worse
# frontier of out-of-scope declined against answerable declined.
TREE_OPTIONS = dict(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0)
# Directions P(covered) may only move in as a feature grows, whatever the other features are: nearer to an
# entry (or naming one) never makes a query less covered; nearer to a concept outside the glossary, or more
# words the glossary never uses, never more. Free trees drew islands where the tune set has no queries:
# "'; DROP TABLE feedback; --", 0.37 from every entry, sat in one at P(covered) 0.68 and was answered.
_INCREASING = ("top_logit", "top_probability", "best_dense", "best_name", "top_dense", "top_mentioned",
               "top_mentioned_long", *(f"top_kind_{k}" for k in KINDS))
_DECREASING = ("unknown_share", "outside_best", "outside_over_best")
MONOTONIC = tuple(1 if f.removesuffix("_x_enriched") in _INCREASING else
                  -1 if f.removesuffix("_x_enriched") in _DECREASING else 0 for f in QUERY_FEATURES)


def fit_trees(x: np.ndarray, y: np.ndarray, seed: int = 0, monotonic: tuple[int, ...] = MONOTONIC):
    """The fitted scikit-learn classifier (deterministic: no subsampling, no early stopping), monotone in
    each column as `monotonic` says (one of -1, 0, 1 per column of `x`)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**TREE_OPTIONS, monotonic_cst=list(monotonic), early_stopping=False,
                                          random_state=seed).fit(x, y)


def export_trees(classifier) -> ScopeTrees:
    """`classifier`'s trees as padded arrays; `ScopeTrees.raw` reproduces its decision function."""
    trees = [predictors[0].nodes for predictors in classifier._predictors]
    width = max(len(t) for t in trees)

    def column(name, kind, fill):
        return tuple(tuple(kind(v) for v in t[name]) + (fill,) * (width - len(t)) for t in trees)

    return ScopeTrees(baseline=float(np.ravel(classifier._baseline_prediction)[0]),
                      feature=column("feature_idx", int, 0), threshold=column("num_threshold", float, 0.0),
                      left=column("left", int, 0), right=column("right", int, 0),
                      leaf=column("is_leaf", bool, True), missing_left=column("missing_go_to_left", bool, False),
                      value=column("value", float, 0.0), depth=int(max(t["depth"].max() for t in trees)))


def predict_out_of_writer(x: np.ndarray, y: np.ndarray, writers: np.ndarray, seed: int = 0) -> np.ndarray:
    """P(covered) for every row from trees fitted on the other writers' rows (all rows when there is only
    one writer, or a writer's rows hold one class only)."""
    out = np.zeros(len(y), dtype=np.float64)
    groups = sorted(set(writers.tolist()))
    if len(groups) < 2:
        return fit_trees(x, y, seed).predict_proba(x)[:, 1]
    for group in groups:
        held = writers == group
        if len(set(y[~held].tolist())) < 2:
            out[held] = fit_trees(x, y, seed).predict_proba(x[held])[:, 1]
            continue
        out[held] = fit_trees(x[~held], y[~held], seed).predict_proba(x[held])[:, 1]
    return out
