"""Run a notebook top to bottom in a fresh kernel, print what each cell printed, save the executed copy.

The kernel runs in a new temporary folder and the executed copy is saved there: the notebooks in the repository
are never written to (their outputs stay cleared in git).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(path: str) -> int:
    source = Path(path).resolve()
    notebook = nbformat.read(source, as_version=4)
    workdir = Path(tempfile.mkdtemp(prefix=f"model_import_widget-{source.stem}-"))
    print(f"==== {path} ====", flush=True)
    # (the kernel's own start-up warnings are for developers: a person reads the cells)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", extra_arguments=["--log-level=ERROR"],
                            resources={"metadata": {"path": str(workdir)}})
    out = workdir / source.name
    try:
        client.execute()
    except CellExecutionError as exc:
        print(exc, file=sys.stderr)
        print(f"executed copy (up to the failing cell) saved to {out}", file=sys.stderr)
        return 1
    finally:
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
