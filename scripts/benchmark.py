"""Measure speed against the floor (one bare encode of a query): answer path, start-up, HTTP, load, scale.

Usage: python scripts/benchmark.py [--json] [--scale-entries N] [--load-clients N] [--load-questions N]
       [--questions N] [--skip-http] [--skip-scale] [--threshold-sizes 2000,5000,...] [--out FILE]
       [--glossary PATH]

The full run (100,000 synthetic entries) takes several minutes on 2 cores; `--scale-entries 2000
--load-clients 4 --load-questions 5` is a quick one. See README "Performance" and bench/benchmark.py.
"""

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchmark import Options, render_table, run_benchmark  # noqa: E402
from glossary_rag.settings import Settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--scale-entries", type=int, default=Options.scale_entries)
    parser.add_argument("--load-clients", type=int, default=Options.load_clients)
    parser.add_argument("--load-questions", type=int, default=Options.load_questions)
    parser.add_argument("--questions", type=int, default=Options.questions,
                        help="distinct questions timed in process and over HTTP")
    parser.add_argument("--cold-runs", type=int, default=Options.cold_runs)
    parser.add_argument("--skip-http", action="store_true", help="don't start app.py")
    parser.add_argument("--skip-scale", action="store_true", help="no synthetic scale run or threshold sweep")
    parser.add_argument("--threshold-sizes", default=",".join(map(str, Options.threshold_sizes)),
                        help="index sizes (vectors) at which to time flat vs IVF search")
    parser.add_argument("--out", type=Path, help="also write the JSON result here")
    parser.add_argument("--glossary", type=Path, help="glossary to measure (default: glossary/)")
    args = parser.parse_args(argv)
    if min(args.scale_entries, args.load_clients, args.load_questions, args.questions, args.cold_runs) < 1:
        parser.error("counts must be at least 1")
    options = Options(scale_entries=args.scale_entries, load_clients=args.load_clients,
                      load_questions=args.load_questions, questions=args.questions, cold_runs=args.cold_runs,
                      skip_http=args.skip_http, skip_scale=args.skip_scale,
                      threshold_sizes=tuple(int(s) for s in args.threshold_sizes.split(",") if s.strip()),
                      progress=sys.stderr.isatty())
    settings = Settings.from_env()
    if args.glossary:
        settings = dataclasses.replace(settings, glossary_path=args.glossary)
    result = run_benchmark(options, settings)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text if args.json else render_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
