"""The embedded model registry: ModelArts' model import, list and delete on this machine, with no cloud account.

    backend.py   EmbeddedRegistry(RegistryBackend): the API, import threads, crash recovery
    index.py     SQLite index (WAL): models, events, file references, stat cache
    store.py     content-addressed blobs, written whole then renamed into place
    importer.py  source folders: resolve, walk, copy while hashing
    lint.py      what the service would refuse about a package, all at once, before anything is registered
    locks.py     per-import flock files that tell a live import from an interrupted one
    doctor.py    `python -m model_import_widget registry check|repair`: diagnose, and rebuild a damaged index

It imitates the service (spec §1–§3, §5); it never validates fields (spec.py does) and never uses the network.
"""

from __future__ import annotations

from pathlib import Path

from .backend import ENV_HOME, EmbeddedRegistry, default_home

__all__ = ["EmbeddedRegistry", "open_registry", "default_home", "ENV_HOME"]


def open_registry(home: Path | str | None = None) -> EmbeddedRegistry:
    """The registry at `home`, else at $MODEL_IMPORT_WIDGET_HOME, else at ~/.model_import_widget."""
    return EmbeddedRegistry(home if home is not None else default_home())
