"""Run a notebook top to bottom in a fresh kernel, print what each cell printed, save the executed copy."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(path: str) -> int:
    source = Path(path)
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(source.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        out = source.parent / "executed" / source.name
        out.parent.mkdir(exist_ok=True)
        nbformat.write(notebook, out)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        print(">>> " + cell.source.replace("\n", "\n... "))
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            print(text.rstrip("\n"))
    print(f"\nexecuted copy saved to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
