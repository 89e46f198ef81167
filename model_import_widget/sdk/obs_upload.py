"""Uploading a local model folder to OBS: files read the way the embedded registry reads them (no symlink or FIFO
swapped in, no torn file), streamed part by part, resumable from a checkpoint kept outside the package.

Never leaves objects or multipart uploads behind when it fails or is cancelled (unless asked to keep a checkpoint
so that a later call resumes). Never logs, returns or raises a secret.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional


from ..backend import Progress
from ..errors import BackendUnavailableError, ImportCancelledError, NetworkError, ServiceError
from ..registry.importer import (STAT_CACHE_RACY_NS, SourceFile, SourceSwapped, SourceTree, changed_text,
                                  noncompliant, open_walked, same_as_walked)
from .obs import MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES, ObsClient, _check_bucket, _md5, _normalize_prefix

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no checkpoint lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["UploadResult", "upload_folder"]

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.05
CHECKPOINT_INTERVAL = 1.0
UPLOAD_THREADS = 2

# ---- reading source files safely ---------------------------------------------------------------------------------


def _open_source(file: SourceFile) -> int:
    """The walk's file, read the way the embedded registry reads it; a refusal that names it otherwise."""
    try:
        return open_walked(file)
    except SourceSwapped as exc:
        raise noncompliant(exc.strerror) from None


def _changed(rel: str) -> ServiceError:
    return noncompliant(changed_text(rel))


# ---- the folder upload -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    """What `upload_folder` did. `keys`: every object of the folder, in the walk's order (resumed ones included);
    `bytes`/`files`: the folder's totals; `resumed_*`: what an earlier interrupted call had uploaded already and
    this one did not send again (whole files; resumed multipart parts count in resumed_bytes only)."""

    keys: list[str]
    bytes: int
    files: int
    resumed_files: int
    resumed_bytes: int
    checkpoint_problem: Optional[str] = None
    """Why no resume checkpoint could be kept (the upload itself went through), or None."""


@dataclass
class _Job:
    file: SourceFile
    key: str
    part_size: int                           # 0: one PUT
    parts: list[tuple[int, int, int]]        # (number, offset, length) still to send
    upload_id: Optional[str] = None
    etags: dict[int, str] = field(default_factory=dict)
    read_ns: int = 0
    fd: Optional[int] = None                 # multipart: opened once, read by every part's worker
    unfinished: int = 0                      # multipart: parts submitted and not acknowledged yet
    part_count: int = 0                      # multipart: parts of the whole file


@dataclass
class _Task:
    job: _Job
    number: int                              # 0: the whole file in one PUT
    offset: int
    length: int


class _Stopped(Exception):
    """A queued task found the upload stopping and did nothing."""


def _read_into(fd: int, view: memoryview, offset: int, rel: str) -> None:
    got = 0
    while got < len(view):
        if hasattr(os, "preadv"):
            n = os.preadv(fd, [view[got:]], offset + got)
        else:  # pragma: no cover - platforms without preadv
            data = os.pread(fd, len(view) - got, offset + got)
            n = len(data)
            view[got:got + n] = data
        if not n:
            raise _changed(rel)  # shorter than when it was walked
        got += n


class _ProgressReporter:
    """Throttled (PROGRESS_INTERVAL), never backwards; a callback that raises an Exception is logged and ignored."""

    def __init__(self, callback: Optional[Callable[[Progress], None]], bytes_total: int, files_total: int):
        self.callback, self.bytes_total, self.files_total = callback, bytes_total, files_total
        self.bytes_done = self.files_done = 0
        self._last = 0.0
        self._warned = False

    def start(self) -> None:
        self._emit(force=True)

    def advance(self, nbytes: int, files: int = 0) -> None:
        self.bytes_done = min(self.bytes_total, self.bytes_done + nbytes)
        self.files_done = min(self.files_total, self.files_done + files)
        self._emit()

    def finish(self) -> None:
        self.bytes_done, self.files_done = self.bytes_total, self.files_total
        self._emit(force=True)

    def _emit(self, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_INTERVAL:
            return
        self._last = now
        try:
            self.callback(Progress(self.bytes_done, self.bytes_total, self.files_done, self.files_total))
        except Exception as exc:
            if not self._warned:
                self._warned = True
                logger.warning("the upload's progress callback raised %s; the upload goes on", type(exc).__name__)


class _Checkpoint:
    """What an interrupted upload had done, as one small JSON file per (endpoint, bucket, prefix, folder).

    Written atomically (temp file, fsync, rename, fsync of the folder); holds no secret. An flock beside it keeps
    two uploads of the same folder to the same place from running at once.
    """

    VERSION = 1

    def __init__(self, state_dir: Path, endpoint: str, bucket: str, prefix: str, folder: str):
        self.state_dir = state_dir
        self.identity = {"endpoint": endpoint, "bucket": bucket, "prefix": prefix, "folder": folder}
        digest = hashlib.sha256(json.dumps(self.identity, sort_keys=True).encode("utf-8")).hexdigest()[:32]
        self.path = state_dir / f"obs-upload-{digest}.json"
        self.lock_path = state_dir / f"obs-upload-{digest}.lock"
        self.data: dict[str, Any] = self._empty()
        self._lock_fd: Optional[int] = None
        self._dirty = False
        self._saved_at = 0.0
        self.removed = False
        self.broken: Optional[str] = None  # why the checkpoint cannot be written, once it could not

    def _empty(self) -> dict[str, Any]:
        # files: rel -> what was uploaded; multipart: rel -> an upload in progress; keys: objects perhaps written
        return {"version": self.VERSION, **self.identity, "files": {}, "multipart": {}, "keys": []}

    # -- lifecycle --------------------------------------------------------------------------------------------
    def acquire(self) -> None:
        """Take the lock and load the checkpoint; OSError when the state folder cannot be used at all."""
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if fcntl is not None:
            while True:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    where = f"obs://{self.identity['bucket']}/{self.identity['prefix']}"
                    raise BackendUnavailableError(f"another upload of {self.identity['folder']} to {where} is "
                                                  "still running; wait until it ends and try again.") from None
                try:
                    same = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
                except FileNotFoundError:
                    same = False
                if same:  # not a lock file that the previous holder removed meanwhile
                    self._lock_fd = fd
                    break
                os.close(fd)
        self._load()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            logger.warning("cannot read the upload checkpoint %s (%s); uploading everything", self.path, exc.strerror)
            return
        try:
            data = json.loads(text)
            valid = (isinstance(data, dict) and data.get("version") == self.VERSION
                     and all(data.get(k) == v for k, v in self.identity.items())
                     and isinstance(data.get("files"), dict) and isinstance(data.get("multipart"), dict)
                     and isinstance(data.get("keys"), list))
        except ValueError:
            valid = False
        if valid:
            self.data = data
        else:
            logger.warning("the upload checkpoint %s is not readable; uploading everything", self.path)

    def release(self) -> None:
        if not self.removed and self._dirty:
            self.save(force=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def remove(self) -> None:
        self.removed = True
        for path in (self.path, self.lock_path):  # the lock file while still holding it (see acquire)
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    def save(self, force: bool = False) -> None:
        """Write the checkpoint (atomically, durably). A checkpoint that cannot be written (full or read-only disk)
        turns checkpointing off for this upload, with a warning: the upload goes on, only a resume is lost."""
        self._dirty = True
        if self.removed or self.broken or (not force and time.monotonic() - self._saved_at < CHECKPOINT_INTERVAL):
            return
        temp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        data = json.dumps(self.data, separators=(",", ":")).encode("utf-8")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, self.path)
            dir_fd = os.open(self.state_dir, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            self.broken = f"the resume checkpoint in {self.state_dir} cannot be written ({exc.strerror or exc})"
            logger.warning("%s; an interrupted upload will start over", self.broken)
            try:
                temp.unlink()
            except OSError:
                pass
            return
        self._dirty = False
        self._saved_at = time.monotonic()

    # -- contents ---------------------------------------------------------------------------------------------
    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.data["files"]

    @property
    def multiparts(self) -> dict[str, dict[str, Any]]:
        return self.data["multipart"]

    def keys(self) -> set[str]:
        """Every object this upload may have written, by this call or an earlier one: only keys under its own
        prefix, whatever the file says (a damaged or edited checkpoint never names an object outside it)."""
        recorded = {entry.get("key") for entry in self.files.values() if isinstance(entry, dict)}
        listed = set(self.data["keys"]) | recorded
        prefix = self.identity["prefix"]
        return {key for key in listed if isinstance(key, str) and key.startswith(prefix) and len(key) > len(prefix)}

    def remember_keys(self, keys: list[str]) -> None:
        known = set(self.data["keys"])
        self.data["keys"] += [key for key in dict.fromkeys(keys) if key not in known]

    def file_done(self, job: _Job, etag: str) -> None:
        file = job.file
        self.files[file.rel] = {"key": job.key, "size": file.size, "mtime_ns": file.mtime_ns,
                                "ctime_ns": file.ctime_ns, "ino": file.ino, "dev": file.dev, "etag": etag,
                                "read_ns": job.read_ns}
        self.multiparts.pop(file.rel, None)
        self.save()

    def multipart_started(self, job: _Job) -> None:
        file = job.file
        self.multiparts[file.rel] = {"key": job.key, "upload_id": job.upload_id, "part_size": job.part_size,
                                     "size": file.size, "mtime_ns": file.mtime_ns, "ctime_ns": file.ctime_ns,
                                     "ino": file.ino, "dev": file.dev, "parts": {}}
        self.save(force=True)  # an upload id nobody knows of could never be aborted

    def part_done(self, job: _Job, number: int, etag: str) -> None:
        state = self.multiparts.get(job.file.rel)
        if state is not None:
            state["parts"][str(number)] = etag
            self.save()

    def forget_multipart(self, rel: str) -> None:
        if self.multiparts.pop(rel, None) is not None:
            self.save(force=True)


def _same_stat(entry: Mapping[str, Any], file: SourceFile) -> bool:
    return (entry.get("size"), entry.get("mtime_ns"), entry.get("ctime_ns"), entry.get("ino"),
            entry.get("dev")) == (file.size, file.mtime_ns, file.ctime_ns, file.ino, file.dev)


def _part_size_for(size: int, part_size: int) -> int:
    if -(-size // part_size) <= MAX_PARTS:
        return part_size
    needed = -(-size // MAX_PARTS)
    return -(-needed // (1 << 20)) * (1 << 20)


def _parts_of(size: int, part_size: int) -> list[tuple[int, int, int]]:
    return [(index + 1, offset, min(part_size, size - offset))
            for index, offset in enumerate(range(0, size, part_size))]


class _FolderUpload:
    """One `upload_folder` call. The calling thread plans, starts and completes multipart uploads, keeps the
    checkpoint and reports progress; UPLOAD_THREADS workers read, hash and send the files and parts."""

    def __init__(self, client: ObsClient, tree: SourceTree, bucket: str, prefix: str,
                 progress: Optional[Callable[[Progress], None]], cancel: Optional[threading.Event],
                 state_dir: Optional[Path], part_size: int):
        if not MIN_PART_BYTES <= int(part_size) <= MAX_PART_BYTES:
            raise ValueError(f"part_size must be between {MIN_PART_BYTES} bytes (OBS's minimum) and 5 GiB, "
                             f"not {part_size}")
        self.client, self.tree, self.part_size = client, tree, int(part_size)
        self.bucket = _check_bucket(bucket, f"obs://{bucket}/")
        self.prefix = _normalize_prefix(prefix, f"obs://{bucket}/{prefix}")
        self.cancel = cancel if cancel is not None else threading.Event()
        self.progress = _ProgressReporter(progress, tree.total_bytes, len(tree.files))
        self.written: list[str] = []               # objects this call wrote or may have written
        self.open_uploads: dict[str, str] = {}     # key -> upload id, not completed yet
        self.resumed_files = self.resumed_bytes = 0
        self._stop = threading.Event()
        self._local = threading.local()            # each worker's reusable buffer
        self._pending: dict[Future, _Task] = {}
        self.checkpoint: Optional[_Checkpoint] = None
        if state_dir is not None:
            state = Path(os.path.realpath(os.path.expanduser(str(state_dir))))
            root = str(tree.root)
            if os.path.commonpath([str(state), root]) == root:
                raise ValueError(f"state_dir {state} is inside the model folder {root}: the upload would upload "
                                 "its own checkpoint; keep it outside (for example <registry home>/uploads/).")
            self.checkpoint = _Checkpoint(state, client.endpoint, self.bucket, self.prefix, root)

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise ImportCancelledError()

    def run(self) -> UploadResult:
        self.progress.start()
        problem = None
        if self.checkpoint is not None:
            try:
                self.checkpoint.acquire()
            except OSError as exc:  # a read-only, full or odd home: upload without a resume checkpoint
                problem = f"no resume checkpoint could be kept in {self.checkpoint.state_dir} ({exc.strerror or exc})"
                logger.warning("%s; an interrupted upload will start over", problem)
                self.checkpoint = None
        try:
            try:
                jobs = self._plan()
                self._transfer(jobs)
                self._sweep_stale()
            except BaseException as exc:
                self._after_failure(exc)
                raise
            if self.checkpoint is not None:
                self.checkpoint.remove()
        finally:
            if self.checkpoint is not None:
                self.checkpoint.release()
        self.progress.finish()
        broken = self.checkpoint.broken if self.checkpoint is not None else None
        return UploadResult([self.prefix + f.rel for f in self.tree.files], self.tree.total_bytes,
                            len(self.tree.files), self.resumed_files, self.resumed_bytes, problem or broken or None)

    # -- what is left to send ---------------------------------------------------------------------------------
    def _plan(self) -> list[_Job]:
        jobs: list[_Job] = []
        checkpoint = self.checkpoint
        for file in self.tree.files:
            self._check_cancel()
            key = self.prefix + file.rel
            if checkpoint is not None and self._resumable_file(checkpoint.files.get(file.rel), file, key):
                self.resumed_files += 1
                self.resumed_bytes += file.size
                self.progress.advance(file.size, files=1)
                continue
            part_size = _part_size_for(file.size, self.part_size) if file.size > self.part_size else 0
            parts = _parts_of(file.size, part_size) if part_size else [(0, 0, file.size)]
            job = _Job(file, key, part_size, parts, part_count=len(parts) if part_size else 0)
            if part_size and checkpoint is not None:
                self._resume_multipart(job)
            jobs.append(job)
        if checkpoint is not None:  # uploads of files that are gone or changed: nothing will complete them
            resumed = {job.file.rel for job in jobs if job.upload_id}
            for rel, state in list(checkpoint.multiparts.items()):
                if rel not in resumed:
                    self._abort_quietly(state.get("key", ""), state.get("upload_id", ""))
                    checkpoint.forget_multipart(rel)
        return jobs

    def _resumable_file(self, entry: Optional[dict[str, Any]], file: SourceFile, key: str) -> bool:
        if not isinstance(entry, dict) or entry.get("key") != key or not _same_stat(entry, file):
            return False
        if max(file.mtime_ns, file.ctime_ns) >= int(entry.get("read_ns") or 0) - STAT_CACHE_RACY_NS:
            return False  # changed within a timestamp tick of being read: the stat cannot vouch for the bytes
        head = self.client.head_object(self.bucket, key)
        return head is not None and head["size"] == file.size and head["etag"] == entry.get("etag")

    def _resume_multipart(self, job: _Job) -> None:
        assert self.checkpoint is not None
        state = self.checkpoint.multiparts.get(job.file.rel)
        if not state:
            return
        upload_id = state.get("upload_id") or ""
        if state.get("key") != job.key or state.get("part_size") != job.part_size or not _same_stat(state, job.file):
            return  # _plan aborts it
        try:
            listed = {part["part_number"]: part for part in self.client.list_parts(self.bucket, job.key, upload_id)}
        except ServiceError as exc:
            if exc.error_code != "OBS.NoSuchUpload":
                raise
            self.checkpoint.forget_multipart(job.file.rel)
            return
        sizes = {number: length for number, _, length in job.parts}
        done = {int(number): etag for number, etag in state.get("parts", {}).items()
                if int(number) in listed and listed[int(number)]["etag"] == etag
                and listed[int(number)]["size"] == sizes.get(int(number))}
        job.upload_id = upload_id
        job.etags = done
        job.parts = [part for part in job.parts if part[0] not in done]
        self.open_uploads[job.key] = upload_id
        resumed = sum(sizes[number] for number in done)
        self.resumed_bytes += resumed
        self.progress.advance(resumed)

    # -- sending ----------------------------------------------------------------------------------------------
    def _transfer(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        pool = ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix="model-import-obs")
        try:
            for job in jobs:
                if not job.part_size:
                    self._submit(pool, _Task(job, 0, 0, job.file.size))
                    continue
                self._check_cancel()
                job.read_ns = time.time_ns()
                job.fd = _open_source(job.file)
                if not job.parts:  # an earlier call sent every part: only the completion is left
                    self._finish_multipart(job)
                    continue
                for number, offset, length in job.parts:
                    self._submit(pool, _Task(job, number, offset, length))
            while self._pending:
                self._collect()
        except BaseException:
            self._stop.set()
            for future in list(self._pending):
                future.cancel()
            raise
        finally:
            pool.shutdown(wait=True)  # the requests already on the wire end (they are bounded by the timeouts)
            for job in jobs:
                if job.fd is not None:
                    os.close(job.fd)
                    job.fd = None

    def _submit(self, pool: ThreadPoolExecutor, task: _Task) -> None:
        while len(self._pending) >= UPLOAD_THREADS:
            self._collect()
        self._check_cancel()
        job = task.job
        if not task.number:
            self.written.append(job.key)  # before: a failed or unanswered PUT may have stored it
        elif job.upload_id is None:
            job.upload_id = self.client.initiate_multipart(self.bucket, job.key)
            self.open_uploads[job.key] = job.upload_id
            if self.checkpoint is not None:
                self.checkpoint.multipart_started(job)
        if task.number:
            job.unfinished += 1
        self._pending[pool.submit(self._send, task)] = task

    def _collect(self) -> None:
        """Wait for at least one task; handle every finished one (raising the first failure)."""
        done: set[Future] = set()
        while not done:
            self._check_cancel()
            done, _ = wait(list(self._pending), timeout=0.1, return_when=FIRST_COMPLETED)
        for future in done:
            task = self._pending.pop(future)
            etag = future.result()
            job, checkpoint = task.job, self.checkpoint
            if not task.number:
                if checkpoint is not None:
                    checkpoint.file_done(job, etag)
                self.progress.advance(task.length, files=1)
                continue
            job.etags[task.number] = etag
            job.unfinished -= 1
            if checkpoint is not None:
                checkpoint.part_done(job, task.number, etag)
            self.progress.advance(task.length)
            if job.unfinished == 0 and len(job.etags) == job.part_count:
                self._finish_multipart(job)

    def _finish_multipart(self, job: _Job) -> None:
        assert job.fd is not None and job.upload_id is not None
        unchanged = same_as_walked(job.fd, job.file)  # every part was read: now or never, before it is complete
        os.close(job.fd)
        job.fd = None
        if not unchanged:
            raise _changed(job.file.rel)
        self._check_cancel()
        self.written.append(job.key)
        etag = self.client.complete_multipart(self.bucket, job.key, job.upload_id, sorted(job.etags.items()),
                                              expected_size=job.file.size)
        self.open_uploads.pop(job.key, None)
        if self.checkpoint is not None:
            self.checkpoint.file_done(job, etag)
        self.progress.advance(0, files=1)

    def _buffer(self, length: int) -> memoryview:
        buffer = getattr(self._local, "buffer", None)
        if buffer is None or len(buffer) < length:
            buffer = self._local.buffer = bytearray(length)
        return memoryview(buffer)[:length]

    def _send(self, task: _Task) -> str:
        """On a worker: read the file or part into this worker's buffer, hash it, send it; its ETag."""
        if self._stop.is_set():
            raise _Stopped()
        job, file = task.job, task.job.file
        view = self._buffer(task.length)
        if task.number:
            assert job.fd is not None and job.upload_id is not None
            _read_into(job.fd, view, task.offset, file.rel)
            return self.client.upload_part(self.bucket, job.key, job.upload_id, task.number, view,
                                           content_md5=_md5(view).digest())
        job.read_ns = time.time_ns()
        fd = _open_source(file)
        try:
            _read_into(fd, view, 0, file.rel)
            if not same_as_walked(fd, file):
                raise _changed(file.rel)
        finally:
            os.close(fd)
        return self.client.put_object(self.bucket, job.key, view if task.length else b"",
                                      content_md5=_md5(view).digest())

    def _sweep_stale(self) -> None:
        """Objects an earlier call wrote for files no longer in the folder: the prefix mirrors the folder."""
        if self.checkpoint is None:
            return
        current = {self.prefix + f.rel for f in self.tree.files}
        stale = sorted(self.checkpoint.keys() - current)
        if stale:
            self.client.delete_objects(self.bucket, stale)

    # -- when it goes wrong -----------------------------------------------------------------------------------
    def _keep_for_resume(self, exc: BaseException) -> bool:
        if self.checkpoint is None or self.cancel.is_set() or isinstance(exc, ImportCancelledError):
            return False
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit, a stop from a callback
            return True
        if isinstance(exc, NetworkError):
            return True
        return (isinstance(exc, ServiceError) and exc.error_code.startswith("OBS.")
                and exc.error_code != "OBS.ETagMismatch" and exc.status >= 500)

    def _after_failure(self, exc: BaseException) -> None:
        checkpoint = self.checkpoint
        if self._keep_for_resume(exc):
            assert checkpoint is not None
            checkpoint.remember_keys(self.written)
            checkpoint.save(force=True)
            logger.info("upload to obs://%s/%s interrupted; calling upload_folder again resumes it",
                        self.bucket, self.prefix)
            return
        if self._clean_up() and checkpoint is not None:
            checkpoint.remove()
        elif checkpoint is not None:
            checkpoint.remember_keys(self.written)

    def _abort_quietly(self, key: str, upload_id: str) -> bool:
        if not key or not upload_id:
            return True
        try:
            self.client.abort_multipart(self.bucket, key, upload_id)
            return True
        except Exception as exc:
            logger.warning("could not abort the multipart upload of obs://%s/%s (%s)", self.bucket, key,
                           type(exc).__name__)
            return False

    def _clean_up(self) -> bool:
        """Abort open multipart uploads and delete every object of this upload (earlier interrupted calls' too)."""
        ok = True
        for key, upload_id in list(self.open_uploads.items()):
            if self._abort_quietly(key, upload_id):
                self.open_uploads.pop(key, None)
            else:
                ok = False
        if self.checkpoint is not None:
            for rel, state in list(self.checkpoint.multiparts.items()):
                if self._abort_quietly(state.get("key", ""), state.get("upload_id", "")):
                    self.checkpoint.multiparts.pop(rel, None)
                else:
                    ok = False
        keys = list(dict.fromkeys(self.written + sorted(self.checkpoint.keys() if self.checkpoint else ())))
        if keys:
            try:
                self.client.delete_objects(self.bucket, keys)
            except Exception as exc:
                ok = False
                logger.warning("could not delete %d uploaded object(s) under obs://%s/%s (%s); delete them by hand",
                               len(keys), self.bucket, self.prefix, type(exc).__name__)
        return ok


def upload_folder(client: ObsClient, tree: SourceTree, bucket: str, prefix: str, *,
                  progress: Optional[Callable[[Progress], None]] = None, cancel: Optional[threading.Event] = None,
                  state_dir: Optional[Path] = None, part_size: int = 16 << 20) -> UploadResult:
    """Upload every file of `tree` to `obs://bucket/<prefix><file.rel>`, so the objects mirror the folder.

    Files up to `part_size` go in one PUT, larger ones as multipart uploads; every request carries Content-MD5 and
    every ETag is checked. UPLOAD_THREADS workers send at once (so `client.keys()` is called from them too).
    Files are read as the walk saw them: a file replaced, turned into a symlink or FIFO, or changed while being
    read is refused naming it (ServiceError ModelArts.3017), and nothing of it is completed.

    `cancel` (checked between parts and files) aborts open multipart uploads, deletes every object written and
    raises ImportCancelledError. Any other failure cleans up the same way and re-raises, except, with `state_dir`
    given, when OBS became unreachable (NetworkError) or kept failing (5xx) or the caller was interrupted (KeyboardInterrupt, any
    BaseException): then the objects and a checkpoint in `state_dir` stay, and calling again with the same folder
    and target resumes (skipping files whose stat and ETag still match, continuing multipart uploads from their
    parts). The checkpoint is removed once the upload completes or was cleaned up.

    `progress` gets Progress(bytes acknowledged by OBS, total, files done, total) on the calling thread: at the
    start, at most every 0.05 s while moving, and once with the totals at the end.
    """
    return _FolderUpload(client, tree, bucket, prefix, progress, cancel,
                         Path(state_dir) if state_dir is not None else None, part_size).run()
