"""Measure retrieval and abstention on a query file (contract: shared eval-format.md).

Metrics per category: hit@1, hit@3, mrr@10 (and all@3 for `compare`); abstain_rate for `out_of_scope`;
false_abstain_rate over every query with gold ids; warm p50/p95 latency of the full answer path.
`--baselines` adds BM25 over definitions and dense MiniLM over "term: definition", in the same run.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from glossary_rag.settings import Settings


class EvalQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    qid: str
    category: str
    query: str
    gold: tuple[int, ...] = ()
    gold_all: tuple[int, ...] = ()
    note: str = ""


# Definition-style queries (another glossary's definition with the name removed) are reported on their own
# too: they fail differently from the short reverse look-ups they share a category with.
DEFINITION_NOTE = "long-definition"
# Questions restated from real public questions (forums, issue trackers, exercises): reported, and bounded
# in the fit, as a kind of their own, since they are longer and less tidy than the ones helpers make up.
REAL_QUESTION_NOTE = "real-question"


@dataclass(frozen=True)
class Outcome:
    query: EvalQuery
    ranking: tuple[int, ...]
    abstained: bool
    scores: tuple[float, ...]
    latency_ms: float


def read_queries(path: Path, log=sys.stderr) -> list[EvalQuery]:
    """Parse a JSONL query file; malformed lines are reported with their line number and skipped."""
    queries = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise SystemExit(f"error: cannot read query file {path}: {err}") from err
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            queries.append(EvalQuery.model_validate_json(line))
        except ValidationError as err:
            problem = err.errors()[0]
            print(f"{path}:{number}: skipped malformed line ({problem['msg']} at "
                  f"{'.'.join(map(str, problem['loc'])) or 'line'})", file=log)
    return queries


def ranking_metrics(rows: list[tuple[EvalQuery, tuple[int, ...]]]) -> dict:
    """hit@1, hit@3, mrr@10 (and all@3 where gold_all is given) over (query, ranking) pairs."""
    hit1 = hit3 = mrr = 0.0
    all3 = []
    for query, ranking in rows:
        gold = set(query.gold)
        ranks = [i for i, entry_id in enumerate(ranking[:10], 1) if entry_id in gold]
        hit1 += bool(ranks and ranks[0] == 1)
        hit3 += bool(ranks and ranks[0] <= 3)
        mrr += 1.0 / ranks[0] if ranks else 0.0
        if query.gold_all:
            all3.append(set(query.gold_all) <= set(ranking[:3]))
    n = len(rows)
    metrics = {"n": n, "hit@1": round(hit1 / n, 4), "hit@3": round(hit3 / n, 4), "mrr@10": round(mrr / n, 4)}
    if all3:
        metrics["all@3"] = round(sum(all3) / len(all3), 4)
    return metrics


def summarize(outcomes: list[Outcome]) -> dict:
    by_category: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_category[outcome.query.category].append(outcome)
    categories = {}
    for category, items in sorted(by_category.items()):
        if category == "out_of_scope" or all(not o.query.gold for o in items):
            categories[category] = {"n": len(items),
                                    "abstain_rate": round(sum(o.abstained for o in items) / len(items), 4)}
        else:
            answerable = [o for o in items if o.query.gold]
            categories[category] = ranking_metrics([(o.query, o.ranking) for o in answerable]) | {
                "false_abstain_rate": _declined(answerable)}
    definitions = [o for o in outcomes if o.query.gold and o.query.note == DEFINITION_NOTE]
    subsets = {}
    if definitions:
        subsets[f"reverse:{DEFINITION_NOTE}"] = ranking_metrics([(o.query, o.ranking) for o in definitions]) | {
            "false_abstain_rate": _declined(definitions)}
    real = [o for o in outcomes if o.query.gold and o.query.category == "question"
            and o.query.note == REAL_QUESTION_NOTE]
    if real:
        subsets[f"question:{REAL_QUESTION_NOTE}"] = ranking_metrics([(o.query, o.ranking) for o in real]) | {
            "false_abstain_rate": _declined(real)}
    near = [o for o in outcomes if not o.query.gold and o.query.note in (DEFINITION_NOTE, "near-domain")]
    if near:
        subsets["out_of_scope:near-domain"] = {"n": len(near), "abstain_rate": _declined(near)}
    in_scope = [o for o in outcomes if o.query.gold]
    latencies = np.array([o.latency_ms for o in outcomes]) if outcomes else np.zeros(1)
    return {
        "n": len(outcomes),
        "categories": categories,
        "subsets": subsets,
        "false_abstain_rate": round(sum(o.abstained for o in in_scope) / max(len(in_scope), 1), 4),
        "latency_ms": {"p50": round(float(np.percentile(latencies, 50)), 2),
                       "p95": round(float(np.percentile(latencies, 95)), 2)},
    }


def _declined(outcomes: list[Outcome]) -> float:
    """The share of `outcomes` that abstained, rounded as the report prints it."""
    return round(sum(o.abstained for o in outcomes) / max(len(outcomes), 1), 4)


def run_system(engine, queries: list[EvalQuery]) -> list[Outcome]:
    """Ask every query through the full answer path, one at a time, warm."""
    for warm in ("warm-up question one", "what is a warm-up", "warm up vs cool down"):
        engine.ask(warm)
    k = max(10, engine.settings.top_k)
    outcomes = []
    for query in queries:
        started = time.perf_counter()
        answer = engine.ask(query.query)
        elapsed = (time.perf_counter() - started) * 1000
        hits = answer.hits if len(answer.hits) >= k else engine.search(query.query, k).hits
        outcomes.append(Outcome(query, tuple(h.id for h in hits), answer.abstained,
                                tuple(h.score for h in hits), elapsed))
    return outcomes


def run_baselines(engine, queries: list[EvalQuery]) -> dict:
    """The two tutorial pipelines, ranking only: BM25 over definitions, dense over "term: definition"."""
    import bm25s

    entries = engine.glossary.entries
    ids = np.array([e.id for e in entries])
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([f"{e.term} {e.definition}" for e in entries], show_progress=False),
                    show_progress=False)
    doc_vectors = engine.encoder.encode([f"{e.term}: {e.definition}" for e in entries])
    bm25_rows, dense_rows = [], []
    for query in queries:
        if not query.gold:
            continue
        tokens = bm25s.tokenize([query.query], return_ids=False, show_progress=False)[0]
        bm25 = retriever.get_scores(tokens) if tokens else np.zeros(len(ids))
        bm25_rows.append((query, tuple(ids[np.argsort(-bm25, kind="stable")[:10]].tolist())))
        dense = doc_vectors @ engine.encoder.encode([query.query])[0]
        dense_rows.append((query, tuple(ids[np.argsort(-dense, kind="stable")[:10]].tolist())))
    return {name: {"categories": _by_category(rows)}
            for name, rows in (("bm25_definitions", bm25_rows), ("dense_term_definition", dense_rows))}


def _by_category(rows):
    grouped = defaultdict(list)
    for query, ranking in rows:
        grouped[query.category].append((query, ranking))
    return {category: ranking_metrics(items) for category, items in sorted(grouped.items())}


def format_table(report: dict) -> str:
    """A readable table: one row per category, baselines' hit@1 beside ours."""
    baselines = report.get("baselines", {})
    header = f"{'category':<14}{'n':>5}{'hit@1':>8}{'hit@3':>8}{'mrr@10':>8}{'all@3':>8}{'abstain':>8}{'f.abst':>8}"
    header += "".join(f"{name[:18]:>20}" for name in baselines)
    lines = [header, "-" * len(header)]
    rows = list(report["categories"].items()) + [(f"  {name.split(':')[1]}", m)
                                                 for name, m in report.get("subsets", {}).items()]
    for category, m in rows:
        row = f"{category[:14]:<14}{m['n']:>5}"
        for key in ("hit@1", "hit@3", "mrr@10", "all@3", "abstain_rate", "false_abstain_rate"):
            row += f"{m[key]:>8.3f}" if key in m else f"{'':>8}"
        row += " "
        for name, base in baselines.items():
            value = base["categories"].get(category, {}).get("hit@1") if category in report["categories"] else None
            row += f"{'hit@1 ' + format(value, '.3f') if value is not None else '':>20}"
        lines.append(row)
    lines.append(f"false_abstain_rate {report['false_abstain_rate']:.3f}   latency p50 "
                 f"{report['latency_ms']['p50']:.1f} ms, p95 {report['latency_ms']['p95']:.1f} ms   n={report['n']}")
    return "\n".join(lines)


def report_json(report: dict) -> str:
    """The report as the contract's one JSON object (shared eval-format.md): the subsets are for the table."""
    return json.dumps({key: value for key, value in report.items() if key != "subsets"})


def evaluate_command(settings: Settings, queries_path: Path, *, as_json: bool, per_query: Path | None,
                     baselines: bool) -> int:
    from glossary_rag.engine import Engine

    queries = read_queries(queries_path)
    engine = Engine.load(settings)
    outcomes = run_system(engine, queries)
    report = summarize(outcomes)
    if baselines:
        report["baselines"] = run_baselines(engine, queries)
    if per_query:
        with open(per_query, "w", encoding="utf-8") as handle:
            for o in outcomes:
                handle.write(json.dumps({"qid": o.query.qid, "ranking": list(o.ranking[:10]),
                                         "abstained": o.abstained, "scores": list(o.scores[:10])}) + "\n")
    print(report_json(report) if as_json else format_table(report))
    return 0
