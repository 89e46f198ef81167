"""ModelImportForm: every field of the seed's Method 2, checked live through the rule table, submitted through the SDK.

The form holds no rule of its own (all come from `spec`), never imports `requests`, and no secret is ever a trait.
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import os
from pathlib import Path
from typing import Any, Callable, Optional

from ipywidgets import HTML, Button, FloatProgress, HBox, Layout, Output, ToggleButtons, VBox, link
from traitlets import Bool, Dict, Enum, HasTraits, List, Unicode, observe

from .. import config_file, package, spec
from ..errors import (
    DuplicateModelError,
    ImportCancelledError,
    ImportFailedError,
    ModelImportError,
    PackageError,
    ServiceError,
    SpecValidationError,
)
from . import drafts, i18n
from ..backend import obs_location_or_default
from .code import sdk_code
from .run import ImportRun
from ..sdk.versions import check_version
from .fields import FieldWidget, StockField, StockTable, TableWidget

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
PACKAGE_COLUMNS = ("package_name", "package_version", "restraint")
STATUSES = ("draft", "local", "copying", "publishing", "published", "failed", "cancelled")


def _frontend(choice: str) -> str:
    """'custom' (this package's views, browser-side checks) or 'stock' (plain ipywidgets, kernel checks only)."""
    choice = (choice or os.environ.get("MODEL_IMPORT_WIDGET_FRONTEND", "") or "auto").lower()
    if choice in ("custom", "stock"):
        return choice
    if any(name in os.environ for name in ("VSCODE_PID", "VSCODE_CWD", "COLAB_RELEASE_TAG")):
        return "stock"  # front ends that cannot load a JupyterLab extension
    return "custom"


def _resolve(schema: dict, root: dict) -> dict:
    """A field's schema with $ref and Optional's anyOf folded in, as the browser checks it."""
    if "$ref" in schema:
        schema = {**root["$defs"][schema["$ref"].split("/")[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **(_resolve(options[0], root) if options else {})}
    return {k: v for k, v in schema.items() if k in ("pattern", "maxLength", "minLength", "enum", "const", "x-messages", "type")}


@functools.lru_cache(maxsize=1)
def _model_schema() -> dict:
    """The rule table's JSON schema, built once (pydantic takes milliseconds to build it)."""
    return spec.ModelSpec.model_json_schema()


def _lint_line(item: dict[str, Any]) -> str:
    """A package problem or warning as one line, its file named once."""
    path, message = item.get("path") or "", str(item["message"])
    return message if not path or message.startswith(path) else f"{path}: {message}"


def _words(model: type, name: str) -> tuple[str, str]:
    info = model.model_fields.get(name)
    text = (info.description if info else "") or name.replace("_", " ")
    label, _, tooltip = text.partition("\n")
    return label.strip(), " ".join(tooltip.split())


class _Fields(dict):
    """The form's fields by the SDK's parameter names; `environment` (the seed's name) is the runtime field."""

    def __missing__(self, key: str) -> Any:
        if key == "environment" and "runtime" in self:
            return self["runtime"]
        raise KeyError(f"the form has no field {key!r}; the fields are: {', '.join(self)}")


class _NeedsConfirmation(ModelImportError):
    """Submit was asked for a cloud backend without confirm=True; the form is asking the person."""


class ModelImportForm(HasTraits):
    """A form for every field of the seed's Method 2: checked as you type, imported with one click.

    `ModelImportForm(session=None, **prefill)`; `session=None` means `Session()`. Drive it from code as a
    person would: `form.fields["model_version"].value = "1.0.0"`, read `form.errors`, call `form.submit()`.

    The form is a composite of widgets held in `form.widget` (a VBox): displaying the form displays it, and
    `form.widget` goes inside other containers. The form itself is not a Widget, because its `model_id` (the
    imported model) would hide ipywidgets' own `Widget.model_id` (the widget's comm id).
    """

    value = Dict(help="The model's fields as the SDK takes them (blank fields left out).")
    errors = List(Dict(), help="Every problem: {'field': 'input_params[2].max', 'type': …, 'message': …}.")
    warnings = List(Dict(), help="Notes that do not block importing.")
    status = Enum(STATUSES, default_value="draft", help="draft, local (checked, registered nowhere: submit(publish=False)), copying, publishing, "
                                                             "published, failed or cancelled.")
    model_id = Unicode("", help="The imported model's id, once registered.")
    language = Unicode("en", help="en or zh.")
    busy = Bool(False, help="An import is running.")

    def __init__(self, session: Any = None, *, frontend: str = "auto", language: Optional[str] = None,
                 obs_location: Optional[str] = None, **prefill: Any):
        self.fields: dict[str, Any] = _Fields()
        self.obs_location = obs_location
        """Where a local folder is uploaded before a ModelArts import (obs://bucket/dir/); else
        $MODEL_IMPORT_WIDGET_OBS_LOCATION. Not used by the embedded registry."""
        super().__init__()
        self.widget = VBox(layout=Layout(width="100%", max_width="64em"))
        self.widget.add_class("mi-form")
        if session is None:
            from ..sdk.session import Session

            session = Session()
        self._session = session
        self._frontend = _frontend(frontend)
        self.language = language or i18n.default_language()
        self._generated_name = spec.generate_model_name()
        self._submit_callbacks: list[Callable[["ModelImportForm"], Any]] = []
        self._run: Optional[ImportRun] = None  # the last import started from this form
        self._model = None
        self._updating = False
        self._pending_prefill: dict[str, Any] = {}
        self._lint: list[str] = []  # package lint of the chosen folder, shown beside source_location
        self._lint_problems: list[str] = []  # lint that would make the import fail: blocks Import like an error
        self._prefilled_from = ""
        self.last_config_backup: Optional[Path] = None  # where write_config kept the file it replaced
        self._prefilled: dict[str, Any] = {}  # field -> the value a folder filled in (replaced by the next folder's)
        self._draft = drafts.Draft(drafts.draft_path(session), self._draft_snapshot)
        self._schema = _model_schema()
        self._build()
        if prefill:
            self.set_values(prefill)
        self._recheck()

    # ---- building ----------------------------------------------------------------------------------

    def _build(self) -> None:
        required = set(self._schema.get("required", []))
        for _, entries in LAYOUT:
            for key, kind in entries:
                self.fields[key] = self._make_field(key, kind, key in required)
        self.fields["source_location_type"].value = "OBS_SOURCE"
        self.fields["installer"].value = "pip"
        self.fields["wait"].value = "true"
        for widget in self.fields.values():
            widget.observe(self._on_field_change, "value")
        self._badge = HTML(layout=Layout(flex="1 1 auto", min_width="0"))
        self._summary = HTML()
        self._prefill_box = HBox()
        self._submit_button = Button(button_style="primary", icon="upload")
        self._submit_button.on_click(lambda _: self._submit_clicked())
        self._cancel_button = Button(icon="stop", layout=Layout(display="none"))
        self._cancel_button.on_click(lambda _: self.cancel())
        self._code_button = Button(icon="code")
        self._code_button.on_click(lambda _: self._toggle_code())
        self._config_button = Button(icon="file-code-o", layout=Layout(display="none"))
        self._config_button.on_click(lambda _: self._write_config_clicked())
        self._check_again_button = Button(icon="refresh", layout=Layout(display="none"))  # a fix is made on disk
        self._check_again_button.on_click(lambda _: (self._relint(), self._recheck()))
        self._language_toggle = ToggleButtons(options=[("English", "en"), ("中文", "zh")], value=self.language,
                                              style={"button_width": "auto"}, layout=Layout(flex="0 0 auto"))
        link((self._language_toggle, "value"), (self, "language"))
        self._progress = FloatProgress(min=0.0, max=1.0, layout=Layout(width="100%", display="none"))
        self._progress_text = HTML()
        self._status_html = HTML()
        self._events_html = HTML()
        self._confirm_box = HBox()
        self._offer_box = HBox()
        self._code = Output(layout=Layout(display="none"))
        self._sections = {title: HTML() for title, _ in LAYOUT}
        body = [HBox([self._badge, self._language_toggle], layout=Layout(justify_content="space-between"))]
        for title, entries in LAYOUT:
            body.append(self._sections[title])
            body.extend(self.fields[key] for key, _ in entries)
        body += [self._prefill_box, self._summary, self._offer_box, self._confirm_box,
                 HBox([self._submit_button, self._cancel_button, self._code_button, self._config_button,
                       self._check_again_button]),
                 self._progress, self._progress_text, self._status_html, self._events_html, self._code]
        self.widget.children = body
        self._apply_language()

    def _make_field(self, key: str, kind: str, required: bool):
        stock = self._frontend == "stock"
        if kind == "table":
            model = spec.Package if key == "dependencies" else spec.Param
            columns = PACKAGE_COLUMNS if key == "dependencies" else PARAM_COLUMNS
            table_cls = StockTable if stock else TableWidget
            return table_cls(field=key, columns=[self._column(model, c) for c in columns])
        field_cls = StockField if stock else FieldWidget
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
        return field_cls(field=key, kind=kind, options=options, schema=schema)

    def _field_schema(self, key: str) -> dict:
        prop = (self._schema["$defs"]["Dependency"]["properties"]["installer"] if key == "installer"
                else self._schema["properties"].get(key))
        return _resolve(prop, self._schema) if prop else {}

    def _column(self, model: type, key: str) -> dict:
        defs = self._schema["$defs"][model.__name__]
        schema = _resolve(defs["properties"][key], self._schema)
        if key in defs.get("required", []):
            schema["required"] = True
        column = {"key": key, "schema": schema, "kind": "text", "default": "/" if key == "url" else ""}
        if key == "param_type":
            column.update(kind="select", options=[""] + [t.value for t in spec.ParamType], default="string")
        elif key == "restraint":
            column.update(kind="select", options=[""] + [r.value for r in spec.Restraint])
        return column

    @observe("language")
    def _on_language(self, change) -> None:
        if self.fields:
            self._apply_language()
            self._recheck()

    def _apply_language(self) -> None:
        lang = self.language if self.language in i18n.LANGUAGES else "en"
        t = lambda english, **kw: i18n.text(english, lang, **kw)  # noqa: E731
        with self.hold_trait_notifications():
            for key, widget in self.fields.items():
                if key == "wait":
                    english = ("Wait until published", "In the code: wait=True returns once the model is published; "
                                                        "unticked, once it is registered (then model.wait()).")
                elif key == "dependencies":
                    english = _words(spec.Dependency, "packages")  # the section is already called Dependencies
                else:
                    english = _words(spec.Dependency if key == "installer" else spec.ModelSpec, key)
                widget.label, widget.tooltip = i18n.field_words(key, *english, lang)
                widget.schema = self._localised_schema(key, widget.schema)
                if isinstance(widget, (TableWidget, StockTable)):
                    model = spec.Package if key == "dependencies" else spec.Param
                    widget.columns = [{**c, "label": i18n.field_words(c["key"], *_words(model, c["key"]), lang)[0],
                                       "tooltip": i18n.field_words(c["key"], *_words(model, c["key"]), lang)[1],
                                       "schema": self._localised_schema(c["key"], c["schema"])} for c in widget.columns]
                    widget.add_label = t("Add package" if key == "dependencies" else "Add parameter")
            self.fields["model_name"].placeholder = self._generated_name
            self.fields["model_version"].placeholder = "1.0.0"
            self.fields["source_location"].placeholder = "obs://bucket/dir/  or  /bucket/dir/  or  ./local/folder"
            for title, header in self._sections.items():
                header.value = f"<h4 class='mi-section'>{html.escape(t(title))}</h4>"
            self._submit_button.description = t("Import model")
            self._cancel_button.description = t("Cancel")
            self._code_button.description = t("Show code")
            self._config_button.description = t("Write config.json")
            self._check_again_button.description = t("Check the folder again")
            self._language_toggle.tooltip = t("Language")
            self._badge.value = self._badge_html()

    def _localised_schema(self, key: str, schema: dict) -> dict:
        english = _model_schema().get("properties", {}).get(key, {}).get("x-messages", {})
        messages = dict(schema.get("x-messages", {}))
        for keyword, message in list(messages.items()):
            messages[keyword] = i18n.rule_message(key, keyword, english.get(keyword, message), self.language)
        return {**schema, "x-messages": messages} if messages else schema

    def _badge_html(self) -> str:
        """Where models go, in a few words; the full description (never a secret) on hover."""
        session = self._session
        if session.backend == "embedded":
            where = f"<b>embedded registry</b> · {html.escape(str(session.home))}"
        else:  # from the session's own attributes: showing the form builds no network client
            source = {"explicit": "explicit credentials", "env": "credentials from the environment",
                      "profile": "credentials from a profile file", "notebook": "the notebook's agency"}
            region = session.region_name
            where = (f"<b>ModelArts</b> · {html.escape(region or '')} · "
                     f"{html.escape(source.get(session.credential_source, ''))}")
            if not region:
                where += (" · <span class='mi-badge-problem'>no region: pass region_name= to Session() or set "
                          "HUAWEICLOUD_SDK_REGION</span>")
        return f"<div class='mi-badge' title='{html.escape(session.describe(), quote=True)}'>{where}</div>"

    # ---- values ------------------------------------------------------------------------------------

    def set_values(self, values: dict[str, Any]) -> None:
        """Fill fields from SDK-style values (Params/Packages objects or dicts); blank values clear."""
        with self.widget.hold_sync(), self._quietly():
            for key, value in values.items():
                if key == "environment":
                    key = "runtime"
                if key == "dependencies":
                    groups = value if isinstance(value, list) else [value]
                    rows, installer = [], "pip"
                    for group in groups:
                        group = group.model_dump(mode="json") if hasattr(group, "model_dump") else dict(group or {})
                        installer = group.get("installer") or installer
                        rows += [self._row(p, PACKAGE_COLUMNS) for p in group.get("packages") or []]
                    self.fields["dependencies"].value = rows
                    self.fields["installer"].value = str(installer)
                elif key in ("input_params", "output_params"):
                    self.fields[key].value = [self._row(p, PARAM_COLUMNS) for p in (value or [])]
                elif key == "apis":
                    self.fields["apis"].value = value if isinstance(value, str) else (json.dumps(value, indent=2, ensure_ascii=False) if value else "")
                elif key in ("wait", "publish"):  # publish=: what drafts and code written before wait= passed
                    self.fields["wait"].value = "true" if value in (True, "true", None) else "false"
                elif key in self.fields:
                    self.fields[key].value = "" if value is None else str(getattr(value, "value", value))
                else:
                    raise TypeError(f"ModelImportForm has no field {key!r}; the fields are: {', '.join(self.fields)}")
        if "source_location" in values or "source_location_type" in values:
            self._on_source_change()
        if "model_type" in values:
            self._offer_runtimes()
        self._recheck()

    @staticmethod
    def _row(item: Any, columns: tuple[str, ...]) -> dict[str, str]:
        data = item.model_dump(mode="json") if hasattr(item, "model_dump") else dict(item or {})
        row = {}
        for key in columns:
            value = data.get(key)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            row[key] = "" if value is None else str(getattr(value, "value", value))
        if "url" in columns and not row["url"]:
            row["url"] = "/"
        return row

    def _collect(self) -> dict[str, Any]:
        """The SDK fields from the widgets: blanks left out, tables as lists of dicts."""
        data: dict[str, Any] = {}
        for key, widget in self.fields.items():
            if key in ("installer", "wait"):
                continue
            if key in ("input_params", "output_params"):
                rows = [{k: v for k, v in row.items() if str(v).strip()} for row in widget.value]
                if rows:
                    data[key] = rows
            elif key == "dependencies":
                rows = [{k: v for k, v in row.items() if str(v).strip()} for row in widget.value]
                if rows:
                    data[key] = [{"installer": self.fields["installer"].value or "pip", "packages": rows}]
            elif widget.value.strip():
                data[key] = widget.value.strip()
        return data

    @observe("value")
    def _value_from_code(self, change) -> None:
        """`form.value = {...}` fills the fields, as typing would."""
        if not getattr(self, "_setting_value", False) and self.fields:
            cleared = {key: None for key in self.fields if key not in ("installer", "wait")}
            cleared.update(input_params=[], output_params=[], dependencies=[])
            self.set_values({**cleared, **change["new"]})

    @property
    def wait(self) -> bool:
        """Whether the generated code waits until the model is published (`wait=`)."""
        return self.fields["wait"].value != "false"

    # ---- live checks -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _quietly(self):
        """Field changes made inside are the form's own: they trigger no check, prefill or draft."""
        before, self._updating = self._updating, True
        try:
            yield
        finally:
            self._updating = before

    def _on_field_change(self, change) -> None:
        if self._updating:
            return
        self._draft.edited()  # (the check below keeps it)
        if change["owner"] is self.fields["source_location"] or change["owner"] is self.fields["source_location_type"]:
            self._on_source_change()
        if change["owner"] is self.fields["model_type"]:
            self._offer_runtimes()
        self._recheck()

    def _check_data(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "model_name": data.get("model_name") or self._generated_name}

    def _recheck(self) -> None:
        """Validate everything through the rule table and show each message at its field."""
        data = self._collect()
        report = spec.check(self._check_data(data))
        if self._lint_problems and not any(e["field"] == "source_location" for e in report.errors):
            report.errors.append({"field": "source_location", "type": "package_problem",
                                  "message": "the package cannot be imported: " + "; ".join(self._lint_problems)})
        with self.widget.hold_sync():
            self._setting_value = True
            try:
                self.value = data
            finally:
                self._setting_value = False
            self.errors = report.errors
            self.warnings = report.warnings
            self._show_messages(report.errors, report.warnings)
            blank_name = not data.get("model_name")
            self.fields["model_name"].hint = i18n.text("A name will be generated: {name}", self.language,
                                                       name=self._generated_name) if blank_name else ""
            self._submit_button.disabled = bool(report.errors) or self.busy
            self._check_again_button.layout.display = "" if self._lint_problems else "none"
            self._summary.value = self._summary_html(report.errors)
        if not self._updating:
            self._draft.changed()

    def _target(self, path: str) -> tuple[str, str]:
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
            row = sub[len("packages["):-1] if sub.startswith("packages[") else ""
            return "dependencies", f"{row}.{cell}" if row and cell else row
        return (base if base in self.fields else ""), ""

    def _show_messages(self, errors: list[dict], warnings: list[dict]) -> None:
        field_errors: dict[str, list[str]] = {}
        cell_errors: dict[str, dict[str, str]] = {}
        for error in errors:
            key, cell = self._target(error["field"])
            prefix = "" if (cell or key == error["field"] or not key) else error["field"].split(".", 1)[-1] + ": "
            message = i18n.error_message(error, self.language)
            if cell:
                cell_errors.setdefault(key, {})[cell] = message
            elif key:
                field_errors.setdefault(key, []).append(prefix + message)
        field_warnings: dict[str, list[str]] = {"source_location": list(self._lint)} if self._lint else {}
        for warning in warnings:
            key, _ = self._target(warning["field"])
            if key:
                field_warnings.setdefault(key, []).append(warning["message"])
        for key, widget in self.fields.items():
            widget.error = "; ".join(field_errors.get(key, []))
            widget.warning = "; ".join(field_warnings.get(key, []))
            if isinstance(widget, (TableWidget, StockTable)):
                widget.errors = cell_errors.get(key, {})

    def _summary_html(self, errors: list[dict]) -> str:
        if not errors:
            return f"<div class='mi-summary mi-ok' role='status'>{html.escape(i18n.text('Ready to import.', self.language))}</div>"
        items = "".join(f"<li><code>{html.escape(e['field'] or 'model')}</code>: "
                        f"{html.escape(i18n.error_message(e, self.language) if 'type' in e else e['message'])}</li>"
                        for e in errors)
        title = html.escape(i18n.text("Fix these before importing:", self.language))
        return f"<div class='mi-summary mi-errors' role='alert'><b>{title}</b><ul>{items}</ul></div>"

    def _offer_runtimes(self) -> None:
        model_type = spec.canonical_model_type(self.fields["model_type"].value)
        self.fields["runtime"].options = spec.known_runtimes(model_type) if model_type else []

    # ---- prefill from a folder ---------------------------------------------------------------------

    @classmethod
    def from_folder(cls, path: os.PathLike | str, session: Any = None, **kwargs: Any) -> "ModelImportForm":
        """A form filled from a model folder: engine, algorithm, apis, params and dependencies from its files."""
        form = cls(session, **kwargs)
        form.set_values({"source_location_type": "LOCAL_SOURCE", "source_location": str(path)})
        return form

    def _on_source_change(self) -> None:
        location = self.fields["source_location"].value.strip()
        self._lint, self._lint_problems = [], []
        local = self.fields["source_location_type"].value == "LOCAL_SOURCE"
        self._config_button.layout.display = "" if local and os.path.isdir(os.path.expanduser(location or "/nonexistent")) else "none"
        if local and location:
            self._suggest_folders(location)
            folder = os.path.abspath(os.path.expanduser(location))
            # only a model package (a folder with model/ in it), and only once per folder: typing a path passes
            # through /, /home, … which must not be walked or fill anything in
            if os.path.isdir(os.path.join(folder, "model")) and folder != self._prefilled_from:
                self.prefill_from_folder(location)

    def _suggest_folders(self, typed: str) -> None:
        path = Path(os.path.expanduser(typed))
        parent = path if path.is_dir() else path.parent
        try:
            subdirs = sorted(str(p) for p in parent.iterdir() if p.is_dir() and not p.name.startswith("."))[:50]
        except OSError:
            subdirs = []
        self.fields["source_location"].options = subdirs

    def prefill_from_folder(self, folder: os.PathLike | str) -> package.PackageReport:
        """Fill empty fields from the folder's files; offer (never force) to replace what the user typed."""
        self._prefilled_from = os.path.abspath(os.path.expanduser(str(folder)))
        report = package.inspect(folder)
        found = report.fields()
        fill, conflicts = {}, {}
        earlier = self._prefilled  # what the previous folder filled in, as it was filled
        for key, value in found.items():
            current = self._current(key)
            proposed = self._as_field_value(key, value)
            if not current or (key in earlier and current == earlier[key]):  # empty, or the last folder's, untouched
                fill[key] = value
            elif current != proposed:
                conflicts[key] = value
        for key, value in earlier.items():  # the last folder's values this folder does not have: not this model's
            if key not in found and self._current(key) == value:
                fill[key] = [] if isinstance(value, list) else None
        if fill:
            self.set_values(fill)
        self._prefilled = {key: self._current(key) for key in found if key in fill}
        self._take_lint(report)
        self._pending_prefill = conflicts
        self._show_prefill_offer()
        return report

    def _take_lint(self, report: package.PackageReport) -> None:
        self._lint_problems = [_lint_line(p) for p in report.problems]
        self._lint = [_lint_line(w) for w in report.warnings]

    def _relint(self) -> None:
        """Read the chosen folder again (its files may have been fixed since it was chosen)."""
        location = self.fields["source_location"].value.strip()
        if self.fields["source_location_type"].value == "LOCAL_SOURCE" and location and self._prefilled_from:
            self._take_lint(package.inspect(location))

    def _current(self, key: str) -> Any:
        widget = self.fields[key]
        return widget.value if isinstance(widget.value, list) else widget.value.strip()

    def _as_field_value(self, key: str, value: Any) -> Any:
        probe = {"dependencies": PACKAGE_COLUMNS, "input_params": PARAM_COLUMNS, "output_params": PARAM_COLUMNS}
        if key == "dependencies":
            return [self._row(p, PACKAGE_COLUMNS) for g in value for p in (g.get("packages") or [])]
        if key in probe:
            return [self._row(p, probe[key]) for p in value]
        if key == "apis":
            return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        return str(value)

    def _show_prefill_offer(self) -> None:
        if not self._pending_prefill:
            self._prefill_box.children = []
            return
        names = ", ".join(self._pending_prefill)
        note = HTML(f"<span class='mi-offer'>config.json has other values for: {html.escape(names)}</span>")
        apply = Button(description=i18n.text("Apply from config.json", self.language))
        keep = Button(description=i18n.text("Keep mine", self.language))
        apply.on_click(lambda _: self.apply_prefill())
        keep.on_click(lambda _: self.keep_mine())
        self._prefill_box.children = [note, apply, keep]

    def apply_prefill(self) -> None:
        """Replace the fields that config.json disagrees with (the user asked for it)."""
        pending, self._pending_prefill = self._pending_prefill, {}
        self.set_values(pending)
        self._show_prefill_offer()

    def keep_mine(self) -> None:
        self._pending_prefill = {}
        self._show_prefill_offer()

    def write_config(self, path: os.PathLike | str | None = None, *, overwrite: bool = False) -> Path:
        """Write the form's state as config.json (default: model/config.json in the local source folder).

        An existing file is replaced only with `overwrite=True` (the button asks first); what the form does not edit
        in it (metrics, health, …) stays, and the old file is kept in the registry's home (`config-backups/`), never
        in the package, where the next import would copy it. Never writes through a symbolic link: a linked
        config.json, or a model/ folder that leads out of the package, is refused."""
        if path is None:
            if self.fields["source_location_type"].value != "LOCAL_SOURCE":
                raise ValueError("write_config() needs a path when the source is not a local folder")
            folder = Path(os.path.expanduser(self.fields["source_location"].value.strip()))
            path = folder / "model" / "config.json"
            model_dir = folder / "model"
            if model_dir.exists() and os.path.commonpath([os.path.realpath(model_dir), os.path.realpath(folder)]) \
                    != os.path.realpath(folder):
                raise ValueError(f"{model_dir} is a link to {os.path.realpath(model_dir)}, outside the package: "
                                 "config.json is not written there; make model/ a real folder")
        report = spec.check(self._check_data(self.value))
        fields = report.spec.to_fields() if report.spec else dict(self.value)
        mine = {k: v for k, v in fields.items() if k in ("model_type", "model_algorithm", "runtime", "apis",
                                                            "input_params", "output_params", "dependencies")}
        try:
            written, backup = config_file.update(path, mine, overwrite=overwrite,
                                                 backup_dir=Path(self._session.home) / "config-backups")
        except FileExistsError as exc:
            raise FileExistsError(str(exc).replace("overwrite=True", "write_config(overwrite=True)", 1)) from None
        if backup is not None:
            self.last_config_backup = backup
        return written

    # ---- submitting --------------------------------------------------------------------------------

    def on_submit(self, callback: Callable[["ModelImportForm"], Any], remove: bool = False) -> None:
        """Call `callback(form)` when an import ends (published, failed or cancelled)."""
        if remove:
            self._submit_callbacks = [c for c in self._submit_callbacks if c is not callback]
        else:
            self._submit_callbacks.append(callback)

    def submit(self, wait: bool = True, confirm: bool = False, publish: bool = True):
        """Import the model as the button does. With wait=True, block and return the Model (or raise).
        With publish=False, check the fields and the package and return a local Model, registered nowhere (status
        `local`); its `publish_model()` imports it later."""
        self._relint()
        self._recheck()
        if self.errors:
            raise SpecValidationError(self.errors)
        if self.busy:
            raise RuntimeError("an import from this form is already running; wait for it or cancel it")
        if not publish:
            self._check_duplicate()  # it would stop publish_model() later
            return self._make_local()
        if (self._session.backend != "embedded" and self.fields["source_location_type"].value == "LOCAL_SOURCE"
                and not obs_location_or_default(self.obs_location)):
            problem = {"field": "source_location", "type": "obs_location",
                       "message": "a local folder is uploaded to OBS before ModelArts imports it: give "
                                  "ModelImportForm(obs_location='obs://<bucket>/<folder>/') or set "
                                  "MODEL_IMPORT_WIDGET_OBS_LOCATION"}
            self.fields["source_location"].error = problem["message"]
            self.errors = [problem]
            self._summary.value = self._summary_html(self.errors)
            raise SpecValidationError([problem])
        if self._session.backend != "embedded" and not confirm:
            self._ask_confirmation()
            raise _NeedsConfirmation("this form imports into ModelArts: confirm in the form, or call submit(confirm=True)")
        self._check_duplicate()
        self._start()
        if not wait:
            return None
        self._run.join()
        if self._run.error is not None:
            raise self._run.error
        return self._model

    def _make_local(self):
        from ..sdk.model import Model

        checked = spec.check(self._spec_fields())
        try:
            model = Model.from_spec(self._session, checked.spec, publish=False, obs_location=self.obs_location)
        except ModelImportError as exc:
            self._show_backend_error(exc)
            raise
        self._model = model
        self._set_status("local")
        return model

    def _submit_clicked(self, confirm: bool = False) -> None:
        try:
            self.submit(wait=False, confirm=confirm)
        except (SpecValidationError, DuplicateModelError, _NeedsConfirmation):
            pass  # already shown in the form: the messages, the next free version, the confirmation
        except ModelImportError as exc:  # e.g. a backend that cannot be used: say so where people look
            self._show_backend_error(exc)

    def _ask_confirmation(self) -> None:
        where = html.escape(self._session.describe())
        upload = ""
        if self.fields["source_location_type"].value == "LOCAL_SOURCE":
            target = obs_location_or_default(self.obs_location)
            upload = (f" The folder {html.escape(str(self.fields['source_location'].value))} is uploaded first to "
                      f"<b>{html.escape(target or '')}</b>.")
        self._confirm(f"This imports the model into <b>{where}</b>.{upload}", "Confirm import",
                      lambda: self._submit_clicked(confirm=True))

    def _confirm(self, note_html: str, go_label: str, go: Callable[[], None]) -> None:
        """A question under the buttons: `go_label` runs `go`, Cancel just closes it (either way it goes)."""
        note = HTML(f"<span class='mi-confirm'>{note_html}</span>")
        yes = Button(description=i18n.text(go_label, self.language), button_style="warning")
        stop = Button(description=i18n.text("Cancel", self.language))

        def confirmed(_):
            self._confirm_box.children = []
            go()

        yes.on_click(confirmed)
        stop.on_click(lambda _: setattr(self._confirm_box, "children", []))
        self._confirm_box.children = [note, yes, stop]

    def _spec_fields(self) -> dict[str, Any]:
        return self._check_data(self.value)

    def _check_duplicate(self) -> None:
        data = self._spec_fields()
        found = check_version(self._session, data["model_name"], data.get("model_version", ""))
        if found.free:
            self._offer_box.children = []
            return
        suggestion, message = found.next_free, found.message
        self.fields["model_version"].error = message
        self.errors = [{"field": "model_version", "type": "duplicate", "message": message}]
        self._summary.value = self._summary_html(self.errors)
        self._submit_button.disabled = True  # until the version changes (every change checks again)
        use = Button(description=i18n.text("Use version {version}", self.language, version=suggestion))
        use.on_click(lambda _: (setattr(self.fields["model_version"], "value", suggestion),
                                setattr(self._offer_box, "children", [])))
        self._offer_box.children = [use]
        self.suggested_version = suggestion
        raise DuplicateModelError(found.name, found.version, found.existing_id)

    def _start(self) -> None:
        self.busy = True
        self.model_id = ""
        self._model = None
        self._set_status("copying")
        self._submit_button.disabled = True
        self._cancel_button.layout.display = ""
        self._progress.layout.display = ""
        self._progress.value = 0.0
        self._progress_text.value = ""
        self._events_html.value = ""
        self._run = ImportRun(self._session, self._spec_fields(), obs_location=self.obs_location,
                              on_change=self._run_changed).start()

    def _run_changed(self, run: ImportRun) -> None:
        """Show the running import's state (called from its thread after each change)."""
        if run is not self._run:
            return
        self._progress.value = run.fraction
        self._progress_text.value = (f"<span class='mi-progress'>{html.escape(run.progress_text)}</span>"
                                     if run.progress_text else "")
        if run.model_id:
            self.model_id = run.model_id
        self._events_html.value = self._events_table(run.events)
        if run.running:
            if run.status != self.status:
                self._set_status(run.status)
            return
        exc = run.error
        if run.status == "published":
            self._model = run.model
            self._generated_name = spec.generate_model_name()  # a blank name gets a new one next time
            self._set_status("published")
            self._draft.discard()  # imported: restoring it would only offer a duplicate
            self._show_snippet(run.model)
        elif isinstance(exc, ImportCancelledError):
            self.model_id = ""
            self._set_status("cancelled")
        elif isinstance(exc, ImportFailedError):
            self._set_status("failed")
        elif isinstance(exc, (ServiceError, SpecValidationError, ModelImportError)):
            self._show_backend_error(exc)
            self._set_status(run.status)
        else:
            self._summary.value = (f"<div class='mi-summary mi-errors' role='alert'>Import stopped: "
                                   f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</div>")
            self._set_status(run.status)
        self.busy = False
        self._cancel_button.layout.display = "none"
        self._progress.layout.display = "none"
        # a package problem is fixed on disk, not in a field: Import stays clickable, to check it again
        self._submit_button.disabled = any(e.get("type") != "package" for e in self.errors)
        for callback in list(self._submit_callbacks):
            try:
                callback(self)
            except Exception as error:  # a callback's error is shown, not raised in the worker
                self._events_html.value += (f"<div role='alert'>on_submit callback failed: "
                                            f"{html.escape(repr(error))}</div>")

    def cancel(self) -> None:
        """Stop a running import; nothing of it stays registered."""
        if self._run is not None:
            self._run.cancel()

    def _set_status(self, status: str) -> None:
        self.status = status
        text = {"local": "Checked: a local model, registered nowhere yet (model.publish_model() imports it)",
                "copying": "Copying files…", "publishing": "Publishing…", "published": "Published",
                "failed": "Import failed", "cancelled": "Cancelled: nothing was registered", "draft": ""}[status]
        self._status_html.value = f"<div class='mi-status mi-status-{status}' role='status'>{html.escape(text)}</div>" if text else ""

    def _show_events(self, model) -> None:
        try:
            self._events_html.value = self._events_table(model.get_model_events())
        except ModelImportError:
            pass

    @staticmethod
    def _events_table(events: list[dict]) -> str:
        rows = "".join(f"<li class='mi-event-{html.escape(e.get('event_type', ''))}'>{html.escape(e.get('event_info', ''))}</li>"
                       for e in events)
        return f"<ul class='mi-events'>{rows}</ul>" if rows else ""

    def _show_snippet(self, model) -> None:
        snippet = f'Model(session, model_id="{model.model_id}")'
        self._status_html.value += (f"<div class='mi-result'>Model id <code>{html.escape(model.model_id)}</code>"
                                    f"<pre class='mi-snippet'>{html.escape(snippet)}</pre></div>")

    def _show_backend_error(self, exc: Exception) -> None:
        """A backend error lands at the field it concerns, else in the summary."""
        field = ""
        if isinstance(exc, PackageError):  # every problem of the package at once, at the folder's field
            self.fields["source_location"].error = "; ".join(p["message"] for p in exc.problems)
            self.errors = [*self.errors, *({"field": "source_location", "type": "package", "message": p["message"]}
                                           for p in exc.problems)]
            self._summary.value = self._summary_html(self.errors)
            return
        if isinstance(exc, DuplicateModelError):
            field = "model_version"
        elif isinstance(exc, ServiceError) and exc.error_code in ("ModelArts.3551", "ModelArts.3044", "ModelArts.3017"):
            field = "source_location"
        elif isinstance(exc, SpecValidationError):
            self._show_messages(exc.errors, [])
        message = getattr(exc, "error_msg", None) or str(exc)
        if field:
            self.fields[field].error = message
        self.errors = [*self.errors, {"field": field, "type": type(exc).__name__, "message": message}]
        self._summary.value = self._summary_html(self.errors)

    # ---- code --------------------------------------------------------------------------------------

    def to_code(self) -> str:
        """SDK code that makes the same import (no secret: the session finds its credentials itself)."""
        order = [key for _, entries in LAYOUT for key, _ in entries]
        report = spec.check(self._spec_fields())
        # what will really be imported (numbers as numbers, types normalised); as typed while the form is invalid
        fields = report.spec.to_fields() if report.spec else self._spec_fields()
        if report.spec and fields.get("source_location_type") == "OBS_SOURCE":
            fields.pop("source_location_type")  # the default
        return sdk_code(fields, self._session, self.wait, order, obs_location_or_default(self.obs_location))

    def _write_config_clicked(self, overwrite: bool = False) -> None:
        try:
            path = self.write_config(overwrite=overwrite)
            kept = f" (the old one is kept at {self.last_config_backup})" if overwrite and self.last_config_backup else ""
            self._status_html.value = (f"<div class='mi-status' role='status'>Wrote {html.escape(str(path))}"
                                       f"{html.escape(kept)}</div>")
        except FileExistsError:
            self._ask_overwrite()
        except (OSError, ValueError) as exc:
            self._status_html.value = f"<div class='mi-status' role='alert'>Could not write config.json: {html.escape(str(exc))}</div>"

    def _ask_overwrite(self) -> None:
        where = Path(os.path.expanduser(self.fields["source_location"].value.strip())) / "model" / "config.json"
        self._confirm(f"{html.escape(str(where))} exists. Replace it with what the form says? What the form does not "
                      "edit stays, and the old file is kept in the registry's folder.", "Replace config.json",
                      lambda: self._write_config_clicked(overwrite=True))

    def _toggle_code(self) -> None:
        showing = self._code.layout.display != "none"
        self._code.layout.display = "none" if showing else ""
        self._code_button.description = i18n.text("Show code" if showing else "Hide code", self.language)
        self._code.clear_output()
        if not showing:
            with self._code:
                from IPython.display import Markdown, display

                display(Markdown(f"```python\n{self.to_code()}```"))

    # ---- drafts ------------------------------------------------------------------------------------

    def _draft_snapshot(self) -> dict[str, Any]:
        return {"value": self.value, "installer": self.fields["installer"].value, "wait": self.fields["wait"].value}

    def save_draft(self) -> None:
        """Write the draft now (see `restore`)."""
        self._draft.save()

    @classmethod
    def restore(cls, session: Any = None, **kwargs: Any) -> "ModelImportForm":
        """A form with the last draft of this notebook (it survives a kernel restart)."""
        if session is None:
            from ..sdk.session import Session

            session = Session()
        draft = drafts.load(session)
        values = dict(draft.get("value") or {})
        for key in ("publish", "wait"):  # drafts saved before wait= have "publish"
            if key in draft:
                values["wait"] = draft[key] != "false"
        return cls(session, **kwargs, **values)

    def _ipython_display_(self) -> None:
        """The live form, and under it a static summary that stays readable in the saved notebook."""
        from IPython.display import HTML as StaticHTML, display

        display(self.widget._repr_mimebundle_(), raw=True)
        self._display_id = display(StaticHTML(self._static_summary()), display_id=True)

    def _static_summary(self) -> str:
        return f"<div class='mi-static-summary'>{html.escape(self.summary_text())}</div>"

    @observe("status", "model_id")
    def _refresh_static_summary(self, change) -> None:
        handle = getattr(self, "_display_id", None)
        if handle is not None:
            from IPython.display import HTML as StaticHTML

            handle.update(StaticHTML(self._static_summary()))

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = self.summary_text()
        return bundle

    def __repr__(self) -> str:
        return f"<ModelImportForm {self.summary_text()}>"

    def summary_text(self) -> str:
        """One paragraph for people: what this form imports and how it ended."""
        data = self._spec_fields()
        head = f"Model import: {data.get('model_name')} {data.get('model_version', '?')} ({data.get('model_type', '?')})"
        tail = f" — {self.status}" + (f", id {self.model_id}" if self.model_id else "")
        return head + tail

