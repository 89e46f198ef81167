"""The content-addressed file store: blobs named by their hash under <home>/store/blobs/<algorithm>/xx/<rest>.

A blob appears under its name only by an atomic rename of a complete temp file, and is never changed afterwards.
This module knows nothing of models or of the index: who references a blob, and when it may go, is the index's job.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Protocol

try:  # Rust BLAKE3: ~9 GB/s on one core here, against ~1.9 GB/s for SHA-NI sha256 (see benchmarks/bench_registry.py)
    import blake3 as _blake3
except ImportError:  # pragma: no cover - depends on the installation
    _blake3 = None

HASHES = ("blake3", "sha256")
_HEX = re.compile(r"[0-9a-f]+")
DEFAULT_HASH = "blake3" if _blake3 is not None else "sha256"
"""New blobs are named with this hash. Blobs of both kinds can live side by side: a key says its algorithm."""


class Hasher(Protocol):
    def update(self, data: Any, /) -> Any: ...

    def hexdigest(self) -> str: ...


def new_hasher(name: str) -> Hasher:
    """A fresh hash object; both kinds release the GIL on large updates, so worker threads hash in parallel."""
    if name == "sha256":
        return hashlib.sha256()
    if name == "blake3":
        if _blake3 is None:
            raise ValueError("hash 'blake3' needs the blake3 package (pip install blake3); 'sha256' needs nothing")
        return _blake3.blake3()
    raise ValueError(f"unknown hash {name!r}: use one of {', '.join(HASHES)}")


_SYNCFS: list[Any] = []


def _syncfs() -> Any:
    """libc's syncfs(fd), or None where there is none (not Linux, or a libc without it)."""
    if not _SYNCFS:
        try:
            import ctypes

            function = ctypes.CDLL(None, use_errno=True).syncfs
            function.argtypes, function.restype = [ctypes.c_int], ctypes.c_int
        except (OSError, AttributeError):
            function = None
        _SYNCFS.append(function)
    return _SYNCFS[0]


_WRITEBACK: list[Any] = []


def start_writeback(fd: int, offset: int, count: int) -> None:
    """Ask the kernel to start writing these bytes to disk now, without waiting (Linux sync_file_range with
    SYNC_FILE_RANGE_WRITE; nothing elsewhere). The syncfs before the blobs are referenced then finds them written,
    or nearly: the writeback overlaps the rest of the copy instead of following it. Not a durability step."""
    if not _WRITEBACK:
        try:
            import ctypes

            function = ctypes.CDLL(None, use_errno=True).sync_file_range
            function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
            function.restype = ctypes.c_int
        except (OSError, AttributeError):
            function = None
        _WRITEBACK.append(function)
    if _WRITEBACK[0] is not None:
        _WRITEBACK[0](fd, offset, count, 2)  # SYNC_FILE_RANGE_WRITE; a failure only means no head start


class BlobStore:
    """Blob files under `root`; a key is "<algorithm>:<hex digest>"."""

    def __init__(self, root: Path, *, create: bool = True):
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self._blobs_text = str(self.blobs)
        self._made: set[str] = set()
        if create:
            self.blobs.mkdir(parents=True, exist_ok=True)

    def any_blob(self) -> bool:
        """Whether the store holds at least one blob (stops at the first)."""
        for algorithm in HASHES:
            for _ in (self.blobs / algorithm).glob("??/*"):
                return True
        return False

    def path(self, key: str) -> Path:
        return Path(self._where(key))

    def _where(self, key: str) -> str:
        """The blob's file name as text (the import's hot path: no Path objects)."""
        algorithm, _, digest = key.partition(":")
        if algorithm not in HASHES or len(digest) < 8 or _HEX.fullmatch(digest) is None:
            raise ValueError(f"not a blob key: {key!r}")
        return os.path.join(self._blobs_text, algorithm, digest[:2], digest[2:])

    def exists(self, key: str) -> bool:
        return os.path.isfile(self._where(key))

    def put(self, part: str | os.PathLike[str], key: str) -> None:
        """Move a complete temp file in as blob `key` (atomic rename).

        A blob of that key already there is replaced: same key, same bytes, so a reader sees the same content through
        either file (and a damaged one is mended). No existence check first: on a many-small-files import that stat
        was a tenth of the time. The caller holds the index's write lock, so no collection of unreferenced blobs can
        run between this and the reference it is about to record.
        """
        target = self._where(key)
        folder = os.path.dirname(target)
        if folder not in self._made:  # at most 2 × 256 folders: make each once per process
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        try:
            os.replace(part, target)
        except FileNotFoundError:  # the folder went (a clean-up elsewhere): make it again
            os.makedirs(folder, exist_ok=True)
            os.replace(part, target)

    def sync(self) -> None:
        """Make every file written on the store's file system so far durable: one syncfs(2) (Linux), else a full
        sync(). Called before new blobs are moved in and referenced, so a name in the store is never a torn file."""
        syncfs = _syncfs()
        if syncfs is None:
            os.sync()
            return
        fd = os.open(self.root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            if syncfs(fd) != 0:
                import ctypes

                error = ctypes.get_errno()
                raise OSError(error, os.strerror(error), str(self.root))
        finally:
            os.close(fd)

    def remove(self, keys: list[str]) -> int:
        """Delete these blobs (the caller proved nothing references them); returns how many files went."""
        removed = 0
        for key in keys:
            try:
                os.unlink(self.path(key))
                removed += 1
            except FileNotFoundError:
                pass
        return removed

    def keys(self) -> list[str]:
        """The key of every blob file in the store."""
        found = []
        for algorithm in HASHES:
            for path in (self.blobs / algorithm).glob("??/*"):
                found.append(f"{algorithm}:{path.parent.name}{path.name}")
        return found

    def files(self) -> list[Path]:
        """Every blob file (for tests and diagnostics)."""
        return [p for p in self.blobs.rglob("*") if p.is_file()]

    def disk_bytes(self) -> int:
        """Bytes the blobs take (apparent size)."""
        return sum(p.stat().st_size for p in self.files())
