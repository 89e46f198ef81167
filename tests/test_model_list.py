"""widget/model_list.py against a real embedded registry: what a person sees in the list and what its clicks do
(sent as the browser sends them), deletes told truthfully, paging that stays valid, failed models' events, every
list on a registry refreshed when it changes, and every word in Chinese. The drawing itself is
tests/browser/test_model_list_browser.py."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from model_import_widget import Model, ModelList, Session
from model_import_widget.widget import i18n, model_list
from model_import_widget.widget.model_list import registry_changed, registry_key, same_registry


# ---- helpers ------------------------------------------------------------------------------------------------------


def make_package(root: Path, weights: int = 5000) -> Path:
    model = root / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"model_type": "PyTorch", "model_algorithm": "image_classification"}))
    (model / "customize_service.py").write_text("class Service:\n    pass\n")
    (model / "weights.pth").write_bytes(b"w" * weights)
    return root


def fields(source: Path, name: str, version: str) -> dict:
    return {"model_name": name, "model_version": version, "model_type": "PyTorch",
            "source_location_type": "LOCAL_SOURCE", "source_location": str(source)}


def imported(session: Session, source: Path, name: str = "digits", version: str = "1.0.0") -> str:
    return Model(session, **fields(source, name, version)).get_model_id()


def failed_import(session: Session, source: Path, name: str = "broken", version: str = "1.0.0") -> str:
    """An import that fails once registered: model/config.json is rewritten as the import thread starts (its first
    progress call comes before any file is copied), as when a training job still writes the folder."""
    config = source / "model" / "config.json"

    def rewrite_once(progress) -> None:
        if progress.bytes_done == 0 and config.read_text().startswith("{"):
            config.write_text("not json any more")

    model_id = session.client.create_model(fields(source, name, version), progress=rewrite_once)
    assert session.client.wait_model(model_id, timeout=30)["model_status"] == "failed"
    return model_id


def click(shown: ModelList, action: str) -> None:
    """What the browser sends for a click."""
    shown._handle(shown, {"kind": "click", "id": action}, [])


def names(shown: ModelList) -> list[str]:
    return [f"{row['name']} {row['version']}" for row in shown.rows]


def row_of(shown: ModelList, model_id: str) -> dict:
    return next(row for row in shown.rows if row["id"] == model_id)


def in_registry(session: Session) -> list[str]:
    return [m["model_id"] for m in Model.get_model_list(session)["models"]]


@pytest.fixture
def session(tmp_path):
    with Session(backend="embedded", home=tmp_path / "registry") as s:
        yield s


@pytest.fixture
def package(tmp_path):
    return make_package(tmp_path / "pkg")


# ---- the public surface -------------------------------------------------------------------------------------------


def test_the_public_surface_stays(session, package):
    import model_import_widget

    assert model_import_widget.ModelList is ModelList
    model_id = imported(session, package)
    shown = ModelList(session)
    assert shown.page_size == 20 and shown.total_count == 1 and shown.message == ""
    assert [m["model_id"] for m in shown.models] == [model_id]
    assert {"model_name", "model_version", "model_type", "model_status", "model_size", "create_at"} <= set(shown.models[0])
    assert ModelList(session, model_name="nothing-like-it").total_count == 0
    with pytest.raises(ValueError, match="page_size"):
        ModelList(session, page_size=0)
    assert shown._esm.lstrip().startswith(("var", "function", "const", "let", "import", "export", "(", "!"))  # built
    assert ".mi-list-chip" in shown._css


def test_a_row_shows_name_version_type_status_size_and_date(session, package):
    model_id = imported(session, package)
    row = row_of(ModelList(session, language="en"), model_id)
    assert (row["name"], row["version"], row["type"]) == ("digits", "1.0.0", "PyTorch")
    assert (row["status"], row["status_label"], row["status_kind"]) == ("published", "Published", "ok")
    assert row["size"].endswith(" KiB") and row["size_title"].endswith(" bytes")
    assert len(row["created"]) == len("2024-05-01 12:34") and row["created_title"].startswith(row["created"])


def test_a_saved_notebook_shows_the_page_as_text(session, package):
    imported(session, package)
    bundle = ModelList(session, language="en")._repr_mimebundle_()
    text = (bundle[0] if isinstance(bundle, tuple) else bundle)["text/plain"]
    assert "1 of 1" in text and "digits 1.0.0  PyTorch  Published" in text


def test_malformed_messages_are_ignored(session, package):
    model_id = imported(session, package)
    shown = ModelList(session)
    for content in (None, "click", {"kind": "click", "id": ["refresh"]}, {"kind": "run", "id": f"confirm:{model_id}"},
                    {"kind": "click", "id": "confirm:not-a-model"}, {"kind": "click", "id": "delete:"}):
        shown._handle(shown, content, [])
    assert shown.confirming == "" and in_registry(session) == [model_id]


# ---- delete ---------------------------------------------------------------------------------------------------------


def test_delete_asks_first_then_says_what_it_deleted_by_name_and_version(session, package):
    keep = imported(session, package, version="1.0.0")
    gone = imported(session, package, version="1.0.1")
    shown = ModelList(session, language="en")
    click(shown, f"delete:{gone}")
    assert shown.confirming == gone and in_registry(session) == [gone, keep]  # asked, nothing deleted
    assert "digits 1.0.1" in shown.labels["question"]
    click(shown, f"confirm:{gone}")
    assert in_registry(session) == [keep]
    assert shown.message == "Deleted digits 1.0.1" and shown.message_level == "success"
    assert shown.confirming == "" and names(shown) == ["digits 1.0.0"] and shown.total_count == 1


def test_the_question_can_be_abandoned_and_a_double_click_only_asks(session, package):
    model_id = imported(session, package)
    shown = ModelList(session)
    click(shown, f"delete:{model_id}")
    click(shown, "cancel")
    assert shown.confirming == "" and shown.labels["question"] == ""
    click(shown, f"confirm:{model_id}")  # a Confirm no longer shown (a stale page) does nothing
    click(shown, f"delete:{model_id}")
    click(shown, f"delete:{model_id}")  # the second click of a double click: the button did not say Confirm yet
    assert in_registry(session) == [model_id] and shown.confirming == model_id and shown.message == ""
    click(shown, "older")  # moving away abandons it too
    assert shown.confirming == ""


def test_a_failed_delete_is_an_error_in_the_errors_own_words(session, package):
    model_id = imported(session, package)
    shown = ModelList(session, language="en")
    Model(session, model_id=model_id).delete_model()  # gone meanwhile (another process): the list does not know
    click(shown, f"delete:{model_id}")
    click(shown, f"confirm:{model_id}")
    assert shown.message_level == "error"
    assert shown.message.startswith("Could not delete digits 1.0.0: ModelArts.3001 (HTTP 404)")
    assert f"Model ({model_id}) does not exist." in shown.message
    assert shown.rows == [] and shown.total_count == 0  # and the list shows what is there now


def test_delete_from_code_names_a_model_not_on_the_page(session, package):
    older = imported(session, package, version="1.0.0")
    imported(session, package, version="1.0.1")
    shown = ModelList(session, page_size=1, language="en")
    shown.delete(older)
    assert shown.message == "Deleted digits 1.0.0" and shown.message_level == "success"


# ---- paging ---------------------------------------------------------------------------------------------------------


def test_paging_and_the_range(session, package):
    for patch in range(5):
        imported(session, package, version=f"1.0.{patch}")
    shown = ModelList(session, page_size=2, language="en")
    assert shown.labels["range"] == "1–2 of 5" and names(shown) == ["digits 1.0.4", "digits 1.0.3"]
    click(shown, "newer")  # already the newest: stays
    assert shown.page == 0
    click(shown, "older")
    click(shown, "older")
    assert shown.page == 2 and shown.labels["range"] == "5 of 5" and names(shown) == ["digits 1.0.0"]
    click(shown, "older")  # already the oldest: stays
    assert shown.page == 2


def test_the_page_stays_valid_after_deleting_the_last_model_of_the_last_page(session, package, tmp_path):
    ids = [imported(session, package, version=f"1.0.{patch}") for patch in range(5)]
    shown = ModelList(session, page_size=2, language="en")
    other = ModelList(Session(backend="embedded", home=tmp_path / "registry"), page_size=2, language="en")
    for each in (shown, other):
        click(each, "older")
        click(each, "older")
    click(shown, f"delete:{ids[0]}")
    click(shown, f"confirm:{ids[0]}")
    for each in (shown, other):  # both back on the last page that has models
        assert each.page == 1 and each.labels["range"] == "3–4 of 4", each.labels["range"]
        assert names(each) == ["digits 1.0.2", "digits 1.0.1"]
    assert shown.message == "Deleted digits 1.0.0"


def test_the_last_model_deleted_leaves_an_empty_first_page(session, package):
    model_id = imported(session, package)
    shown = ModelList(session, language="en")
    click(shown, f"delete:{model_id}")
    click(shown, f"confirm:{model_id}")
    assert shown.page == 0 and shown.rows == [] and shown.labels["range"] == "No models"
    assert shown.message == "Deleted digits 1.0.0"


# ---- every list on the registry -------------------------------------------------------------------------------------


def test_a_second_list_on_the_same_registry_refreshes_when_the_first_deletes(session, package, tmp_path):
    first_id = imported(session, package, version="1.0.0")
    imported(session, package, version="1.0.1")
    (tmp_path / "link").symlink_to(tmp_path / "registry")  # the same folder by another path
    first = ModelList(session)
    second = ModelList(Session(backend="embedded", home=tmp_path / "link"))
    with Session(backend="embedded", home=tmp_path / "elsewhere") as elsewhere:
        apart = ModelList(elsewhere)
        imported(elsewhere, make_package(tmp_path / "pkg2"), name="apart")  # behind its back: nothing tells it
        click(first, f"delete:{first_id}")
        click(first, f"confirm:{first_id}")
        assert second.total_count == 1 and first_id not in [m["model_id"] for m in second.models]
        assert apart.total_count == 0  # another registry's list was not read again


def test_registry_changed_after_an_import_refreshes_the_lists_from_any_thread(session, package, tmp_path):
    shown = ModelList(session)
    assert shown.total_count == 0
    model_id = imported(session, package)
    assert shown.total_count == 0  # nothing told it yet
    worker = threading.Thread(target=registry_changed, args=(Session(backend="embedded", home=tmp_path / "registry"),))
    worker.start()
    worker.join()
    assert [m["model_id"] for m in shown.models] == [model_id]


def test_a_closed_list_is_left_alone(session, package):
    shown = ModelList(session)
    shown.close()
    imported(session, package)
    registry_changed(session)
    assert shown.total_count == 0 and shown not in set(model_list._lists)


def test_a_list_that_cannot_read_says_why_and_does_not_stop_the_others(session, package, tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "registry.db").write_bytes(b"not a database " * 100)
    broken = ModelList(Session(backend="embedded", home=damaged), language="en")
    assert broken.message_level == "error" and broken.message.startswith("Could not read the models: ")
    assert "is not an SQLite database" in broken.message and broken.labels["range"] == ""  # not "No models"
    fine = ModelList(session)
    imported(session, package)
    registry_changed(Session(backend="embedded", home=damaged))
    registry_changed(session)
    assert fine.total_count == 1


def test_cloud_sessions_are_one_registry_per_region_and_project():
    class Cloud:
        backend = "modelarts"

        def __init__(self, region, project):
            self.region_name, self.project_id = region, project

    north = registry_key(Cloud("cn-north-4", "p1"))
    assert same_registry(north, registry_key(Cloud("cn-north-4", "p1")))
    assert not same_registry(north, registry_key(Cloud("cn-north-4", "p2")))
    assert not same_registry(north, registry_key(Cloud("cn-south-1", "p1")))
    assert same_registry(north, registry_key(Cloud("cn-north-4", None)))  # its project is looked up later
    assert not same_registry(north, ("embedded", "/tmp/registry"))


# ---- a failed model's events ----------------------------------------------------------------------------------------


def test_a_failed_model_shows_failed_and_its_events_say_why(session, package, tmp_path):
    imported(session, package)
    broken = failed_import(session, make_package(tmp_path / "broken"))
    shown = ModelList(session, language="en")
    row = row_of(shown, broken)
    assert (row["status"], row["status_label"], row["status_kind"]) == ("failed", "Failed", "error")
    click(shown, f"events:{broken}")
    opened = shown.events[broken]
    assert "model/config.json: changed while it was being imported" in opened["reason"]
    assert opened["title"] == "Events of broken 1.0.0" and opened["error"] == ""
    failed = [e for e in opened["items"] if e["type"] == "failed"]
    assert len(failed) == 1 and failed[0]["info"] == opened["reason"] and failed[0]["label"] == "Failed"
    assert opened["items"][0]["info"].startswith("Import started")  # the whole story, oldest first
    click(shown, f"events:{broken}")  # the same button closes them
    assert broken not in shown.events


def test_a_published_models_events_have_no_failure_reason(session, package):
    model_id = imported(session, package)
    shown = ModelList(session)
    click(shown, f"events:{model_id}")
    assert shown.events[model_id]["reason"] == "" and shown.events[model_id]["items"][-1]["info"] == "Model published"


# ---- Chinese --------------------------------------------------------------------------------------------------------


def test_the_list_in_chinese(session, package, tmp_path):
    keep = imported(session, package)
    broken = failed_import(session, make_package(tmp_path / "broken"))
    shown = ModelList(session, language="zh")
    assert shown.labels["range"] == "第 1–2 个，共 2 个" and shown.labels["name"] == "名称"
    assert row_of(shown, keep)["status_label"] == "已发布" and row_of(shown, broken)["status_label"] == "失败"
    click(shown, f"events:{broken}")
    assert shown.events[broken]["title"] == "broken 1.0.0 的事件"
    click(shown, f"delete:{keep}")
    assert shown.labels["question"].startswith("删除 digits 1.0.0？") and shown.labels["confirm"] == "确认删除"
    click(shown, f"confirm:{keep}")
    assert shown.message == "已删除 digits 1.0.0" and shown.message_level == "success"
    shown.language = "en"  # the message follows the language
    assert shown.message == "Deleted digits 1.0.0" and shown.labels["range"] == "1 of 1"


def test_every_word_the_list_shows_exists_in_chinese(session, package, tmp_path, monkeypatch):
    """Every English string the list asks i18n for, in every state it can be in, has a Chinese entry."""
    asked: set[str] = set()
    original = i18n.text
    monkeypatch.setattr(i18n, "text", lambda english, language, **values: asked.add(english) or
                        original(english, language, **values))
    keep = imported(session, package)
    broken = failed_import(session, make_package(tmp_path / "broken"))
    shown = ModelList(session, language="en")
    ModelList(session, model_name="nothing-like-it")
    click(shown, f"events:{broken}")
    click(shown, f"delete:{keep}")
    click(shown, f"confirm:{keep}")
    click(shown, f"delete:{broken}")
    Model(session, model_id=broken).delete_model()
    click(shown, f"confirm:{broken}")  # a failed delete
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "registry.db").write_bytes(b"not a database " * 100)
    ModelList(Session(backend="embedded", home=damaged))
    asked |= {label for label, _ in model_list.STATUSES.values()} | set(model_list.EVENT_TYPES.values())
    cloud_question = "Delete {model} from ModelArts? “Yes, delete” removes it (its files in OBS stay); Cancel keeps it."
    asked |= {cloud_question, "Could not read the events: {error}", "no region",
              "Could not delete {model}: the registry did not report it deleted"}
    missing = sorted(english for english in asked if english not in i18n.UI_ZH)
    assert not missing, f"no Chinese for: {missing}"
    for english in asked:  # the same placeholders, so the Chinese can be filled as the English is
        assert sorted(_placeholders(english)) == sorted(_placeholders(i18n.UI_ZH[english])), english


def _placeholders(template: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name]
