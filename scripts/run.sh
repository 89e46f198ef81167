#!/usr/bin/env bash
# The main job on a fresh machine: set up, then import a model into the embedded registry by running the
# SDK tour notebook top to bottom (its outputs are printed and saved to notebooks/executed/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/run_notebook.py "${@:-notebooks/sdk_tour.ipynb}"
