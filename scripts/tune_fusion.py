"""Set the fusion weights and the abstention threshold on a dev query file, and print the best settings.

Usage: python scripts/tune_fusion.py --queries eval/dev_queries.jsonl

Scores are computed once per query; the grid then re-ranks them with each candidate setting. Copy the
printed values into `Settings` (glossary_rag/settings.py). Tune on the dev set only: the held-out set
must stay unseen.
"""

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from glossary_rag.engine import Engine  # noqa: E402
from glossary_rag.evaluation import read_queries  # noqa: E402
from glossary_rag.search import NAMED  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=Path, required=True)
    args = parser.parse_args()
    engine = Engine.load()
    queries = [q for q in read_queries(args.queries) if q.category != "compare"]
    ids = engine.retriever.ids
    rows = []
    for q in queries:
        parsed = engine.retriever.search(q.query).query
        _, dense, lexical, names = engine.retriever.score(parsed.core or parsed.text)
        gold = np.isin(ids, q.gold)
        unknown = engine.retriever.vocabulary.unknown_share(parsed.core or parsed.text)
        rows.append((q, dense, lexical, names, gold, parsed.intent == "define", unknown))

    def quality(w_lex: float, w_name: float, threshold: float, strict: float, penalty: float):
        per_cat: dict[str, list[float]] = {}
        false_abstain = 0
        n_gold = 0
        for q, dense, lexical, names, gold, define, unknown in rows:
            bar = (strict if define else threshold) + penalty * unknown
            abstain = dense.max() < bar and names.max() < NAMED
            if not q.gold:
                per_cat.setdefault(q.category, []).append(float(abstain))
                continue
            n_gold += 1
            false_abstain += abstain
            fused = dense + w_lex * lexical + w_name * names
            per_cat.setdefault(q.category, []).append(float(gold[int(np.argmax(fused))]))
        means = {c: float(np.mean(v)) for c, v in per_cat.items()}
        means["false_abstain"] = false_abstain / max(n_gold, 1)
        # Objective: mean over categories of hit@1 / abstain rate, false abstentions count double.
        objective = np.mean([v for c, v in means.items() if c != "false_abstain"]) - 2 * means["false_abstain"]
        return objective, means

    grid = itertools.product([0.1, 0.15, 0.2], [0.1, 0.2, 0.4], np.arange(0.34, 0.52, 0.02),
                             np.arange(0.40, 0.66, 0.02), [0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    results = sorted(((quality(*params), params) for params in grid), key=lambda r: -r[0][0])
    for (objective, means), (w_lex, w_name, threshold, strict, penalty) in results[:8]:
        shown = " ".join(f"{k}={v:.3f}" for k, v in sorted(means.items()))
        print(f"weight_lexical={w_lex:.2f} weight_name={w_name:.2f} abstain_below={threshold:.2f} abstain_below_unnamed={strict:.2f} "
              f"abstain_unknown_penalty={penalty:.2f}  "
              f"objective={objective:.4f}  {shown}")


if __name__ == "__main__":
    main()
