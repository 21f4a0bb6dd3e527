"""Fit the search decision (ranking, abstention, confidence, did-you-mean) on the tune query set.

Usage: python scripts/fit_decision.py [--queries eval/tune_queries.jsonl] [--out glossary_rag/decision.json]

Fits on the tune set only, against the committed index and a plain index of the same glossary, and writes
the parameters with the tune-set figures beside them. Never fit on eval/dev_queries.jsonl: it only reports.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from glossary_rag.decision import untrained_model  # noqa: E402
from glossary_rag.engine import Engine  # noqa: E402
from glossary_rag.fitting import fit_on_queries, save_decision_model, tune_report  # noqa: E402
from glossary_rag.settings import PROJECT_ROOT, Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=Path, default=PROJECT_ROOT / "eval" / "tune_queries.jsonl")
    parser.add_argument("--out", type=Path, default=None, help="default: Settings.decision_path")
    args = parser.parse_args()
    engine = Engine.load(Settings.from_env(), decision_model=untrained_model())
    model = fit_on_queries(engine, args.queries)
    out = args.out or engine.settings.decision_path
    save_decision_model(model, out)
    print(tune_report(model))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
