"""`EmbeddedRegistry`: the RegistryBackend that keeps models on this machine, behaving like ModelArts (spec §1–§3).

It ties the pieces together (index, store, importer, locks) and runs each import on a daemon thread; it does not
validate fields (the SDK did, with spec.py) and never opens a network connection.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from ..errors import BackendUnavailableError, ModelNotFoundError, RegistryReadOnlyError, PackageError, ServiceError
from ..backend import FINAL_STATUSES, Progress, ProgressCallback, RegistryBackend
from ..spec import CONFIG_OVERRIDES, effective_config, human_size
from .importer import (
    STAT_CACHE_RACY_NS,
    Copied,
    CopyFailed,
    Copier,
    INLINE_FILE_BYTES,
    SourceFile,
    SourceTree,
    package_tree,
    resolve_source,
)
from .lint import CONFIG, Lint, config_content, lint_package, read_config, swr_problem
from .index import Claim, Index, ModelVanished, version_key
from .locks import ImportLock, sweep, take_if_abandoned
from .store import DEFAULT_HASH, BlobStore, new_hasher

ENV_HOME = "MODEL_IMPORT_WIDGET_HOME"
PROGRESS_INTERVAL = 0.05
"""Seconds between progress calls (plus one first and one final call)."""
CLAIM_INTERVAL = 1.0
"""Copied files are referenced at most this often: each claim first makes the new blobs durable with one syncfs,
which costs tens of milliseconds on a disk whatever it flushes (claimed every 50 ms, 50 000 small files took
3x longer than on tmpfs)."""
CLAIM_BYTES = 64 << 20
"""...or as soon as this many new bytes wait: then the syncfs is mostly writing data, and it overlaps the copy of
the next large files (claimed only at the end, a 1 GiB import took 1.6 s instead of 0.7 s)."""
CASCADE_LIMIT = 20
"""Models one cascading delete removes at most, the requested one included (as the service)."""
INSTALL_TYPE = ("real-time", "batch")
_LOCAL = "local"
_MAX_WARNING_EVENTS = 20


def default_home() -> Path:
    """$MODEL_IMPORT_WIDGET_HOME, or ~/.model_import_widget."""
    return Path(os.environ.get(ENV_HOME) or "~/.model_import_widget").expanduser()


class _Cancelled(Exception):
    pass


class _Job:
    """An import running on a thread of this process."""

    def __init__(self, model_id: str, fields: dict[str, Any], tree: SourceTree, lock: ImportLock,
                 progress: ProgressCallback | None, cancel: threading.Event | None):
        self.model_id, self.fields, self.tree, self.lock = model_id, fields, tree, lock
        self.progress, self.cancel = progress, cancel
        self.stop = threading.Event()  # set by delete_model
        self.done = threading.Event()
        self.thread: threading.Thread | None = None

    def cancelled(self) -> bool:
        return self.stop.is_set() or (self.cancel is not None and self.cancel.is_set())


_jobs: dict[str, _Job] = {}
_jobs_lock = threading.Lock()


class _Reporter:
    """Calls the progress callback at most every PROGRESS_INTERVAL, never going backwards, and once at the end."""

    def __init__(self, callback: ProgressCallback | None, bytes_total: int, files_total: int):
        self.callback, self.bytes_total, self.files_total = callback, bytes_total, files_total
        self.last = (-1, -1)
        self.last_time = 0.0
        self.error: BaseException | None = None

    def __call__(self, bytes_done: int, files_done: int, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self.last_time < PROGRESS_INTERVAL:
            return
        done = (max(self.last[0], min(bytes_done, self.bytes_total)), max(self.last[1], min(files_done, self.files_total)))
        if done == self.last and not force:
            return
        self.last, self.last_time = done, now
        try:
            self.callback(Progress(done[0], self.bytes_total, done[1], self.files_total))
        except Exception as exc:  # a broken callback must not break the import; the events say so
            self.error, self.callback = exc, None


class EmbeddedRegistry(RegistryBackend):
    """Models in <home>: registry.db (SQLite index), store/ (content-addressed blobs), imports/ (running imports),
    obs/ (what OBS_SOURCE paths read offline).

    Opening it settles imports that a dead process left `publishing` (they become `failed`, with an event) and
    removes their temp files. `hash_name` picks the hash for new blobs ("blake3" when installed, else "sha256").
    """

    kind = "embedded"

    def __init__(self, home: Path | str, *, hash_name: str | None = None, workers: int | None = None):
        self.home = Path(home).expanduser().absolute()
        if not self.home.is_dir():
            self.home.mkdir(parents=True, exist_ok=True)
        index_path = self.home / "registry.db"
        self.read_only = not os.access(self.home, os.W_OK) or (index_path.exists() and not os.access(index_path,
                                                                                                      os.W_OK))
        self.hash_name = hash_name or DEFAULT_HASH
        new_hasher(self.hash_name)  # fail now, not in an import thread
        self.workers = workers
        self.store = BlobStore(self.home / "store", create=not self.read_only)
        self.imports_dir = self.home / "imports"
        if not self.read_only:
            self.imports_dir.mkdir(exist_ok=True)
        # a missing index beside stored files is a lost index, not a new registry: never start an empty one on them
        self._index = Index(index_path, read_only=self.read_only,
                            create=index_path.exists() or not self.store.any_blob())
        if not self.read_only:
            self.recover()

    def _writable(self, doing: str) -> None:
        if self.read_only:
            raise RegistryReadOnlyError(
                f"the model registry at {self.home} is read-only (the folder cannot be written): listing and "
                f"reading models work, {doing} does not. Use a writable folder: Session(home=...) or "
                f"{ENV_HOME}=...")

    def __repr__(self) -> str:
        return f"<EmbeddedRegistry at {self.home}>"

    # ---- create ----------------------------------------------------------------------------------------------

    def create_model(self, fields: dict[str, Any], *, progress: ProgressCallback | None = None,
                     cancel: threading.Event | None = None, obs_location: str | None = None) -> str:
        self._writable("importing")
        for required in ("model_name", "model_version", "model_type", "source_location"):
            if not fields.get(required):
                raise ServiceError(400, "ModelArts.3036",
                                   f"Parameter verification failed, parameter ({required}) is required.")
        name, version = str(fields["model_name"]), str(fields["model_version"])
        existing = self._index.model_id_of(name, version)
        if existing is not None:
            raise self.duplicate_error(name, version, existing)
        tree, taken_as, lint = self._checked_tree(fields)
        location = str(fields["source_location"])

        model_id = str(uuid.uuid4())
        lock = ImportLock.create(self.imports_dir, model_id)
        try:
            self._index.insert_model(self._new_row(model_id, fields, tree),
                                     f"Import started: {len(tree.files)} files ({human_size(tree.total_bytes)}) "
                                     f"from {location}" + "".join(f"; {note}" for note in
                                                                  [taken_as] + [w["message"] for w in lint.warnings]
                                                                  if note))
        except sqlite3.IntegrityError:
            lock.release()
            raise self.duplicate_error(name, version, self._index.model_id_of(name, version)) from None
        except BaseException:
            lock.release()
            raise
        lock.temp_dir.mkdir(exist_ok=True)
        job = _Job(model_id, dict(fields), tree, lock, progress, cancel)
        with _jobs_lock:
            _jobs[model_id] = job
        job.thread = threading.Thread(target=self._run_import, args=(job,), name=f"model-import-{model_id[:8]}",
                                      daemon=True)
        job.thread.start()
        return model_id

    def check_package(self, fields: dict[str, Any]) -> list[dict[str, Any]]:
        return self._checked_tree(fields)[2].warnings

    def _checked_tree(self, fields: dict[str, Any]) -> tuple[SourceTree, str, Lint]:
        """The package's files, walked and linted; PackageError names every problem, nothing is registered."""
        model_type = str(fields.get("model_type") or "")
        if model_type == "Custom":
            raise BackendUnavailableError(
                "a Custom model runs its own container image (runtime=<SWR image address>), which only ModelArts can "
                "pull and run: the embedded registry cannot import it. Import it with a Session that has ModelArts "
                "credentials (see the README), or package the model with customize_service.py for its engine")
        location = str(fields["source_location"])
        tree, taken_as = package_tree(resolve_source(location, fields.get("source_location_type"), self.home), location)
        lint = lint_package(tree, model_type, fields.get("initial_config"), fields)
        if lint.problems:
            raise PackageError(lint.problems, location)
        return tree, taken_as, lint

    def _new_row(self, model_id: str, fields: dict[str, Any], tree: SourceTree) -> dict[str, Any]:
        description = fields.get("description") or None
        model_type = str(fields["model_type"])
        given_config = {k: fields[k] for k in CONFIG_OVERRIDES if fields.get(k)}
        details = {
            "model_algorithm": fields.get("model_algorithm"),
            "runtime": fields.get("runtime"),
            "source_location": fields["source_location"],
            "source_job_id": fields.get("source_job_id"),
            "source_job_version": fields.get("source_job_version"),
            "execution_code": fields.get("execution_code"),
            "input_params": list(fields.get("input_params") or []),
            "output_params": list(fields.get("output_params") or []),
            "dependencies": list(fields.get("dependencies") or []),
            "apis": list(fields.get("apis") or []),
            "config": given_config,
        }
        return {
            "model_id": model_id,
            "model_name": str(fields["model_name"]),
            "model_name_lc": str(fields["model_name"]).lower(),
            "model_version": str(fields["model_version"]),
            "version_key": version_key(str(fields["model_version"])),
            "model_type": model_type,
            "model_type_lc": model_type.lower(),
            "model_status": "publishing",
            "description": description,
            "description_lc": (description or "").lower(),
            "source_type": fields.get("source_type") or None,
            "model_size": tree.total_bytes,
            "create_at": time.time_ns() // 1_000_000,
            "owner_pid": os.getpid(),
            "details": json.dumps(details),
        }

    # ---- the import thread -------------------------------------------------------------------------------------

    def _run_import(self, job: _Job) -> None:
        index: Index | None = None
        copier: Copier | None = None
        try:
            index = Index(self._index.path)
            copier = Copier(self.store, job.lock.temp_dir, self.hash_name, self.workers)
            stored, size, summary = self._copy_files(job, index, copier)
            copier.close()
            events = [("normal", summary)]
            details, checks, problem = self._check_package(job, stored)
            events += checks
            if problem is not None:
                index.fail_import(job.model_id, events + [("failed", problem)], self.store)
                return
            if job.cancelled():
                raise _Cancelled()
            events.append(("normal", "Model published"))
            index.finish_model(job.model_id, "published", details, events, model_size=size)
        except _Cancelled:
            if copier is not None:
                copier.close()
            if index is not None:
                index.delete_model(job.model_id, self.store)
        except ModelVanished:
            pass  # deleted (perhaps by another process) while importing: its references went with it
        except CopyFailed as exc:
            self._fail(index, job, copier, _copy_failure(exc, self.home))
        except Exception as exc:  # never leave a model `publishing` behind a live process
            self._fail(index, job, copier, _failure(exc, self.home))
        finally:
            if copier is not None:
                copier.close()
            job.lock.release()
            if index is not None:
                index.close()
            with _jobs_lock:
                _jobs.pop(job.model_id, None)
            job.done.set()

    def _fail(self, index: Index | None, job: _Job, copier: Copier | None, info: str) -> None:
        """End the import `failed` with `info`, freeing what it copied. The temp files go first, so a full disk has
        room again for the index's own write; an index that still cannot be written is retried, then left to the
        next open, which finds the import's lock free and marks it failed."""
        if copier is not None:
            copier.close()
        shutil.rmtree(job.lock.temp_dir, ignore_errors=True)
        for attempt in range(3):
            try:
                (index or self._index).fail_import(job.model_id, [("failed", info)], self.store)
                return
            except ModelVanished:
                return
            except sqlite3.Error:
                if attempt == 2:
                    return
                time.sleep(0.2 * (attempt + 1))

    def _copy_files(self, job: _Job, index: Index, copier: Copier) -> tuple[dict[str, str], int, str]:
        """Reference every file of the package from the model; returns {path: blob}, the bytes, and an event text."""
        files = job.tree.files
        by_rel = {f.rel: f for f in files}
        report = _Reporter(job.progress, job.tree.total_bytes, len(files))
        report(0, 0, force=True)
        cache = index.stat_cache([f.path for f in files])
        unchanged: list[Claim] = []
        to_copy: list[SourceFile] = []
        for f in files:
            entry = cache.get(f.path)
            if (entry is not None and entry[:5] == f.stat_key
                    and max(f.mtime_ns, f.ctime_ns) < entry.cached_at_ns - STAT_CACHE_RACY_NS):
                unchanged.append(Claim(f.rel, entry.blob, f.size, None))
            else:
                to_copy.append(f)

        stored: dict[str, str] = {}
        sizes: dict[str, int] = {}
        counts = {"new": 0, "known": 0, "cached": 0}
        cached_bytes = 0

        def claim(claims: list[Claim], kind: str) -> list[SourceFile]:
            if any(c.part for c in claims):
                self.store.sync()  # the new blobs' bytes are on disk before their names and references exist
            missing = index.claim(job.model_id, claims, self.store)
            gone = {c.rel for c in missing}
            for c in claims:
                if c.rel not in gone:
                    stored[c.rel], sizes[c.rel] = c.key, c.size
                    counts["new" if c.part else kind] += 1
            return [by_rel[c.rel] for c in missing]

        if unchanged:
            again = claim(unchanged, "cached")
            cached_bytes = sum(c.size for c in unchanged) - sum(f.size for f in again)
            to_copy += again
        here: list[SourceFile] = []  # small files: copied by this thread, between looks at the workers' results

        def hand_out(files: list[SourceFile]) -> int:
            large = [f for f in files if f.size > INLINE_FILE_BYTES]
            here.extend(f for f in files if f.size <= INLINE_FILE_BYTES)
            copier.submit(large)
            return len(large)

        in_workers = hand_out(to_copy)
        copied: list[Copied] = []  # copied, not yet referenced: claimed together, so one syncfs covers many files
        claimed_at = time.monotonic()
        while here or in_workers or copied:
            if job.cancelled():
                raise _Cancelled()
            until = time.monotonic() + PROGRESS_INTERVAL
            while here and time.monotonic() < until:
                copied.append(copier.copy_here(here.pop()))
            results = _drain(copier, 0 if here else PROGRESS_INTERVAL) if in_workers else []
            failed = next((r for r in results if isinstance(r, CopyFailed)), None)
            if failed is not None:
                raise failed
            from_workers = [r for r in results if isinstance(r, Copied)]
            in_workers -= len(from_workers)
            copied += from_workers
            if copied and (time.monotonic() - claimed_at >= CLAIM_INTERVAL or not (here or in_workers)
                           or sum(r.size for r in copied if r.part) >= CLAIM_BYTES):
                again = claim([Claim(r.file.rel, r.key, r.size, r.part, r.file.path if r.unchanged else None,
                                     r.file.stat_key, r.read_at_ns) for r in copied], "known")
                copied, claimed_at = [], time.monotonic()
                in_workers += hand_out(again)
            report(cached_bytes + copier.bytes_read, len(stored))
        if job.cancelled():
            raise _Cancelled()
        report(job.tree.total_bytes, len(files), force=True)
        total = sum(sizes.values())
        summary = (f"Copied {len(stored)} files ({human_size(total)}): {counts['new']} stored new, "
                   f"{counts['known']} already stored, {counts['cached']} unchanged since an earlier import "
                   "(not read again)")
        if report.error is not None:
            summary += f". The progress callback failed and was not called again: {report.error!r}"
        return stored, total, summary

    def _check_package(self, job: _Job, stored: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]],
                                                                         str | None]:
        """Read model/config.json as the service would; returns (details, events, failure or None)."""
        fields = job.fields
        loaded, problem = read_config(self.store.path(stored[CONFIG]))
        if problem is not None:  # it changed since the check before registering: the copy is what counts
            return {}, [], problem
        events = [("normal", f"{CONFIG}: {w}") for w in loaded.warnings[:_MAX_WARNING_EVENTS]]
        derived_inputs = loaded.fields.get("input_params") or []
        derived_outputs = loaded.fields.get("output_params") or []
        effective = effective_config(config_content(loaded), fields.get("initial_config"), fields)
        model_type = str(fields["model_type"])
        problem = swr_problem(effective, model_type)
        if problem is not None:
            return {}, events, problem
        source = str(fields["source_location"]).rstrip("/")
        inside = "" if job.tree.prefix else "model/"  # the model/ folder itself, or the folder that contains it
        execution_code = fields.get("execution_code") or (
            f"{source}/{inside}customize_service.py" if "model/customize_service.py" in stored else None)
        details = {
            "model_algorithm": effective.get("model_algorithm"),
            "runtime": effective.get("runtime"),
            "source_location": fields["source_location"],
            "source_job_id": fields.get("source_job_id"),
            "source_job_version": fields.get("source_job_version"),
            "execution_code": execution_code,
            "input_params": list(fields.get("input_params") or derived_inputs),
            "output_params": list(fields.get("output_params") or derived_outputs),
            "dependencies": list(effective.get("dependencies") or []),
            "apis": list(effective.get("apis") or []),
            "config": effective,
        }
        if isinstance(effective.get("metrics"), dict):
            details["model_metrics"] = json.dumps(effective["metrics"])
        if isinstance(effective.get("health"), dict):
            details["health"] = effective["health"]
        checked = "model/config.json" + ("" if model_type == "Image" else " and model/customize_service.py")
        events.append(("normal", f"Checked the package: {checked} in place, config.json read"))
        return details, events, None

    # ---- read ---------------------------------------------------------------------------------------------------

    def get_model(self, model_id: str) -> dict[str, Any]:
        row = self._index.model_row(model_id)
        if row is None:
            raise ModelNotFoundError(model_id)
        details = json.loads(row["details"])
        info = {
            "model_id": row["model_id"],
            "model_name": row["model_name"],
            "model_version": row["model_version"],
            "model_type": row["model_type"],
            "model_size": row["model_size"],
            "model_status": row["model_status"],
            "model_source": "custom",
            "model_algorithm": details.get("model_algorithm"),
            "runtime": details.get("runtime"),
            "description": row["description"],
            "source_location": details.get("source_location"),
            "source_job_id": details.get("source_job_id"),
            "source_job_version": details.get("source_job_version"),
            "source_type": row["source_type"],
            "execution_code": details.get("execution_code"),
            "tenant": _LOCAL,
            "project": _LOCAL,
            "owner": _LOCAL,
            "workspace_id": "0",
            "create_at": row["create_at"],
            "input_params": details.get("input_params", []),
            "output_params": details.get("output_params", []),
            "dependencies": details.get("dependencies", []),
            "apis": json.dumps(details.get("apis", [])),
            "config": json.dumps(details.get("config", {})),
            "install_type": list(INSTALL_TYPE),
            "specification": {},
            "source_copy": "",
            "schema_doc": "",
            "image_address": "",  # no image is built on this machine
            "model_docs": [],
            "model_labels": [],
            "labels_map": {"labels": []},
            "tunable": False,
            "market_flag": False,
            "publishable_flag": False,  # nothing here can be published to a market
        }
        for optional in ("model_metrics", "health"):
            if optional in details:
                info[optional] = details[optional]
        return info

    def list_models(self, *, model_name: str | None = None, exact_match: bool = False,
                    model_version: str | None = None, model_status: str | None = None,
                    description: str | None = None, model_type: str | None = None, offset: int = 0,
                    limit: int = 1000, sort_by: str = "create_at", order: str = "desc") -> dict[str, Any]:
        """Models matching every filter given; `offset` is the index of the page (rows skipped = offset × limit),
        as the service documents it. Name and description match case-insensitively in part (name exactly with
        `exact_match`), model_type case-insensitively, version and status exactly."""
        if sort_by not in ("create_at", "model_version", "model_size"):
            raise _parameter_error(f"sort_by must be create_at, model_version or model_size, not {sort_by!r}")
        if order not in ("asc", "desc"):
            raise _parameter_error(f"order must be asc or desc, not {order!r}")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise _parameter_error(f"limit must be a whole number of at least 1, not {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise _parameter_error(f"offset (the page index) must be a whole number of at least 0, not {offset!r}")
        where: list[str] = []
        params: list[Any] = []
        if model_name:
            where.append("model_name = ?" if exact_match else "instr(model_name_lc, ?) > 0")
            params.append(model_name if exact_match else model_name.lower())
        if model_version:
            where.append("model_version = ?")
            params.append(model_version)
        if model_status:
            where.append("model_status = ?")
            params.append(model_status)
        if description:
            where.append("instr(description_lc, ?) > 0")
            params.append(description.lower())
        if model_type:
            where.append("model_type_lc = ?")
            params.append(model_type.lower())
        # a page past any real count is empty, not an OverflowError of SQLite's 64-bit integers
        total, rows = self._index.list_models(where, params, sort_by, order, min(offset * limit, 2 ** 62),
                                              min(limit, 2 ** 31))
        models = [{
            "model_id": r[0], "model_name": r[1], "model_version": r[2], "model_type": r[3], "model_status": r[4],
            "description": r[5], "source_type": r[6], "model_size": r[7], "create_at": r[8],
            "owner": _LOCAL, "project": _LOCAL, "tenant": _LOCAL, "workspace_id": "0", "model_source": "custom",
            "install_type": list(INSTALL_TYPE), "market_flag": False, "tunable": False, "publishable_flag": False,
            "source_copy": None, "subscription_id": None, "extra": None, "specification": {},
        } for r in rows]
        return {"total_count": total, "count": len(models), "models": models}

    def get_model_events(self, model_id: str) -> list[dict[str, Any]]:
        if self._index.model_row(model_id) is None:
            raise ModelNotFoundError(model_id)
        return self._index.events(model_id)

    def model_files(self, model_id: str) -> dict[str, Path]:
        """The model's files as stored: {path inside the package: read-only blob file}. For deploy/export code."""
        if self._index.model_row(model_id) is None:
            raise ModelNotFoundError(model_id)
        return {r["path"]: self.store.path(r["blob"]) for r in self._index.model_files(model_id)}

    def wait_model(self, model_id: str, timeout: float | None = None, poll_interval: float | None = None) -> dict[str, Any]:
        """Block until the model is published or failed. An import running in this process is waited for without
        polling; one in another process is polled, and found `failed` if that process dies meanwhile."""
        with _jobs_lock:
            job = _jobs.get(model_id)
        if job is not None:
            if not job.done.wait(timeout):
                raise TimeoutError(f"model {model_id} is still publishing after {timeout} s")
            return self.get_model(model_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        interval, next_liveness_check = poll_interval or self.poll_interval, time.monotonic() + 1.0
        while True:
            info = self.get_model(model_id)
            if info["model_status"] in FINAL_STATUSES:
                return info
            now = time.monotonic()
            if now >= next_liveness_check:
                self._settle_if_abandoned(model_id, info)
                next_liveness_check = now + 1.0
                continue
            if deadline is not None and now >= deadline:
                raise TimeoutError(f"model {model_id} is still {info['model_status']} after {timeout} s")
            time.sleep(interval if deadline is None else max(0.0, min(interval, deadline - now)))
            interval = min(interval * 1.5, 0.5)

    # ---- delete -------------------------------------------------------------------------------------------------

    def delete_model(self, model_id: str, *, cascade: bool = False) -> dict[str, Any]:
        """Delete the model (and with `cascade` its other versions, at most CASCADE_LIMIT models in all), and
        free every stored file no remaining model uses. An import still running here is cancelled first."""
        row = self._index.model_row(model_id)
        if row is None:
            raise ModelNotFoundError(model_id)
        self._writable("deleting")
        targets = [model_id]
        if cascade:
            targets += self._index.same_name_ids(row["model_name"], model_id, CASCADE_LIMIT - 1)
        succeeded: list[str] = []
        failed: list[dict[str, str]] = []
        for target in targets:
            with _jobs_lock:
                job = _jobs.get(target)
            if job is not None:
                job.stop.set()
                if threading.current_thread() is not job.thread:  # not from inside its own progress callback
                    job.done.wait()
            if self._index.delete_model(target, self.store) or job is not None:
                succeeded.append(target)
            else:
                failed.append({"model_id": target, "error_code": "ModelArts.3001",
                               "error_msg": f"Model ({target}) does not exist."})
        return {"delete_success_list": succeeded, "delete_failed_list": failed}

    # ---- crash recovery -----------------------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Mark `failed` every `publishing` model whose importing process is gone, remove dead imports' temp files,
        and finish deletes that were interrupted. Runs when the registry opens; returns the ids marked failed."""
        settled = [row["model_id"] for row in self._index.publishing()
                   if self._settle_if_abandoned(row["model_id"], {"owner_pid": row["owner_pid"]})]
        self._index.sweep_doomed(self.store)  # blobs of a delete that was killed before it unlinked them
        if sweep(self.imports_dir):
            self.collect_garbage()
        return settled

    def collect_garbage(self) -> int:
        """Delete stored files that no model references; returns how many. Deleting a model already frees its
        files; this catches what a killed process left. Safe while other imports run."""
        self._writable("collecting unused files")
        return self._index.collect_garbage(self.store)

    def _settle_if_abandoned(self, model_id: str, info: dict[str, Any]) -> bool:
        with _jobs_lock:
            if model_id in _jobs:
                return False
        lock = take_if_abandoned(self.imports_dir, model_id)
        if lock is None:
            return False
        try:
            row = self._index.model_row(model_id)
            pid = info.get("owner_pid") or (row["owner_pid"] if row is not None else None)
            who = f" (process {pid})" if pid else ""
            marked = self._index.mark_interrupted(
                model_id, f"Import interrupted: the import{who} stopped before it finished. Its process ended, or it "
                          "could not record how it ended (a full disk, or an index it could not write). Files copied "
                          "so far stay stored until the model is deleted; delete it and import again.")
        finally:
            lock.release()
        if marked:
            self.collect_garbage()  # it may have died between moving a blob in and committing its reference
        return marked

    def close(self) -> None:
        self._index.close()


def _full_disk_advice(home: Path) -> str:
    return (f"the disk that holds the model registry ({home}) is full: free some space, or give the registry a bigger "
            f"disk ({ENV_HOME} or Session(home=...)); then delete this model and import it again. What it had copied "
            "was removed")


def _unwritable(exc: BaseException, home: Path) -> str | None:
    """The advice for a folder of the registry's own (its store or its imports) that refused a write, else None."""
    filename = getattr(exc, "filename", None)
    if getattr(exc, "errno", None) not in (errno.EACCES, errno.EPERM, errno.EROFS) or not filename:
        return None
    path = Path(filename)
    folder = next((f for f in (home / "store", home / "imports") if path == f or f in path.parents), None)
    if folder is None:
        return None
    return (f"the model registry's folder {folder} cannot be written ({exc.strerror}; at {filename}): make it "
            "writable again (its permissions, a read-only mount, or an immutable flag: lsattr shows it), or use "
            f"another registry folder ({ENV_HOME} or Session(home=...)); then delete this model and import it again. "
            "What it had copied was removed")


def _copy_failure(exc: CopyFailed, home: Path) -> str:
    if getattr(exc.error, "errno", None) == errno.ENOSPC:
        return f"Could not copy {exc.file.rel}: {_full_disk_advice(home)}."
    advice = _unwritable(exc.error, home)
    if advice is not None:
        return f"Could not copy {exc.file.rel}: {advice}."
    return str(exc) + ". The import stopped and what it had copied was removed; delete the model and import it again."


def _failure(exc: Exception, home: Path) -> str:
    full = getattr(exc, "errno", None) == errno.ENOSPC or "database or disk is full" in str(exc)
    if full:
        return f"Import failed: {_full_disk_advice(home)}."
    advice = _unwritable(exc, home)
    if advice is not None:
        return f"Import failed: {advice}."
    if isinstance(exc, sqlite3.Error):
        return (f"Import failed: the registry's index {home / 'registry.db'} could not be written ({exc}); check "
                "the disk (python -m model_import_widget registry check), then delete this model and import it "
                "again. What it had copied was removed.")
    return f"Import failed: {type(exc).__name__}: {exc}. What it had copied was removed."


def _drain(copier: Copier, timeout: float) -> list[Copied | CopyFailed]:
    import queue

    try:
        results = [copier.results.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            results.append(copier.results.get_nowait())
        except queue.Empty:
            return results


def _parameter_error(detail: str) -> ServiceError:
    return ServiceError(400, "ModelArts.0104", f"Parameter error: {detail}.")
