#!/usr/bin/env bash
# Set up and run every test: Python packages, Debian's Chromium for the browser tests, then pytest.
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# Browser tests drive Debian's Chromium through Playwright (Playwright's own browser download is not used).
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The committed index must match the glossary and the model.
python scripts/build_index.py --check

python -m pytest -q "$@"
