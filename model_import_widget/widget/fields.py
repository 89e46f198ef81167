"""The form's fields: plain objects with traits, not widgets (the form's one widget, FormView, draws them all).

`form.fields[key]` is one of these: set `.value` as a person types it, read `.error`, `.warning`, `.hint`.
No secret is ever a trait here.
"""

from __future__ import annotations

from traitlets import Bool, Dict, HasTraits, List, Unicode


class _Common(HasTraits):
    """What every field shows."""

    field = Unicode("", help="The rule-table path this field edits, e.g. model_version or input_params.")
    label = Unicode("", help="The label shown beside the control (tied to it with <label for>).")
    tooltip = Unicode("", help="Longer help shown on hover and read by screen readers.")
    disabled = Bool(False, help="Whether the control accepts input.")
    schema = Dict(help="The JSON-schema fragment the browser checks each keystroke with (pattern, maxLength, enum, "
                       "required, x-messages).")
    error = Unicode("", help="The kernel's message for the current value; empty when valid.")
    warning = Unicode("", help="A note that does not block submitting (normalised value, unknown runtime).")


class FieldTraits(_Common):
    """A single field: text, textarea, select, combo (free text with suggestions) or checkbox."""

    value = Unicode("", help="The text of the control (for a checkbox: 'true' or 'false').")
    kind = Unicode("text", help="text, textarea, select, combo (free text with suggestions) or checkbox.")
    options = List(Unicode(), help="Choices for select and combo.")
    placeholder = Unicode("", help="Shown in an empty control.")
    hint = Unicode("", help="A neutral note under the control, e.g. the name that will be generated.")


class TableTraits(_Common):
    """An editable table (input/output params, packages): rows added, removed and reordered; each cell checked."""

    value = List(Dict(), help="The rows: one dict per row, column key -> cell text.")
    columns = List(Dict(), help="Column definitions: {key, label, tooltip, kind: text|select, options, schema}.")
    errors = Dict(help="Cell messages from the kernel, keyed 'row.column' (e.g. '2.max'); key 'row' alone for a row.")
    add_label = Unicode("Add row", help="Text of the add button.")
