"""The form's fields bound to the rule table: built from it (labels, tooltips, JSON Schema for the browser), filled
from SDK-style values, read back as the SDK's fields, and each of the rule table's messages put at its field or
table cell. No widget here: the fields are plain objects with traits (fields.py); the form's view draws them.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from .. import spec
from . import i18n
from .fields import FieldTraits, TableTraits

# The form's fields in the seed's order: key (the SDK's parameter name), section, kind.
LAYOUT: list[tuple[str, list[tuple[str, str]]]] = [
    ("Basics", [("model_name", "text"), ("model_version", "text"), ("model_type", "select"),
                ("model_algorithm", "combo"), ("description", "textarea")]),
    ("Source", [("source_location_type", "select"), ("source_location", "combo"), ("execution_code", "text"),
                ("source_job_id", "text"), ("source_job_version", "text"), ("source_type", "select")]),
    ("Interface", [("input_params", "table"), ("output_params", "table")]),
    ("Dependencies", [("installer", "select"), ("dependencies", "table")]),
    ("Advanced", [("apis", "textarea"), ("runtime", "combo"), ("wait", "checkbox")]),
]
ALGORITHMS = ["image_classification", "object_detection", "predict_analysis", "text_classification",
              "semantic_segmentation", "speech_recognition", "sound_classification"]
PARAM_COLUMNS = ("url", "param_name", "param_type", "min", "max", "param_desc")
CHOICE_WORDS: dict[str, dict[str, str]] = {
    "model_type": {"": "choose the engine…", "Image": "Image: your own container image",
                   "Custom": "Custom: your own container image (runtime = its SWR address)"},
    "source_location_type": {"OBS_SOURCE": "OBS_SOURCE: a folder on OBS", "LOCAL_SOURCE": "LOCAL_SOURCE: a folder on this machine"},
    "source_type": {"": "none: a model you trained or wrote", "auto": "auto: made by ExeML (automatic learning)"},
    "installer": {"pip": "pip"},
    "param_type": {"": "choose a type…"},
    "restraint": {"": "any version"},
}
"""What each choice of a drop-down means, in the form's words (English; i18n translates)."""
ROW_WORDS = {"cell": "{column} in row {row}", "up": "Move row {row} up", "down": "Move row {row} down",
             "remove": "Remove row {row}", "actions": "Row actions"}
"""A table's buttons and cells as screen readers and tooltips name them ({row} from 1), filled in by the browser."""
PACKAGE_COLUMNS = ("package_name", "package_version", "restraint")


def resolve(schema: dict, root: dict) -> dict:
    """A field's schema with $ref and Optional's anyOf folded in, as the browser checks it."""
    if "$ref" in schema:
        schema = {**root["$defs"][schema["$ref"].split("/")[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **(resolve(options[0], root) if options else {})}
    return {k: v for k, v in schema.items() if k in BROWSER_KEYWORDS}


BROWSER_KEYWORDS = ("pattern", "maxLength", "minLength", "enum", "const", "type", "x-messages", "x-strip", "x-blank",
                    "x-number-pattern")
"""The JSON-schema keywords js/form/src/check.ts reads (x-strip, x-blank, x-number-pattern: spec._browser_keywords)."""


@functools.lru_cache(maxsize=1)
def model_schema() -> dict:
    """The rule table's JSON schema, built once (pydantic takes milliseconds to build it)."""
    return spec.ModelSpec.model_json_schema()


def choice_words(key: str, language: str) -> dict[str, str]:
    """What each choice of the drop-down `key` means, in `language`."""
    return {value: i18n.text(words, language) for value, words in CHOICE_WORDS.get(key, {}).items()}


def _words(model: type, name: str) -> tuple[str, str]:
    info = model.model_fields.get(name)
    text = (info.description if info else "") or name.replace("_", " ")
    label, _, tooltip = text.partition("\n")
    return label.strip(), " ".join(tooltip.split())


def row(item: Any, columns: tuple[str, ...]) -> dict[str, str]:
    """A table row (text cells) from a Param/Package object or a dict."""
    data = item.model_dump(mode="json") if hasattr(item, "model_dump") else dict(item or {})
    made = {}
    for key in columns:
        value = data.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        made[key] = "" if value is None else str(getattr(value, "value", value))
    if "url" in columns and not made["url"]:
        made["url"] = "/"
    return made


class Fields(dict):
    """The form's fields by the SDK's parameter names; `environment` (the seed's name) is the runtime field."""

    def __missing__(self, key: str) -> Any:
        if key == "environment" and "runtime" in self:
            return self["runtime"]
        raise KeyError(f"the form has no field {key!r}; the fields are: {', '.join(self)}")


class Binding:
    """The fields of one form, and the rule table on both sides of them."""

    def __init__(self) -> None:
        self.schema = model_schema()
        self.fields = Fields()
        required = set(self.schema.get("required", []))
        for _, entries in LAYOUT:
            for key, kind in entries:
                self.fields[key] = self._make_field(key, kind, key in required)
        self.fields["source_location_type"].value = "OBS_SOURCE"
        self.fields["installer"].value = "pip"
        self.fields["wait"].value = "true"

    # ---- building -------------------------------------------------------------------------------------

    def _make_field(self, key: str, kind: str, required: bool):
        if kind == "table":
            model = spec.Package if key == "dependencies" else spec.Param
            columns = PACKAGE_COLUMNS if key == "dependencies" else PARAM_COLUMNS
            return TableTraits(field=key, columns=[self._column(model, c) for c in columns])
        options: list[str] = []
        if key == "model_type":
            options = [""] + [t.value for t in spec.ModelType]
        elif key == "source_location_type":
            options = [t.value for t in spec.SourceLocationType]
        elif key == "source_type":
            options = ["", "auto"]
        elif key == "installer":
            options = ["pip"]
        elif key == "model_algorithm":
            options = list(ALGORITHMS)
        schema = self._field_schema(key)
        if required:
            schema["required"] = True
        return FieldTraits(field=key, kind=kind, options=options, schema=schema)

    def _field_schema(self, key: str) -> dict:
        prop = (self.schema["$defs"]["Dependency"]["properties"]["installer"] if key == "installer"
                else self.schema["properties"].get(key))
        return resolve(prop, self.schema) if prop else {}

    def _column(self, model: type, key: str) -> dict:
        defs = self.schema["$defs"][model.__name__]
        schema = resolve(defs["properties"][key], self.schema)
        if key in defs.get("required", []):
            schema["required"] = True
        column = {"key": key, "schema": schema, "kind": "text", "default": "/" if key == "url" else ""}
        if key == "param_type":
            column.update(kind="select", options=[""] + [t.value for t in spec.ParamType], default="string")
        elif key == "restraint":
            column.update(kind="select", options=[""] + [r.value for r in spec.Restraint])
        return column

    def apply_language(self, language: str, generated_name: str) -> None:
        """Labels, tooltips and the browser's rule messages in `language`."""
        t = lambda english: i18n.text(english, language)  # noqa: E731
        for key, field in self.fields.items():
            if key == "wait":
                english = ("Wait until published", "In the code: wait=True returns once the model is published; "
                                                    "unticked, once it is registered (then model.wait()).")
            elif key == "dependencies":
                english = _words(spec.Dependency, "packages")  # the section is already called Dependencies
            else:
                english = _words(spec.Dependency if key == "installer" else spec.ModelSpec, key)
            field.label, field.tooltip = i18n.field_words(key, *english, language)
            field.schema = self._localised_schema(key, field.schema, language)
            if isinstance(field, TableTraits):
                model = spec.Package if key == "dependencies" else spec.Param
                field.columns = [{**c, "label": i18n.field_words(c["key"], *_words(model, c["key"]), language)[0],
                                  "tooltip": i18n.field_words(c["key"], *_words(model, c["key"]), language)[1],
                                  "schema": self._localised_schema(c["key"], c["schema"], language)}
                                 for c in field.columns]
                field.add_label = t("Add package" if key == "dependencies" else "Add parameter")
        # placeholders say "e.g.": grey example text must not pass for a value typed in
        self.fields["model_name"].placeholder = t("blank: a name is generated")
        self.fields["model_version"].placeholder = t("e.g. {example}").format(example="1.0.0")
        self.fields["source_location"].placeholder = t("e.g. {example}").format(
            example="./my_model  ·  obs://bucket/dir/")

    def _localised_schema(self, key: str, schema: dict, language: str) -> dict:
        english = self.schema.get("properties", {}).get(key, {}).get("x-messages", {})
        messages = dict(schema.get("x-messages", {}))
        for keyword, message in list(messages.items()):
            messages[keyword] = i18n.rule_message(key, keyword, english.get(keyword, message), language)
        return {**schema, "x-messages": messages} if messages else schema

    def sections(self, language: str) -> list[dict[str, Any]]:
        """The fields as the browser draws them, section by section."""
        return [{"title": i18n.text(title, language), "fields": [self._spec(key, kind, language) for key, kind in entries]}
                for title, entries in LAYOUT]

    def _spec(self, key: str, kind: str, language: str) -> dict[str, Any]:
        field = self.fields[key]
        made = {"key": key, "kind": kind, "label": field.label, "tooltip": field.tooltip,
                "required": bool(field.schema.get("required")), "schema": field.schema}
        if isinstance(field, TableTraits):
            made.update(columns=[{**c, "option_labels": choice_words(c["key"], language)} if c.get("kind") == "select"
                                 else c for c in field.columns], add_label=field.add_label,
                        row_words={key: i18n.text(english, language) for key, english in ROW_WORDS.items()})
        else:
            made.update(options=list(field.options), placeholder=field.placeholder)
            if kind == "select":
                made["option_labels"] = choice_words(key, language)
        return made

    def shown(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """(values, messages, options) as the browser shows them."""
        values, messages, options = {}, {}, {}
        for key, field in self.fields.items():
            values[key] = list(field.value) if isinstance(field, TableTraits) else field.value
            message = {k: v for k, v in (("error", field.error), ("warning", field.warning),
                                         ("hint", getattr(field, "hint", ""))) if v}
            if isinstance(field, TableTraits) and field.errors:
                message["cells"] = dict(field.errors)
            if message:
                messages[key] = message
            if not isinstance(field, TableTraits):
                options[key] = list(field.options)
        return values, messages, options

    # ---- values ---------------------------------------------------------------------------------------

    def set_values(self, values: dict[str, Any]) -> None:
        """Fill fields from SDK-style values (Params/Packages objects or dicts); blank values clear."""
        for key, value in values.items():
            if key == "environment":
                key = "runtime"
            if key == "dependencies":
                groups = value if isinstance(value, list) else [value]
                rows, installer = [], "pip"
                for group in groups:
                    group = group.model_dump(mode="json") if hasattr(group, "model_dump") else dict(group or {})
                    installer = group.get("installer") or installer
                    rows += [row(p, PACKAGE_COLUMNS) for p in group.get("packages") or []]
                self.fields["dependencies"].value = rows
                self.fields["installer"].value = str(installer)
            elif key in ("input_params", "output_params"):
                self.fields[key].value = [row(p, PARAM_COLUMNS) for p in (value or [])]
            elif key == "apis":
                self.fields["apis"].value = value if isinstance(value, str) else (
                    json.dumps(value, indent=2, ensure_ascii=False) if value else "")
            elif key in ("wait", "publish"):  # publish=: what drafts and code written before wait= passed
                self.fields["wait"].value = "true" if value in (True, "true", None) else "false"
            elif key in self.fields:
                self.fields[key].value = "" if value is None else str(getattr(value, "value", value))
            else:
                raise TypeError(f"ModelImportForm has no field {key!r}; the fields are: {', '.join(self.fields)}")

    def collect(self) -> dict[str, Any]:
        """The SDK's fields from the form's: blanks left out, tables as lists of dicts."""
        data: dict[str, Any] = {}
        for key, field in self.fields.items():
            if key in ("installer", "wait"):
                continue
            if key in ("input_params", "output_params"):
                rows = [{k: v for k, v in r.items() if str(v).strip(spec.STRIP_CHARS)} for r in field.value]
                if rows:
                    data[key] = rows
            elif key == "dependencies":
                rows = [{k: v for k, v in r.items() if str(v).strip(spec.STRIP_CHARS)} for r in field.value]
                if rows:
                    data[key] = [{"installer": self.fields["installer"].value or "pip", "packages": rows}]
            elif field.value.strip(spec.STRIP_CHARS):
                data[key] = field.value.strip(spec.STRIP_CHARS)
        return data

    def current(self, key: str) -> Any:
        field = self.fields[key]
        return field.value if isinstance(field.value, list) else field.value.strip(spec.STRIP_CHARS)

    def as_field_value(self, key: str, value: Any) -> Any:
        """An SDK value as the field would hold it (to compare with what is typed)."""
        probe = {"dependencies": PACKAGE_COLUMNS, "input_params": PARAM_COLUMNS, "output_params": PARAM_COLUMNS}
        if key == "dependencies":
            return [row(p, PACKAGE_COLUMNS) for g in value for p in (g.get("packages") or [])]
        if key in probe:
            return [row(p, probe[key]) for p in value]
        if key == "apis":
            return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        return str(value)

    # ---- messages -------------------------------------------------------------------------------------

    def target(self, path: str) -> tuple[str, str]:
        """(field key, cell key or '') for a rule-table error path."""
        head, _, rest = path.partition(".")
        base = head.split("[")[0]
        index = head[len(base) + 1:-1] if "[" in head else ""
        if base in ("input_params", "output_params"):
            return base, f"{index}.{rest}" if rest else index
        if base == "dependencies":
            if rest == "installer":
                return "installer", ""
            sub, _, cell = rest.partition(".")
            number = sub[len("packages["):-1] if sub.startswith("packages[") else ""
            return "dependencies", f"{number}.{cell}" if number and cell else number
        return (base if base in self.fields else ""), ""

    def where(self, path: str, language: str) -> str:
        """A rule-table path in the screen's words: "Version", "Input parameters, row 2: Maximum"."""
        key, cell = self.target(path)
        field = self.fields.get(key) if key else None
        if field is None:
            return self.in_screen_words(path, language) if path else i18n.text("model", language)
        if not cell:
            return field.label
        row, _, column = cell.partition(".")
        label = next((c.get("label") or column for c in getattr(field, "columns", []) if c["key"] == column), column)
        said = i18n.text("{table}, row {row}", language, table=field.label, row=str(int(row) + 1)) if row.isdigit() \
            else field.label
        return f"{said}: {label}" if column else said

    def in_screen_order(self, errors: list[dict]) -> list[dict]:
        """`errors` in the order their fields are on screen (those of no field last)."""
        order = {key: index for index, key in enumerate(self.fields)}
        return sorted(errors, key=lambda e: order.get(self.target(e["field"])[0], len(order)))

    def in_screen_words(self, text: str, language: str) -> str:
        """`text` with each field's parameter name (source_location_type) as the screen labels it ("Location
        type"): the SDK's names are for code; a person reads the form. Only names with an underscore, which no
        sentence uses as a word."""
        for key in sorted((k for k in self.fields if "_" in k), key=len, reverse=True):
            if key in text:
                text = re.sub(rf"(?<![\w.\[]){key}(?![\w(=])", f"“{self.fields[key].label}”", text)
        return text

    def show_messages(self, errors: list[dict], warnings: list[dict], language: str,
                      extra_warnings: dict[str, list[str]] | None = None) -> None:
        """Each error and warning at the field or cell it concerns (`extra_warnings`: e.g. the folder's lint)."""
        field_errors: dict[str, list[str]] = {}
        cell_errors: dict[str, dict[str, str]] = {}
        for error in errors:
            key, cell = self.target(error["field"])
            prefix = "" if (cell or key == error["field"] or not key) else error["field"].split(".", 1)[-1] + ": "
            message = self.in_screen_words(i18n.error_message(error, language), language)
            if cell:
                cell_errors.setdefault(key, {})[cell] = message
            elif key:
                field_errors.setdefault(key, []).append(prefix + message)
        field_warnings: dict[str, list[str]] = {k: list(v) for k, v in (extra_warnings or {}).items() if v}
        for warning in warnings:
            key, _ = self.target(warning["field"])
            if key:
                field_warnings.setdefault(key, []).append(self.in_screen_words(warning["message"], language))
        for key, field in self.fields.items():
            field.error = "; ".join(field_errors.get(key, []))
            field.warning = "; ".join(field_warnings.get(key, []))
            if isinstance(field, TableTraits):
                field.errors = cell_errors.get(key, {})
