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
            assert not form.busy and form.status == "failed"
            assert form.widget.run["text"] == "Import failed: refused at once"  # the status line says why
            assert "refused at once" in " ".join(form.widget.summary.get("lines", []))


# ---- the form's one status line ------------------------------------------------------------------------------------


def _form(session, source, language="en", **values):
    from model_import_widget import ModelImportForm

    form = ModelImportForm.from_folder(source, session, language=language, model_name="run", **values)
    return form


def test_the_status_line_counts_the_problems_of_a_draft_and_says_when_nothing_blocks(tmp_path):
    with Session(backend="embedded", home=tmp_path / "home") as session:
        form = _form(session, package(tmp_path / "p"))
        assert form.status == "draft" and form.errors and form.widget.run["status"] == "draft"
        assert form.widget.run["text"] == "Draft: 1 problem to fix before importing (Version)"  # the version is missing
        form.fields["model_version"].value = "x"
        form.fields["model_name"].value = "1bad"
        assert form.widget.run["text"] == "Draft: 2 problems to fix before importing (Model name, Version)"
        form.fields["model_version"].value = "1.0.0"
        form.fields["model_name"].value = "good"
        assert form.errors == [] and form.widget.run["text"] == "Draft: checked, nothing blocks importing"


def test_the_status_line_follows_an_import_and_says_why_one_failed(tmp_path, monkeypatch):
    source = package(tmp_path / "p")
    config = tmp_path / "p" / "model" / "config.json"
    real_progress = ImportRun._progress
    lines: list[tuple[str, str]] = []

    def rewrite_before_the_copy(self, p):  # a training job still writing the folder: the import must fail
        if p.bytes_done == 0 and config.read_text().startswith("{"):
            config.write_text("not json any more")
        real_progress(self, p)

    with Session(backend="embedded", home=tmp_path / "home") as session:
        form = _form(session, source, model_version="1.0.0")
        form.widget.observe(lambda c: lines.append((c["new"].get("status"), c["new"].get("text"))), "run")
        monkeypatch.setattr(ImportRun, "_progress", rewrite_before_the_copy)
        form._submit_clicked()
        form._run.join(30)
        assert form.status == "failed"
        status, text = form.widget.run["status"], form.widget.run["text"]
        assert status == "failed" and text.startswith("Import failed: Could not copy model/config.json: changed while it "
                                                      "was being imported; wait until it is written completely")
        assert ("copying", "Copying files…") in lines
        assert "failed" in form.summary_text() and form.model_id in form.summary_text()

        # the next change starts a new draft: no old status, events or progress stay on screen
        form.fields["model_version"].value = "1.0.1"
        assert form.status == "draft" and set(form.widget.run) == {"status", "text"}
        assert form.widget.run["text"].startswith("Draft")

        config.write_text(json.dumps({"model_type": "PyTorch", "model_algorithm": "image_classification"}))
        monkeypatch.setattr(ImportRun, "_progress", real_progress)
        form._relint()
        form._submit_clicked()
        form._run.join(30)
        assert form.status == "published" and form.widget.run["text"] == "Published run 1.0.1"
        assert form.widget.run["result_id"] == form.model_id


def test_the_line_under_the_form_follows_every_edit(tmp_path):
    """The static line (what a saved notebook shows) said an old name and '? — draft' until the status changed."""
    updates: list[str] = []

    class Handle:
        def update(self, shown, raw=False):
            assert raw and set(shown) == {"text/html"}
            updates.append(shown["text/html"])

    with Session(backend="embedded", home=tmp_path / "home") as session:
        form = _form(session, package(tmp_path / "p"))
        form._display_id = Handle()
        form.fields["model_name"].value = "renamed"
        assert "renamed" in updates[-1] and "(no version yet)" in updates[-1]
        form.fields["model_version"].value = "2.0.0"
        assert "renamed 2.0.0 (PyTorch) — Draft: checked, nothing blocks importing" in updates[-1]
        count = len(updates)
        form.fields["description"].value = "same line"  # nothing the line shows changed: no update sent
        assert len(updates) == count


def test_in_chinese_every_word_the_form_shows_is_chinese(tmp_path):
    """Progress, status, the badge, questions, choices and the table's buttons all went through the catalog; none
    fell back to English (i18n.MISSING records every fallback)."""
    from model_import_widget.widget import i18n

    i18n.MISSING.clear()
    with Session(backend="embedded", home=tmp_path / "home") as session:
        form = _form(session, package(tmp_path / "p"), language="zh")
        shown = [form.widget.header, form.widget.run["text"], *form.widget.labels.values()]
        shown += [b["label"] for b in form.widget.buttons]
        for section in form.widget.sections:
            shown.append(section["title"])
            for field in section["fields"]:
                shown += [field["label"], *field.get("option_labels", {}).values(), *field.get("row_words", {}).values()]
        progress: list[str] = []
        form.widget.observe(lambda c: progress.append(c["new"].get("progress", "")), "run")
        form.fields["model_version"].value = "1.0.0"
        form._submit_clicked()
        form._run.join(30)
        shown += [form.widget.run["text"], form.summary_text(), *[p for p in progress if p]]
    assert form.status == "published" and form.widget.run["text"] == "已发布 run 1.0.0"
    assert any("个文件" in p for p in progress)
    assert i18n.MISSING == set(), f"not in the catalog: {sorted(i18n.MISSING)}"
    latin_words = [s for s in shown if s and not any("\u4e00" <= c <= "\u9fff" for c in s)
                   and s not in ("English", "pip", "APIs") and not s.startswith(("OBS_", "LOCAL_"))]
    assert latin_words == []
