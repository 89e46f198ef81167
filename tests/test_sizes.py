"""One way to write a size, everywhere: spec.human_size, binary units (the README says so)."""

from __future__ import annotations

import re
from pathlib import Path

from model_import_widget import spec

PACKAGE = Path(__file__).resolve().parents[1] / "model_import_widget"


def test_sizes_are_written_in_binary_units_with_at_most_one_decimal():
    assert spec.human_size(0) == "0 bytes"
    assert spec.human_size(1023) == "1023 bytes"
    assert spec.human_size(1024) == "1 KiB"
    assert spec.human_size(66_600) == "65 KiB"
    assert spec.human_size(1_500_000) == "1.4 MiB"
    assert spec.human_size(1024 ** 2 - 1) == "1 MiB"  # rounds up into the next unit, never "1024 KiB"
    assert spec.human_size(spec.MAX_PACKAGE_BYTES) == "20 GiB"


def test_no_other_module_formats_sizes_its_own_way():
    """A second formatter is how "1.5 MB" and "1.4 MB" came to be shown for the same file."""
    own = re.compile(r'\("(B|bytes)", "KB"|\("KB", "MB"|"KiB", "MiB"')
    found = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if own.search(p.read_text(encoding="utf-8"))]
    assert found == ["spec.py"]
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    assert "1 MiB = 1024 KiB" in readme
