#!/usr/bin/env bash
# Installs what the tests need (.venv) and runs every test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MODEL_IMPORT_WIDGET_BACKEND=embedded   # never reach a cloud, even on a machine with credentials
exec .venv/bin/python -m pytest "$@"
