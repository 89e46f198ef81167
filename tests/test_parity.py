"""The browser's checker (js/form/src/check.ts under node) and the kernel's rule table (spec.check) give the same
verdict — error or not, in the kernel's words where test_js.py demands them — on fuzzed text, for every field and
table cell the form checks in the browser (from binding.LAYOUT, as Binding describes them to the browser).

The text: white space of every kind (what the kernel strips and what only JavaScript or Python would), Unicode digits,
numbers in every spelling, long and empty strings, near-valid values built from each rule, and random text. One node
process (js/form/test/checker-server.ts) answers every check of the session, one JSON line each.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_import_widget import spec
from model_import_widget.widget.binding import LAYOUT, Binding
from test_js import BASE, BEYOND_SCHEMA

FORM_JS = Path(__file__).resolve().parents[1] / "js" / "form"
SERVER = FORM_JS / "test-build" / "checker-server.mjs"
EXAMPLES_PER_TARGET = 150

# Rules the browser cannot know from one field's schema: left out of the kernel's verdict (each at the path it reports;
# every other error at the path under test is compared, also when one of these is there too):
CROSS_FIELD = {
    "min_above_max",              # max against the row's min
    "restraint_required",         # a restraint cell against the row's version
    "restraint_without_version",
    "execution_code_location",    # execution code against the source location (and the disk)
}
NOT_COMPARED = BEYOND_SCHEMA | CROSS_FIELD  # BEYOND_SCHEMA: source_location against the disk and the location type

# The kernel reads the names real config files use for a parameter type (int, float, list) as the service's own, with
# a warning; the Type select offers only the service's names, so the browser refuses them. Not compared.
ALIASES_READ_WITH_A_WARNING = "was read as"

# Fields whose text the browser does not check at all: nothing to compare (asserted below, so a new field is decided).
UNCHECKED = {"apis": "any text may be the JSON of a list: the kernel parses it and checks its shape",
             "wait": "a checkbox, not a rule-table field"}

# Valid rows of each table: a fuzzed cell replaces one cell of the first row.
ROWS = {
    "input_params": {"url": "/", "param_name": "x", "param_type": "number", "min": "0", "max": "1",
                     "param_desc": "the input"},
    "output_params": {"url": "/", "param_name": "y", "param_type": "number", "min": "0", "max": "1",
                      "param_desc": "the output"},
    "dependencies": {"package_name": "numpy", "package_version": "1.24.4", "restraint": "ATLEAST"},
}
WORDED_KINDS = ("string_", "missing", "float_parsing", "finite_number")
"""Kernel error types worded from the rule's own message (x-messages), as the browser words them: compared word for
word (up to " — got"); other kinds' words come from the kernel's explainers ("did you mean 'PyTorch'?")."""


def _blank(value: str) -> bool:
    return not value.strip(spec.STRIP_CHARS)


@dataclass(frozen=True)
class Target:
    """A field, or one column of a table, as the browser checks it."""

    key: str
    column: str
    schema_json: str  # (frozen, hashable: the schema as JSON text)

    @property
    def schema(self) -> dict[str, Any]:
        return json.loads(self.schema_json)

    @property
    def name(self) -> str:
        return f"{self.key}.{self.column}" if self.column else self.key

    @property
    def path(self) -> str:
        """The kernel's path of the error for this field or the first row's cell."""
        if self.key == "dependencies":
            return f"dependencies[0].packages[0].{self.column}"
        if self.key == "installer":
            return "dependencies[0].installer"
        return f"{self.key}[0].{self.column}" if self.column else self.key

    def kernel_data(self, value: str) -> dict[str, Any]:
        """The fields the form would hand the kernel with `value` typed here: a blank field or cell left out, as
        binding.collect() leaves it out ("blank" by spec.STRIP_CHARS, as the browser's x-blank says)."""
        data = dict(BASE)
        given = not _blank(value)
        if self.column:
            row = {k: v for k, v in ROWS[self.key].items() if k != self.column}
            if given:
                row[self.column] = value
            data[self.key] = [row] if self.key != "dependencies" else [{"installer": "pip", "packages": [row]}]
        elif self.key == "installer":
            group: dict[str, Any] = {"packages": [ROWS["dependencies"]]}
            if given:
                group["installer"] = value
            data["dependencies"] = [group]
        elif given:
            data[self.key] = value
        else:
            data.pop(self.key, None)
        return data


def targets() -> tuple[list[Target], set[str]]:
    """Every field and table column the browser checks, and the keys of the fields it does not check."""
    binding = Binding()
    binding.apply_language("en", "model-generated")
    made, unchecked = [], set()
    for section in binding.sections("en"):
        for field in section["fields"]:
            if field["kind"] == "table":
                for column in field["columns"]:  # table.ts: checkValue(column.schema, text, column.key)
                    made.append(Target(field["key"], column["key"], json.dumps(column["schema"], sort_keys=True)))
                continue
            schema = {**field["schema"], "required": field["required"]}  # field.ts adds `required` so
            if not _checks_anything(schema):
                unchecked.add(field["key"])
                continue
            made.append(Target(field["key"], "", json.dumps(schema, sort_keys=True)))
    return made, unchecked


def _checks_anything(schema: dict[str, Any]) -> bool:
    rules = ("pattern", "maxLength", "minLength", "enum", "const")
    return schema.get("required") is True or any(k in schema for k in rules) or schema.get("type") == "number"


TARGETS, UNCHECKED_FOUND = targets()

# ---- the text tried ----------------------------------------------------------------------------------------------

LOOK_ALIKES = "\ufeff\x1c\x1d\x1e\x1f\u200b\u180e\u2060\x00\x7f"
"""White space that is not: JavaScript's trim() strips U+FEFF, Python's strip() U+001C–U+001F; the kernel none."""
WHITE = st.text(alphabet=st.sampled_from(spec.STRIP_CHARS + LOOK_ALIKES), max_size=4)
DIGITS = st.text(alphabet=st.sampled_from("0123456789١٢٣٠۴۵０１９०५๓"), min_size=1, max_size=4)
NUMBER_SPELLINGS = ["1_000", "1e3", "1E3", ".5", "5.", "+1", "-0", "+.5e-3", "0x10", "0b1", "0o7", "inf", "-inf",
                    "Infinity", "NaN", "nan", "1e400", "-1e400", "1e-400", "1,000", "1 000", "1.2.3", "1e", "e3", "+",
                    "-", ".", "1j", "١٢", "١.٥", "１", "1\u00a0", " 1 ", "\u20001", "1\ufeff", "007", "1e+3",
                    "--1",
                    "1.7976931348623157e308", "1.8e308", "0.0", "-.0"]
NUMBERS = st.one_of(
    st.sampled_from(NUMBER_SPELLINGS),
    st.floats().map(repr),
    st.floats().map(str),
    st.integers().map(str),
    st.integers(min_value=1000).map(lambda n: f"{n:_}"),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-99, 99), st.integers(-400, 400)),
    st.builds(lambda a, b: f"{a}.{b}", st.integers(-99, 99), st.integers(0, 999)),
)


def near_valid(target: Target) -> st.SearchStrategy[str]:
    """Text built from the target's own rules: its allowed values, text its pattern matches, lengths at its limits."""
    schema = target.schema
    options: list[st.SearchStrategy[str]] = []
    allowed = [str(v) for v in schema.get("enum", [])] + ([str(schema["const"])] if "const" in schema else [])
    if allowed:
        hints = list(spec.PARAM_TYPE_ALIASES) + list(spec.MODEL_TYPE_ALIASES) + list(spec.RESTRAINT_HINTS)
        options.append(st.sampled_from(allowed))
        options.append(st.sampled_from(allowed + hints).map(lambda v: v.lower()))
        options.append(st.sampled_from(allowed).map(lambda v: v.upper()))
    for key in ("pattern", "x-number-pattern"):
        if key in schema:
            options.append(st.from_regex(schema[key], fullmatch=True))
    for key in ("maxLength", "minLength"):
        if key in schema:
            limit = schema[key]
            lengths = st.integers(max(0, limit - 2), limit + 2)
            options.append(st.builds(lambda c, n: c * n, st.sampled_from("xé😀"), lengths))
    if "pattern" in schema:  # counted classes such as {0,100}: astral characters count once in the kernel
        options.append(st.builds(lambda c, n: c * n, st.sampled_from("a😀"), st.integers(30, 110)))
    return st.one_of(options) if options else st.just("x")


def values(target: Target) -> st.SearchStrategy[str]:
    near = near_valid(target)
    return st.one_of(
        near,
        st.tuples(WHITE, near, WHITE).map("".join),
        WHITE,
        NUMBERS,
        st.tuples(WHITE, NUMBERS, WHITE).map("".join),
        DIGITS,
        st.builds(lambda text, at, char: text[:at] + char + text[at:], near, st.integers(0, 80), st.characters()),
        st.builds(lambda c, n: c * n, st.characters(), st.integers(60, 1100)),
        st.just(""),
        st.text(max_size=40),
    )


# ---- the two checkers --------------------------------------------------------------------------------------------


class Checker:
    """The browser's checkValue in one node process: a JSON line in, a JSON line out."""

    def __init__(self, process: subprocess.Popen):
        self.process = process

    def __call__(self, schema: dict[str, Any], value: str, field: str) -> str:
        request = json.dumps({"schema": schema, "value": value, "field": field}, ensure_ascii=True)
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"the checker server stopped: {self.process.stderr.read()[-2000:]}")
        answer = json.loads(line)
        if "error" in answer:
            raise AssertionError(f"the checker server could not check {value!r}: {answer['error']}")
        return answer["message"]


@pytest.fixture(scope="session")
def checker() -> Iterator[Checker]:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None or not (FORM_JS / "node_modules").is_dir():
        pytest.fail("js/form is not installed: the README's setup (pip install -e .) builds it with npm; run "
                    "`npm --prefix js/form ci` if it was skipped")
    built = subprocess.run([npm, "run", "build:test"], cwd=FORM_JS, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0 and SERVER.is_file(), built.stdout[-2000:] + built.stderr[-2000:]
    process = subprocess.Popen([node, str(SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8", cwd=FORM_JS)
    try:
        yield Checker(process)
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def kernel_verdict(target: Target, value: str) -> dict[str, Any] | None:
    """The kernel's first error at the target's path by the rules compared (None when it finds none there), or
    {"type": "skip"} for a parameter type alias it read with a warning."""
    report = spec.check(target.kernel_data(value))
    if any(w["field"] == target.path and ALIASES_READ_WITH_A_WARNING in w["message"] for w in report.warnings):
        return {"type": "skip"}
    return next((e for e in report.errors if e["field"] == target.path and e["type"] not in NOT_COMPARED), None)


# ---- the tests ---------------------------------------------------------------------------------------------------


def test_the_targets_are_every_field_and_cell_the_browser_checks():
    binding = Binding()
    expected = {key for _, entries in LAYOUT for key, kind in entries if kind != "table"} - set(UNCHECKED)
    assert {t.key for t in TARGETS if not t.column} == expected
    assert UNCHECKED_FOUND == set(UNCHECKED), "a field the browser does not check: decide whether it should"
    for key in ("input_params", "output_params", "dependencies"):
        assert [t.column for t in TARGETS if t.key == key] == [c["key"] for c in binding.fields[key].columns]
    for target in TARGETS:  # each path is the one the form shows at that field or cell
        assert binding.target(target.path) == (target.key, f"0.{target.column}" if target.column else ""), target
        assert "x-blank" in target.schema, f"{target.name}: the browser does not know what counts as blank"


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_the_browser_and_the_kernel_agree(target: Target, checker: Checker):
    seen: collections.Counter = collections.Counter()

    @settings(max_examples=EXAMPLES_PER_TARGET, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(value=values(target))
    def agree(value: str) -> None:
        kernel = kernel_verdict(target, value)
        if kernel is not None and kernel["type"] == "skip":
            seen["skipped"] += 1
            return
        browser = checker(target.schema, value, target.column or target.key)
        seen["error" if kernel else "fine"] += 1
        assert bool(browser) == bool(kernel), (f"{target.name} = {value!r}: browser {browser!r}, "
                                               f"kernel {kernel['message'] if kernel else ''!r}")
        if kernel and kernel["type"].startswith(WORDED_KINDS):
            rule = browser.split(" — got ")[0]
            assert kernel["message"].startswith(rule), (f"{target.name} = {value!r}: browser {browser!r}, "
                                                        f"kernel {kernel['message']!r}")

    agree()
    # Both verdicts were tried, or agreeing would prove nothing.
    assert seen["error"] >= 5 and seen["fine"] >= 5, f"{target.name}: {dict(seen)}"


def test_a_number_is_spelled_the_same_on_both_sides(checker: Checker):
    """The measured disagreements of issue 10, one by one, at a parameter's min."""
    target = next(t for t in TARGETS if t.key == "input_params" and t.column == "min")
    for text, good in [("1_000", False), (" 1 ", True), ("1\u00a0", True), ("5.", True), ("+1", True),
                       ("\u0661\u0662", False), ("\uff11", False), ("0x10", False), ("inf", False), ("NaN", False),
                       ("1e400", False), ("1,000", False), (".5", True), ("-0", True), ("1e3", True)]:
        kernel, browser = kernel_verdict(target, text), checker(target.schema, text, "min")
        assert (kernel is None, browser == "") == (good, good), (text, kernel, browser)
        if not good:
            assert kernel["message"] == f"min must be a number like 0.5 or -3 — got {text}", kernel
            assert browser.startswith("min must be a number like 0.5 or -3 — got "), browser


def test_white_space_is_what_the_kernel_strips(checker: Checker):
    target = next(t for t in TARGETS if t.key == "model_version")
    for char in spec.STRIP_CHARS + LOOK_ALIKES:
        text = f"{char}1.0.0{char}"
        kernel, browser = kernel_verdict(target, text), checker(target.schema, text, "model_version")
        stripped = char in spec.STRIP_CHARS
        assert (kernel is None, browser == "") == (stripped, stripped), (hex(ord(char)), kernel, browser)
