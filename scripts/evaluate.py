"""Measure retrieval and abstention on a JSONL query file (see shared eval-format.md).

Usage: python scripts/evaluate.py --queries FILE [--json] [--per-query OUT.jsonl] [--baselines]
       [--glossary PATH] [--index DIR] [--model ID]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from glossary_rag.cli import main, with_command  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(with_command(sys.argv[1:], "evaluate")))
