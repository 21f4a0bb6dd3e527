"""Typo-tolerant lookup: the names whose `fuzz.ratio` with a phrase reaches a cutoff.

Up to `LARGE` names one `process.cdist` scores every phrase against every name: ~0.5 ms for our ~1,600
names and a long question's ~25 phrases. Past that (a glossary of thousands of entries) scoring everything
costs tens of milliseconds per query, so a phrase is scored only against names that begin with its first
three characters or end with its last three (a phrase with typos at both ends is missed), and only those
whose length still allows the cutoff: `fuzz.ratio` = 100 * (1 - d / (len(a) + len(b))) with an edit
distance d of at least the difference of the lengths, so a name far shorter or longer can never reach it.

>>> table = FuzzyTable(["dropout", "droplet", "batch normalization"])
>>> table.matches(["dropuot", "xyz"], 82.0)
[('dropuot', 'dropout', 85.71428680419922)]
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict

import numpy as np
from rapidfuzz import fuzz, process


class FuzzyTable:
    """Names to find within a `fuzz.ratio` cutoff of a phrase; scores are float32, as `process.cdist` gives."""

    LARGE = 10_000
    END = 3  # characters at each end that name a bucket

    def __init__(self, names: list[str]):
        self.names = list(names)
        # Names by first character, sorted by length: for callers that only accept a name beginning like
        # the phrase (see `matches(..., same_first=True)`), so a long question's ~250 phrases are scored
        # against the few names that could match instead of all of them.
        self.by_first = {key: _Bucket(group) for key, group in _group(self.names, lambda n: n[:1]).items()}
        self.buckets: tuple[dict[str, _Bucket], dict[str, _Bucket]] | None = None
        if len(self.names) > self.LARGE:
            first, last = defaultdict(list), defaultdict(list)
            for name in self.names:
                first[name[:self.END]].append(name)
                last[name[-self.END:]].append(name)
            self.buckets = tuple({key: _Bucket(group) for key, group in ends.items()} for ends in (first, last))

    def __len__(self) -> int:
        return len(self.names)

    def matches(self, phrases: list[str], cutoff: float, *, same_first: bool = False
                ) -> list[tuple[str, str, float]]:
        """(phrase, name, score) for each pair with `fuzz.ratio(phrase, name) >= cutoff`, phrase by phrase.
        With `same_first`, only names that begin with the phrase's first character (and whose length can
        still reach the cutoff) are scored: exact for callers that reject the others anyway.

        >>> FuzzyTable(["dropout", "bropout"]).matches(["dropuot"], 80.0, same_first=True)
        [('dropuot', 'dropout', 85.71428680419922)]
        """
        phrases = [p for p in phrases if p]
        if not phrases or not self.names:
            return []
        if same_first:
            found = []
            for first, group in _group(phrases, lambda p: p[:1]).items():
                bucket = self.by_first.get(first)
                if bucket is not None:
                    lengths = [len(p) for p in group]
                    found += _scored(group, bucket.within_span(min(lengths), max(lengths), cutoff), cutoff)
            order = {p: i for i, p in enumerate(phrases)}
            return sorted(found, key=lambda row: order[row[0]])
        if self.buckets is None:
            return _scored(phrases, self.names, cutoff)
        found = []
        for phrase in phrases:
            near: list[str] = []
            for ends, key in zip(self.buckets, (phrase[:self.END], phrase[-self.END:])):
                if key in ends:
                    near += ends[key].within_reach(len(phrase), cutoff)
            found += _scored([phrase], near, cutoff)
        return list(dict.fromkeys(found))  # a name in both buckets is scored twice


class _Bucket:
    """Names sorted by length."""

    def __init__(self, names: list[str]):
        self.names = sorted(names, key=len)
        self.lengths = [len(name) for name in self.names]

    def within_reach(self, length: int, cutoff: float) -> list[str]:
        """Names whose length allows a ratio >= cutoff with a phrase of `length` characters.

        ratio <= 100 * 2 * min(n, m) / (n + m); solved for the name length m, with a margin of one.
        """
        return self.within_span(length, length, cutoff)

    def within_span(self, shortest: int, longest: int, cutoff: float) -> list[str]:
        """Names that could reach the cutoff with a phrase of any length from `shortest` to `longest`."""
        share = cutoff / 100.0
        low = math.floor(shortest * share / (2 - share)) - 1
        high = math.ceil(longest * (2 - share) / share) + 1
        return self.names[bisect_left(self.lengths, low):bisect_right(self.lengths, high)]


def _group(items: list[str], key) -> dict:
    groups: dict = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def _scored(phrases: list[str], names: list[str], cutoff: float) -> list[tuple[str, str, float]]:
    if not names:
        return []
    scores = process.cdist(phrases, names, scorer=fuzz.ratio, score_cutoff=cutoff, workers=1)
    rows, cols = np.nonzero(scores)
    return [(phrases[r], names[c], float(scores[r, c])) for r, c in zip(rows.tolist(), cols.tolist())]
