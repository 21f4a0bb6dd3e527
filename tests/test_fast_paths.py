"""The speed-ups change no result: each fast path is compared with the slow computation it replaced."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from glossary_rag.fuzzy import FuzzyTable
from glossary_rag.nearest import top_k_stable


@pytest.mark.parametrize("text", ["what is dropout?", "x", "", "🚀 émoji and ümlauts", "gradiant decent " * 80],
                         ids=["question", "one-letter", "empty", "emoji", "past-the-model-limit"])
def test_query_fast_path_gives_the_same_bits_as_encode(encoder, text):
    assert np.array_equal(encoder._encode_one(text), encoder.encode([text])[0])


def _mutations(names: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    phrases = []
    for _ in range(count):
        chars = list(rng.choice(names))
        for _ in range(rng.randint(0, 3)):
            i = rng.randrange(len(chars))
            op = rng.random()
            if op < 0.3 and len(chars) > 1:
                chars.pop(i)
            elif op < 0.6:
                chars.insert(i, rng.choice("abcdefghij "))
            else:
                chars[i] = rng.choice("abcdefghij")
        phrases.append("".join(chars))
    return phrases


def _cdist(phrases, names, cutoff):
    scores = process.cdist(phrases, names, scorer=fuzz.ratio, score_cutoff=cutoff, workers=1)
    rows, cols = np.nonzero(scores)
    return sorted((phrases[r], names[c], float(scores[r, c])) for r, c in zip(rows, cols))


@pytest.mark.parametrize("cutoff", [82.0, 85.0, 60.0])
def test_small_fuzzy_table_equals_a_full_cdist(cutoff):
    rng = random.Random(1)
    names = sorted({"".join(rng.choice("abcdefghij ") for _ in range(rng.randint(5, 20))).strip() or "x"
                    for _ in range(500)})
    phrases = _mutations(names, 300, seed=2)
    assert sorted(FuzzyTable(names).matches(phrases, cutoff)) == _cdist(phrases, names, cutoff)


def test_large_fuzzy_table_finds_every_match_that_shares_three_end_characters():
    rng = random.Random(3)
    names = sorted({"".join(rng.choice("abcde") for _ in range(rng.randint(5, 16)))
                    for _ in range(FuzzyTable.LARGE + 2000)})
    table = FuzzyTable(names)
    assert table.buckets is not None
    phrases = _mutations(names, 200, seed=4)
    expected = [m for m in _cdist(phrases, names, 82.0) if m[0][:3] == m[1][:3] or m[0][-3:] == m[1][-3:]]
    assert sorted(table.matches(phrases, 82.0)) == expected
    assert len(expected) > 100


@pytest.mark.parametrize("n", [10, 5000, 100_000])
def test_top_k_equals_a_stable_full_sort(n):
    rng = np.random.default_rng(n)
    for k in (1, 10, 37):
        scores = (rng.integers(0, 40, n) / 7).astype(np.float32)  # many ties
        assert np.array_equal(top_k_stable(scores, k), np.argsort(-scores, kind="stable")[:k])
