"""Load and soak test: 50 concurrent clients hammer `/ask` on a fresh `python app.py` for a minute (bench/soak.py).

    python scripts/soak.py                          # 50 clients for 60 s
    python scripts/soak.py --clients 5 --seconds 5 --json

Exits 0 when every request was answered correctly, no server error occurred and memory grew by at most
--max-rss-growth percent; 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.soak import passed, soak  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=60, help="how long every client keeps asking (default 60)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="cap on the total number of requests")
    parser.add_argument("--warmup-requests", type=int, default=400,
                        help="requests before memory is measured: a sweep of input lengths, then mixed (default 400)")
    parser.add_argument("--request-timeout", type=float, default=120, help="seconds before a request is unanswered")
    parser.add_argument("--startup-timeout", type=float, default=300, help="seconds to wait for app.py to serve")
    parser.add_argument("--max-rss-growth", type=float, default=10, help="allowed memory growth in %% (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the report as JSON only")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.max_requests < 1:
        parser.error("--clients, --seconds and --max-requests must be positive")
    report = soak(args.clients, args.seconds, args.max_requests, args.warmup_requests, args.seed,
                  args.request_timeout, args.startup_timeout)
    report["passed"] = passed(report, args.max_rss_growth)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        latency, rss = report["latency_ms"], report["rss_mb"]
        print(f"{report['clients']} clients for {report['seconds']:g} s against 127.0.0.1:{report['port']}\n"
              f"requests {report['requests']}  completed {report['completed']}  server errors "
              f"{report['server_errors']}  unanswered {report['unanswered']}  wrong answers "
              f"{report['wrong_answers']}  ({report['throughput_rps']} req/s)\n"
              f"by kind {report['by_kind']}\n"
              f"latency p50 {latency['p50']} ms  p95 {latency['p95']} ms  max {latency['max']} ms\n"
              f"by kind {report['latency_ms_by_kind']}\n"
              f"server RSS after warm-up {rss['after_warmup']} MB, at the end {rss['end']} MB "
              f"({rss['growth_pct']:+.2f}%); every 10 s: {rss['every_10s']}\n"
              f"server tracebacks {report['server_tracebacks']}\n"
              f"{'PASSED' if report['passed'] else 'FAILED'}")
        for problem in report["problems"]:
            print("  problem:", problem)
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
