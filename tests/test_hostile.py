"""Hostile and unlucky input (issue 8): every bound holds, with a message, and nothing crashes.

Bombs for the rule table, config.json and the listing; property-based tests feed the walk, config_file.loads,
spec.validate and the form random hostile input and allow only the library's own errors.
"""

from __future__ import annotations

import os
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_import_widget import Model, Session, config_file, spec
from model_import_widget.errors import ConfigFileError, ModelImportError, SpecValidationError

BASE = {"model_version": "1.0.0", "source_location": "/bucket/dir/", "model_type": "PyTorch"}


def nested_list(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def test_apis_nested_1000_deep_is_an_error_at_apis_not_a_recursion_error(tmp_path):
    for apis in ("[" * 1000 + "]" * 1000, [{"url": "/", "request": {"data": {"x": nested_list(1000)}}}]):
        errors = spec.validate({**BASE, "apis": apis})
        assert [e["field"] for e in errors] == ["apis"] and "nested more than 64 levels" in errors[0]["message"]
    with Session(backend="embedded", home=tmp_path / "home") as session:
        with pytest.raises(SpecValidationError, match="nested more than 64"):
            Model(session, **BASE, apis="[" * 1000 + "]" * 1000)


def test_the_form_shows_a_deep_apis_text_at_its_field(tmp_path):
    from model_import_widget import ModelImportForm

    with Session(backend="embedded", home=tmp_path / "home") as session:
        form = ModelImportForm(session)
        form.fields["apis"].value = "[" * 5000 + "]" * 5000
        assert "nested more than 64 levels" in form.fields["apis"].error


def test_a_config_json_bomb_is_refused_quickly_with_a_message():
    bomb = '{"a": [' + "[[[[[[[[]]]]]]]]," * 500_000 + "0]}"  # 8 MB of nested lists
    with pytest.raises(ConfigFileError, match="more than 100,000 values"):
        config_file.loads(bomb.encode())


def test_warnings_are_capped_with_a_count():
    text = '{"model_type": "PyTorch", "model_algorithm": "a", "apis": [' + "[0,]," * 5000 + "0]}"
    loaded = config_file.loads(text)
    assert len(loaded.warnings) == config_file.MAX_WARNINGS + 1
    assert loaded.warnings[-1].message.startswith("… and ") and "more warnings" in loaded.warnings[-1].message


def test_huge_values_are_refused_by_length_and_never_echoed_whole():
    for field, value in (("runtime", "x" * 10_000_000), ("source_location", "/bucket/" + "d" * 100_000 + "/"),
                         ("execution_code", "/b/" + "d" * 5000 + "/customize_service.py")):
        errors = spec.validate({**BASE, field: value})
        assert errors and all(len(e["message"]) < 300 for e in errors), (field, errors)
    errors = spec.validate({**BASE, "dependencies": [{"installer": "pip", "packages": [{"package_name": "a" * 1000}]}]})
    assert errors and "at most 128 characters" in errors[0]["message"] and len(errors[0]["message"]) < 300
    warnings = spec.check({**BASE, "runtime": "r" * 250}).warnings
    assert warnings and all(len(w["message"]) < 400 for w in warnings)


def test_a_page_past_any_count_is_empty_not_an_overflow(tmp_path):
    with Session(backend="embedded", home=tmp_path / "home") as session:
        assert Model.get_model_list(session, offset=10 ** 18)["models"] == []
        assert Model.get_model_list(session, limit=10 ** 18)["models"] == []


def test_repr_of_a_model_that_failed_to_build_does_not_raise():
    assert repr(Model.__new__(Model)) == "<Model (not created)>"
    assert "Session" in repr(Session.__new__(Session))


# ---- property-based: random hostile input, only the library's own errors --------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet="[]{}\",:0 \n", max_size=3000),
    st.builds(lambda n: "[" * n + "]" * n, st.integers(0, 3000)),
    st.builds(lambda n: '{"a": ' + "[" * n + "]" * n + "}", st.integers(0, 3000)),
    st.binary(max_size=500).map(lambda b: b.decode("latin-1")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE_TEXT)
def test_config_file_loads_never_crashes(text):
    try:
        config_file.loads(text)
    except ConfigFileError:
        pass


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                       max_leaves=30)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(spec.ModelSpec.model_fields) + ["environment", "bogus"]),
                       JSONISH | HOSTILE_TEXT, max_size=8))
def test_spec_validate_never_crashes(data):
    errors = spec.validate({**BASE, **data})
    assert isinstance(errors, list) and all(len(e["message"]) < 2000 for e in errors)


NAMES = st.text(alphabet=string.ascii_letters + string.digits + "._- é", min_size=1, max_size=12).filter(
    lambda n: n not in (".", ".."))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(NAMES, min_size=1, max_size=4), st.sampled_from(["file", "dir", "link", "fifo",
                                                                                      "badlink"])), max_size=12))
def test_the_walk_and_inspect_never_crash_on_random_trees(entries):
    from model_import_widget.package import inspect
    from model_import_widget.registry.importer import walk

    with tempfile.TemporaryDirectory() as root:
        model = Path(root) / "model"
        model.mkdir()
        for parts, kind in entries:
            path = model.joinpath(*parts)
            if path.exists() or path.is_symlink():  # never write into a FIFO (that would block) or through a link
                continue
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if kind == "file":
                    path.write_bytes(b"x")
                elif kind == "dir":
                    path.mkdir(exist_ok=True)
                elif kind == "link":
                    path.symlink_to(model)
                elif kind == "fifo":
                    os.mkfifo(path)
                else:
                    path.symlink_to("does-not-exist")  # dangling, relative: it can only ever lead inside the tree
            except OSError:  # a parent is a file, a FIFO or a link: the tree cannot have this entry
                continue
        try:
            walk(Path(root), root)
        except ModelImportError:
            pass
        report = inspect(root)
        assert isinstance(report.problems, list)


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    from model_import_widget import ModelImportForm

    with Session(backend="embedded", home=tmp_path_factory.mktemp("home")) as session:
        yield ModelImportForm(session)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["model_name", "model_version", "source_location", "apis", "runtime", "description",
                        "execution_code", "model_algorithm"]), HOSTILE_TEXT)
def test_the_form_never_raises_for_typed_text(form, key, text):
    form.fields[key].value = text
    assert isinstance(form.errors, list)
    form.to_code()
    form.fields[key].value = ""
