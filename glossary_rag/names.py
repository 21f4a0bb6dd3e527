"""Find entry names, aliases and examples inside a query: exactly, as a fragment, or with typos (rapidfuzz).

Dense vectors understand paraphrase but not typos in rare words or bare acronyms ("xent", "t-sne", "gradiant
decent"); the name table catches what they miss. Built once at load, never per query; its cutoffs are in
`Settings` (fuzzy_min_length, fuzzy_name_cutoff, example_quality).

>>> from glossary_rag.glossary import Entry
>>> from glossary_rag.settings import Settings
>>> m = NameMatcher([Entry(id=3, term="Backpropagation", aliases=("backprop",), definition="x")], Settings())
>>> m.match("backprop"), m.match("backprp"), m.match("how does backprop work")
({3: 1.0}, {3: 0.933}, {3: 0.421})
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from glossary_rag.fuzzy import FuzzyTable
from glossary_rag.glossary import Entry
from glossary_rag.settings import Settings

_NON_WORD = re.compile(r"[^\w]+")


def normalize_name(text: str) -> str:
    """Lowercase and fold punctuation so "t-SNE", "t sne" and "T.S.N.E" compare equal to "tsne" or "t sne".

    >>> normalize_name("T-SNE!"), normalize_name("Self-Attention")
    ('t sne', 'self attention')
    """
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


NameKind = Literal["name", "example", "member"]


@dataclass(frozen=True)
class NameMatch:
    """How a query names one entry: the score, the glossary's spelling of the name, and whether it is one of
    the entry's own names (term or alias), one of its `examples` (a kind of the concept), or an example that
    is a concept of its own outside the glossary (a member of the family the entry is about)."""

    score: float
    name: str
    kind: NameKind


class NameMatcher:
    """Find entry names, aliases and examples inside a query: exactly, as a phrase, or with typos (rapidfuzz).

    >>> m = NameMatcher([Entry(id=2, term="Activation Function", examples=("sigmoid", "ReLU"), definition="x")],
    ...                 Settings())
    >>> m.match("sigmoid"), m.match("relus"), m.match("sigmod"), m.match_names("activation function")[2].kind
    ({2: 0.95}, {2: 0.95}, {2: 0.877}, 'name')
    >>> NameMatcher([Entry(id=39, term="F1 Score", aliases=("F-score",), definition="x")], Settings()).match("z-score")
    {}
    """

    def __init__(self, entries: list[Entry], settings: Settings, outside: frozenset[str] = frozenset()):
        """`outside`: normalised names of concepts outside the glossary (glossary_rag/outside.py); an example
        among them is a member, not a name of the entry."""
        s = settings
        # Short names ("ann", "gan") only match exactly; an example ("sigmoid" for Activation Function) names
        # a kind of the entry, so it scores a bit below a name (Settings says how each was set).
        self.min_fuzzy_length, self.fuzzy_cutoff = s.fuzzy_min_length, s.fuzzy_name_cutoff
        # normalised variant -> entry id -> (quality, the spelling in the glossary, name or example)
        self.exact: dict[str, dict[int, tuple[float, str, NameKind]]] = defaultdict(dict)
        for entry in entries:
            labels = [(name, 1.0, "name") for name in entry.names]
            labels += [(example, s.member_quality, "member") if spellings(example) & outside
                       else (example, s.example_quality, "example") for example in entry.examples]
            for written, quality, kind in labels:
                for variant in spellings(written):
                    known = self.exact[variant].get(entry.id)
                    if known is None or quality > known[0]:
                        self.exact[variant][entry.id] = (quality, written, kind)
        self.fuzzy = FuzzyTable([n for n in self.exact if len(n) >= self.min_fuzzy_length])
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
        named = self._named_spans(words)
        for _, gram, variant in named:
            offer(variant, 1.0, gram)
        # A phrase inside a name the query spells out, or cutting across one while holding no name whole, is
        # part of that name, not a typo of another: "self-supervised pretraining" does not also name
        # "semi-supervised training". One that holds a whole name may still be a longer name misspelt
        # ("convolution net": conv net, a CNN; "learning rate schedulr" across "deep learning").
        spans = [(start, start + len(gram.split())) for start, gram, _ in named]
        grams = [" ".join(words[i:i + n]) for n in range(1, min(self.max_words, len(words)) + 1)
                 for i in range(len(words) - n + 1) if not _inside_a_name(i, i + n, spans)]
        # Fragments: every word of the query belongs to one longer name ("bias variance").
        shared = set.intersection(*(self.names_with_word.get(w, set()) for w in words)) if words else set()
        for name in sorted(shared):
            offer(name, 0.9 * length / len(name.replace(" ", "")), norm)
        # Typos: compare each phrase of the query with the longer names. People rarely mistype a name's first
        # letter, and a different one is usually a different word ("z score" is not "f score", F1).
        # A short phrase only counts as a name missing its last letter: any other one-letter change of a
        # five-letter word is usually another word ("alert" is not "ALBERT"), as in spelling.py.
        candidates = [g for g in grams if len(g) >= self.min_fuzzy_length and g not in self.exact]
        for phrase, name, score in self.fuzzy.matches(candidates, self.fuzzy_cutoff, same_first=True):
            if len(phrase) <= self.min_fuzzy_length and not name.startswith(phrase):
                continue
            if phrase[0] == name[0]:
                offer(name, score / 100.0, phrase)
        return found

    def mentioned(self, text: str) -> set[int]:
        """The entries whose name, alias or example `text` contains as words (no typos, no fragments; a
        member example does not count: "how do SVM kernels work?" does not name Discriminative Model).

        >>> m = NameMatcher([Entry(id=24, term="Normalization", definition="x"),
        ...                  Entry(id=45, term="Feature Scaling", aliases=("input normalization",), definition="x")],
        ...                 Settings())
        >>> m.mentioned("why use input normalization?"), m.mentioned("normalization or feature scaling")
        ({45}, {24, 45})
        """
        return set(self.first_mentions(text))

    def first_mentions(self, text: str) -> dict[int, int]:
        """For each entry `mentioned` in `text`, the word where its first mention starts: the entry named
        first is usually what a question is about ("why does dropout work? should it be on at inference?").

        >>> m = NameMatcher([Entry(id=17, term="Dropout", definition="x"),
        ...                  Entry(id=70, term="Inference", definition="x")], Settings())
        >>> m.first_mentions("why does dropout work? should it be on at inference?")
        {17: 2, 70: 9}
        """
        first: dict[int, int] = {}
        for start, _, variant in self._named_spans(normalize_name(text).split()):
            for entry_id, (_, _, kind) in self.exact[variant].items():
                if kind != "member" and (entry_id not in first or start < first[entry_id]):
                    first[entry_id] = start
        return first

    def members(self, text: str) -> dict[int, str]:
        """The entries whose member example `text` contains as words, with the glossary's spelling of it:
        the concepts of their own an entry mentions without defining ("logistic regression" for
        Discriminative Model), so a declined answer can say where the glossary mentions them.

        >>> m = NameMatcher([Entry(id=47, term="Discriminative Model", examples=("logistic regression",),
        ...                        definition="x")], Settings(), outside=frozenset({"logistic regression"}))
        >>> m.members("what is logistic regression?"), m.mentioned("what is logistic regression?")
        ({47: 'logistic regression'}, set())
        """
        return {entry_id: written for _, _, variant in self._named_spans(normalize_name(text).split())
                for entry_id, (_, written, kind) in self.exact[variant].items() if kind == "member"}

    def _named_spans(self, words: list[str]) -> list[tuple[int, str, str]]:
        """(first word, phrase, the name variant it is) for each phrase of `words` that is a name, except
        those inside a longer one: the longest name wins. "nn.Embedding" names the embedding layer, not
        Embedding; "input normalization" names feature scaling, not Normalization."""
        spans = [(i, i + n) for n in range(1, min(self.max_words, len(words)) + 1)
                 for i in range(len(words) - n + 1)]
        named = [((i, j), gram, variant) for i, j in spans for gram in [" ".join(words[i:j])]
                 for variant in _forms(gram) if variant in self.exact]
        return [(i, gram, variant) for (i, j), gram, variant in named
                if not any(a <= i and j <= b and b - a > j - i for (a, b), _, _ in named)]


def _inside_a_name(i: int, j: int, spans: list[tuple[int, int]]) -> bool:
    """Whether words i..j lie inside a named span, or cut across one while holding none whole.

    >>> _inside_a_name(1, 3, [(0, 3)]), _inside_a_name(1, 4, [(0, 3)]), _inside_a_name(0, 2, [(0, 1)])
    (True, True, False)
    """
    crosses = [(a, b) for a, b in spans if a < j and i < b]
    holds = any(i <= a and b <= j for a, b in crosses)
    return any(a <= i and j <= b for a, b in crosses) or (bool(crosses) and not holds)


def match_entry(text: str, entry: Entry, settings: Settings) -> NameMatch | None:
    """How `text` names `entry`: by one of its names, by one of its examples, or (None) not at all.

    >>> e = Entry(id=2, term="Activation Function", examples=("sigmoid", "ReLU"), definition="x")
    >>> s = Settings()
    >>> match_entry("relus", e, s), match_entry("sigmoid activation function", e, s).kind, match_entry("tensor", e, s)
    (NameMatch(score=0.95, name='ReLU', kind='example'), 'name', None)
    """
    return NameMatcher([entry], settings).match_names(text).get(entry.id)


def spellings(name: str) -> set[str]:
    """Spellings that should count as the same name: spaced, joined, and singular/plural.

    >>> sorted(spellings("Pooling Layers"))
    ['pooling layer', 'pooling layers', 'poolinglayer', 'poolinglayers']
    """
    return _forms(normalize_name(name))


def _forms(base: str) -> set[str]:
    """`spellings` of an already normalised name."""
    forms = {base, base.replace(" ", "")}
    for form in list(forms):
        if form.endswith("s") and len(form) > 4 and not form.endswith("ss"):
            forms.add(form[:-1])
        elif len(form) > 3:
            forms.add(form + "s")
    return {f for f in forms if f}
