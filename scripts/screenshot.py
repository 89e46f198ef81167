"""Regenerates the README's screenshots of the form: docs/form.png (light theme), docs/form-dark.png,
docs/form-cloud-badge.png (the badge of a form whose Session() found cloud credentials, against the contract server)
and docs/try-locally.png (the quick start's scikit-learn model tried locally: test_try_locally_browser.py).

    .venv/bin/python scripts/screenshot.py          # after `bash scripts/setup.sh` (rerun it when js/ changed)

They come from the browser test `test_readme_screenshots` (tests/browser/test_form_browser.py), which opens a real
JupyterLab with Debian's Chromium, shows `ModelImportForm.from_folder("./digits", ...)`, types a version with a
leading zero so a live check shows, and crops to the form's output (900 px wide). In the test suite the same pictures
go to a temporary folder; here MODEL_IMPORT_WIDGET_SCREENSHOTS sends them to docs/.

The language switch shows 中文: without a CJK font it renders as empty boxes (on Debian: apt-get install
fonts-wqy-microhei), so this script refuses to run without one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TESTS = ["tests/browser/test_form_browser.py::test_readme_screenshots",
         "tests/browser/test_cloud_browser.py::test_cloud_badge_screenshot",
         "tests/browser/test_try_locally_browser.py::test_the_quick_start_model_from_memory_is_tried_locally[jupyterlab]"]


def has_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return True  # cannot tell; the picture will show it
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    return bool(listed.strip())


def main() -> int:
    if not has_cjk_font():
        print("screenshot: no font with Chinese glyphs (fc-list :lang=zh is empty); the language switch would show "
              "boxes. Install one first, e.g. apt-get install fonts-wqy-microhei", file=sys.stderr)
        return 1
    DOCS.mkdir(exist_ok=True)
    env = {**os.environ, "MODEL_IMPORT_WIDGET_SCREENSHOTS": str(DOCS), "MODEL_IMPORT_WIDGET_BACKEND": "embedded"}
    result = subprocess.run([sys.executable, "-m", "pytest", *TESTS, "-q", "-p", "no:cacheprovider"], cwd=ROOT, env=env)
    if result.returncode == 0:
        for name in ("form.png", "form-dark.png", "form-cloud-badge.png", "try-locally.png"):
            path = DOCS / name
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
