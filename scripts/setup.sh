#!/usr/bin/env bash
# Creates .venv (Python >= 3.10) and installs the package with its test tools, its JupyterLab extension
# (built from js/ with Node during the install) and the Chromium the browser tests drive. Idempotent, quick
# when everything is there; fails loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10), f"Python >= 3.10 needed, found {sys.version}"'

# The JupyterLab extension (js/) is built by @jupyter/builder, which needs Node ^20.19 or >= 22.12.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: node and npm are needed to build the JupyterLab extension in js/ (Node ^20.19 or >= 22.12); install them first" >&2
  exit 1
fi
node -e 'const [major, minor] = process.versions.node.split(".").map(Number);
         process.exit((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23 ? 0 : 1)' \
  || { echo "setup: Node $(node --version) is too old to build js/: Node ^20.19 or >= 22.12 is needed" >&2; exit 1; }

# The browser tests drive Debian's Chromium (a browser is never downloaded by Playwright here).
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: /usr/bin/chromium is missing: installing Debian's chromium package" >&2
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: cannot install chromium (needs root and apt-get): run 'apt-get install -y chromium' as root" >&2
    exit 1
  fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
    || { echo "setup: 'apt-get install -y chromium' failed" >&2; exit 1; }
  [ -x /usr/bin/chromium ] || { echo "setup: chromium installed but /usr/bin/chromium is not there" >&2; exit 1; }
fi

# The form speaks Chinese too; the browser tests look at it in Chinese, which needs a font with CJK glyphs
# (without one every character is a box). Debian's WenQuanYi Micro Hei is small (5 MB) and covers them.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "setup: no font for Chinese: installing Debian's fonts-wqy-microhei" >&2
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: cannot install a Chinese font (needs root and apt-get): run 'apt-get install -y fonts-wqy-microhei' as root" >&2
    exit 1
  fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei fontconfig >/dev/null; } \
    || { echo "setup: 'apt-get install -y fonts-wqy-microhei' failed" >&2; exit 1; }
  fc-list :lang=zh | grep -q . || { echo "setup: fonts-wqy-microhei installed but fc-list finds no Chinese font" >&2; exit 1; }
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
# The build hook (pyproject.toml, hatch-jupyter-builder) runs npm install + build in js/ when js/ is newer
# than model_import_widget/labextension, and the editable install copies the build to
# .venv/share/jupyter/labextensions/model-import-widget, where JupyterLab looks.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test,examples]"
.venv/bin/python -c 'import model_import_widget, ipywidgets, pydantic, requests, jupyterlab, pytest, hypothesis, nbclient, playwright, sklearn, xgboost' \
  || { echo "setup: a required package did not install" >&2; exit 1; }
cmp -s model_import_widget/labextension/package.json .venv/share/jupyter/labextensions/model-import-widget/package.json \
  || { echo "setup: the JupyterLab extension was not built and installed (see the npm output above)" >&2; exit 1; }
