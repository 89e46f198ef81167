"""config.json files through the whole chain: tolerant reader, then the rule table — the project's fixtures, and the
30 real files of the shared corpus beside the clone (../shared/corpus/modelarts-configs) when it is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_import_widget import config_file, spec
from model_import_widget.errors import ConfigFileError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "configs"
NUMBERS = [f"{n:02d}" for n in range(1, 31)]

# What a user must fix after loading each real file; every other recoverable file passes the rule table as is.
EXPECTED_ERRORS = {
    "07": {"apis[0].response.Content-type"},  # "multipart/json"
    "23": {"execution_code"},  # an https URL, not a path ending in customize_service.py
    "27": {"model_type"},  # Customize: not importable through this path
}
EXPECTED_FIXTURE_ERRORS = {
    "customize-needs-fixing.json": {"model_type", "execution_code", "apis[0].response.Content-type"},
}
UNREADABLE_FIXTURE = "tensorflow-broken-wrapped-comment.json"


def spec_fields(loaded: config_file.ConfigFile) -> dict:
    fields = {key: value for key, value in loaded.fields.items() if key in spec.ModelSpec.model_fields}
    return {**fields, "model_version": "1.0.0", "source_location": "obs://my-bucket/model-dir/"}


def assert_errors_are(path: Path, expected: set[str]) -> None:
    report = spec.check(spec_fields(config_file.load(path)))
    assert {e["field"] for e in report.errors} == expected, report.errors
    for error in report.errors:
        assert " — got " in error["message"] or "not supported" in error["message"]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_fixture_through_the_rule_table(name):
    if name == UNREADABLE_FIXTURE:
        with pytest.raises(ConfigFileError) as info:
            config_file.load(FIXTURES / name)
        assert info.value.line == 7
        return
    assert_errors_are(FIXTURES / name, EXPECTED_FIXTURE_ERRORS.get(name, set()))


def test_the_fixtures_are_there():
    assert len(list(FIXTURES.glob("*.json"))) == 11, f"fixtures expected in {FIXTURES}"


def test_corpus_present(real_corpus):
    assert [p.name[:2] for p in sorted(real_corpus.glob("[0-3][0-9]-*.json"))] == NUMBERS


@pytest.mark.parametrize("number", NUMBERS)
def test_corpus_file_through_the_rule_table(real_corpus, number):
    (path,) = real_corpus.glob(f"{number}-*.json")
    if number == "20":
        with pytest.raises(ConfigFileError) as info:
            config_file.load(path)
        assert info.value.line == 7
        return
    assert_errors_are(path, EXPECTED_ERRORS.get(number, set()))
