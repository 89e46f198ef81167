#!/usr/bin/env bash
# Creates .venv (Python >= 3.10) and installs the package with its test tools. Idempotent; fails loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10), f"Python >= 3.10 needed, found {sys.version}"'
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
.venv/bin/python -c 'import model_import_widget, ipywidgets, pydantic, requests, jupyterlab, pytest, hypothesis, nbclient' \
  || { echo "setup: a required package did not install" >&2; exit 1; }
