"""`python -m model_import_widget registry check|repair [HOME]`: look after the embedded registry from a terminal."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if argv[:1] == ["registry"]:
        from .registry.doctor import main as registry_main

        return registry_main(argv[1:])
    print("usage: python -m model_import_widget registry check|repair [HOME]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
