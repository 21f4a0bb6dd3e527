"""Fit the decision (glossary_rag/decision.py) on a tune query file, against the enriched index and a plain
one built from the same glossary without descriptions and questions.

Used by `scripts/fit_decision.py`; nothing at run time imports it.
"""

from __future__ import annotations


import sys
import tempfile
from pathlib import Path

from glossary_rag.decision import DecisionModel, Example, fit_decision, untrained_model
from glossary_rag.evaluation import EvalQuery, read_queries
from glossary_rag.index import build_index, load_index
from glossary_rag.query import parse_query
from glossary_rag.search import Retriever


def collect_examples(retriever: Retriever, queries: list[EvalQuery]) -> list[Example]:
    """One `Example` per query (comparisons: one per side, when the file gives both sides' gold)."""
    examples = []
    for q in queries:
        parsed = parse_query(q.query, retriever.settings.max_query_chars)
        if parsed.intent == "empty":
            continue
        if parsed.intent == "compare":
            continue  # each side is an ordinary query; the file does not say which gold id is which side
        evidence, _, _ = retriever.gather(parsed)
        gold = frozenset(retriever.position[g] for g in q.gold if g in retriever.position)
        examples.append(Example(evidence, gold, q.category))
    return examples


def fit_on_queries(engine, queries_path: Path, log=sys.stderr) -> DecisionModel:
    """Gather evidence for every tune query on both indexes and fit one decision for both."""
    queries = read_queries(queries_path)
    neutral = untrained_model()
    enriched = Retriever(engine.glossary, engine.index, engine.encoder, engine.settings, neutral)
    examples = collect_examples(enriched, queries)
    print(f"enriched index: {len(examples)} examples", file=log)
    with tempfile.TemporaryDirectory(prefix="plain-index-") as folder:
        build_index(engine.glossary, engine.encoder, Path(folder), enriched=False)
        plain_index = load_index(Path(folder))
        plain = Retriever(engine.glossary, plain_index, engine.encoder, engine.settings, neutral)
        plain_examples = collect_examples(plain, queries)
    print(f"plain index: {len(plain_examples)} examples", file=log)
    return fit_decision(examples + plain_examples)


def tune_report(model: DecisionModel) -> str:
    return "\n".join(f"{key}: {value}" for key, value in model.tune.items())



