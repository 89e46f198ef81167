"""sdk.versions: the taken versions of a name and the next free one, on both backends (the form's duplicate
pre-check and Model()'s version picking both use it)."""

from __future__ import annotations

from both_backends import cloud, new_name, package, session  # noqa: F401 (fixtures)
from model_import_widget import Model
from model_import_widget.sdk.versions import check_version, taken_versions


def test_a_taken_version_names_its_model_and_the_next_free_one(session, tmp_path):
    name = new_name("versions")
    source = package(tmp_path / "p")
    ids = {v: Model(session, model_name=name, model_version=v, source_location_type="LOCAL_SOURCE",
                    source_location=source, model_type="PyTorch").get_model_id() for v in ("1.0.0", "1.0.1")}
    assert taken_versions(session, name) == ids
    taken = check_version(session, name, "1.0.0")
    assert not taken.free and taken.existing_id == ids["1.0.0"] and taken.next_free == "1.0.2"
    assert taken.message == f"{name} 1.0.0 exists already (id {ids['1.0.0']}); the next free version is 1.0.2"
    free = check_version(session, name, "2.0.0")
    assert free.free and free.next_free == "2.0.0"
    assert check_version(session, name, "").next_free == "1.0.2"  # what Model() picks with no version
    assert check_version(session, new_name("never-imported"), "").next_free == "0.0.1"
    assert taken_versions(session, name[:-1]) == {}  # exact names only, never a prefix
