"""`python -m model_import_widget registry check|repair [HOME]`: what is wrong with an embedded registry, and a repair
that never deletes a stored file.

`check` opens the registry read-only and reports: the index's own integrity (SQLite quick_check), referenced files
missing from the store, stored files no model references, deletes still to finish. `repair` moves a damaged index
aside (registry.db.damaged-<time>), copies every row SQLite can still read into a new index, and marks it so
unreferenced stored files are kept (a later repair may still find the models that use them).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from ..errors import RegistryDamagedError
from .index import Index

TABLES = ("meta", "models", "events", "files", "stat_cache", "doomed")


def check(home: Path) -> tuple[bool, list[str]]:
    """(healthy, report lines) for the registry at `home`; changes nothing."""
    index_path = home / "registry.db"
    try:
        index = Index(index_path, read_only=True, create=False)
    except RegistryDamagedError as exc:
        return False, [f"index: {exc}", f"repair: python -m model_import_widget registry repair {home}"]
    lines: list[str] = []
    healthy = True
    with index._lock:
        problems = [r[0] for r in index._db.execute("PRAGMA quick_check").fetchall()]
        models = index._db.execute("SELECT count(*) FROM models").fetchone()[0]
        referenced = {r[0] for r in index._db.execute("SELECT DISTINCT blob FROM files")}
        doomed = index._db.execute("SELECT count(*) FROM doomed").fetchone()[0] if _has(index, "doomed") else 0
        keep = index._db.execute("SELECT value FROM meta WHERE key = 'keep_unreferenced'").fetchone()
    index.close()
    if problems != ["ok"]:
        healthy = False
        lines.append(f"index: SQLite finds damage: {'; '.join(problems[:5])}")
    else:
        lines.append(f"index: readable, {models} models")
    from .store import BlobStore

    store = BlobStore(home / "store", create=False)
    stored = set(store.keys()) if store.blobs.is_dir() else set()
    missing = referenced - stored
    if missing:
        healthy = False
        lines.append(f"store: {len(missing)} files that models reference are missing (those models cannot be used)")
    lines.append(f"store: {len(stored)} files, {len(stored - referenced)} that no model references"
                 + (" (kept: this index was repaired)" if keep else ""))
    if doomed:
        lines.append(f"deletes: {doomed} files still to remove (opening the registry for writing finishes them)")
    return healthy, lines


def repair(home: Path) -> list[str]:
    """Move a damaged index aside and rebuild one from every row that can still be read; never deletes a stored file."""
    index_path = home / "registry.db"
    try:
        Index(index_path, read_only=True, create=False).close()
        return ["index: readable; nothing to repair"]
    except RegistryDamagedError:
        pass
    aside = home / f"registry.db.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    for suffix in ("", "-wal", "-shm"):
        if (home / f"registry.db{suffix}").exists():
            shutil.move(str(home / f"registry.db{suffix}"), str(aside) + suffix)
    fresh = Index(index_path, create=True)
    salvaged: dict[str, Any] = {}
    try:
        old = sqlite3.connect(f"{aside.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        old = None
        salvaged["error"] = str(exc)
    with fresh.writing(durable=True) as db:
        for table in TABLES if old is not None else ():
            if table == "meta":
                continue
            try:
                rows = old.execute(f"SELECT * FROM {table}").fetchall()
                columns = [c[1] for c in old.execute(f"PRAGMA table_info({table})").fetchall()]
            except sqlite3.Error as exc:
                salvaged[table] = f"unreadable ({exc})"
                continue
            marks = ", ".join("?" for _ in columns)
            db.executemany(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            salvaged[table] = len(rows)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('keep_unreferenced', ?)", (aside.name,))
    if old is not None:
        old.close()
    fresh.close()
    lines = [f"index: the damaged one was moved to {aside}"]
    lines += [f"  {table}: {count}" + (" rows recovered" if isinstance(count, int) else "")
              for table, count in salvaged.items()]
    lines.append("store: no file was removed; files no model references are kept from now on")
    return lines


def _has(index: Index, table: str) -> bool:
    return index._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() \
        is not None


def main(argv: list[str]) -> int:
    import argparse

    from .backend import default_home

    parser = argparse.ArgumentParser(prog="python -m model_import_widget registry",
                                     description="Check or repair the embedded model registry.")
    parser.add_argument("action", choices=("check", "repair"))
    parser.add_argument("home", nargs="?", default=None, help="the registry's folder (default: $MODEL_IMPORT_WIDGET_HOME "
                                                             "or ~/.model_import_widget)")
    args = parser.parse_args(argv)
    home = Path(os.path.expanduser(args.home)) if args.home else default_home()
    if args.action == "check":
        healthy, lines = check(home)
        print("\n".join(lines))
        return 0 if healthy else 1
    print("\n".join(repair(home)))
    return 0
