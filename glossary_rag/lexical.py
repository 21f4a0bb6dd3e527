"""Lexical evidence: BM25 over names, aliases and definitions, and exact/fuzzy matching of names and examples.

Dense vectors understand paraphrase but not typos in rare words or bare acronyms ("xent", "t-sne", "gradiant
decent"); these two structures catch what they miss. Both are built once at load, never per query.

>>> from glossary_rag.glossary import Entry
>>> m = NameMatcher([Entry(id=3, term="Backpropagation", aliases=("backprop",), definition="x")])
>>> m.match("backprop"), m.match("backprp"), m.match("how does backprop work")
({3: 1.0}, {3: 0.933}, {3: 0.421})
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import bm25s
import bm25s.stopwords
import numpy as np
import Stemmer

from glossary_rag.fuzzy import FuzzyTable
from glossary_rag.glossary import Entry

_STEMMER = Stemmer.Stemmer("english")
_NON_WORD = re.compile(r"[^\w]+")


def normalize_name(text: str) -> str:
    """Lowercase and fold punctuation so "t-SNE", "t sne" and "T.S.N.E" compare equal to "tsne" or "t sne".

    >>> normalize_name("T-SNE!"), normalize_name("Self-Attention")
    ('t sne', 'self attention')
    """
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def tokenize(texts: list[str]):
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER.stemWords, show_progress=False)


class LexicalIndex:
    """BM25 (bm25s) over each entry's term, aliases and definition; scores every entry for a query."""

    def __init__(self, entries: list[Entry]):
        self.ids = np.array([e.id for e in entries], dtype=np.int64)
        docs = [" ".join([e.term, *e.aliases, e.term, e.definition, *e.examples]) for e in entries]
        self.retriever = bm25s.BM25()
        self.retriever.index(tokenize(docs), show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every entry (aligned with `self.ids`); zeros when no query word is known."""
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_STEMMER.stemWords, return_ids=False,
                                show_progress=False)[0]
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)


NameKind = Literal["name", "example"]


@dataclass(frozen=True)
class NameMatch:
    """How a query names one entry: the score, the glossary's spelling of the name, and whether it is one of
    the entry's own names (term or alias) or one of its `examples` (a kind of the concept)."""

    score: float
    name: str
    kind: NameKind


class NameMatcher:
    """Find entry names, aliases and examples inside a query: exactly, as a phrase, or with typos (rapidfuzz).

    >>> m = NameMatcher([Entry(id=2, term="Activation Function", examples=("sigmoid", "ReLU"), definition="x")])
    >>> m.match("sigmoid"), m.match("relus"), m.match("sigmod"), m.match_names("activation function")[2].kind
    ({2: 0.95}, {2: 0.95}, {2: 0.877}, 'name')
    >>> NameMatcher([Entry(id=39, term="F1 Score", aliases=("F-score",), definition="x")]).match("z-score")
    {}
    """

    # Short names ("ann", "gan") only match exactly: fuzzy matching three letters is noise.
    MIN_FUZZY_LEN = 5
    FUZZY_CUTOFF = 82.0
    # An example ("sigmoid" for Activation Function) names a kind of the entry, not the entry: it scores a bit
    # below a name, so an entry that *is* called that (exactly or by its plural) still ranks first. Still
    # above search.NAMED (0.85), so a bare example is never abstained on.
    EXAMPLE_QUALITY = 0.95

    def __init__(self, entries: list[Entry]):
        # normalised variant -> entry id -> (quality, the spelling in the glossary, name or example)
        self.exact: dict[str, dict[int, tuple[float, str, NameKind]]] = defaultdict(dict)
        for entry in entries:
            labels = [(name, 1.0, "name") for name in entry.names]
            labels += [(example, self.EXAMPLE_QUALITY, "example") for example in entry.examples]
            for written, quality, kind in labels:
                for variant in _variants(written):
                    known = self.exact[variant].get(entry.id)
                    if known is None or quality > known[0]:
                        self.exact[variant][entry.id] = (quality, written, kind)
        self.fuzzy = FuzzyTable([n for n in self.exact if len(n) >= self.MIN_FUZZY_LEN])
        # word -> multi-word names containing it, for fragments such as "bias variance".
        self.names_with_word: dict[str, set[str]] = defaultdict(set)
        for name in self.exact:
            if " " in name:
                for word in name.split():
                    self.names_with_word[word].add(name)
        self.max_words = max((len(n.split()) for n in self.exact), default=1)

    def match(self, text: str) -> dict[int, float]:
        """Score in (0, 1] for each entry named in `text` (see `match_names`)."""
        return {entry_id: found.score for entry_id, found in self.match_names(text).items()}

    def match_names(self, text: str) -> dict[int, NameMatch]:
        """The best `NameMatch` for each entry named in `text`.

        A name's score is how well it matches (1.0 exact, else its typo similarity; examples a bit less)
        times how much of the text it covers: "batchnorm" alone names Batch Normalization; the word
        "weight" inside a long question about batch sizes says little about the Weight entry.
        """
        norm = normalize_name(text)
        if not norm:
            return {}
        found: dict[int, NameMatch] = {}
        length = len(norm.replace(" ", ""))

        def offer(variant: str, quality: float, phrase: str) -> None:
            cover = min(1.0, len(phrase.replace(" ", "")) / length)
            for entry_id, (own, written, kind) in self.exact[variant].items():
                score = round(quality * own * cover, 3)
                if entry_id not in found or score > found[entry_id].score:
                    found[entry_id] = NameMatch(score, written, kind)

        words = norm.split()
        grams = [" ".join(words[i:i + n]) for n in range(1, min(self.max_words, len(words)) + 1)
                 for i in range(len(words) - n + 1)]
        for gram in grams:
            for variant in _forms(gram):  # grams are normalised already
                if variant in self.exact:
                    offer(variant, 1.0, gram)
        # Fragments: every word of the query belongs to one longer name ("bias variance").
        shared = set.intersection(*(self.names_with_word.get(w, set()) for w in words)) if words else set()
        for name in sorted(shared):
            offer(name, 0.9 * length / len(name.replace(" ", "")), norm)
        # Typos: compare each phrase of the query with the longer names. People rarely mistype a name's first
        # letter, and a different one is usually a different word ("z score" is not "f score", F1).
        candidates = [g for g in grams if len(g) >= self.MIN_FUZZY_LEN and g not in self.exact]
        for phrase, name, score in self.fuzzy.matches(candidates, self.FUZZY_CUTOFF):
            if phrase[0] == name[0]:
                offer(name, score / 100.0, phrase)
        return found


def match_entry(text: str, entry: Entry) -> NameMatch | None:
    """How `text` names `entry`: by one of its names, by one of its examples, or (None) not at all.

    >>> e = Entry(id=2, term="Activation Function", examples=("sigmoid", "ReLU"), definition="x")
    >>> match_entry("relus", e), match_entry("sigmoid activation function", e).kind, match_entry("tensor", e)
    (NameMatch(score=0.95, name='ReLU', kind='example'), 'name', None)
    """
    return NameMatcher([entry]).match_names(text).get(entry.id)


class Vocabulary:
    """Every word the glossary uses, to notice questions about things it has no word for.

    "naive bayes classifier" lands near entries about classifiers, but "naive" and "bayes" appear nowhere
    in the glossary: that is evidence the question is out of scope, whatever the nearest vector says.
    """

    # Typos of known words ("overfiting") still count as known.
    TYPO_CUTOFF = 85.0

    def __init__(self, entries: list[Entry], extra_words: set[str] = frozenset()):
        words: set[str] = set(extra_words)
        for entry in entries:
            for text in (*entry.names, entry.definition, *entry.descriptions, *entry.questions):
                words.update(_WORD.findall(text.lower()))
        self.words = words
        self.typo_candidates = FuzzyTable([w for w in words if len(w) >= 4])

    def unknown_share(self, text: str) -> float:
        """Share of the content words of `text` that the glossary never uses (0.0 when it has none).

        >>> from glossary_rag.glossary import Entry
        >>> Vocabulary([Entry(id=1, term="Dropout", definition="Randomly zero units.")]).unknown_share("dropuot of bayes")
        0.5
        """
        content = [w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOPWORDS]
        if not content:
            return 0.0
        unknown = [w for w in content if w not in self.words]
        if unknown:
            close = {phrase for phrase, _, _ in self.typo_candidates.matches(unknown, self.TYPO_CUTOFF)}
            unknown = [w for w in unknown if w not in close]
        return len(unknown) / len(content)


_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = set(bm25s.stopwords.STOPWORDS_EN_PLUS) | {
    "what", "how", "why", "when", "which", "who", "does", "do", "did", "can", "could", "would", "should",
    "my", "me", "you", "your", "get", "use", "using", "used", "called", "term", "word", "name", "mean",
    "means", "explain", "define", "tell", "about", "please", "thing", "things", "way", "ways"}


def _variants(name: str) -> set[str]:
    """Spellings that should count as the same name: spaced, joined, and singular/plural.

    >>> sorted(_variants("Pooling Layers"))
    ['pooling layer', 'pooling layers', 'poolinglayer', 'poolinglayers']
    """
    return _forms(normalize_name(name))


def _forms(base: str) -> set[str]:
    """`_variants` of an already normalised name."""
    forms = {base, base.replace(" ", "")}
    for form in list(forms):
        if form.endswith("s") and len(form) > 4 and not form.endswith("ss"):
            forms.add(form[:-1])
        elif len(form) > 3:
            forms.add(form + "s")
    return {f for f in forms if f}
