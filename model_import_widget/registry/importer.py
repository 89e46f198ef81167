"""Reading a model folder: where a source_location points, which files an import takes, and copying them in.

`resolve_source` and `walk` refuse bad sources before anything is registered (`lint.py` says what the service
would say of the package); `Copier` copies and hashes in one pass on worker threads. No index, no model rows here.
"""

from __future__ import annotations

import errno
import itertools
import os
import queue
import re
import stat
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from ..errors import ServiceError
from ..spec import OBS_URL_PATTERN, human_size
from .store import BlobStore, new_hasher, start_writeback

"""The service refuses model files over 20 GB (ModelArts.3044); tests monkeypatch this to something small."""


CHUNK_BYTES = 1 << 20
"""Chunk size for large files: 1 MiB stays in cache between copying it and hashing it (measured best here)."""
SMALL_FILE_BYTES = 4 << 20
"""Files up to this size are read whole, hashed, and written only if their blob is not stored yet."""
INLINE_FILE_BYTES = 256 << 10
"""Files up to this size are copied by the import thread itself, not by the worker threads: for a small file the
work is a dozen system calls and a little Python, and threads sharing the GIL made it 6x slower (each syscall
gave the GIL away and waited for it back), not faster. Measured on tmpfs: 50 000 files of 1 KiB, 9.5 s in
threads, see benchmarks/bench_small_files.py."""

STAT_CACHE_RACY_NS = 20_000_000
"""A stat cache entry is trusted only for files last changed this long before they were read (git's "racily
clean" rule): file timestamps tick coarsely, so a change within the same tick as the read looks unchanged."""

_NO_KERNEL_COPY = {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF, errno.EPERM,
                   getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}
"""copy_file_range errors that mean "not here" (old kernels across file systems, FUSE, some NFS), not "broken"."""

_OBS_HTTPS = re.compile(OBS_URL_PATTERN)


def _limit_text(limit: int) -> str:
    """The service's own words for its limit (ModelArts.3044: "larger than 20G"), or the size in this tool's units."""
    gib = limit / 1024 ** 3
    return f"{gib:g}G" if gib >= 1 and gib == int(gib) else human_size(limit)


# ---- where the files are ------------------------------------------------------------------------------------


def resolve_source(source_location: str, source_location_type: str, home: Path) -> Path:
    """The local folder behind `source_location`; ServiceError ModelArts.3551 when it does not exist.

    OBS_SOURCE `obs://bucket/dir/`, `/bucket/dir/` or `https://bucket.obs.<region>.../dir/` is read from
    <home>/obs/bucket/dir/, so OBS examples run offline. LOCAL_SOURCE is a folder on this machine.
    """
    location = str(source_location or "").strip()
    kind = str(source_location_type or "OBS_SOURCE").upper()  # the SDK's default, as in spec.py
    if kind == "LOCAL_SOURCE":
        folder = Path(location).expanduser()
        if not folder.is_absolute():
            folder = Path.cwd() / folder
        if not folder.exists():
            raise ServiceError(400, "ModelArts.3551",
                               f"Local path {location} does not exist. Give source_location as the folder that contains "
                               f"model/ (looked for {folder}).")
        if not folder.is_dir():
            raise ServiceError(400, "ModelArts.3551",
                               f"Local path {location} is a file. Give source_location as the folder that contains model/.")
        return folder
    if kind != "OBS_SOURCE":
        raise ServiceError(400, "ModelArts.0104",
                           f"source_location_type {source_location_type!r} is not OBS_SOURCE or LOCAL_SOURCE.")
    obs_root = (Path(home) / "obs").resolve()
    match = _OBS_HTTPS.match(location)
    if match:
        relative = f"{match['bucket']}{match['path'] or ''}"
    elif location.startswith("obs://"):
        relative = location[len("obs://"):]
    elif location.startswith("/"):
        relative = location.lstrip("/")
    else:
        raise ServiceError(400, "ModelArts.3551",
                           f"OBS path {location} does not exist. Write it as obs://bucket/dir/ or /bucket/dir/.")
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ServiceError(400, "ModelArts.3551",
                           f"OBS path {location} does not exist. Write it as obs://bucket/dir/ with a bucket name "
                           "and no '..'.")
    folder = obs_root.joinpath(*parts)
    if not folder.is_dir():
        raise ServiceError(400, "ModelArts.3551",
                           f"OBS path {location} does not exist. The embedded registry reads OBS paths from disk: "
                           f"put the model files under {folder}{os.sep} (the folder that contains model/), or point "
                           "MODEL_IMPORT_WIDGET_HOME at the folder whose obs/ holds them.")
    return folder


# ---- which files an import takes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """One regular file to import: its path inside the package and the stat it had when the folder was walked."""

    rel: str
    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    dev: int

    @property
    def stat_key(self) -> tuple[int, int, int, int, int]:
        return (self.size, self.mtime_ns, self.ctime_ns, self.ino, self.dev)


@dataclass(frozen=True)
class SourceTree:
    root: Path
    files: tuple[SourceFile, ...]
    total_bytes: int
    dirs: frozenset[str]
    prefix: str = ""  # "model/" when the model/ folder itself was given as the package


def noncompliant(message: str) -> ServiceError:
    """A source the import cannot take, worded as the service words it (ModelArts.3017), naming what to fix."""
    return ServiceError(400, "ModelArts.3017", f"Failed to publish model because source location noncompliance: "
                                               f"{message}")


class SourceSwapped(OSError):
    """A walked file that is no longer the file the walk saw; `strerror` says which and what to do."""


_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))


def open_walked(file: SourceFile, *, same_stat: bool = True) -> int:
    """An fd on the file the walk saw, or SourceSwapped naming it: never follows a symbolic link swapped in, never
    blocks on a FIFO or device, and (with `same_stat`) never reads a file whose stat moved since the walk."""
    fd, st = _open_regular(file)
    if same_stat and (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev) != file.stat_key:
        os.close(fd)
        raise SourceSwapped(errno.EAGAIN, changed_text(file.rel))
    return fd


def _open_regular(file: SourceFile) -> tuple[int, os.stat_result]:
    """open_walked's open: the fd and its stat, the file known to be a regular one (never blocked on)."""
    try:
        fd = os.open(file.path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise SourceSwapped(exc.errno, f"{file.rel} was replaced by a symbolic link after the folder was read; "
                                           "put the file itself back and import again.") from None
        if exc.errno == errno.ENOENT:
            raise SourceSwapped(exc.errno, f"{file.rel} was removed during the import; wait until the folder is "
                                           "complete and import again.") from None
        raise SourceSwapped(exc.errno, f"{file.rel} cannot be read ({exc.strerror}).") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SourceSwapped(errno.EINVAL, f"{file.rel} is no longer a regular file (a pipe, socket or device was "
                                              "put in its place); put the file back and import again.")
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def same_as_walked(fd: int, file: SourceFile) -> bool:
    st = os.fstat(fd)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev) == file.stat_key


def _same_content_stat(st: os.stat_result, file: SourceFile) -> bool:
    """The walked file, with the size and modification time the walk saw (its ctime may move: chmod, a link)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == (file.dev, file.ino, file.size, file.mtime_ns)


def changed_text(rel: str) -> str:
    return f"{rel} changed while it was being imported; wait until it is written completely and import again."


def package_tree(folder: Path, shown_as: str) -> tuple[SourceTree, str]:
    """The package at `folder`: the folder that contains model/ (the service's layout), or — as the vendor's own
    examples also write it — the model/ folder itself, taken as the package's model/. Returns the tree and, for
    the second case, a sentence saying so ("" otherwise)."""
    if not (folder / "model").is_dir() and folder.name == "model" and (folder / "config.json").is_file():
        return walk(folder, shown_as, prefix="model/"), (
            f"{shown_as} is the model/ folder itself (it holds config.json): imported as the package's model/")
    return walk(folder, shown_as), ""


def walk(folder: Path, shown_as: str, prefix: str = "") -> SourceTree:
    """Every file under `folder`, following symlinks that stay inside it; refuses the folder before any import.

    Leaves out spec.SKIPPED_DIR_NAMES. Links inside the folder are followed, and each real folder (dev, inode) is walked at
    most once: a link to a folder the package holds anyway (`latest -> v3`) is refused naming both, so links cannot
    multiply a tree. Refused, as a ServiceError naming the entry: a symlink pointing outside the folder, a dangling
    one, a second way into a folder (a loop is one), anything that is not a regular file or a folder (checked by
    stat, never opened), a name that is not UTF-8, and a package over spec.MAX_PACKAGE_FILES files,
    spec.MAX_PACKAGE_DEPTH folders deep or spec.MAX_PACKAGE_BYTES (ModelArts.3044). No recursion: any depth is walked
    with an explicit stack. `prefix` ("model/") is put before every path, for a model/ folder given as the package.
    """
    from ..spec import MAX_PACKAGE_BYTES, MAX_PACKAGE_DEPTH, MAX_PACKAGE_FILES, SKIPPED_DIR_NAMES

    root = Path(os.path.realpath(folder))
    files: list[SourceFile] = []
    dirs: set[str] = set()
    total = 0
    refuse = noncompliant
    top = os.stat(root)
    # every folder walked, by (dev, inode): its path in the package, and whether a symbolic link led there
    walked: dict[tuple[int, int], tuple[str, bool]] = {(top.st_dev, top.st_ino): (prefix.rstrip("/") or ".", False)}
    stack: list[tuple[str, str, int, frozenset[tuple[int, int]]]] = [
        (str(root), prefix, 0, frozenset({(top.st_dev, top.st_ino)}))]
    if prefix:
        dirs.add(prefix.rstrip("/"))
    while stack:
        real_dir, rel_dir, depth, ancestors = stack.pop()
        try:
            entries = sorted(os.scandir(real_dir), key=lambda e: e.name)
        except OSError as exc:
            raise refuse(f"the folder {rel_dir or '.'} cannot be read ({exc.strerror}).") from exc
        for entry in entries:
            rel = f"{rel_dir}{entry.name}"
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError:
                shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                raise refuse(f"the name {shown} is not UTF-8 text (it was written in another encoding); rename it "
                             "with plain letters, digits, - and _.") from None
            path = entry.path
            linked = entry.is_symlink()
            if linked:
                target = os.path.realpath(path)
                if os.path.commonpath([target, str(root)]) != str(root):
                    raise refuse(f"the symbolic link {rel} points to {target}, outside the model folder {root}. "
                                 "Copy the file into the folder, or link to a file inside it.")
                if not os.path.exists(target):
                    raise refuse(f"the symbolic link {rel} points to {target}, which does not exist.")
                path = target
            try:
                st = os.stat(path)
            except OSError as exc:
                raise refuse(f"{rel} cannot be read ({exc.strerror}).") from exc
            if stat.S_ISDIR(st.st_mode):
                if entry.name in SKIPPED_DIR_NAMES:
                    continue
                key = (st.st_dev, st.st_ino)
                if key in ancestors:
                    raise refuse(f"the symbolic link {rel} points to {path}, a folder that contains it (a loop). "
                                 "Remove the link.")
                if key in walked:
                    first, first_linked = walked[key]
                    link, other = (rel, first) if linked or not first_linked else (first, rel)
                    raise refuse(f"the symbolic link {link} leads to the folder {other}, which the package holds "
                                 "already; a folder is imported once. Remove the link, or replace it with a copy "
                                 "of the folder.")
                if depth + 1 > MAX_PACKAGE_DEPTH:
                    raise refuse(f"{rel} is more than {MAX_PACKAGE_DEPTH} folders deep; a model package is never that "
                                 "deep: flatten it.")
                walked[key] = (rel, linked)
                dirs.add(rel)
                stack.append((os.path.realpath(path), rel + "/", depth + 1, ancestors | {key}))
            elif stat.S_ISREG(st.st_mode):
                files.append(SourceFile(rel, path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev))
                total += st.st_size
                if total > MAX_PACKAGE_BYTES:
                    raise ServiceError(500, "ModelArts.3044", f"Model file ({shown_as}) is larger than "
                                                              f"{_limit_text(MAX_PACKAGE_BYTES)} and cannot be imported.")
                if len(files) > MAX_PACKAGE_FILES:
                    raise refuse(f"the folder holds more than {MAX_PACKAGE_FILES:,} files; a model package this large "
                                 "is almost always a data set or a cache by mistake: import the model's own files.")
            else:
                raise refuse(f"{rel} is not a regular file (a pipe, socket or device); remove it from the folder.")
    files.sort(key=lambda f: f.rel)
    return SourceTree(root, tuple(files), total, frozenset(dirs), prefix)


# ---- copying --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Copied:
    """A file hashed (and, unless its blob was stored already, written to `part`)."""

    file: SourceFile
    key: str
    size: int
    part: str | None
    read_at_ns: int
    unchanged: bool  # the file's stat after reading equals the walk's: safe to remember in the stat cache


class CopyFailed(Exception):
    def __init__(self, file: SourceFile, error: OSError):
        self.file, self.error = file, error
        why = error.strerror or str(error)
        if isinstance(error, SourceSwapped):  # it names the file and what to do already
            why = why.split(f"{file.rel} ", 1)[-1].rstrip(".")
        super().__init__(f"Could not copy {file.rel}: {why}")


class Stopped(Exception):
    """The copy was told to stop."""


class Copier:
    """Worker threads that copy files into `temp_dir` while hashing them, one pass over the bytes.

    Results come back on `results` (Copied or CopyFailed). Largest files first, so workers finish together.
    hashlib and blake3 release the GIL on large updates, and so do read and write: the workers really run in
    parallel. `stop` is checked between chunks.
    """

    def __init__(self, store: BlobStore, temp_dir: Path, hash_name: str, workers: int | None = None):
        self.store, self.temp_dir, self.hash_name = store, temp_dir, hash_name
        self.workers = workers or max(2, min(8, os.cpu_count() or 2))
        self.stop = threading.Event()
        self.results: queue.Queue[Copied | CopyFailed] = queue.Queue()
        self._tasks: queue.Queue[SourceFile | None] = queue.Queue()
        self._bytes = 0
        self._bytes_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._kernel_copy = hasattr(os, "copy_file_range") and hasattr(os, "preadv")
        self._here_buffer = bytearray(0)  # copy_here copies only files read whole: no chunk buffer needed
        self._parts = itertools.count()
        self._part_prefix = f"{uuid.uuid4().hex}-"

    @property
    def bytes_read(self) -> int:
        return self._bytes

    def copy_here(self, file: SourceFile) -> Copied:
        """Copy one (small) file in the calling thread; CopyFailed naming it if it cannot be read or changed."""
        try:
            return self._copy(file, self._here_buffer)
        except OSError as exc:
            raise CopyFailed(file, exc) from exc

    def submit(self, files: list[SourceFile]) -> None:
        for file in sorted(files, key=lambda f: f.size, reverse=True):
            self._tasks.put(file)
        missing = self.workers - len(self._threads)
        for _ in range(max(0, min(missing, len(files)))):
            thread = threading.Thread(target=self._work, name="model-import-copy", daemon=True)
            self._threads.append(thread)
            thread.start()

    def close(self) -> None:
        """Stop the workers (finishing or abandoning their current file) and wait for them."""
        self.stop.set()
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def _count(self, n: int) -> None:
        with self._bytes_lock:
            self._bytes += n

    def _work(self) -> None:
        buffer = bytearray(CHUNK_BYTES)
        while not self.stop.is_set():
            file = self._tasks.get()
            if file is None:
                return
            try:
                self.results.put(self._copy(file, buffer))
            except Stopped:
                return
            except OSError as exc:
                self.results.put(CopyFailed(file, exc))

    def _copy(self, file: SourceFile, buffer: bytearray) -> Copied:
        if file.size <= SMALL_FILE_BYTES:
            return self._copy_small(file)
        read_at = time.time_ns()
        hasher = new_hasher(self.hash_name)
        fd, before = _open_regular(file)
        with os.fdopen(fd, "rb", buffering=0) as source:
            if not _same_content_stat(before, file):
                raise SourceSwapped(errno.EAGAIN, changed_text(file.rel))  # rewritten since the walk
            part = self._new_part()
            try:
                size = self._stream(source, part, hasher, buffer)
                after = os.fstat(source.fileno())
                if size != file.size or not _same_content_stat(after, file):  # written to while it was read: torn
                    raise SourceSwapped(errno.EAGAIN, changed_text(file.rel))
            except BaseException:
                _unlink_quietly(part)
                raise
        return Copied(file, f"{self.hash_name}:{hasher.hexdigest()}", size, part, read_at,
                      (size, after.st_mtime_ns, after.st_ctime_ns) == (file.size, file.mtime_ns, file.ctime_ns))

    def _copy_small(self, file: SourceFile) -> Copied:
        """A file read whole (the many-small-files path: as few system calls and objects as it can)."""
        read_at = time.time_ns()
        fd, before = _open_regular(file)
        try:
            if not _same_content_stat(before, file):
                raise SourceSwapped(errno.EAGAIN, changed_text(file.rel))  # rewritten since the walk
            data = os.read(fd, file.size + 1)
            while 0 < len(data) < file.size:  # a short read (a network file system): read on to the end
                more = os.read(fd, file.size + 1 - len(data))
                if not more:
                    break
                data += more
            after = os.fstat(fd)
        finally:
            os.close(fd)
        if len(data) != file.size or not _same_content_stat(after, file):  # written to while it was read: torn
            raise SourceSwapped(errno.EAGAIN, changed_text(file.rel))
        hasher = new_hasher(self.hash_name)
        hasher.update(data)
        key = f"{self.hash_name}:{hasher.hexdigest()}"
        part = None
        if not self.store.exists(key):  # else nothing to write: the claim checks again under the index lock
            part = self._new_part()
            try:
                _write_all(part, data)
            except BaseException:
                _unlink_quietly(part)
                raise
        self._count(len(data))
        return Copied(file, key, len(data), part, read_at,
                      (after.st_size, after.st_mtime_ns, after.st_ctime_ns) == file.stat_key[:3])

    def _new_part(self) -> str:
        return os.path.join(self.temp_dir, f"{self._part_prefix}{next(self._parts)}.part")  # next(): thread-safe

    def _stream(self, source, part: str, hasher, buffer: bytearray) -> int:
        """Copy a large file into `part` and hash what was stored, chunk by chunk.

        Where the kernel can (Linux copy_file_range), it copies page cache to page cache as `cp` does, and the
        chunk is read back from `part` while still cached to be hashed: the hash is of the stored bytes even if
        the source changes meanwhile. Elsewhere: read, hash, write the same buffer.
        """
        view = memoryview(buffer)
        out = os.open(part, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o444)
        size = 0
        try:
            src = source.fileno()
            while self._kernel_copy:
                if self.stop.is_set():
                    raise Stopped()
                try:
                    n = os.copy_file_range(src, out, len(buffer), size, size)
                except OSError as exc:
                    if exc.errno not in _NO_KERNEL_COPY or size:
                        raise
                    self._kernel_copy = False  # this file system cannot: copy through memory from now on
                    break
                if not n:
                    return size
                if os.preadv(out, [view[:n]], size) != n:
                    raise OSError(errno.EIO, "short read of the copied chunk")
                hasher.update(view[:n])
                start_writeback(out, size, n)
                size += n
                self._count(n)
            while True:
                if self.stop.is_set():
                    raise Stopped()
                n = source.readinto(buffer)
                if not n:
                    return size
                chunk = view[:n]
                hasher.update(chunk)
                written = 0
                while written < n:
                    written += os.write(out, chunk[written:])
                start_writeback(out, size, n)
                size += n
                self._count(n)
        finally:
            os.close(out)


def _write_all(path: str, data: bytes) -> None:
    out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o444)
    try:
        view = memoryview(data)
        written = 0
        while written < len(data):
            written += os.write(out, view[written:])
    finally:
        os.close(out)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass

