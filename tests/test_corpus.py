"""The 30 real config.json files through the whole chain: tolerant reader, then the rule table."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_import_widget import config_file, spec
from model_import_widget.errors import ConfigFileError

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "modelarts-configs"
FILES = sorted(CORPUS.glob("[0-3][0-9]-*.json"))

# What a user must fix after loading each file; every other recoverable file passes the rule table as is.
EXPECTED_ERRORS = {
    "07": {"apis[0].response.Content-type"},  # "multipart/json"
    "23": {"execution_code"},  # an https URL, not a path ending in customize_service.py
    "27": {"model_type"},  # Customize: not importable through this path
}


def spec_fields(loaded: config_file.ConfigFile) -> dict:
    fields = {key: value for key, value in loaded.fields.items() if key in spec.ModelSpec.model_fields}
    return {**fields, "model_version": "1.0.0", "source_location": "obs://my-bucket/model-dir/"}


def test_corpus_present():
    assert len(FILES) == 30, f"corpus expected at {CORPUS}"


@pytest.mark.parametrize("path", FILES, ids=[p.name[:2] for p in FILES])
def test_corpus_file_through_the_rule_table(path):
    number = path.name[:2]
    if number == "20":
        with pytest.raises(ConfigFileError) as info:
            config_file.load(path)
        assert info.value.line == 7
        return
    report = spec.check(spec_fields(config_file.load(path)))
    assert {e["field"] for e in report.errors} == EXPECTED_ERRORS.get(number, set()), report.errors
    for error in report.errors:
        assert " — got " in error["message"] or "not supported" in error["message"]
