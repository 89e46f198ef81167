#!/usr/bin/env bash
# Installs what the tests need (.venv) and runs every test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# package.build's PyTorch tests need torch: a CPU build only (pip's default torch for Linux is a CUDA build of several
# GB). A wheel of torch 2.13.0+cpu where pip finds one (a local wheel folder or index), else PyTorch's CPU index.
# MODEL_IMPORT_WIDGET_TESTS_WITHOUT_TORCH=1 skips those tests instead, saying so.
if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
  if [ "${MODEL_IMPORT_WIDGET_TESTS_WITHOUT_TORCH:-}" = 1 ]; then
    echo "test: torch is not installed: the PyTorch tests of package.build will skip" >&2
  else
    echo "test: installing a CPU build of torch for the PyTorch tests (once)" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0+cpu" 2>/dev/null \
      || .venv/bin/python -m pip install --quiet --disable-pip-version-check \
           --index-url https://download.pytorch.org/whl/cpu torch \
      || { echo "test: could not install a CPU build of torch; install one (pip install torch --index-url" \
                "https://download.pytorch.org/whl/cpu) or set MODEL_IMPORT_WIDGET_TESTS_WITHOUT_TORCH=1" >&2; exit 1; }
  fi
fi
export MODEL_IMPORT_WIDGET_BACKEND=embedded   # never reach a cloud, even on a machine with credentials
exec .venv/bin/python -m pytest "$@"
