"""Small field widgets of the form: a control with its label, tooltip and the message under it.

Their views live in this package's JupyterLab extension (js/src/field.ts, js/src/table.ts), which also
runs the field's JSON-schema checks in the browser. No secret is ever a trait here.
"""

from __future__ import annotations

import html as _html

from ipywidgets import (HTML, Button, Checkbox, Combobox, DOMWidget, Dropdown, HBox, Layout, Text, Textarea, VBox,
                        register)
from traitlets import Bool, Dict, HasTraits, List, Unicode, observe

MODULE = "model-import-widget"
MODULE_VERSION = "^0.1.0"


class _Common(HasTraits):
    """What every field shows, whichever front end draws it."""

    field = Unicode("", help="The rule-table path this widget edits, e.g. model_version or input_params.").tag(sync=True)
    label = Unicode("", help="The label shown beside the control (tied to it with <label for>).").tag(sync=True)
    tooltip = Unicode("", help="Longer help shown on hover and read by screen readers.").tag(sync=True)
    disabled = Bool(False, help="Whether the control accepts input.").tag(sync=True)
    schema = Dict(help="The JSON-schema fragment the browser checks each keystroke with (pattern, maxLength, enum, "
                       "required, x-messages).").tag(sync=True)
    error = Unicode("", help="The kernel's message for the current value; empty when valid.").tag(sync=True)
    warning = Unicode("", help="A note that does not block submitting (normalised value, unknown runtime).").tag(sync=True)


class FieldTraits(_Common):
    """A single field's traits (FieldWidget and its stock twin)."""

    value = Unicode("", help="The text of the control (for a checkbox: 'true' or 'false').").tag(sync=True)
    kind = Unicode("text", help="text, textarea, select, combo (free text with suggestions) or checkbox.").tag(sync=True)
    options = List(Unicode(), help="Choices for select and combo.").tag(sync=True)
    placeholder = Unicode("", help="Shown in an empty control.").tag(sync=True)
    hint = Unicode("", help="A neutral note under the control, e.g. the name that will be generated.").tag(sync=True)


class TableTraits(_Common):
    """An editable table's traits (TableWidget and its stock twin)."""

    value = List(Dict(), help="The rows: one dict per row, column key -> cell text.").tag(sync=True)
    columns = List(Dict(), help="Column definitions: {key, label, tooltip, kind: text|select, options, schema}.").tag(sync=True)
    errors = Dict(help="Cell messages from the kernel, keyed 'row.column' (e.g. '2.max'); key 'row' alone for a row.").tag(sync=True)
    add_label = Unicode("Add row", help="Text of the add button.").tag(sync=True)


class _Custom(DOMWidget):
    _model_module = Unicode(MODULE).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_module = Unicode(MODULE).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)


@register
class FieldWidget(FieldTraits, _Custom):
    """One form field: label, control (text, textarea, select, combo or checkbox) and its message."""

    _model_name = Unicode("FieldModel").tag(sync=True)
    _view_name = Unicode("FieldView").tag(sync=True)


@register
class TableWidget(TableTraits, _Custom):
    """An editable table (input/output params, packages): add, remove and reorder rows; each cell checked."""

    _model_name = Unicode("TableModel").tag(sync=True)
    _view_name = Unicode("TableView").tag(sync=True)


# --------------------------------------------------------------------------------------------------
# The same fields from stock ipywidgets, for front ends without this package's extension (VS Code,
# Colab, classic Notebook 6): same traits, kernel-side checks only.
# --------------------------------------------------------------------------------------------------

def _message_html(error: str, warning: str, hint: str) -> str:
    if error:
        return f'<span style="color: var(--jp-error-color1, #d32f2f)" role="alert">{_html.escape(error)}</span>'
    if warning:
        return f'<span style="color: var(--jp-warn-color1, #f57c00)">{_html.escape(warning)}</span>'
    return f'<span style="color: var(--jp-ui-font-color2, #616161)">{_html.escape(hint)}</span>' if hint else ""


def _bold(text: str, tooltip: str) -> str:
    return f"<b title='{_html.escape(tooltip)}'>{_html.escape(text)}</b>"


def _described(label: str, tooltip: str) -> str:
    """A stock control's description: its label, with the tooltip on it (a described control shows none itself)."""
    text = _html.escape(label)
    return f"<span title='{_html.escape(tooltip)}'>{text}</span>" if tooltip else text


# A Box's view cannot show a `tooltip` (ipywidgets#3860: its view reads the `description` a Box does not have, and
# the whole field renders as "Click to show javascript error."). The stock twins keep `tooltip` in Python only and
# put it on the label inside the box (stock controls with a description show no tooltip of their own).
_KERNEL_ONLY_TOOLTIP = "Longer help shown on hover over the label (not synced: a Box cannot show a tooltip)."


class StockField(FieldTraits, VBox):
    """FieldWidget's traits over a stock control and an HTML message."""

    tooltip = Unicode("", help=_KERNEL_ONLY_TOOLTIP)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_class("mi-stock-field")
        self.add_class(f"mi-field-{self.field}")
        style = {"description_width": "12em"}
        layout = Layout(width="100%")
        if self.kind == "select":
            self._control = Dropdown(options=self._choices(), style=style, layout=layout)
        elif self.kind == "combo":
            self._control = Combobox(options=list(self.options), ensure_option=False, style=style, layout=layout)
        elif self.kind == "textarea":
            self._control = Textarea(style=style, layout=layout)
        elif self.kind == "checkbox":
            self._control = Checkbox(indent=False)
        else:
            self._control = Text(style=style, layout=layout, continuous_update=True)
        self._message = HTML()
        self._sync_control()
        self._control.observe(self._from_control, "value")
        self.children = [self._control, self._message]
        self._show_message()

    def _choices(self) -> list[str]:
        options = list(self.options)
        return options if self.value in options else options + [self.value]

    def _sync_control(self) -> None:
        control = self._control
        control.description = _described(self.label, self.tooltip)
        control.description_allow_html = True
        control.disabled = self.disabled
        if hasattr(control, "placeholder"):
            control.placeholder = self.placeholder
        if isinstance(control, Dropdown):
            control.options = self._choices()
        elif isinstance(control, Combobox):
            control.options = list(self.options)
        wanted = (self.value == "true") if isinstance(control, Checkbox) else self.value
        if control.value != wanted:
            control.value = wanted

    def _from_control(self, change) -> None:
        new = change["new"]
        self.value = ("true" if new else "false") if isinstance(self._control, Checkbox) else (new or "")

    @observe("value", "options", "label", "tooltip", "disabled", "placeholder")
    def _to_control(self, change) -> None:
        if hasattr(self, "_control"):
            self._sync_control()

    @observe("error", "warning", "hint")
    def _show_message(self, change=None) -> None:
        if hasattr(self, "_message"):
            self._message.value = _message_html(self.error, self.warning, self.hint)


class StockTable(TableTraits, VBox):
    """TableWidget's traits over rows of stock controls."""

    tooltip = Unicode("", help=_KERNEL_ONLY_TOOLTIP)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_class("mi-stock-table")
        self.add_class(f"mi-field-{self.field}")
        self._rebuild()

    @observe("value", "columns", "label", "tooltip", "disabled")
    def _on_change(self, change) -> None:
        if not getattr(self, "_editing", False):
            self._rebuild()

    @observe("errors", "error", "warning")
    def _on_messages(self, change) -> None:
        self._show_messages()  # only the messages: rebuilding would take the cell being typed in away

    def _rebuild(self) -> None:
        header = HTML(_bold(self.label, self.tooltip))
        rows = [HBox([HTML(_bold(c.get("label", c["key"]), c.get("tooltip", "")), layout=Layout(width="9em"))
                      for c in self.columns])] if self.value else []
        self._row_messages = []
        for index, row in enumerate(self.value):
            cells = []
            for column in self.columns:
                key = column["key"]
                current = str(row.get(key, ""))
                if column.get("kind") == "select":
                    options = list(column.get("options", []))
                    control = Dropdown(options=options if current in options else options + [current], value=current,
                                       layout=Layout(width="9em"), disabled=self.disabled)
                else:
                    control = Text(value=current, layout=Layout(width="9em"), disabled=self.disabled)
                control.observe(self._cell_editor(index, key), "value")
                cells.append(control)
            remove = Button(icon="trash", tooltip=f"Remove row {index + 1}", layout=Layout(width="3em"), disabled=self.disabled)
            remove.on_click(lambda _, i=index: self._remove(i))
            message = HTML()
            self._row_messages.append(message)
            rows.append(VBox([HBox(cells + [remove]), message]))
        add = Button(description=self.add_label, icon="plus", disabled=self.disabled)
        add.on_click(lambda _: self._add())
        self._table_message = HTML()
        self.children = [header, *rows, add, self._table_message]
        self._show_messages()

    def _show_messages(self) -> None:
        if not hasattr(self, "_table_message"):
            return
        for index, message in enumerate(self._row_messages):
            parts = [self.errors[str(index)]] if str(index) in self.errors else []
            parts += [f"{c.get('label', c['key'])}: {self.errors[str(index) + '.' + c['key']]}"
                      for c in self.columns if str(index) + "." + c["key"] in self.errors]
            message.value = _message_html("; ".join(parts), "", "")
        self._table_message.value = _message_html(self.error, self.warning, "")

    def _cell_editor(self, index: int, key: str):
        def edit(change) -> None:
            rows = [dict(r) for r in self.value]
            rows[index][key] = change["new"] or ""
            self._editing = True
            try:
                self.value = rows
            finally:
                self._editing = False
        return edit

    def _add(self) -> None:
        self.value = [*self.value, {c["key"]: c.get("default", "") for c in self.columns}]

    def _remove(self, index: int) -> None:
        self.value = [r for i, r in enumerate(self.value) if i != index]
