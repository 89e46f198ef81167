"""widget/run.py: one import from the form, on its own thread, with no widget in sight (the form only shows its
state). Embedded registry; the cloud path is covered by test_cloud's form tests."""

from __future__ import annotations

import json
import threading

from model_import_widget import Session
from model_import_widget.widget.run import ImportRun


def package(root):
    model = root / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"model_type": "PyTorch", "model_algorithm": "image_classification"}))
    (model / "customize_service.py").write_text("class Service:\n    pass\n")
    for n in range(30):
        (model / f"w{n}.bin").write_bytes(bytes([n]) * 5000)
    return str(root)


def fields(source: str, version: str = "1.0.0") -> dict:
    return {"model_name": "run", "model_version": version, "model_type": "PyTorch",
            "source_location_type": "LOCAL_SOURCE", "source_location": source}


def test_a_run_reports_its_states_in_order_and_ends_published(tmp_path):
    seen: list[tuple[str, bool]] = []
    with Session(backend="embedded", home=tmp_path / "home") as session:
        run = ImportRun(session, fields(package(tmp_path / "p")), obs_location=None,
                        on_change=lambda r: seen.append((r.status, r.running))).start()
        run.join(30)
        assert run.status == "published" and run.error is None and not run.running
        assert run.model.get_model_info()["model_status"] == "published" and run.model_id == run.model.model_id
        assert run.fraction == 1.0 and run.progress_text.startswith("32/32 files")
        assert any(e["event_info"] == "Model published" for e in run.events)
    statuses = [s for s, _ in seen]
    assert statuses[-1] == "published" and seen[-1][1] is False  # the last call says it ended
    assert set(statuses) <= {"copying", "publishing", "published"}
    assert statuses.index("published") > max(i for i, s in enumerate(statuses) if s == "copying")  # never goes back


def test_a_cancelled_run_registers_nothing_and_a_failing_display_never_stops_it(tmp_path):
    started = threading.Event()

    def show(run):
        started.set()
        raise RuntimeError("the display broke")  # the run must go on regardless

    with Session(backend="embedded", home=tmp_path / "home") as session:
        run = ImportRun(session, fields(package(tmp_path / "p")), obs_location=None, on_change=show)
        run.cancel()  # before it starts: it stops at its first step
        run.start().join(30)
        assert run.status == "cancelled" and run.model_id == "" and not run.running
        assert session.client.list_models()["total_count"] == 0
        assert started.is_set()


def test_a_refused_package_ends_as_a_draft_with_the_error_and_nothing_registered(tmp_path):
    source = tmp_path / "p"
    (source / "model").mkdir(parents=True)  # no config.json, no customize_service.py
    with Session(backend="embedded", home=tmp_path / "home") as session:
        run = ImportRun(session, fields(str(source)), obs_location=None, on_change=lambda r: None).start()
        run.join(30)
        assert run.status == "draft" and run.model_id == ""
        assert "config.json" in str(run.error)
        assert session.client.list_models()["total_count"] == 0


def test_the_form_shows_an_import_that_ends_at_once(tmp_path, monkeypatch):
    """A run that fails before start() returns (here: the backend refuses at once) still reaches the form."""
    from model_import_widget import ModelImportForm
    from model_import_widget.errors import ModelImportError
    from model_import_widget.sdk import model as sdk_model

    def refuse(*args, **kwargs):
        raise ModelImportError("refused at once")

    with Session(backend="embedded", home=tmp_path / "home") as session:
        form = ModelImportForm.from_folder(package(tmp_path / "p"), session, model_name="fast", model_version="1.0.0")
        monkeypatch.setattr(sdk_model.Model, "from_spec", classmethod(lambda cls, *a, **k: refuse()))
        for _ in range(20):  # the race was: the run ended before the form knew it was its run
            form.widget._handle(form.widget, {"kind": "click", "id": "import"}, [])
            form._run.join(10)
            assert not form.busy and form.status == "draft"
            assert "refused at once" in " ".join(form.widget.summary.get("lines", []))
