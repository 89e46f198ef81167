#!/usr/bin/env bash
# The main job on a fresh machine: set up, then open JupyterLab on the quick start, with models going to the
# embedded registry. `bash scripts/run.sh --headless` instead runs the tutorials top to bottom and prints them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MODEL_IMPORT_WIDGET_BACKEND=${MODEL_IMPORT_WIDGET_BACKEND:-embedded}
if [ "${1:-}" = "--headless" ]; then
  for notebook in notebooks/0*.ipynb; do
    .venv/bin/python scripts/run_notebook.py "$notebook"
  done
  exit 0
fi
# JupyterLab works on copies in workspace/ (ignored by git): running and saving the tutorials never changes the
# project's own notebooks. A copy you have edited is kept; delete it to get the original back.
mkdir -p workspace
for notebook in notebooks/0*.ipynb; do
  [ -e "workspace/$(basename "$notebook")" ] || cp "$notebook" workspace/
done
root_flag=()
[ "$(id -u)" = 0 ] && root_flag=(--allow-root)
exec .venv/bin/jupyter lab "${root_flag[@]}" --ip=127.0.0.1 --ServerApp.root_dir=workspace \
  --LabApp.default_url=/lab/tree/01_quickstart.ipynb "$@"
