"""A registry that cannot be read is never mistaken for an empty one (issue 8): damaged, truncated, foreign, newer or
missing indexes are refused naming the file, nothing is deleted, `registry check|repair` says and mends; a read-only
home opens read-only."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from form_driver import click, summary

from model_import_widget import Model, Session
from model_import_widget.errors import RegistryDamagedError, RegistryReadOnlyError
from model_import_widget.registry import EmbeddedRegistry

REPO = Path(__file__).resolve().parents[1]


def package(root: Path) -> str:
    model = root / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"model_type": "PyTorch"}))
    (model / "customize_service.py").write_text("class Service:\n    pass\n")
    (model / "weights.pth").write_bytes(os.urandom(3000))
    return str(root)


@pytest.fixture
def home(tmp_path) -> Path:
    """A registry with two published models, closed."""
    home = tmp_path / "home"
    with Session(backend="embedded", home=home) as session:
        for version in ("1.0.0", "1.0.1"):
            Model(session, model_name="digits", model_version=version, source_location_type="LOCAL_SOURCE",
                  source_location=package(tmp_path / f"p{version}"), model_type="PyTorch")
    return home


def blobs(home: Path) -> list[Path]:
    return sorted(p for p in (home / "store").rglob("*") if p.is_file())


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "model_import_widget", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=60)


@pytest.mark.parametrize("damage, words", [
    (lambda db: db.write_bytes(b""), "is empty (0 bytes)"),
    (lambda db: db.write_bytes(os.urandom(8192)), "is not an SQLite database"),
    (lambda db: db.write_bytes(db.read_bytes()[:100] + os.urandom(4000)), "cannot be read by SQLite"),
    (lambda db: db.unlink(), "is missing, while the registry's store holds files"),
])
def test_a_damaged_index_is_refused_naming_it_and_nothing_is_deleted(home, damage, words):
    before = blobs(home)
    damage(home / "registry.db")
    for name in ("registry.db-wal", "registry.db-shm"):
        (home / name).unlink(missing_ok=True)
    with pytest.raises(RegistryDamagedError) as info:
        EmbeddedRegistry(home)
    assert words in str(info.value) and str(home / "registry.db") in str(info.value)
    assert "registry check" in str(info.value)
    assert blobs(home) == before  # no clean-up ran on a registry it could not read
    with pytest.raises(RegistryDamagedError):
        Session(backend="embedded", home=home).client  # the SDK says the same


def test_a_foreign_or_newer_sqlite_file_is_refused(home, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    with sqlite3.connect(foreign / "registry.db") as db:
        db.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(RegistryDamagedError, match="something else"):
        EmbeddedRegistry(foreign)
    with sqlite3.connect(home / "registry.db") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(RegistryDamagedError, match="newer model_import_widget"):
        EmbeddedRegistry(home)


def test_a_registry_written_before_the_format_mark_opens_and_gets_it(home):
    with sqlite3.connect(home / "registry.db") as db:
        db.execute("DELETE FROM meta WHERE key = 'format'")
        db.execute("DROP TABLE doomed")
    registry = EmbeddedRegistry(home)
    assert registry.list_models()["total_count"] == 2
    registry.close()
    with sqlite3.connect(home / "registry.db") as db:
        assert dict(db.execute("SELECT key, value FROM meta"))["format"] == "model_import_widget registry"
        assert db.execute("SELECT count(*) FROM doomed").fetchone()[0] == 0


def test_check_reports_health_and_repair_rebuilds_what_can_be_read_keeping_every_file(home):
    healthy = cli("registry", "check", str(home))
    assert healthy.returncode == 0 and "readable, 2 models" in healthy.stdout
    before = blobs(home)
    (home / "registry.db").write_bytes(b"")
    broken = cli("registry", "check", str(home))
    assert broken.returncode == 1 and "is empty (0 bytes)" in broken.stdout and "registry repair" in broken.stdout
    repaired = cli("registry", "repair", str(home))
    assert repaired.returncode == 0 and "moved to" in repaired.stdout and "no file was removed" in repaired.stdout
    registry = EmbeddedRegistry(home)  # opens again; its models were in the file that was emptied: gone
    assert registry.list_models()["total_count"] == 0
    registry.collect_garbage()
    assert blobs(home) == before  # kept: a copy of the old index may still refer to them
    assert any(p.name.startswith("registry.db.damaged-") for p in home.iterdir())


def test_repair_recovers_the_rows_sqlite_can_still_read(home):
    with sqlite3.connect(home / "registry.db") as db:  # damage only what repair can work around: the format mark
        db.execute("UPDATE meta SET value = 'something else' WHERE key = 'format'")
    assert cli("registry", "check", str(home)).returncode == 1
    out = cli("registry", "repair", str(home)).stdout
    assert "models: 2 rows recovered" in out and "files:" in out
    registry = EmbeddedRegistry(home)
    assert registry.list_models()["total_count"] == 2
    for item in registry.list_models()["models"]:
        assert all(p.is_file() for p in registry.model_files(item["model_id"]).values())


@pytest.fixture
def read_only(home, tmp_path):
    """`home`, mounted read-only at another path (needs root and bind mounts; skipped where the machine has none)."""
    target = tmp_path / "ro"
    target.mkdir()
    if subprocess.run(["mount", "--bind", str(home), str(target)], capture_output=True).returncode != 0:
        pytest.skip("this machine cannot bind-mount (needs root)")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], capture_output=True).returncode != 0:
            pytest.skip("this machine cannot remount read-only")
        yield target
    finally:
        if subprocess.run(["umount", str(target)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)


def test_a_read_only_home_lists_and_reads_and_says_why_it_cannot_write(read_only, tmp_path):
    with Session(backend="embedded", home=read_only) as session:
        listing = Model.get_model_list(session, model_name="digits")
        assert listing["total_count"] == 2
        model = Model(session, model_id=listing["models"][0]["model_id"])
        assert model.get_model_info()["model_status"] == "published"
        with pytest.raises(RegistryReadOnlyError, match="read-only .* listing and reading models work"):
            Model(session, model_name="other", model_version="1.0.0", source_location_type="LOCAL_SOURCE",
                  source_location=package(tmp_path / "new"), model_type="PyTorch")
        with pytest.raises(RegistryReadOnlyError, match="deleting does not"):
            model.delete_model()


def test_the_form_shows_a_read_only_home_under_the_button(read_only, tmp_path):
    from model_import_widget import ModelImportForm

    with Session(backend="embedded", home=read_only) as session:
        form = ModelImportForm.from_folder(package(tmp_path / "new"), session)
        form.fields["model_version"].value = "1.0.0"
        click(form, "import")
        form._run.join(10) if getattr(form, "_run", None) else None
        assert "read-only" in summary(form)


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB file system for the registry's home (a tmpfs; needs root, skipped where the machine cannot mount)."""
    target = tmp_path / "small-disk"
    target.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(target)], capture_output=True).returncode:
        pytest.skip("this machine cannot mount a tmpfs (needs root)")
    try:
        yield target
    finally:  # lazily if something still holds it open: a test must never leave a mount behind
        if subprocess.run(["umount", str(target)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)


def test_a_full_disk_ends_the_import_failed_says_so_and_frees_what_it_copied(small_disk, tmp_path):
    big = Path(package(tmp_path / "big"))
    (big / "model" / "weights.pth").write_bytes(os.urandom(5 << 20))  # more than the disk holds
    registry = EmbeddedRegistry(small_disk / "home")
    model_id = registry.create_model({"model_name": "big", "model_version": "1.0.0", "model_type": "PyTorch",
                                      "source_location_type": "LOCAL_SOURCE", "source_location": str(big)})
    info = registry.wait_model(model_id, timeout=60)
    events = registry.get_model_events(model_id)
    assert info["model_status"] == "failed", events
    failure = [e["event_info"] for e in events if e["event_type"] == "failed"]
    assert len(failure) == 1 and "is full: free some space" in failure[0] and str(small_disk / "home") in failure[0], \
        events
    assert blobs(small_disk / "home") == [] and os.listdir(registry.imports_dir) == []  # the bytes went
    small = registry.create_model({"model_name": "small", "model_version": "1.0.0", "model_type": "PyTorch",
                                   "source_location_type": "LOCAL_SOURCE", "source_location": package(tmp_path / "s")})
    assert registry.wait_model(small, timeout=60)["model_status"] == "published"  # there is room again
    registry.close()


def test_a_disk_too_full_even_for_the_index_never_leaves_a_model_publishing(small_disk, tmp_path):
    home = small_disk / "home"
    registry = EmbeddedRegistry(home)
    source = Path(package(tmp_path / "p"))
    (source / "model" / "weights.pth").write_bytes(os.urandom(1 << 20))
    filler = small_disk / "filler"

    def fill_the_disk(progress):  # once copying starts, nothing else fits: not the blob, not the index's writes
        if not filler.exists():
            with open(filler, "wb") as stream:
                try:
                    while True:
                        stream.write(b"\0" * 65536)
                except OSError:
                    pass

    model_id = registry.create_model({"model_name": "p", "model_version": "1.0.0", "model_type": "PyTorch",
                                      "source_location_type": "LOCAL_SOURCE", "source_location": str(source)},
                                     progress=fill_the_disk)
    info = registry.wait_model(model_id, timeout=60)
    filler.unlink()
    status = info["model_status"] if info["model_status"] != "publishing" else EmbeddedRegistry(home).get_model(
        model_id)["model_status"]
    assert status == "failed"  # at once, or at the latest when the registry is opened next
    reopened = EmbeddedRegistry(home)
    failure = [e["event_info"] for e in reopened.get_model_events(model_id) if e["event_type"] == "failed"]
    assert failure and ("is full" in failure[-1] or "Import interrupted" in failure[-1]), failure
    reopened.close()
    registry.close()


@pytest.fixture
def immutable():
    """chattr +i on paths (a file or folder nothing can change, not even root); always undone. Skipped where the
    machine cannot (needs root and a file system with the flag, such as ext4)."""
    done: list[Path] = []

    def make(*paths: Path) -> None:
        for path in paths:
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
                pytest.skip("chattr +i is not possible here (needs root and ext4 or similar)")
            done.append(path)

    try:
        yield make
    finally:
        for path in reversed(done):
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)


def fields_for(source: str, name: str = "p") -> dict:
    return {"model_name": name, "model_version": "1.0.0", "model_type": "PyTorch",
            "source_location_type": "LOCAL_SOURCE", "source_location": source}


def test_a_store_that_cannot_be_written_ends_the_import_failed_naming_it(home, tmp_path, immutable):
    """The index can be written, the store of files cannot (a folder made immutable, as a read-only store inside a
    writable home): the import ends failed saying which folder and why, nothing is left half-imported."""
    store = home / "store"
    before = blobs(home)
    immutable(store, *sorted((p for p in store.rglob("*") if p.is_dir()), reverse=True))
    registry = EmbeddedRegistry(home)
    info = registry.wait_model(registry.create_model(fields_for(package(tmp_path / "new"))), timeout=60)
    events = registry.get_model_events(info["model_id"])
    failure = [e["event_info"] for e in events if e["event_type"] == "failed"]
    assert info["model_status"] == "failed" and len(failure) == 1, events
    assert str(store) in failure[0] and "cannot be written" in failure[0], failure
    assert os.listdir(registry.imports_dir) == []  # the copies went
    assert registry.list_models()["total_count"] == 3  # the two published ones are still listed and readable
    assert blobs(home) == before
    registry.close()


def test_an_index_that_stops_taking_writes_mid_import_never_leaves_a_model_publishing(home, tmp_path, immutable):
    """SQLite fails with an I/O error (not a full disk) once the copy has started: the import thread ends, and the
    model is failed at once or, at the latest, when the registry is opened next; no file of another model goes."""
    before = blobs(home)
    registry = EmbeddedRegistry(home)
    source = Path(package(tmp_path / "new"))
    (source / "model" / "weights.pth").write_bytes(os.urandom(2 << 20))

    def break_the_index(progress):
        if progress.bytes_done == 0:
            immutable(*(p for p in home.glob("registry.db*") if p.is_file()))

    model_id = registry.create_model(fields_for(str(source)), progress=break_the_index)
    registry.wait_model(model_id, timeout=60)
    for path in home.glob("registry.db*"):
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    registry.close()
    reopened = EmbeddedRegistry(home)
    assert reopened.get_model(model_id)["model_status"] == "failed"
    failure = [e["event_info"] for e in reopened.get_model_events(model_id) if e["event_type"] == "failed"]
    assert failure and ("could not be written" in failure[-1] or "could not record how it ended" in failure[-1]), failure
    assert all(p.exists() for p in before)  # nothing another model references was deleted
    assert [m["model_status"] for m in reopened.list_models(model_name="digits")["models"]] == ["published"] * 2
    reopened.close()
