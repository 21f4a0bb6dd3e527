"""Embed the glossary into the FAISS index in index/ (`--check` verifies it is fresh instead).

Usage: python scripts/build_index.py [--glossary PATH] [--index DIR] [--model ID] [--check] [--no-enrichment]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from glossary_rag.cli import main, with_command  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(with_command(sys.argv[1:], "build")))
