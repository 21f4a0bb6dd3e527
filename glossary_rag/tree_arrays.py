"""Boosted trees as plain arrays (`ScopeTrees`), walked with numpy: the scope model's form in decision.json,
so that serving needs no scikit-learn (glossary_rag/scope_trees.py exports them from a fitted classifier)."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, PrivateAttr


class ScopeTrees(BaseModel):
    """Boosted trees as arrays, one row per tree, nodes padded to the largest tree: at a split node, go
    left when x[feature] <= threshold (or x is NaN and missing_left); a leaf holds its value."""

    model_config = ConfigDict(frozen=True)

    baseline: float
    feature: tuple[tuple[int, ...], ...]
    threshold: tuple[tuple[float, ...], ...]
    left: tuple[tuple[int, ...], ...]
    right: tuple[tuple[int, ...], ...]
    leaf: tuple[tuple[bool, ...], ...]
    missing_left: tuple[tuple[bool, ...], ...]
    value: tuple[tuple[float, ...], ...]
    depth: int
    # The fields as numpy arrays, made on first use (pydantic keeps private attributes out of the JSON).
    _arrays_cache: tuple | None = PrivateAttr(default=None)

    def raw(self, x: np.ndarray) -> float:
        """The boosted sum (a logit) for one feature vector."""
        feature, threshold, left, right, leaf, missing_left, value = self._arrays()
        rows = np.arange(len(feature))
        node = np.zeros(len(feature), dtype=np.int64)
        for _ in range(self.depth):
            f = feature[rows, node]
            v = x[f]
            go_left = np.where(np.isnan(v), missing_left[rows, node], v <= threshold[rows, node])
            nxt = np.where(go_left, left[rows, node], right[rows, node])
            node = np.where(leaf[rows, node], node, nxt)
        return float(self.baseline + value[rows, node].sum())

    def _arrays(self):
        if self._arrays_cache is None:
            self._arrays_cache = (np.asarray(self.feature, dtype=np.int64), np.asarray(self.threshold, dtype=np.float64),
                      np.asarray(self.left, dtype=np.int64), np.asarray(self.right, dtype=np.int64),
                      np.asarray(self.leaf, dtype=bool), np.asarray(self.missing_left, dtype=bool),
                      np.asarray(self.value, dtype=np.float64))
        return self._arrays_cache
