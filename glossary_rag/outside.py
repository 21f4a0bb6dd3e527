"""Concepts outside the glossary: a vocabulary of machine-learning, statistics and tooling concepts that a
glossary of this kind does not define, so search can tell "what is a support vector machine?" is about
something of its own, not about the entry whose words it shares (Discriminative Model).

The glossary only knows its entries; without a picture of what else exists, a near-domain question lands on
its nearest entry with a fair similarity and looks covered. The vocabulary (`data/outside_concepts.jsonl`,
one `{"term", "definition"}` a line, written for the purpose from the entry names alone) is embedded at
build time into the index (glossary_rag/index.py), after dropping every concept that the glossary being
indexed has as a name or alias, so a glossary that does define support vector machines is not told otherwise.
Search then reads the query's best similarity to it (`Evidence.outside_best`), and an entry's example that
is a concept of its own ("support vector machine" among Discriminative Model's examples) names the entry
less strongly than a variant it explains ("max pooling" for Pooling Layer; glossary_rag/names.py).

>>> from glossary_rag.glossary import Entry, Glossary
>>> g = Glossary((Entry(id=1, term="Dropout", aliases=("dropout layer",), definition="x"),), name="g")
>>> kept = concepts_outside(g, (OutsideConcept("Dropout Layer", "y"), OutsideConcept("Naive Bayes (NB)", "z")))
>>> [c.term for c in kept], sorted(name_forms(kept[0].term))
(['Naive Bayes (NB)'], ['naive bayes', 'nb'])
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glossary_rag.glossary import Glossary
from glossary_rag.names import normalize_name, spellings

OUTSIDE_FILE = Path(__file__).with_name("data") / "outside_concepts.jsonl"
_PARENTHESES = re.compile(r"\(([^)]*)\)")


@dataclass(frozen=True)
class OutsideConcept:
    term: str
    definition: str


def load_outside_concepts(path: Path = OUTSIDE_FILE) -> tuple[OutsideConcept, ...]:
    """Read the vocabulary; a malformed line names the file and line."""
    concepts = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            concepts.append(OutsideConcept(str(record["term"]).strip(), str(record["definition"]).strip()))
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path}: line {number}: not a {{\"term\", \"definition\"}} object ({err})") from err
    return tuple(concepts)


def outside_hash(path: Path = OUTSIDE_FILE) -> str:
    """Content hash of the vocabulary file, recorded in the manifest so an edit makes the index stale."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def name_forms(term: str) -> set[str]:
    """The normalised names in a concept's term: without the parenthesised acronym, and the acronym
    ("Support Vector Machine (SVM)" -> "support vector machine", "svm")."""
    forms = {normalize_name(_PARENTHESES.sub(" ", term))}
    forms |= {normalize_name(inner) for inner in _PARENTHESES.findall(term)}
    return {f for f in forms if f}


def outside_names(terms: tuple[str, ...]) -> frozenset[str]:
    """Every normalised name of these concepts (what glossary_rag/names.py compares examples with)."""
    return frozenset(form for term in terms for form in name_forms(term))


def concepts_outside(glossary: Glossary, concepts: tuple[OutsideConcept, ...]) -> tuple[OutsideConcept, ...]:
    """The concepts that are none of the glossary's names or aliases, in any spelling `names.py` treats as
    the same (plural, joined, an acronym in parentheses). Examples don't count: an entry that lists SVMs
    among its kinds does not define them."""
    own = {variant for entry in glossary.entries for name in entry.names for form in name_forms(name)
           for variant in spellings(form)}
    return tuple(c for c in concepts if not {v for f in name_forms(c.term) for v in spellings(f)} & own)


def outside_texts(concepts: tuple[OutsideConcept, ...]) -> list[str]:
    """What is embedded: every concept's name, then every concept's definition (two vectors a concept)."""
    return [c.term for c in concepts] + [f"{c.term}: {c.definition}" for c in concepts]


@dataclass(frozen=True)
class OutsideVectors:
    """The embedded vocabulary of an index: the kept concepts' terms, their vectors (`outside_texts` order:
    names, then definitions), and the hash of the file they came from."""

    terms: tuple[str, ...]
    vectors: np.ndarray
    source_hash: str

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, vectors=self.vectors.astype(np.float32), terms=np.array(self.terms, dtype=str))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, source_hash: str) -> "OutsideVectors":
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            vectors, terms = arrays["vectors"].astype(np.float32), tuple(str(t) for t in arrays["terms"])
        if len(vectors) != 2 * len(terms):
            raise ValueError(f"{len(vectors)} vectors for {len(terms)} concepts (expected two each)")
        return cls(terms, vectors, source_hash)


def no_outside_vectors(dimension: int) -> OutsideVectors:
    """An index without the vocabulary (a synthetic benchmark index): search then sees nothing outside."""
    return OutsideVectors((), np.zeros((0, dimension), dtype=np.float32), "")


# A concept whose name embeds this close to an entry's term is that entry under another spelling
# ("k-Nearest Neighbours" for an imported "K-nearest neighbors"). On our glossary the closest distinct pairs
# sit at 0.80 and below (TensorRT ~ Tensor, Database Normalization ~ Normalization).
SAME_NAME_COSINE = 0.9


def embed_outside(glossary: Glossary, encoder, path: Path = OUTSIDE_FILE) -> OutsideVectors:
    """Embed the concepts outside `glossary` with the encoder that embeds its passages, leaving out those
    whose name is, or embeds as, one of its entries' terms."""
    kept = concepts_outside(glossary, load_outside_concepts(path))
    if not kept:
        return OutsideVectors((), np.zeros((0, encoder.dimension), dtype=np.float32), outside_hash(path))
    vectors = encoder.encode(outside_texts(kept))
    terms = encoder.encode([e.term for e in glossary.entries])
    distinct = (vectors[:len(kept)] @ terms.T).max(axis=1) < SAME_NAME_COSINE if len(terms) else np.ones(len(kept), bool)
    keep = np.concatenate([distinct, distinct])
    return OutsideVectors(tuple(c.term for c, d in zip(kept, distinct) if d), vectors[keep], outside_hash(path))


def best_outside(vectors: np.ndarray, query: np.ndarray) -> tuple[float, int]:
    """The query's best cosine to any outside concept and that concept's position (0.0, -1 when none)."""
    if len(vectors) == 0:
        return 0.0, -1
    similarity = vectors @ query
    best = int(similarity.argmax())
    return float(similarity[best]), best % (len(vectors) // 2)
