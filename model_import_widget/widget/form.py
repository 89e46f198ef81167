"""ModelImportForm: every field of the seed's Method 2, checked live through the rule table, submitted through the SDK.

The form holds no rule of its own (all come from `spec`), never imports `requests`, and no secret is ever a trait.
"""

from __future__ import annotations

import contextlib
import html
import os
from pathlib import Path
from typing import Any, Callable, Optional

from ipywidgets import CallbackDispatcher
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
from .picker import FolderPicker
from .prefill import FolderPrefill, folder_suggestions
from .model_list import registry_changed
from .offers import dependencies_offer, version_offer
from .trial import LocalTrial, clicked as trial_clicked, tryable
from .run import ImportRun
from .status import STATUSES, ended, status_line, summary_line
from ..sdk.versions import check_version
from ..dependencies import runtime_conflict
from .binding import LAYOUT, PACKAGE_COLUMNS, Binding, row as binding_row
from .fields import TableTraits
from .view import FormView

class _NeedsConfirmation(ModelImportError):
    """Submit was asked for a cloud backend without confirm=True; the form is asking the person."""


class ModelImportForm(HasTraits):
    """A form for every field of the seed's Method 2: checked as you type, imported with one click.

    `ModelImportForm(session=None, **prefill)`; `session=None` means `Session()`. Drive it from code as a
    person would: `form.fields["model_version"].value = "1.0.0"`, read `form.errors`, call `form.submit()`.

    The form is drawn by one widget, `form.widget` (a FormView: anywidget, so it works in every notebook front
    end): displaying the form displays it, and `form.widget` goes inside other containers. The fields in
    `form.fields` are plain objects with traits (`.value`, `.error`, `.warning`, …), not widgets. The form itself
    is not a Widget, because its `model_id` (the imported model) would hide ipywidgets' own `Widget.model_id`.
    """

    value = Dict(help="The model's fields as the SDK takes them (blank fields left out).")
    errors = List(Dict(), help="Every problem: {'field': 'input_params[2].max', 'type': …, 'message': …}.")
    warnings = List(Dict(), help="Notes that do not block importing.")
    status = Enum(STATUSES, default_value="draft", help="draft, local (checked, registered nowhere: submit(publish=False)), copying, publishing, "
                                                             "published, failed or cancelled.")
    model_id = Unicode("", help="The imported model's id, once registered.")
    language = Unicode("en", help="en or zh.")
    busy = Bool(False, help="An import is running.")
    suggested_version = Unicode("", help="The next free version, once the one typed was found taken ('' before).")

    def __init__(self, session: Any = None, *, language: Optional[str] = None, obs_location: Optional[str] = None,
                 **prefill: Any):
        self._binding = Binding()
        self.fields: dict[str, Any] = self._binding.fields
        self.obs_location = obs_location
        """Where a local folder is uploaded before a ModelArts import (obs://bucket/dir/); else
        $MODEL_IMPORT_WIDGET_OBS_LOCATION. Not used by the embedded registry."""
        super().__init__()
        self.widget = FormView(on_edit=self._edited_in_browser, on_click=self._clicked)
        if session is None:
            from ..sdk.session import Session

            session = Session()
        self._session = session
        self.language = language or i18n.default_language()
        self._generated_name = spec.generate_model_name()
        self._submit_callbacks = CallbackDispatcher()  # on_submit's, as ipywidgets keeps a Button's on_click
        self._run: Optional[ImportRun] = None  # the last import started from this form
        self._model = None
        self._updating = False
        self._prefill = FolderPrefill(self._binding)  # what the folders chosen here filled in, and their lint
        self.last_config_backup: Optional[Path] = None  # where write_config kept the file it replaced
        self.built_package = None
        """What from_object built (a package.BuiltPackage: folder, request, response, dry run), else None."""
        self._draft = drafts.Draft(drafts.draft_path(session), self._draft_snapshot)
        self._prompts: dict[str, dict[str, Any]] = {}  # questions under the fields, by id: prefill, version, confirm
        self._confirmed: Optional[Callable[[], None]] = None  # what the open question's yes-button does
        self._config_visible = False  # "Write config.json": only for a local folder that exists
        self._code_shown = False
        self._picker = FolderPicker()
        self._status_reason = ""
        self._found_dependencies: list[dict] = []  # the rows the folder's code imports, offered to add
        self._events: list[dict] = []  # the import's events as recorded
        self._trial = LocalTrial(lambda panel: setattr(self.widget, "trial", panel), lambda: self.language)
        self.widget.observe(lambda change: setattr(self._trial, "request_text", change["new"]), "trial_request")
        self._build()
        if prefill:
            self.set_values(prefill)
        self._recheck()

    # ---- building ----------------------------------------------------------------------------------

    def _build(self) -> None:
        for field in self.fields.values():
            field.observe(self._on_field_change, "value")
            field.observe(lambda _change: self._sync_fields(),
                          [name for name in ("value", "error", "warning", "hint", "errors", "options", "disabled")
                           if field.has_trait(name)])
        self._apply_language()
        self._built = True

    @observe("language")
    def _on_language(self, change) -> None:
        if getattr(self, "_built", False):  # (the first language is set while the form is being made)
            self._apply_language()
            self._recheck()
            self._show_run(events=self._events)  # the status line and the events in the new language
            if self._trial.state != "closed":
                self.widget.trial = self._trial.panel()

    def _apply_language(self) -> None:
        lang = self.language if self.language in i18n.LANGUAGES else "en"
        t = lambda english, **kw: i18n.text(english, lang, **kw)  # noqa: E731
        with self.hold_trait_notifications():
            self._binding.apply_language(lang, self._generated_name)
        with self.widget.hold_sync():
            self.widget.lang = lang
            self.widget.sections = self._binding.sections(lang)
            self.widget.header, self.widget.header_detail = self._header()
            self.widget.labels = {
                "disconnected": t("This form lost its kernel (it restarted or the form was closed): run the "
                                  "notebook's cells again from the top (Run → Run All Cells) for a live form. Nothing "
                                  "here is sent any more."),
                "no_answer": t("The kernel has not answered yet: it is busy (a cell is running), or it restarted "
                               "(then run the cell again). Import waits for it."),
                "checking": t("Checking…"),
                "up": t("Up"), "choose": t("Choose this folder"), "close": t("Close"), "package": t("model package"),
                "model_id": t("Model id")}
            self._sync_fields()
            self._refresh_buttons()

    def _header(self) -> tuple[str, str]:
        """Where models go, in a few words; and the full description (never a secret), shown on hover."""
        session = self._session
        t = lambda english: i18n.text(english, self.language)  # noqa: E731
        if session.backend == "embedded":
            where = f"{t('Embedded registry')} · {session.home}"
        else:  # from the session's own attributes: showing the form builds no network client
            source = {"explicit": "explicit credentials", "env": "credentials from the environment",
                      "profile": "credentials from a profile file", "notebook": "the notebook's agency"}
            region = session.region_name
            where = f"ModelArts · {region or ''} · {t(source.get(session.credential_source, ''))}"
            if not region:
                where += " · " + t("no region: pass region_name= to Session() or set HUAWEICLOUD_SDK_REGION")
        return where, session.describe()

    def _sync_fields(self) -> None:
        """The fields' values, messages and choices, as the browser shows them."""
        values, messages, options = self._binding.shown()
        with self.widget.hold_sync():
            self.widget.values, self.widget.messages, self.widget.options = values, messages, options

    def _refresh_buttons(self) -> None:
        t = lambda english: i18n.text(english, self.language)  # noqa: E731
        blocking = [e for e in self.errors if e.get("type") != "package"]
        self.widget.buttons = [
            {"id": "import", "label": t("Import model"), "style": "primary", "needs_checked": True,
             # a blank form's Import is clickable: a click shows every problem (until then fields are quiet);
             # once an import was tried, it waits until nothing blocks
             "enabled": not (blocking and self.widget.attempted) and not self.busy and not self._duplicate_blocks()
                        and self.status != "published"},  # imported: the next import starts with a change
            {"id": "cancel", "label": t("Cancel"), "visible": self.busy},
            {"id": "code", "label": t("Hide code" if self._code_shown else "Show code")},
            {"id": "insert_code", "label": t("Insert code below")},
            {"id": "pick", "label": t("Choose a folder…"),
             "visible": self.fields["source_location_type"].value == "LOCAL_SOURCE" and not self._picker.open},
            {"id": "write_config", "label": t("Write config.json"), "visible": self._config_visible},
            {"id": "try", "label": t("Try locally"), "visible": tryable(self) is not None and not self.busy,
             "title": t("Run the package's customize_service.py on one sample request, on this machine")},
            {"id": "check_again", "label": t("Check the folder again"), "visible": bool(self._lint_problems)},
            {"id": "lang:zh" if self.language == "en" else "lang:en", "place": "header", "title": t("Language"),
             "label": "中文" if self.language == "en" else "English"},
        ]

    def _duplicate_blocks(self) -> bool:
        return any(e.get("type") == "duplicate" for e in self.errors)

    def _refresh_prompts(self) -> None:
        self.widget.prompts = list(self._prompts.values())

    def _set_summary(self, errors: list[dict]) -> None:
        said = lambda e: i18n.error_message(e, self.language) if "type" in e else e["message"]  # noqa: E731
        lines = [i18n.text("{where}: {message}", self.language, where=self._binding.where(e["field"], self.language),
                           message=self._binding.in_screen_words(said(e), self.language))
                 for e in self._binding.in_screen_order(errors)] if self.widget.attempted \
            else []  # the list of problems shows once an import was tried (each field shows its own once touched)
        self.widget.summary = {"title": i18n.text("Fix these before importing:", self.language), "lines": lines} \
            if lines else {}
        if self.status == "draft":
            self._show_run()  # the status line counts the problems

    def _edited_in_browser(self, key: str, value: Any) -> None:
        """A person changed a field in the browser: as if `form.fields[key].value = value`."""
        field = self.fields.get(key)
        if field is None or self.busy:
            return
        if isinstance(field, TableTraits):
            columns = {c["key"] for c in field.columns}
            if not isinstance(value, list):
                return
            field.value = [{k: str(v) for k, v in row.items() if k in columns} for row in value][:1000]
        elif isinstance(value, str):
            field.value = value
        self._sync_fields()  # even unchanged: the browser waits for this edit's answer

    def _clicked(self, button: str) -> None:
        """A button in the browser."""
        actions: dict[str, Callable[[], Any]] = {
            "import": self._submit_clicked, "cancel": self.cancel, "code": self._toggle_code,
            "insert_code": self._insert_code, "write_config": self._write_config_clicked,
            "check_again": lambda: (self._relint(), self._recheck()),
            "lang:en": lambda: setattr(self, "language", "en"), "lang:zh": lambda: setattr(self, "language", "zh"),
            "apply_prefill": self.apply_prefill, "keep_mine": self.keep_mine, "use_version": self._use_version,
            "confirm": self._confirm_yes, "dismiss": self._confirm_no,
            "add_dependencies": self._add_found_dependencies, "skip_dependencies": self._skip_found_dependencies,
        }
        if button.startswith("pick"):
            self._pick(button)
            return
        if button == "try" or button.startswith("trial:"):
            trial_clicked(self, button)
            return
        action = actions.get(button)
        if action is not None:
            action()

    def _pick(self, button: str) -> None:
        """The folder picker's buttons: browse from the kernel, then put the chosen folder into source_location."""
        picker = self._picker
        if button == "pick":
            picker.show(self.fields["source_location"].value)
        elif button == "pick:up":
            picker.up()
        elif button.startswith("pick:open:"):
            picker.enter(button[len("pick:open:"):])
        elif button == "pick:choose" and picker.folder is not None:
            chosen = str(picker.folder)
            picker.close()
            self.fields["source_location"].value = chosen  # as if typed: checked, prefilled from the folder
        elif button == "pick:close":
            picker.close()
        self.widget.picker = picker.state()
        self._refresh_buttons()

    # ---- values ------------------------------------------------------------------------------------

    def set_values(self, values: dict[str, Any]) -> None:
        """Fill fields from SDK-style values (Params/Packages objects or dicts); blank values clear."""
        with self.widget.hold_sync(), self._quietly():
            self._binding.set_values(values)
        if "source_location" in values or "source_location_type" in values:
            self._on_source_change()
        if "model_type" in values:
            self._offer_runtimes()
        self._recheck()

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
        if self.widget.notice:  # a notice says what the last action did: a change makes it old news
            self.widget.notice = {}
        if self.status != "draft" and not self.busy:  # a change after an import ended starts the next one
            self.widget.run = {}
            self._set_status("draft")
        if change["owner"] is self.fields["source_location"] or change["owner"] is self.fields["source_location_type"]:
            self._on_source_change()
        if change["owner"] is self.fields["model_type"]:
            self._offer_runtimes()
        self._recheck()

    def _check_data(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "model_name": data.get("model_name") or self._generated_name}

    def _recheck(self) -> None:
        """Validate everything through the rule table and show each message at its field."""
        data = self._binding.collect()
        checked = self._check_data(data)
        report = spec.check(checked)
        taken = self._taken_version_error(checked, report.errors)
        if taken is not None:
            report.errors.append(taken)
        conflict = runtime_conflict([row for group in checked.get("dependencies") or [] if isinstance(group, dict)
                                     for row in group.get("packages") or [] if isinstance(row, dict)],
                                    checked.get("runtime") if isinstance(checked.get("runtime"), str) else None)
        if conflict:
            report.warnings.append({"field": "runtime", "message": conflict})
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
            self._binding.show_messages(report.errors, report.warnings, self.language,
                                        {"source_location": self._lint})
            blank_name = not data.get("model_name")
            self.fields["model_name"].hint = i18n.text("A name will be generated: {name}", self.language,
                                                       name=self._generated_name) if blank_name else ""
            self._set_summary(report.errors)
            self._refresh_buttons()
            self._sync_fields()
            if self._code_shown:  # the code shown follows the form
                self.widget.code = self.to_code()
        if not self._updating:
            self._draft.changed()

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

    @classmethod
    def from_code(cls, source: str, session: Any = None, **kwargs: Any) -> "ModelImportForm":
        """A form filled from SDK code such as `to_code()` writes, read and never run (the code's Session(...) and its
        credentials are not read: the form's session is `session`, else `Session()`); `kwargs` win over the code."""
        from .from_code import fields_from_code

        return cls(session, **{**fields_from_code(source), **kwargs})

    @classmethod
    def from_object(cls, model: Any, example: Any = None, *, folder: os.PathLike | str | None = None,
                    session: Any = None, overwrite: bool = False, runtime: Optional[str] = None,
                    **kwargs: Any) -> "ModelImportForm":
        """A form for a model object in memory: `package.build` writes and checks its package (in `folder`, else a
        new `./<class>_package` folder here), then the form is filled from that folder, and "Try locally" starts
        from the example's request. `kwargs` are fields (model_name=…, model_version=…)."""
        from ..builder import build, new_folder

        target = Path(folder) if folder is not None else new_folder(Path.cwd(), model)
        import warnings

        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            built = build(model, target, example=example, overwrite=overwrite, runtime=runtime)
        for warning in said:  # said at the caller's line, not here
            warnings.warn(warning.message, warning.category, stacklevel=2)
        form = cls.from_folder(built.folder, session, **kwargs)
        form._trial.sample = built.request
        form.built_package = built
        return form

    def _on_source_change(self) -> None:
        location = self.fields["source_location"].value.strip()
        if self._trial.state != "closed" and self._trial.folder != Path(os.path.expanduser(location)):
            self._trial.close()  # its answer was of another folder
        self._prefill.forget_lint()
        local = self.fields["source_location_type"].value == "LOCAL_SOURCE"
        self._config_visible = local and os.path.isdir(os.path.expanduser(location or "/nonexistent"))
        if local and location:
            self.fields["source_location"].options = folder_suggestions(location)
            # only a model package (a folder with model/ in it), and only once per folder: typing a path passes
            # through /, /home, … which must not be walked or fill anything in
            if self._prefill.wants(location):
                self.prefill_from_folder(location)

    def prefill_from_folder(self, folder: os.PathLike | str) -> package.PackageReport:
        """Fill empty fields from the folder's files; offer (never force) to replace what the user typed."""
        fill, report = self._prefill.take(folder)
        if fill:
            self.set_values(fill)
        self._prefill.remember_filled()
        self._show_prefill_offer()
        self._offer_found_dependencies(folder)
        return report

    def _offer_found_dependencies(self, folder: os.PathLike | str) -> None:
        """The packages the folder's code imports that the dependencies do not list, pinned to this kernel's
        versions (package.infer_dependencies): offered as rows to add, then to change or drop in the table."""
        listed = {str(row.get("package_name", "")).lower() for row in self.fields["dependencies"].value}
        try:
            found = package.infer_dependencies(folder, runtime=self.fields["runtime"].value.strip() or None)
        except OSError:
            found = []
        self._found_dependencies, offer = dependencies_offer(found, listed, self.language)
        self._prompts.pop("dependencies", None)
        if offer is not None:
            self._prompts["dependencies"] = offer
        self._refresh_prompts()

    def _add_found_dependencies(self) -> None:
        rows = [{"package_name": d["package_name"], "package_version": d["package_version"], "restraint": d["restraint"]}
                for d in self._found_dependencies]
        self._skip_found_dependencies()
        if rows:
            self.fields["dependencies"].value = [*self.fields["dependencies"].value,
                                                 *(binding_row(r, PACKAGE_COLUMNS) for r in rows)]

    def _skip_found_dependencies(self) -> None:
        self._found_dependencies = []
        self._prompts.pop("dependencies", None)
        self._refresh_prompts()

    @property
    def _lint(self) -> list[str]:
        return self._prefill.lint

    @property
    def _lint_problems(self) -> list[str]:
        return self._prefill.problems

    def _relint(self) -> None:
        """Read the chosen folder again (its files may have been fixed since it was chosen)."""
        location = self.fields["source_location"].value.strip()
        if self.fields["source_location_type"].value == "LOCAL_SOURCE" and location and self._prefill.folder:
            self._prefill.relint(location)

    def _show_prefill_offer(self) -> None:
        t = lambda english: i18n.text(english, self.language)  # noqa: E731
        self._prompts.pop("prefill", None)
        if self._prefill.pending:
            self._prompts["prefill"] = {
                "id": "prefill", "level": "info",
                "text": t("config.json has other values for: {fields}").format(
                    fields=", ".join(self._binding.fields[k].label if k in self._binding.fields else k
                                     for k in self._prefill.pending)),
                "buttons": [{"id": "apply_prefill", "label": t("Apply from config.json")},
                            {"id": "keep_mine", "label": t("Keep mine")}]}
        self._refresh_prompts()

    def apply_prefill(self) -> None:
        """Replace the fields that config.json disagrees with (the user asked for it)."""
        pending, self._prefill.pending = self._prefill.pending, {}
        self.set_values(pending)
        self._show_prefill_offer()

    def keep_mine(self) -> None:
        self._prefill.pending = {}
        self._show_prefill_offer()

    def set_example(self, request: Any, response: Any = None) -> None:
        """Fill apis and the input and output parameters from an example request and the model's answer to it
        (`package.apis_from_example`). A value JSON cannot carry raises ValueError, and nothing changes."""
        from ..examples import apis_from_example, params_from_example

        apis = apis_from_example(request, response)
        inputs, outputs = params_from_example(request, response)
        self.set_values({"apis": apis, "input_params": inputs, "output_params": outputs})

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
        self._submit_callbacks.register_callback(callback, remove=remove)

    def submit(self, wait: bool = True, confirm: bool = False, publish: bool = True):
        """Import the model as the button does. With wait=True, block and return the Model (or raise).
        With publish=False, check the fields and the package and return a local Model, registered nowhere (status
        `local`); its `publish_model()` imports it later."""
        if not self.widget.attempted:  # an import was tried: every field's error and the list of them show
            self.widget.attempted = True
        self._relint()
        self._recheck()
        if self.errors:
            if all(e.get("type") == "duplicate" for e in self.errors):
                self._check_duplicate()  # a taken version is a DuplicateModelError, as the SDK raises it
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
            self._set_summary(self.errors)
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
        where = self._session.describe()
        upload = ""
        if self.fields["source_location_type"].value == "LOCAL_SOURCE":
            target = obs_location_or_default(self.obs_location)
            upload = " " + i18n.text("The folder {folder} is uploaded first to {target}.", self.language,
                                     folder=self.fields["source_location"].value, target=target or "")
        self._confirm(i18n.text("This imports the model into {where}.", self.language, where=where) + upload,
                      "Confirm import",
                      lambda: self._submit_clicked(confirm=True))

    def _confirm(self, text: str, go_label: str, go: Callable[[], None]) -> None:
        """A question under the fields: `go_label` runs `go`, Cancel just closes it (either way it goes)."""
        self._confirmed = go
        self._prompts["confirm"] = {"id": "confirm", "text": text, "level": "warning",
                                    "buttons": [{"id": "confirm", "label": i18n.text(go_label, self.language),
                                                 "style": "warning"},
                                                {"id": "dismiss", "label": i18n.text("Cancel", self.language)}]}
        self._refresh_prompts()

    def _confirm_yes(self) -> None:
        go, self._confirmed = self._confirmed, None
        self._confirm_no()
        if go is not None:
            go()

    def _confirm_no(self) -> None:
        self._confirmed = None
        self._prompts.pop("confirm", None)
        self._refresh_prompts()

    def _spec_fields(self) -> dict[str, Any]:
        return self._check_data(self.value)

    def _check_duplicate(self) -> None:
        data = self._spec_fields()
        found = check_version(self._session, data["model_name"], data.get("model_version", ""))
        problem = self._offer_free_version(found)
        if problem is None:
            return
        self.fields["model_version"].error = problem["message"]
        self.errors = [problem]
        self._set_summary(self.errors)
        self._refresh_buttons()  # Import waits until the version changes (every change checks again)
        raise DuplicateModelError(found.name, found.version, found.existing_id)

    def _offer_free_version(self, found) -> Optional[dict]:
        """A taken version: the error for the version field, and the next free one offered; None when it is free."""
        if found.free:
            if self._prompts.pop("version", None) is not None:
                self._refresh_prompts()
            return None
        problem, self._prompts["version"] = version_offer(found, self.language)
        self._refresh_prompts()
        self.suggested_version = found.next_free
        return problem

    def _taken_version_error(self, data: dict[str, Any], errors: list[dict]) -> Optional[dict]:
        """On the embedded registry (a local read, no network), a version already taken is found as it is typed;
        on ModelArts it is checked when Import is clicked."""
        if (self._session.backend != "embedded" or not data.get("model_version") or self.busy
                or any(e["field"] in ("model_name", "model_version") for e in errors)):
            if self._prompts.get("version") and not self.busy:
                self._prompts.pop("version")
                self._refresh_prompts()
            return None
        try:
            found = check_version(self._session, data["model_name"], data["model_version"])
        except ModelImportError:
            return None  # (the import checks again, and says what is wrong with the registry)
        if self.model_id and found.existing_id == self.model_id:  # taken by this form's own import
            if self._prompts.pop("version", None) is not None:
                self._refresh_prompts()
            return None
        return self._offer_free_version(found)

    def _use_version(self) -> None:
        suggestion = self.suggested_version
        self._prompts.pop("version", None)
        self._refresh_prompts()
        if suggestion:
            self.fields["model_version"].value = suggestion

    def _start(self) -> None:
        self.busy = True
        self.model_id = ""
        self._model = None
        self._run = ImportRun(self._session, self._spec_fields(), obs_location=self.obs_location,
                              on_change=self._run_changed, language=self.language)  # (not started yet)
        self._set_status("copying")
        self._show_run(fraction=0.0, progress="", events=[])
        self._refresh_buttons()
        self.widget.disabled = True
        self._run.start()  # after it is the form's run: one that ends at once reports to the form too

    def _run_changed(self, run: ImportRun) -> None:
        """Show the running import's state (called from its thread after each change)."""
        if run is not self._run:
            return
        if run.model_id:
            self.model_id = run.model_id
        self._show_run(fraction=run.fraction if run.running else None, progress=run.progress_text if run.running
                       else "", events=run.events)
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
            failures = [e.get("event_info", "") for e in exc.events if e.get("event_type") == "failed"]
            self._set_status("failed", failures[-1] if failures else str(exc))
        elif isinstance(exc, (ServiceError, SpecValidationError, ModelImportError)):
            self._show_backend_error(exc)
            self._set_status(ended(run.status), getattr(exc, "error_msg", None) or str(exc))
        else:
            self.widget.summary = {"title": i18n.text("Import stopped:", self.language),
                                   "lines": [f"{type(exc).__name__}: {exc}"]}
            self._set_status(ended(run.status), f"{type(exc).__name__}: {exc}")
        self.busy = False
        self.widget.disabled = False
        # a package problem is fixed on disk, not in a field: Import stays clickable, to check it again
        self._refresh_buttons()
        registry_changed(self._session)  # every models list on this registry shows how it ended
        for callback in list(self._submit_callbacks.callbacks):  # each called even if one fails; the failure shown
            try:
                callback(self)
            except Exception as error:  # a callback's error is shown, not raised in the worker
                self.widget.notice = {"text": f"on_submit callback failed: {error!r}", "level": "error"}

    def cancel(self) -> None:
        """Stop a running import; nothing of it stays registered."""
        if self._run is not None:
            self._run.cancel()

    def _set_status(self, status: str, reason: str = "") -> None:
        """The one status line: what the form is doing or how its import ended (with why, when it failed)."""
        self.status = status
        self._status_reason = reason
        self._show_run()

    def _status_text(self) -> str:
        places = list(dict.fromkeys(self._binding.where(e["field"], self.language)
                                    for e in self._binding.in_screen_order(self.errors)))
        # the import's own name and version (a blank name's generated one), not what the fields say since
        data = self._run.data if self._run is not None and self.status not in ("local", "draft") else self._spec_fields()
        return status_line(self.status, language=self.language, places=places, count=len(self.errors),
                           reason=self._status_reason, data=data)

    def _show_run(self, **changes: Any) -> None:
        """The import's part of the form: status line, progress, events, and the result once published."""
        if "events" in changes:  # as the browser lists them: the service's words, never markup
            self._events = list(changes["events"] or [])  # (kept as recorded: shown again in another language)
            changes["events"] = [{"type": str(e.get("event_type", "")),
                                  "info": i18n.event_text(str(e.get("event_info", "")), self.language)}
                                 for e in changes["events"] or []]
        run = {**self.widget.run, **changes, "status": self.status, "text": self._status_text()}
        if self.status != "published":
            run.pop("result_id", None), run.pop("snippet", None)
        self.widget.run = {k: v for k, v in run.items() if v is not None}

    def _show_events(self, model) -> None:
        try:
            self._show_run(events=model.get_model_events())
        except ModelImportError:
            pass

    def _show_snippet(self, model) -> None:
        self._show_run(result_id=model.model_id, snippet=f'Model(session, model_id="{model.model_id}")')

    def _show_backend_error(self, exc: Exception) -> None:
        """A backend error lands at the field it concerns, else in the summary."""
        field = ""
        if isinstance(exc, PackageError):  # every problem of the package at once, at the folder's field
            self.fields["source_location"].error = "; ".join(p["message"] for p in exc.problems)
            self.errors = [*self.errors, *({"field": "source_location", "type": "package", "message": p["message"]}
                                           for p in exc.problems)]
            self._set_summary(self.errors)
            self._refresh_buttons()
            return
        if isinstance(exc, DuplicateModelError):
            field = "model_version"
        elif isinstance(exc, ServiceError) and exc.error_code in ("ModelArts.3551", "ModelArts.3044", "ModelArts.3017"):
            field = "source_location"
        elif isinstance(exc, SpecValidationError):
            self._binding.show_messages(exc.errors, [], self.language)
        message = getattr(exc, "error_msg", None) or str(exc)
        if field:
            self.fields[field].error = message
        self.errors = [*self.errors, {"field": field, "type": type(exc).__name__, "message": message}]
        self._set_summary(self.errors)
        self._refresh_buttons()

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
            kept = (" " + i18n.text("(the old one is kept at {path})", self.language, path=str(self.last_config_backup))
                    if overwrite and self.last_config_backup else "")
            self.widget.notice = {"text": i18n.text("Wrote {path}", self.language, path=str(path)) + kept, "level": ""}
        except FileExistsError:
            self._ask_overwrite()
        except (OSError, ValueError) as exc:
            self.widget.notice = {"text": i18n.text("Could not write config.json: {error}", self.language, error=str(exc)),
                                  "level": "error"}

    def _ask_overwrite(self) -> None:
        where = Path(os.path.expanduser(self.fields["source_location"].value.strip())) / "model" / "config.json"
        self._confirm(i18n.text("{path} exists. Replace it with what the form says? What the form does not edit stays, "
                                "and the old file is kept in the registry's folder.", self.language, path=str(where)),
                      "Replace config.json",
                      lambda: self._write_config_clicked(overwrite=True))

    def _toggle_code(self) -> None:
        self._code_shown = not self._code_shown
        self.widget.code = self.to_code() if self._code_shown else ""
        self._refresh_buttons()

    def _insert_code(self) -> None:
        """Put `to_code()` in a new cell under the form (JupyterLab, Notebook 7); elsewhere it is copied."""
        self.widget.insert_code(self.to_code(),
                                inserted=i18n.text("The code is in a new cell below the form.", self.language),
                                copied=i18n.text("The code is copied: paste it into a new cell (this notebook "
                                                 "cannot add cells for the form).", self.language),
                                manual=i18n.text("Copy the code below into a new cell (this notebook cannot add "
                                                 "cells for the form).", self.language))

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
        from IPython.display import display

        bundle = self._repr_mimebundle_()  # the widget, and for a reader without widgets the summary in words
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        display(data, metadata=metadata, raw=True)
        self._static_shown = self._static_summary()
        # HTML only: where text is read (a terminal, a headless run) the widget's own text says it already
        self._display_id = display({"text/html": self._static_shown}, raw=True, display_id=True)

    def _static_summary(self) -> str:
        return f"<div class='mi-static-summary'>{html.escape(self.summary_text())}</div>"

    @observe("status", "model_id", "value", "errors", "language")
    def _refresh_static_summary(self, change) -> None:
        """The line under the form follows every change (name, version, type, status), so it is never stale."""
        handle = getattr(self, "_display_id", None)
        shown = self._static_summary() if handle is not None else None
        if shown is not None and shown != getattr(self, "_static_shown", None):
            self._static_shown = shown
            handle.update({"text/html": shown}, raw=True)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if isinstance(data, dict):
            data["text/plain"] = self.summary_text()
        return bundle

    def __repr__(self) -> str:
        return f"<ModelImportForm {self.summary_text()}>"

    def summary_text(self) -> str:
        """One line for people: what this form imports and how it ended."""
        return summary_line(self._spec_fields(), self.status, self._status_text(), self.model_id, self.language)


