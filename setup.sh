#!/usr/bin/env bash
# One-step set-up: a virtual environment in .venv with the toolkit and its test tools.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "ready: run the tests with  .venv/bin/python -m pytest"
