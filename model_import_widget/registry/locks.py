"""Import locks: while a process imports a model it holds an flock on <home>/imports/<model_id>.lock.

The kernel drops an flock when its process dies, even by kill -9, so a lock that can be taken means nobody is
importing that model any more. This module only answers "is the importer alive?"; it never touches the index.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: imports work, interrupted ones are just not detected
    fcntl = None

STALE_STAGING_SECONDS = 600.0
"""A lock file still under its staging name after this long belongs to a process that died creating it."""


def _try_flock(fd: int) -> bool:
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except (BlockingIOError, PermissionError):
        return False


class ImportLock:
    """Held by the importing process from before its model is registered until after its final status is set.

    Created locked under a temporary name and renamed into place, so nobody ever sees the lock file unlocked
    while its importer lives. `temp_dir` holds the import's partial blobs.
    """

    def __init__(self, folder: Path, model_id: str, fd: int):
        self.folder, self.model_id, self._fd = folder, model_id, fd
        self.path = folder / f"{model_id}.lock"
        self.temp_dir = folder / f"{model_id}.tmp"

    @classmethod
    def create(cls, folder: Path, model_id: str) -> "ImportLock":
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f"{model_id}.{uuid.uuid4().hex}.new"
        fd = os.open(staging, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.replace(staging, folder / f"{model_id}.lock")
        return cls(folder, model_id, fd)

    def release(self) -> None:
        """Remove the temp files and the lock (in that order: a temp dir without a lock is a leftover)."""
        if self._fd < 0:
            return
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = -1


def take_if_abandoned(folder: Path, model_id: str) -> ImportLock | None:
    """The import lock of `model_id` if its importer is gone (or there is no lock file); None if it is alive.

    The caller settles the model's fate and then calls `release()`, which also removes its temp files.
    """
    if fcntl is None:
        return None
    path = folder / f"{model_id}.lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        return ImportLock.create(folder, model_id)
    if _try_flock(fd):
        return ImportLock(folder, model_id, fd)
    os.close(fd)
    return None


def sweep(folder: Path) -> list[str]:
    """Remove temp files and locks that dead imports left in `folder`; returns the model ids they belonged to.

    Models still `publishing` are settled separately (see `take_if_abandoned`); this is for what no row points to.
    """
    if fcntl is None or not folder.is_dir():
        return []
    gone: list[str] = []
    names = os.listdir(folder)
    present = set(names)
    for name in names:
        path = folder / name
        if name.endswith(".new"):
            # A lock being created: open but maybe not flocked yet, so its lock says nothing. Only a creator that
            # died in that instant leaves one behind; remove it once it is clearly stale.
            try:
                if time.time() - path.stat().st_mtime > STALE_STAGING_SECONDS:
                    os.unlink(path)
            except FileNotFoundError:
                pass
        elif name.endswith(".lock"):
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue
            try:
                if not _try_flock(fd):
                    continue
                model_id = name[:-len(".lock")]
                shutil.rmtree(folder / f"{model_id}.tmp", ignore_errors=True)
                gone.append(model_id)
                os.unlink(path)
            except FileNotFoundError:
                pass
            finally:
                os.close(fd)
        elif name.endswith(".tmp") and f"{name[:-4]}.lock" not in present:
            if not (folder / f"{name[:-4]}.lock").exists():
                shutil.rmtree(path, ignore_errors=True)
    return gone
