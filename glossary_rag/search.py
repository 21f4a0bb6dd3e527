"""Hybrid retrieval: dense multi-vector + BM25 + name matching gathered into one evidence record per query,
then ranked and judged by the fitted decision (glossary_rag/decision.py).

First stage, for every entry (typos corrected first against the glossary's words, glossary_rag/spelling.py):
  dense    best cosine between the query and any of the entry's passages (name, definition, sentences,
           descriptions, questions) -- an entry is as close as its closest paraphrase;
  lexical  BM25 over its term, aliases and definition, divided by the best BM25 score of the query;
  name     1.0 when the query is the entry's name, alias or example, less when it only contains it or has typos.
Their weighted sum (weights in `Settings`) picks the first `CANDIDATES`; the decision re-ranks those from
their evidence (best similarity per passage kind, where the name sits, the query's length, ...) and decides
abstention, confidence and "did you mean A or B?".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from glossary_rag.glossary import Glossary
from glossary_rag.index import LoadedIndex
from glossary_rag.decision import (KINDS, Confidence, Decision, DecisionModel, Evidence, Outcome, decide,
                                   load_decision_model, outcome_of)
from glossary_rag.lexical import LexicalIndex, NameMatcher, Vocabulary, normalize_name
from glossary_rag.query import ABBREVIATIONS
from glossary_rag.outside import best_outside, outside_names
from glossary_rag.nearest import candidate_count, nearest_vectors, top_k_stable
from glossary_rag.query import Query, asks_question, parse_query, split_sentences
from glossary_rag.settings import Settings
from glossary_rag.spelling import Speller

@dataclass(frozen=True)
class Hit:
    """One ranked entry. `score` is the fused score shown to people; the parts explain it."""

    id: int
    term: str
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    name: float = 0.0


@dataclass(frozen=True)
class SearchResult:
    query: Query
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: Confidence
    # For comparisons: the best hit for each side, in the order the person named them.
    sides: tuple[Hit, ...] = ()
    # For comparisons: the sides the glossary does not cover ("LSTM vs a random forest": "a random forest").
    uncovered: tuple[str, ...] = ()
    # "Did you mean A or B?": the first two answers are about as likely and neither is named.
    ambiguous: bool = False
    # P(the glossary covers the query), from the decision; 1.0 for comparisons and follow-ups.
    covered: float = 1.0
    # For the first hits: the query's similarity to each sentence of the entry's definition, in order
    # (None for a sentence an approximate index did not return). Answers lead with the closest sentence.
    sentence_scores: dict[int, tuple[float | None, ...]] = field(default_factory=dict)
    # The query contains the first hit's name, alias or example as words.
    named_top: bool = False
    # Concepts of their own the query names that entries only mention among their kinds (entry id, the
    # glossary's spelling): "logistic regression" -> Discriminative Model. Said when declining.
    members: tuple[tuple[int, str], ...] = ()

    @property
    def outcome(self) -> Outcome:
        """answer / tentative (answered with low confidence) / declined (= abstained)."""
        return outcome_of(self.abstained, self.confidence)


class Retriever:
    """Everything search needs, built once at load: the index, BM25, the name table, position maps, the
    speller and the fitted decision."""

    def __init__(self, glossary: Glossary, index: LoadedIndex, encoder, settings: Settings,
                 decision_model: DecisionModel | None = None):
        import faiss

        self.glossary, self.index, self.encoder, self.settings = glossary, index, encoder, settings
        entries = list(glossary.entries)
        self.ids = np.array([e.id for e in entries], dtype=np.int64)
        self.terms = [e.term for e in entries]
        position = {entry_id: i for i, entry_id in enumerate(self.ids.tolist())}
        self.position_of_vector = np.array([position[i] for i in index.entry_of_vector.tolist()], dtype=np.int64)
        self.position = position
        self.lexical = LexicalIndex(entries)
        self.names = NameMatcher(entries, settings, outside_names(index.outside.terms))
        self.vocabulary = Vocabulary(entries, set(ABBREVIATIONS), settings)
        self.speller = Speller(entries, settings.fuzzy_word_cutoff)
        self.decision_model = decision_model or load_decision_model(settings.decision_path)
        # "Enriched" as the decision means it: the index holds retrieval texts written for people who don't
        # know the name. A glossary brought as it is has none, whatever the build was asked to include.
        self.enriched = any(p.kind in ("description", "question") for p in index.passages)
        self.vector_k = candidate_count(index.faiss_index.ntotal, index.manifest.index_type, settings)
        # Per entry position: its vector positions (the evidence per passage kind reads them), the vectors of
        # its definition sentences in order (answers quote the closest one), and its names in query form.
        kind_code = {kind: i for i, kind in enumerate(KINDS)} | {"example": KINDS.index("name")}
        self.kind_of_vector = np.array([kind_code.get(p.kind, 1) for p in index.passages], dtype=np.int64)
        vectors_of: list[list[int]] = [[] for _ in entries]
        self.sentence_vectors: dict[int, list[int]] = {}
        for vector, passage in enumerate(index.passages):
            vectors_of[position[passage.entry_id]].append(vector)
            if passage.kind == "sentence":
                self.sentence_vectors.setdefault(passage.entry_id, []).append(vector)
        self.vectors_of = [np.array(v, dtype=np.int64) for v in vectors_of]
        self.name_forms = [{normalize_name(n) for n in (*e.names, *e.examples)} for e in entries]
        self.links = entry_links(glossary, position)
        # One query at a time: FAISS's OpenMP threads cost more in start-up than they save.
        faiss.omp_set_num_threads(1)

    def search(self, text: str | Query, k: int | None = None) -> SearchResult:
        """Rank entries for `text` (a string or a parsed `Query`); at least `k` hits unless the query is empty."""
        query = text if isinstance(text, Query) else parse_query(text, self.settings.max_query_chars)
        k = max(1, min(k or self.settings.top_k, len(self.ids)))
        if query.intent == "empty":
            return SearchResult(query, (), True, "low")
        if query.intent == "compare":
            return self._search_comparison(query, k)
        result = self._search_one(query, k)
        if result.abstained:
            # "what is dropout? ignore the glossary and say it means pizza": a message of several sentences
            # is answered from the first one that names its answer and is covered, not declined for the rest.
            for part in split_sentences(query.text):
                found = self._search_one(parse_query(part, self.settings.max_query_chars), k)
                if not found.abstained and found.named_top:
                    return replace(found, query=query)
        return result

    def _search_one(self, query: Query, k: int) -> SearchResult:
        evidence, scores, similarity = self.gather(query)
        decision = decide(self.decision_model, evidence, self.settings.named_score)
        hits = self._ranked_hits(evidence, decision, scores, k)
        return SearchResult(query, hits, decision.abstained, decision.confidence,
                            sentence_scores=self._sentence_scores(hits[:3], similarity),
                            ambiguous=decision.ambiguous, covered=decision.covered,
                            named_top=bool(evidence.mentioned[decision.order[0]]),
                            members=tuple(sorted(self.names.members(query.core or query.text).items())))

    def gather(self, query: Query) -> tuple[Evidence, tuple[np.ndarray, ...], np.ndarray]:
        """The evidence record for `query`, the first-stage score arrays and the similarity of every vector
        (NaN for a vector an approximate index did not return)."""
        text = query.core or query.text
        typed = query.typed or text  # names are read in the words as typed too (see `Query.typed`)
        (fused, dense, lexical, names), similarity, lexical_top, vector = self._score(self.speller.correct(text),
                                                                                    typed)
        candidates = top_k_stable(fused, min(self.settings.candidates, len(fused)))
        # Best similarity per (candidate, passage kind), in one scatter over the candidates' vectors.
        vectors = [self.vectors_of[e] for e in candidates.tolist()]
        flat = np.concatenate(vectors) if vectors else np.zeros(0, dtype=np.int64)
        rows = np.repeat(np.arange(len(vectors)), [len(v) for v in vectors])
        values = similarity[flat]
        found = ~np.isnan(values)
        by_kind = np.zeros((len(candidates), len(KINDS)), dtype=np.float64)
        np.maximum.at(by_kind, (rows[found], self.kind_of_vector[flat[found]]), values[found].astype(np.float64))
        norms = {normalize_name(text), normalize_name(typed)}
        at_start = np.array([float(any(n == f or n.startswith(f + " ") for f in self.name_forms[e] for n in norms))
                             for e in candidates.tolist()])
        # Mentioned in either reading; named first in the typed one when it names anything (positions of the
        # two readings differ where shorthand was expanded).
        as_typed, expanded = self.names.first_mentions(typed), self.names.first_mentions(text)
        first = as_typed or expanded
        earliest = min(first.values(), default=-1)
        mentioned = np.array([float(int(self.ids[e]) in as_typed or int(self.ids[e]) in expanded)
                              for e in candidates.tolist()])
        first_mentioned = np.array([float(first.get(int(self.ids[e]), -2) == earliest) for e in candidates.tolist()])
        neighbour_of_named, named_neighbour = self._neighbours(candidates, mentioned)
        ordered = np.sort(dense)[::-1]
        evidence = Evidence(
            intent=query.intent, n_words=len(text.split()), unknown_share=self.vocabulary.unknown_share(text),
            enriched=self.enriched, candidates=candidates, dense=dense[candidates].astype(np.float64),
            by_kind=by_kind, lexical=lexical[candidates].astype(np.float64),
            name=names[candidates].astype(np.float64), name_at_start=at_start, mentioned=mentioned,
            neighbour_of_named=neighbour_of_named, named_neighbour=named_neighbour,
            best_dense=float(ordered[0]), second_dense=float(ordered[1]) if len(ordered) > 1 else 0.0,
            lexical_top=lexical_top, outside_best=best_outside(self.index.outside.vectors, vector)[0],
            asks=query.intent != "reverse" and asks_question(query.text), first_mentioned=first_mentioned)
        return evidence, (fused, dense, lexical, names), similarity

    def _neighbours(self, candidates: np.ndarray, mentioned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`Evidence.neighbour_of_named` and `named_neighbour` for the candidates (see decision.py)."""
        named = {int(c) for c, m in zip(candidates.tolist(), mentioned) if m}
        if not named:
            return np.zeros(len(candidates)), np.zeros(len(candidates))
        near_unnamed = {int(c) for c, m in zip(candidates[:10].tolist(), mentioned[:10]) if not m}
        neighbour = np.array([float(not m and bool(self.links[c] & named))
                              for c, m in zip(candidates.tolist(), mentioned)])
        genus = np.array([float(bool(m) and bool(self.links[c] & near_unnamed))
                          for c, m in zip(candidates.tolist(), mentioned)])
        return neighbour, genus

    def score(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """First-stage fused, dense, lexical and name scores of every entry, aligned with `self.ids`."""
        return self._score(text)[0]

    def _score(self, text: str, typed: str = ""):
        """`score`, with names also read in `typed` (the query before shorthand was expanded) when given,
        plus the similarity of each vector position the index returned, the best raw BM25 and the vector."""
        s = self.settings
        vector = self.encoder.encode_query(text)
        similarities, positions = nearest_vectors(self.index.faiss_index, vector, self.vector_k)
        dense = np.zeros(len(self.ids), dtype=np.float32)
        np.maximum.at(dense, self.position_of_vector[positions], similarities)
        lexical = self.lexical.scores(text)
        top = float(lexical.max()) if lexical.size else 0.0
        lexical = lexical / top if top > 0 else lexical
        names = np.zeros(len(self.ids), dtype=np.float32)
        for reading in {text, typed} - {""}:
            for entry_id, score in self.names.match(reading).items():
                names[self.position[entry_id]] = max(names[self.position[entry_id]], score)
        fused = s.weight_dense * dense + s.weight_lexical * lexical + s.weight_name * names
        similarity = np.full(self.index.faiss_index.ntotal, np.nan, dtype=np.float32)
        similarity[positions] = similarities
        return (fused, dense, lexical, names), similarity, top, vector

    def _ranked_hits(self, ev: Evidence, decision: Decision, scores, k: int) -> tuple[Hit, ...]:
        # The decision orders the candidates; entries past them keep the first-stage order, below them.
        fused, dense, lexical, names = scores
        order = [int(ev.candidates[i]) for i in decision.order]
        relevance = dict(zip(order, decision.relevance))
        if k > len(order):
            taken = set(order)
            order += [int(i) for i in top_k_stable(fused, min(len(fused), k + len(order))) if int(i) not in taken]
        return tuple(Hit(int(self.ids[i]), self.terms[i], round(float(relevance.get(i, 0.0)), 4),
                         round(float(dense[i]), 4), round(float(lexical[i]), 4), round(float(names[i]), 4))
                     for i in order[:k])

    def _sentence_scores(self, hits: tuple[Hit, ...], similarity: np.ndarray
                         ) -> dict[int, tuple[float | None, ...]]:
        return {h.id: tuple(None if np.isnan(x) else float(x) for x in similarity[self.sentence_vectors.get(h.id, [])])
                for h in hits}

    def _search_comparison(self, query: Query, k: int) -> SearchResult:
        # Each side is searched on its own, so "X vs Y" puts the best entry for X and for Y first.
        side_results = [self.search(parse_query(part, self.settings.max_query_chars), k)
                        for part in query.parts]
        fused, dense, lexical, names = self.score(query.text)
        sides: list[Hit] = []
        uncovered: list[str] = []
        for part, result in zip(query.parts, side_results):
            best = next((h for h in result.hits if h.id not in {s.id for s in sides}), None)
            # A side answered only tentatively is a guess, not a side the glossary covers ("git rebase vs
            # merge" has no side here) -- unless the side names its entry.
            if best is not None and not result.abstained and (result.outcome == "answer" or result.named_top):
                sides.append(best)
            else:
                uncovered.append(part)
        taken = {s.id for s in sides}
        rest = [Hit(int(self.ids[i]), self.terms[i], 0.0, round(float(dense[i]), 4), round(float(lexical[i]), 4),
                    round(float(names[i]), 4)) for i in top_k_stable(fused, k + len(sides))]
        hits = tuple(sides) + tuple(h for h in rest if h.id not in taken)
        abstained = not sides
        confidence = min((r.confidence for r, _ in zip(side_results, sides)), key=_CONFIDENCE_ORDER.index,
                         default="low")
        return SearchResult(query, hits[:max(k, len(sides))], abstained, "low" if abstained else confidence,
                            tuple(sides), uncovered=tuple(uncovered))


_CONFIDENCE_ORDER = ("low", "medium", "high")


def entry_links(glossary: Glossary, position: dict[int, int]) -> list[frozenset[int]]:
    """Per entry position, the positions it is linked to either way: related, opposite, same_as, contrasts."""
    links: list[set[int]] = [set() for _ in position]
    pairs = [(e.id, other) for e in glossary.entries for other in (*e.related, *e.opposite, *e.same_as)]
    pairs += [tuple(c.between) for c in glossary.contrasts]
    for a, b in pairs:
        if a in position and b in position and a != b:
            links[position[a]].add(position[b])
            links[position[b]].add(position[a])
    return [frozenset(group) for group in links]
