"""Small field widgets of the form: a control with its label, tooltip and the message under it.

Their views live in this package's JupyterLab extension (js/src/field.ts, js/src/table.ts), which also
runs the field's JSON-schema checks in the browser. No secret is ever a trait here.
"""

from __future__ import annotations

from ipywidgets import DOMWidget, register
from traitlets import Bool, Dict, List, Unicode

MODULE = "model-import-widget"
MODULE_VERSION = "^0.1.0"


class _Base(DOMWidget):
    _model_module = Unicode(MODULE).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_module = Unicode(MODULE).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)

    field = Unicode("", help="The rule-table path this widget edits, e.g. model_version or input_params.").tag(sync=True)
    label = Unicode("", help="The label shown beside the control (tied to it with <label for>).").tag(sync=True)
    tooltip = Unicode("", help="Longer help shown on hover and read by screen readers.").tag(sync=True)
    disabled = Bool(False, help="Whether the control accepts input.").tag(sync=True)
    schema = Dict(help="The JSON-schema fragment the browser checks each keystroke with (pattern, maxLength, enum, "
                       "required, x-messages).").tag(sync=True)
    error = Unicode("", help="The kernel's message for the current value; empty when valid.").tag(sync=True)
    warning = Unicode("", help="A note that does not block submitting (normalised value, unknown runtime).").tag(sync=True)


@register
class FieldWidget(_Base):
    """One form field: label, control (text, textarea, select, combo or checkbox) and its message."""

    _model_name = Unicode("FieldModel").tag(sync=True)
    _view_name = Unicode("FieldView").tag(sync=True)

    value = Unicode("", help="The text of the control (for a checkbox: 'true' or 'false').").tag(sync=True)
    kind = Unicode("text", help="text, textarea, select, combo (free text with suggestions) or checkbox.").tag(sync=True)
    options = List(Unicode(), help="Choices for select and combo.").tag(sync=True)
    placeholder = Unicode("", help="Shown in an empty control.").tag(sync=True)
    hint = Unicode("", help="A neutral note under the control, e.g. the name that will be generated.").tag(sync=True)


@register
class TableWidget(_Base):
    """An editable table (input/output params, packages): add, remove and reorder rows; each cell checked."""

    _model_name = Unicode("TableModel").tag(sync=True)
    _view_name = Unicode("TableView").tag(sync=True)

    value = List(Dict(), help="The rows: one dict per row, column key -> cell text.").tag(sync=True)
    columns = List(Dict(), help="Column definitions: {key, label, tooltip, kind: text|select, options, schema}.").tag(sync=True)
    errors = Dict(help="Cell messages from the kernel, keyed 'row.column' (e.g. '2.max'); key 'row' alone for a row.").tag(sync=True)
    add_label = Unicode("Add row", help="Text of the add button.").tag(sync=True)
