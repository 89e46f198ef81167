"""The registry's SQLite index: models, their events, the files each model references, and the stat cache.

Every write is one short BEGIN IMMEDIATE transaction (WAL mode, busy_timeout, retried while the database is
busy), so many processes share one index. It stores no file content and never decides what a model *is*.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NamedTuple, TypeVar

from ..errors import RegistryDamagedError
from .store import BlobStore

T = TypeVar("T")

SCHEMA_VERSION = 1
FORMAT = "model_import_widget registry"
"""meta 'format': what marks a registry.db as ours (a registry written before it had the key gets it on open)."""
BUSY_TIMEOUT_MS = 30_000
"""What SQLite itself waits for a lock; `_retry` goes on retrying past it up to RETRY_SECONDS."""
RETRY_SECONDS = 300.0
CACHE_KIB = 32 * 1024
"""SQLite's page cache per connection: the file rows of a big import are inserted in hash order, all over the
index's B-trees; with the 2 MB default, each insert reads pages back from the file."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS models (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id       TEXT NOT NULL UNIQUE,
    model_name     TEXT NOT NULL,
    model_name_lc  TEXT NOT NULL,
    model_version  TEXT NOT NULL,
    version_key    INTEGER NOT NULL,
    model_type     TEXT NOT NULL,
    model_type_lc  TEXT NOT NULL,
    model_status   TEXT NOT NULL,
    description    TEXT,
    description_lc TEXT,
    source_type    TEXT,
    model_size     INTEGER NOT NULL,
    create_at      INTEGER NOT NULL,
    owner_pid      INTEGER,
    details        TEXT NOT NULL,
    UNIQUE (model_name, model_version)
);
CREATE INDEX IF NOT EXISTS models_by_create ON models (create_at, seq);
CREATE INDEX IF NOT EXISTS models_by_status ON models (model_status);
CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    event_info  TEXT NOT NULL,
    create_time INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_model ON events (model_id, seq);
CREATE TABLE IF NOT EXISTS files (
    model_id TEXT NOT NULL,
    path     TEXT NOT NULL,
    blob     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    PRIMARY KEY (model_id, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS files_by_blob ON files (blob);
CREATE TABLE IF NOT EXISTS stat_cache (
    path         TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    ctime_ns     INTEGER NOT NULL,
    ino          INTEGER NOT NULL,
    dev          INTEGER NOT NULL,
    blob         TEXT NOT NULL,
    cached_at_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stat_cache_by_blob ON stat_cache (blob);
CREATE TABLE IF NOT EXISTS doomed (blob TEXT PRIMARY KEY) WITHOUT ROWID;
"""
# doomed: blobs whose last reference a committed delete dropped, to unlink next (a later sweep finishes a killed one)

LIST_COLUMNS = ("model_id, model_name, model_version, model_type, model_status, description, source_type, "
                "model_size, create_at")
_SORT_COLUMNS = {"create_at": "create_at", "model_version": "version_key", "model_size": "model_size"}


class StatEntry(NamedTuple):
    """What a source file looked like when it was last hashed, and the blob it hashed to."""

    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    dev: int
    blob: str
    cached_at_ns: int


class Claim(NamedTuple):
    """One file of a model, ready to be referenced: `part` is its temp file, or None when the blob should exist."""

    rel: str
    key: str
    size: int
    part: str | None
    source: str | None = None  # for the stat cache: the source path and the stat it had while being read
    stat: tuple[int, int, int, int, int] | None = None  # size, mtime_ns, ctime_ns, ino, dev
    read_at_ns: int = 0


class ModelVanished(Exception):
    """The model's row is gone (deleted, perhaps by another process) while its import was still running."""


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _retry(action: Callable[[], T], deadline: float) -> T:
    delay = 0.005
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def version_key(version: str) -> int:
    """"1.2.10" -> 1002010, so SQL orders versions numerically part by part; anything else sorts first."""
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 3 for p in parts):
        return -1
    major, minor, patch = (int(p) for p in parts)
    return (major * 1000 + minor) * 1000 + patch


class Index:
    """One connection to <home>/registry.db. Thread-safe (one lock); each import thread opens its own."""

    def __init__(self, path: Path, *, read_only: bool = False, create: bool = True):
        """Open the index; RegistryDamagedError when the file cannot be trusted (never mistaken for an empty one).

        `create` allows making a new file when there is none; `read_only` opens it for reading only (a read-only
        home: nothing is migrated, written or cleaned up).
        """
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        _check_file(self.path, create)
        deadline = time.monotonic() + RETRY_SECONDS
        try:
            self._db = _retry(self._connect, deadline)
            try:
                _retry(self._check_format if read_only else self._create_schema, deadline)
            except BaseException:
                self._db.close()
                raise
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
                raise
            if "file is not a database" in str(exc):
                raise RegistryDamagedError(str(self.path), "is not an SQLite database (damaged, or another file put "
                                                           "in its place)") from None
            raise RegistryDamagedError(str(self.path), f"cannot be read by SQLite ({exc})") from None

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:  # with no -wal file left, immutable: SQLite then needs no -shm file it cannot create
            wal = self.path.with_name(self.path.name + "-wal").exists()
            db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro{'' if wal else '&immutable=1'}", uri=True,
                                 isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            return db
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                             check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise sqlite3.OperationalError(f"database is locked (journal mode still {mode})")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        except BaseException:
            db.close()
            raise
        db.row_factory = sqlite3.Row
        return db

    def _check_format(self) -> bool:
        """True for a new, empty database; RegistryDamagedError for one that is not a registry of this format."""
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            if self.read_only:
                raise RegistryDamagedError(str(self.path), "holds no tables at all (an empty database)")
            return True
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
        if "models" not in tables or "schema_version" not in meta or meta.get("format", FORMAT) != FORMAT:
            raise RegistryDamagedError(str(self.path), "is an SQLite database of something else, not a model "
                                                       "registry")
        version = meta["schema_version"]
        if not version.isdigit() or int(version) > SCHEMA_VERSION:
            raise RegistryDamagedError(str(self.path), f"was written by a newer model_import_widget (format {version}; "
                                                       f"this one reads {SCHEMA_VERSION}): upgrade it "
                                                       "(pip install -U model_import_widget)")
        return False

    def _create_schema(self) -> None:
        with self.writing() as db:
            new = self._check_format()
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)  # additive: a registry written before a table existed gets it here
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('format', ?)", (FORMAT,))
            if new:
                db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('created_at', ?)", (str(time.time_ns()),))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- transactions --------------------------------------------------------------------------------

    @contextmanager
    def writing(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction holding the database's write lock from its first statement (BEGIN IMMEDIATE).

        Only BEGIN can meet a busy database: after it, this connection owns the write lock, so the body runs
        once and never needs a retry. The lock also serialises blob collection against blob references.
        `durable` commits with synchronous=FULL: the commit survives a power loss, not only a killed process.
        """
        with self._lock:
            if durable:
                self._db.execute("PRAGMA synchronous = FULL")
            try:
                _retry(lambda: self._db.execute("BEGIN IMMEDIATE"), time.monotonic() + RETRY_SECONDS)
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            finally:
                if durable:
                    self._db.execute("PRAGMA synchronous = NORMAL")

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return _retry(lambda: self._db.execute(sql, tuple(params)).fetchall(), time.monotonic() + RETRY_SECONDS)

    # ---- models ----------------------------------------------------------------------------------------

    def insert_model(self, row: dict[str, Any], first_event: str) -> None:
        """Register a model; sqlite3.IntegrityError when its name+version is taken (the UNIQUE constraint)."""
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.writing() as db:
            db.execute(f"INSERT INTO models ({columns}) VALUES ({marks})", tuple(row.values()))
            _add_event(db, row["model_id"], "normal", first_event)

    def model_row(self, model_id: str) -> sqlite3.Row | None:
        rows = self._read("SELECT * FROM models WHERE model_id = ?", (model_id,))
        return rows[0] if rows else None

    def model_id_of(self, model_name: str, model_version: str) -> str | None:
        rows = self._read("SELECT model_id FROM models WHERE model_name = ? AND model_version = ?",
                          (model_name, model_version))
        return rows[0]["model_id"] if rows else None

    def finish_model(self, model_id: str, status: str, details: dict[str, Any] | None,
                     events: list[tuple[str, str]], model_size: int | None = None) -> None:
        """Set the final status (and details) and add events in one transaction; ModelVanished if deleted."""
        with self.writing() as db:
            _require_model(db, model_id)
            sets, params = ["model_status = ?"], [status]
            if details is not None:
                sets.append("details = ?")
                params.append(json.dumps(details))
            if model_size is not None:
                sets.append("model_size = ?")
                params.append(model_size)
            db.execute(f"UPDATE models SET {', '.join(sets)} WHERE model_id = ?", (*params, model_id))
            for event_type, info in events:
                _add_event(db, model_id, event_type, info)

    def fail_import(self, model_id: str, events: list[tuple[str, str]], store: BlobStore) -> None:
        """End an import `failed` with these events and drop its file references (a failed model cannot be used:
        its bytes are freed now, not when it is deleted); one durable transaction, then the doomed blobs go.
        ModelVanished if the model was deleted meanwhile."""
        with self.writing(durable=True) as db:
            _require_model(db, model_id)
            db.execute("UPDATE models SET model_status = 'failed' WHERE model_id = ?", (model_id,))
            for event_type, info in events:
                _add_event(db, model_id, event_type, info)
            _drop_files(db, model_id)
        self._sweep_after_commit(store)

    def add_event(self, model_id: str, event_type: str, info: str) -> None:
        with self.writing() as db:
            _require_model(db, model_id)
            _add_event(db, model_id, event_type, info)

    def events(self, model_id: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT event_type, event_info, create_time FROM events WHERE model_id = ? ORDER BY seq",
                          (model_id,))
        return [dict(r) for r in rows]

    def publishing(self) -> list[sqlite3.Row]:
        return self._read("SELECT model_id, owner_pid FROM models WHERE model_status = 'publishing'")

    def mark_interrupted(self, model_id: str, info: str) -> bool:
        """`publishing` -> `failed` with an event, only if still publishing; True when it changed."""
        with self.writing() as db:
            changed = db.execute("UPDATE models SET model_status = 'failed' WHERE model_id = ? "
                                 "AND model_status = 'publishing'", (model_id,)).rowcount
            if changed:
                _add_event(db, model_id, "failed", info)
            return bool(changed)

    def list_models(self, where: list[str], params: list[Any], sort_by: str, order: str, offset: int,
                    limit: int) -> tuple[int, list[sqlite3.Row]]:
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        direction = "ASC" if order == "asc" else "DESC"
        column = _SORT_COLUMNS[sort_by]
        with self._lock:
            def run() -> tuple[int, list[sqlite3.Row]]:
                self._db.execute("BEGIN")  # one snapshot for the count and the page
                try:
                    total = self._db.execute(f"SELECT count(*) FROM models {clause}", params).fetchone()[0]
                    rows = self._db.execute(
                        f"SELECT {LIST_COLUMNS} FROM models {clause} "
                        f"ORDER BY {column} {direction}, seq {direction} LIMIT ? OFFSET ?",
                        (*params, limit, offset)).fetchall()
                finally:
                    self._db.execute("COMMIT")
                return total, rows

            return _retry(run, time.monotonic() + RETRY_SECONDS)

    def same_name_ids(self, model_name: str, exclude: str, limit: int) -> list[str]:
        rows = self._read("SELECT model_id FROM models WHERE model_name = ? AND model_id != ? ORDER BY create_at, seq "
                          "LIMIT ?", (model_name, exclude, limit))
        return [r["model_id"] for r in rows]

    def delete_model(self, model_id: str, store: BlobStore) -> bool:
        """Remove the model, its events and file references, then every blob no other model references.

        Two steps, so a kill or a failing unlink never leaves a model that lost files: one durable transaction drops
        the model and its references and marks its now unreferenced blobs doomed; then `sweep_doomed` unlinks them
        (a later sweep finishes an interrupted one). Returns False when the model was not there.
        """
        with self.writing(durable=True) as db:
            if db.execute("DELETE FROM models WHERE model_id = ?", (model_id,)).rowcount == 0:
                return False
            db.execute("DELETE FROM events WHERE model_id = ?", (model_id,))
            _drop_files(db, model_id)
        self._sweep_after_commit(store)
        return True

    def _sweep_after_commit(self, store: BlobStore) -> None:
        """The second step of a delete: the first, durable one is done, so a failing sweep (a disk too full for the
        index's write, a read-only store) only postpones it to the next sweep; it never undoes or repeats the first."""
        try:
            self.sweep_doomed(store)
        except (sqlite3.Error, OSError):
            pass

    def sweep_doomed(self, store: BlobStore) -> int:
        """Unlink the doomed blobs nothing references again; returns how many files went. Under the write lock, which
        every import takes to reference a blob: a doomed blob claimed meanwhile left `doomed` in that claim's
        transaction and stays. A blob that cannot be unlinked stays doomed for the next sweep."""
        with self.writing() as db:
            doomed = [r[0] for r in db.execute("SELECT blob FROM doomed")]
            if not doomed:
                return 0
            removed, done = 0, []
            for blob in doomed:
                if db.execute("SELECT 1 FROM files WHERE blob = ? LIMIT 1", (blob,)).fetchone() is None:
                    try:
                        removed += store.remove([blob])
                    except OSError:
                        continue  # e.g. a read-only store: try again at the next sweep
                done.append((blob,))
            db.executemany("DELETE FROM doomed WHERE blob = ?", done)
            return removed

    def collect_garbage(self, store: BlobStore) -> int:
        """Mark and sweep: delete every blob file no model references (strays of imports killed between moving a
        blob in and committing its reference). Holds the write lock throughout, so no import can be midway."""
        removed = self.sweep_doomed(store)
        with self.writing() as db:
            if db.execute("SELECT 1 FROM meta WHERE key = 'keep_unreferenced'").fetchone() is not None:
                return removed  # a repaired index: its lost rows may still refer to what looks unreferenced
            referenced = {r[0] for r in db.execute("SELECT DISTINCT blob FROM files")}
            stray = [key for key in store.keys() if key not in referenced]
            db.executemany("DELETE FROM stat_cache WHERE blob = ?", ((key,) for key in stray))
            return removed + _remove_each(store, stray)

    # ---- files and the stat cache ----------------------------------------------------------------------

    def claim(self, model_id: str, claims: list[Claim], store: BlobStore) -> list[Claim]:
        """Reference these files from the model, moving temp files in as blobs; one transaction.

        Returns the claims whose blob should have existed but does not (collected since it was looked up): the
        caller copies those files again. Raises ModelVanished when the model was deleted meanwhile.
        """
        missing: list[Claim] = []
        with self.writing() as db:
            _require_model(db, model_id)
            rows, cache = [], []
            for claim in claims:
                if claim.part is not None:
                    store.put(claim.part, claim.key)
                elif not store.exists(claim.key):
                    missing.append(claim)
                    continue
                rows.append((model_id, claim.rel, claim.key, claim.size))
                if claim.stat is not None and claim.source is not None:
                    cache.append((claim.source, *claim.stat, claim.key, claim.read_at_ns))
            db.executemany("INSERT OR REPLACE INTO files (model_id, path, blob, size) VALUES (?, ?, ?, ?)", rows)
            if db.execute("SELECT 1 FROM doomed LIMIT 1").fetchone() is not None:  # (almost always empty)
                db.executemany("DELETE FROM doomed WHERE blob = ?", ((row[2],) for row in rows))  # referenced again
            db.executemany("INSERT OR REPLACE INTO stat_cache (path, size, mtime_ns, ctime_ns, ino, dev, blob, "
                           "cached_at_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", cache)
        return missing

    def stat_cache(self, paths: list[str]) -> dict[str, StatEntry]:
        found: dict[str, StatEntry] = {}
        for start in range(0, len(paths), 500):
            chunk = paths[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            for r in self._read(f"SELECT * FROM stat_cache WHERE path IN ({marks})", chunk):
                found[r["path"]] = StatEntry(r["size"], r["mtime_ns"], r["ctime_ns"], r["ino"], r["dev"], r["blob"],
                                             r["cached_at_ns"])
        return found

    def model_files(self, model_id: str) -> list[sqlite3.Row]:
        return self._read("SELECT path, blob, size FROM files WHERE model_id = ? ORDER BY path", (model_id,))


def _check_file(path: Path, create: bool) -> None:
    """Refuse, before SQLite sees it, a registry.db that is empty, and a missing one where one is expected (`create`
    False). By stat only: opening and closing the file here would drop the POSIX locks SQLite holds on it in this
    process (its connections to the same file), which lets another process take the WAL from under them."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        if not create:
            raise RegistryDamagedError(str(path), "is missing, while the registry's store holds files") from None
        return
    except OSError as exc:
        raise RegistryDamagedError(str(path), f"cannot be read ({exc.strerror})") from None
    if size == 0:
        raise RegistryDamagedError(str(path), "is empty (0 bytes): it was truncated or replaced")


def _drop_files(db: sqlite3.Connection, model_id: str) -> None:
    """Drop the model's file references and mark the blobs no other model references doomed (in the caller's
    transaction; sweep_doomed unlinks them after it commits)."""
    blobs = [r[0] for r in db.execute("SELECT DISTINCT blob FROM files WHERE model_id = ?", (model_id,))]
    db.execute("DELETE FROM files WHERE model_id = ?", (model_id,))
    unused = [b for b in blobs if db.execute("SELECT 1 FROM files WHERE blob = ? LIMIT 1", (b,)).fetchone() is None]
    db.executemany("DELETE FROM stat_cache WHERE blob = ?", ((b,) for b in unused))
    db.executemany("INSERT OR IGNORE INTO doomed (blob) VALUES (?)", ((b,) for b in unused))


def _remove_each(store: BlobStore, keys: list[str]) -> int:
    """Unlink these blobs one by one; one that cannot go (e.g. a read-only store) does not stop the others."""
    removed = 0
    for key in keys:
        try:
            removed += store.remove([key])
        except OSError:
            pass
    return removed


def _add_event(db: sqlite3.Connection, model_id: str, event_type: str, info: str) -> None:
    db.execute("INSERT INTO events (model_id, event_type, event_info, create_time) VALUES (?, ?, ?, ?)",
               (model_id, event_type, info, time.time_ns() // 1_000_000))


def _require_model(db: sqlite3.Connection, model_id: str) -> None:
    if db.execute("SELECT 1 FROM models WHERE model_id = ?", (model_id,)).fetchone() is None:
        raise ModelVanished(model_id)
