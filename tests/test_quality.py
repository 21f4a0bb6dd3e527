"""Quality floors on the dev query set (eval/dev_queries.jsonl), through the same code as scripts/evaluate.py.

The floors sit a little under the measured numbers so a regression fails loudly; targets are in the README.
"""

from __future__ import annotations

import json

import pytest

from glossary_rag.evaluation import read_queries, report_json, run_system, summarize
from glossary_rag.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def report(engine):
    return summarize(run_system(engine, read_queries(PROJECT_ROOT / "eval" / "dev_queries.jsonl")))


# Measured (README "Quality", 1,317 dev queries): direct 1.000, reverse 0.953, question 0.872, noisy 0.969,
# compare all@3 0.984, out-of-scope declined 0.924, false abstain 0.012 (question 0.027, the worst category).
# The question floor went down with the dev set, not the system: 149 questions restated from GitHub issues
# and forums (D11, hit@1 0.80) joined 227 made-up ones (still 0.92). The out-of-scope floor went up with the
# outside vocabulary (0.776 -> 0.924). The dev set never fits anything (eval/README.md).
@pytest.mark.parametrize("category, metric, floor", [
    ("direct", "hit@1", 0.97),
    ("reverse", "hit@1", 0.93),
    ("question", "hit@1", 0.85),
    ("noisy", "hit@1", 0.95),
    ("compare", "all@3", 0.93),
    ("out_of_scope", "abstain_rate", 0.89),
])
def test_dev_set_floor(report, category, metric, floor):
    assert report["categories"][category][metric] >= floor, report["categories"][category]


def test_false_abstentions_are_rare(report):
    assert report["false_abstain_rate"] <= 0.02


def test_false_abstentions_are_rare_in_every_category(report):
    # The fit bounds each category, not the mean (issue 17): no kind of question may be declined often.
    rates = {c: m["false_abstain_rate"] for c, m in report["categories"].items() if "false_abstain_rate" in m}
    assert max(rates.values()) <= 0.04, rates


def test_report_follows_the_contract(report):
    # summarize() adds "subsets" for the table; the JSON that scripts/evaluate.py prints leaves it out.
    assert set(report) - {"subsets"} == {"n", "categories", "false_abstain_rate", "latency_ms"}
    assert report["n"] >= 600 and set(report["latency_ms"]) == {"p50", "p95"}
    assert set(json.loads(report_json(report))) == {"n", "categories", "false_abstain_rate", "latency_ms"}


def test_every_entrys_name_and_alias_is_answered_from_it(engine):
    # The glossary bar: "what is X?" for every term and alias lands on X (or a near-duplicate it lists as
    # same_as) and is never declined.
    missed = []
    for entry in engine.glossary.entries:
        for name in entry.names:
            answer = engine.ask(f"what is {name}?")
            right = {entry.id, *entry.same_as}
            if answer.abstained or not answer.citations or answer.citations[0].id not in right:
                missed.append((entry.id, name, answer.citations[0].id if answer.citations else None))
    assert missed == []
