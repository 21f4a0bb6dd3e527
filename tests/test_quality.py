"""Quality floors on the dev query set (eval/dev_queries.jsonl), through the same code as scripts/evaluate.py.

The floors sit a little under the measured numbers so a regression fails loudly; targets are in the README.
"""

from __future__ import annotations

import pytest

from glossary_rag.evaluation import read_queries, run_system, summarize
from glossary_rag.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def report(engine):
    return summarize(run_system(engine, read_queries(PROJECT_ROOT / "eval" / "dev_queries.jsonl")))


@pytest.mark.parametrize("category, metric, floor", [
    ("direct", "hit@1", 0.97),
    ("reverse", "hit@1", 0.93),
    ("question", "hit@1", 0.82),
    ("noisy", "hit@1", 0.95),
    ("compare", "all@3", 0.92),
    ("out_of_scope", "abstain_rate", 0.85),
])
def test_dev_set_floor(report, category, metric, floor):
    assert report["categories"][category][metric] >= floor, report["categories"][category]


def test_false_abstentions_are_rare(report):
    assert report["false_abstain_rate"] <= 0.03


def test_report_follows_the_contract(report):
    assert set(report) == {"n", "categories", "false_abstain_rate", "latency_ms"}
    assert report["n"] >= 250 and set(report["latency_ms"]) == {"p50", "p95"}
