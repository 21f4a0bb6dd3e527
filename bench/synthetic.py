"""A glossary of a size we don't have: N synthetic entries with ~5 vectors each, for bench/scale.py.

Nothing here is real text meant for people. Names and definitions are drawn from a word list (every word of
our glossary plus generated pseudo-words, Zipf-distributed like real text), so BM25, the name table and the
typo matching work on realistic sizes; vectors are perturbed copies of our real passage vectors,
re-normalised, so FAISS searches clusters shaped like ours. Queries are real: the dev questions plus
synthetic names asked exactly and with typos.

>>> words = word_list(["Dropout drops units", "Epoch: one pass"], extra=3, seed=0)
>>> words[:5], len(words)
(['dropout', 'drops', 'epoch', 'one', 'pass'], 9)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from glossary_rag.glossary import Entry, Glossary

NOTE = ("synthetic: names and definitions generated from a word list (our glossary's words plus pseudo-words), "
        "vectors are perturbed copies of our real passage vectors; queries are real dev questions and "
        "synthetic names asked plainly and misspelt")
_WORD = re.compile(r"[a-z]{3,}")
_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "xi", "ze", "bra", "cor", "den", "fil", "gor", "hun",
              "jes", "kin", "lum", "mor", "nax", "pel", "quo", "ris", "sul", "tor", "ul", "ver", "wen", "yl")
# Each synthetic vector is (1 - s) * a real passage vector + s * another one, s < MAX_SHARE, plus noise of
# norm NOISE: its cosine with the passage it copies is ~0.8.
MAX_SHARE = 0.5
NOISE = 0.4


@dataclass(frozen=True)
class SyntheticGlossary:
    glossary: Glossary
    vectors: np.ndarray          # (n_vectors, dimension) float32, unit length
    entry_of_vector: np.ndarray  # int64 entry id of each vector
    queries: tuple[str, ...]     # synthetic names asked plainly and misspelt


def word_list(texts: list[str], extra: int, seed: int = 0) -> list[str]:
    """Every word (3+ letters) of `texts`, sorted, then `extra` generated pseudo-words (deterministic)."""
    words = sorted({w for text in texts for w in _WORD.findall(text.lower())})
    known, rng, target = set(words), np.random.default_rng(seed), len(words) + extra
    while len(words) < target:
        word = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 5))))
        if word not in known:
            known.add(word)
            words.append(word)
    return words


def make_synthetic(real: Glossary, real_vectors: np.ndarray, real_entry_of_vector: np.ndarray, n_entries: int,
                   *, vectors_per_entry: int = 5, seed: int = 0) -> SyntheticGlossary:
    """`n_entries` entries with `vectors_per_entry` vectors each, copied from `real` and its vectors."""
    rng = np.random.default_rng(seed)
    texts = [t for e in real.entries for t in (*e.names, e.definition, *e.descriptions, *e.questions)]
    words = np.array(word_list(texts, extra=20_000, seed=seed))
    # Zipf-like word frequencies: a few words everywhere, most words rare, as in real definitions.
    cumulative = np.cumsum(1.0 / np.arange(1, len(words) + 1) ** 1.05)
    cumulative /= cumulative[-1]
    common = rng.permutation(len(words))  # which words are common is random, not alphabetical

    def draw(count: int) -> list[str]:
        ranks = np.minimum(np.searchsorted(cumulative, rng.random(count)), len(words) - 1)
        return words[common[ranks]].tolist()

    entries, seen = [], set()
    for i in range(n_entries):
        term_words = draw(int(rng.integers(1, 4)))
        term = " ".join(term_words).title()
        while term.lower() in seen:  # names are unique, as in a real glossary
            term = f"{term} {words[rng.integers(len(words))].title()}"
        seen.add(term.lower())
        aliases = ("".join(w[0] for w in term.split()).upper(),) if len(term_words) > 1 and i % 3 == 0 else ()
        definition = f"{term} is " + " ".join(draw(int(rng.integers(12, 30)))) + "."
        entries.append(Entry(id=i + 1, term=term, aliases=aliases, definition=definition, topic="synthetic"))
    glossary = Glossary(tuple(entries), name="synthetic")

    # Entry i copies real entry i % 100: some of its passage vectors, each pulled the same random share
    # towards one other real passage (a neighbouring idea) and jittered, so 1,000 copies of an entry
    # spread out instead of piling onto one point.
    real_ids = np.array([e.id for e in real.entries])
    vectors_of = {entry_id: np.flatnonzero(real_entry_of_vector == entry_id) for entry_id in real_ids.tolist()}
    source = np.concatenate([rng.choice(vectors_of[int(real_ids[i % len(real_ids)])], size=vectors_per_entry)
                             for i in range(n_entries)])
    partner = np.repeat(rng.integers(0, len(real_vectors), n_entries), vectors_per_entry)
    share = np.repeat(rng.uniform(0.0, MAX_SHARE, n_entries).astype(np.float32), vectors_per_entry)[:, None]
    dimension = real_vectors.shape[1]
    vectors = (1 - share) * real_vectors[source] + share * real_vectors[partner]
    vectors += rng.standard_normal(vectors.shape, dtype=np.float32) * np.float32(NOISE / np.sqrt(dimension))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    entry_of_vector = np.repeat(np.arange(1, n_entries + 1, dtype=np.int64), vectors_per_entry)

    sample = [entries[i] for i in rng.choice(n_entries, size=min(100, n_entries), replace=False)]
    queries = [f"what is {e.term.lower()}" for e in sample[:50]] + [_typo(e.term.lower(), rng) for e in sample[50:]]
    return SyntheticGlossary(glossary, np.ascontiguousarray(vectors, dtype=np.float32), entry_of_vector,
                             tuple(queries))


def _typo(text: str, rng: np.random.Generator) -> str:
    """Swap two neighbouring letters somewhere past the first: "dropout" -> "drpoout"."""
    if len(text) < 4:
        return text
    i = int(rng.integers(1, len(text) - 2))
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def perturbed(real: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    vectors = real[rng.integers(0, len(real), count)] + rng.standard_normal((count, real.shape[1]), dtype=np.float32) \
        * np.float32(NOISE / np.sqrt(real.shape[1]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors, dtype=np.float32)
