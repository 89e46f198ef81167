"""Runs one embedded-registry import in a separate process, for the crash and concurrency tests of test_registry.py.

    python tests/registry_helpers.py import HOME SOURCE NAME VERSION   import, wait, print {"model_id", "status"}
    python tests/registry_helpers.py hang HOME SOURCE NAME VERSION     import; once bytes move, print STARTED and hang
    python tests/registry_helpers.py delete HOME MODEL_ID - -          delete the model, each unlink slowed a little

`import` also prints {"duplicate_of": id} when the name+version was taken. Nothing here is a test by itself.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model_import_widget.errors import DuplicateModelError  # noqa: E402
from model_import_widget.registry import EmbeddedRegistry  # noqa: E402


def fields(source: str, name: str, version: str) -> dict:
    return {"model_name": name, "model_version": version, "model_type": "PyTorch",
            "source_location_type": "LOCAL_SOURCE", "source_location": source}


def main(mode: str, home: str, source: str, name: str, version: str) -> None:
    registry = EmbeddedRegistry(home)
    if mode == "import":
        try:
            model_id = registry.create_model(fields(source, name, version))
        except DuplicateModelError as exc:
            print(json.dumps({"duplicate_of": exc.model_id}), flush=True)
            return
        info = registry.wait_model(model_id, timeout=60)
        print(json.dumps({"model_id": model_id, "status": info["model_status"]}), flush=True)
    elif mode == "hang":
        def stall_once_copying(progress):
            if progress.bytes_done > 0:
                print("STARTED", flush=True)
                time.sleep(3600)

        registry.create_model(fields(source, name, version), progress=stall_once_copying)
        time.sleep(3600)
    elif mode == "delete":  # SOURCE is the model id here; each blob unlink is slowed, so a kill lands mid-delete
        import os as _os

        real_unlink = _os.unlink

        def slow_unlink(path, *args, **kwargs):
            time.sleep(0.002)
            return real_unlink(path, *args, **kwargs)

        _os.unlink = slow_unlink
        print("DELETING", flush=True)
        registry.delete_model(source)
        print("DELETED", flush=True)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(*sys.argv[1:6])
