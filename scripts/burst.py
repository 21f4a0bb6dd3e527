"""Fire a burst of simultaneous API calls at `python app.py` and time MCP tool calls: the queue's sizing.

    python scripts/burst.py                       # 200 simultaneous POST /gradio_api/call/search, 50 MCP calls
    python scripts/burst.py --calls 600 --json    # past the bound: refusals and their message
    python scripts/burst.py --app /tmp/old_app.py # the same against another version of app.py

Starts the app on a free loopback port (GLOSSARY_RAG_* variables pass through, e.g. GLOSSARY_RAG_INDEX_DIR),
waits until it answers, measures, stops it. Code: bench/load.py (`burst`, `time_mcp_calls`).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import burst, time_mcp_calls  # noqa: E402
from bench.serving import start_app  # noqa: E402
from glossary_rag.glossary import load_glossary  # noqa: E402
from glossary_rag.settings import Settings  # noqa: E402

# Four phrasings per entry: enough distinct queries that no call hits the embedding cache.
PHRASINGS = ("what is {}?", "{} meaning", "explain {} simply", "when would I use {}")


def distinct_queries(settings: Settings) -> list[str]:
    """Questions about every entry of the glossary, each asked once."""
    glossary = load_glossary(settings.glossary_path)
    return [p.format(e.term.lower()) for p in PHRASINGS for e in glossary.entries]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="simultaneous /search calls (default 200)")
    parser.add_argument("--mcp-calls", type=int, default=50, help="MCP tool calls one after another (0: none)")
    parser.add_argument("--app", type=Path, help="the app to start (default: app.py)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        with start_app(Path(work), app=args.app) as server:
            base_url = server.base_url
            queries = distinct_queries(Settings.from_env())
            burst(base_url, ["warm-up question"], 20)  # the first calls pay one-off costs
            report = {"burst": burst(base_url, queries, args.calls), "distinct_queries": len(queries)}
            if args.mcp_calls:
                report["mcp_search"] = time_mcp_calls(base_url, args.mcp_calls)
                report["mcp_search_progress"] = time_mcp_calls(base_url, args.mcp_calls, progress=True)
                report["mcp_ask"] = time_mcp_calls(base_url, args.mcp_calls, "ask", {"question": "what is an epoch?"})
    if args.json:
        print(json.dumps(report))
    else:
        for part, numbers in report.items():
            print(part, " ".join(f"{k}={v}" for k, v in numbers.items()) if isinstance(numbers, dict) else numbers)
    return 0 if report["burst"]["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
