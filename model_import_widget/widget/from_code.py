"""SDK code read back into form fields: what `form.to_code()` writes, the seed's Method 2, the README's example.

The code is parsed with `ast` and only literal values are read: nothing in it is run, imported or evaluated, and the
arguments of `Session(...)` (which may be credentials) are never read, kept or quoted.
"""

from __future__ import annotations

import ast
import copy
import warnings
from typing import Any

from ..errors import CodeReadError
from .binding import LAYOUT, PACKAGE_COLUMNS, PARAM_COLUMNS

FORM_FIELDS = tuple(key for _, entries in LAYOUT for key, _ in entries if key not in ("installer", "wait"))
"""The Model() arguments the form has a field for (`environment=` is the runtime field)."""
IGNORED = ("session", "progress", "cancel", "timeout")
"""Model() arguments that say how the call runs, not what is imported: not read."""

_SDK_MODULES = ("modelarts.model", "model_import_widget", "model_import_widget.sdk", "model_import_widget.sdk.model")
_CONFIG_MODULES = ("modelarts.config.model_config", "model_import_widget", "model_import_widget.sdk.config.model_config",
                   "model_import_widget.spec")
MODEL_CALLS = frozenset({"Model", *(f"{module}.Model" for module in _SDK_MODULES)})
PARAMS_CALLS = frozenset({"Params", *(f"{m}.Params" for m in _CONFIG_MODULES), "model_import_widget.spec.Param"})
PACKAGES_CALLS = frozenset({"Packages", *(f"{m}.Packages" for m in _CONFIG_MODULES), "model_import_widget.spec.Package"})
DEPENDENCIES_CALLS = frozenset({"Dependencies", *(f"{m}.Dependencies" for m in _CONFIG_MODULES),
                                "model_import_widget.spec.Dependency"})
"""The calls recognised, by the name they resolve to through the code's own import lines (a bare name that no import
line binds counts too: a snippet pasted without its imports)."""

LITERALS = ("The form reads the code without running it, so it takes values written out in the Model(...) call: text, "
            "numbers, True/False/None, lists and dicts of them, Params(...), Dependencies(...) and Packages(...); a "
            "variable is not followed to where it is set.")
"""Said once under the problems when a value is not a literal."""
_BAD = object()  # a value that could not be read (its problem is recorded)


def fields_from_code(source: str) -> dict[str, Any]:
    """The keyword arguments of `ModelImportForm(session, **…)` that rebuild the import `source` makes: the fields
    as `set_values` takes them (`environment=` as `runtime`), `wait`, and `obs_location` when the code names one.

    Reads the one `Model(session, model_name=…, …)` call that creates a model (`Model(session, model_id=…)`, loading
    one, is passed over). Raises CodeReadError naming the line and argument of everything it cannot read: a syntax
    error, no import or several, a value that is not a literal (a variable, an f-string, a call), an argument that
    Model() or the form does not have."""
    if not isinstance(source, str):
        raise TypeError(f"from_code takes the code as text (str), not {type(source).__name__}")
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" and the like: not the reader's business
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except SyntaxError as exc:
        # `from None`: the SyntaxError holds the line's text, which may be a Session(...) with credentials
        raise CodeReadError([{"line": exc.lineno, "field": "",
                              "message": f"this is not valid Python: {exc.msg}" + (f" (column {exc.offset})" if
                                                                                    exc.offset else "")
                                         + "; fix it, or paste the code as form.to_code() wrote it"}]) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # a null byte; nesting too deep for the parser
        reason = "it contains a null byte" if isinstance(exc, ValueError) else "it is nested too deeply to read"
        raise CodeReadError([{"line": None, "field": "", "message": f"this is not Python code the form can read: "
                                                                    f"{reason}"}]) from None
    try:
        return _Reader(source, tree).read()
    except RecursionError:
        raise CodeReadError([{"line": None, "field": "", "message": "a value is nested too deeply to read"}]) from None


class _Reader:
    """One reading of one module: the names its imports bind, the problems found so far."""

    def __init__(self, source: str, tree: ast.Module):
        self.source, self.tree = source, tree
        self.problems: list[dict[str, Any]] = []
        self.not_literal = False  # a value was not a literal: the problems end with what the form reads
        self.names: dict[str, str] = {}  # local name -> what it was imported as
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    head = alias.name.split(".")[0]
                    self.names[alias.asname or head] = alias.name if alias.asname else head
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                for alias in node.names:
                    if alias.name != "*":
                        self.names[alias.asname or alias.name] = f"{module}.{alias.name}"

    # ---- which call ---------------------------------------------------------------------------------

    def read(self) -> dict[str, Any]:
        calls = sorted((node for node in ast.walk(self.tree) if isinstance(node, ast.Call)
                        and self._is(node.func, MODEL_CALLS)), key=lambda n: (n.lineno, n.col_offset))
        imports = [call for call in calls if not _loads_a_model(call)]
        if not imports:
            raise CodeReadError([self._no_import(calls)])
        if len(imports) > 1:
            lines = ", ".join(str(call.lineno) for call in imports)
            raise CodeReadError([{"line": imports[1].lineno, "field": "", "message":
                                  f"{len(imports)} Model(...) calls create models (lines {lines}); a form holds one "
                                  "import: pass the code of the one you want (from its Model( to its closing "
                                  "parenthesis, with the import lines)"}])
        fields = self._model_call(imports[0])
        if self.problems:
            raise CodeReadError(self.problems, LITERALS if self.not_literal else None)
        return fields

    def _no_import(self, calls: list[ast.Call]) -> dict[str, Any]:
        how = ("pass code that creates one, Model(session, model_name=..., model_version=..., source_location=..., "
               "model_type=..., ...), as form.to_code() writes it")
        if calls:
            return {"line": calls[0].lineno, "field": "", "message":
                    f"the code only loads an existing model (Model(session, model_id=...)); a form creates one: "
                    f"{how}"}
        other = self.names.get("Model")
        elsewhere = (f" (Model here is {other}, not the SDK's model_import_widget.sdk.model.Model or "
                     f"modelarts.model.Model)" if other else "")
        return {"line": None, "field": "", "message": f"no Model(...) call in the code{elsewhere}: {how}"}

    def _is(self, func: ast.expr, names: frozenset[str]) -> bool:
        dotted = _dotted(func)
        if dotted is None:
            return False
        head, _, rest = dotted.partition(".")
        resolved = self.names.get(head, head) + (f".{rest}" if rest else "")
        return resolved in names

    # ---- the Model(...) call ------------------------------------------------------------------------

    def _model_call(self, call: ast.Call) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        first_runtime = 0
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                self._problem(arg, "", f"*{_shown(arg.value)} cannot be read without running the code: pass each "
                                       "field as a keyword, model_name=..., model_version=...")
        for keyword in call.keywords:
            key, node = keyword.arg, keyword.value
            if key is None:
                self._problem(node, "", f"**{_shown(node)} cannot be read without running the code: pass each field "
                                        "as a keyword in the call, model_name=..., model_version=...")
            elif key in IGNORED or key == "model_id":
                continue
            elif key in FORM_FIELDS or key == "environment":
                value = self._field(key, node)
                if key == "environment":
                    key = "runtime"
                if value is not _BAD:
                    if key == "runtime" and "runtime" in fields and fields["runtime"] != value:
                        other = "runtime" if keyword.arg == "environment" else "environment"
                        self._problem(node, keyword.arg, f"{keyword.arg}= and {other}= (line {first_runtime}) "
                                                         "disagree; they are the same field (the runtime): give one")
                    elif key == "runtime":
                        first_runtime = node.lineno
                    fields[key] = value
            elif key == "wait":
                value = self._literal(node, "wait")
                if value is not _BAD and not isinstance(value, bool):
                    self._problem(node, "wait", f"wait must be True or False, not {_shown(node)}")
                elif value is not _BAD:
                    fields["wait"] = value
            elif key == "obs_location":
                value = self._text(node, "obs_location")
                if isinstance(value, str) and "<" not in value:  # "obs://<bucket>/<folder>/": to_code's placeholder
                    fields["obs_location"] = value
            elif key == "publish":
                if isinstance(node, ast.Constant) and node.value is False:
                    warnings.warn(f"line {node.lineno}: publish=False makes a local model; a form has no such field: "
                                  "its Import publishes, and form.submit(publish=False) makes the local model",
                                  UserWarning, stacklevel=4)
            elif key == "initial_config":
                self._problem(node, key, "the form has no initial_config field: it reads the package's "
                                         "model/config.json; put those keys there (form.write_config() writes it), "
                                         "or import this model with Model(...) itself")
            else:
                self._problem(node, key, f"Model() has no argument {key}=; the form's fields are "
                                         f"{', '.join(FORM_FIELDS)} (and environment=, wait=, obs_location=)")
        return fields

    def _field(self, key: str, node: ast.expr) -> Any:
        if key in ("input_params", "output_params"):
            return self._rows(node, key, PARAMS_CALLS, "Params", PARAM_COLUMNS)
        if key == "dependencies":
            return self._dependencies(node)
        if key == "apis":
            value = self._literal(node, key)
            if value is not _BAD and not isinstance(value, (str, list, dict)) and value is not None:
                self._problem(node, key, "apis must be a list of APIs (or its JSON text), not "
                                         f"{type(value).__name__} {_shown(node)}")
                return _BAD
            return value
        return self._text(node, key)

    # ---- values -------------------------------------------------------------------------------------

    def _text(self, node: ast.expr, where: str) -> Any:
        """A text field's value: text, a number as written (model_version=1.10 is '1.10'), or None (blank)."""
        number = _number(node)
        if number is not None:
            return ast.get_source_segment(self.source, node) or repr(number)
        if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
            return node.value
        if isinstance(node, (ast.Constant, ast.List, ast.Tuple, ast.Dict)):
            self._problem(node, where, f"{where} takes text, not {_shown(node)}")
            return _BAD
        return self._not_literal(node, where)

    def _cell(self, node: ast.expr, where: str) -> Any:
        """A table cell: text, a number, or None."""
        number = _number(node)
        if number is not None:
            return number
        return self._text(node, where)

    def _literal(self, node: ast.expr, where: str) -> Any:
        """JSON-like data written out: text, numbers, True/False/None, lists (or tuples) and dicts with text keys."""
        number = _number(node)
        if number is not None:
            return number
        if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (str, bool))):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self._literal(item, f"{where}[{index}]") for index, item in enumerate(node.elts)]
            return _BAD if any(item is _BAD for item in items) else items
        if isinstance(node, ast.Dict):
            made: dict[str, Any] = {}
            for key, value in zip(node.keys, node.values):
                if key is None:
                    self._problem(value, where, f"**{_shown(value)} cannot be read without running the code: write "
                                                "the keys out")
                    return _BAD
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    self._problem(key, where, f"the keys of {where} must be text in quotes, not {_shown(key)}")
                    return _BAD
                made[key.value] = self._literal(value, f"{where}.{key.value}")
            return _BAD if any(value is _BAD for value in made.values()) else made
        if isinstance(node, ast.Constant):
            self._problem(node, where, f"{where} cannot hold {_shown(node)} ({type(node.value).__name__})")
            return _BAD
        return self._not_literal(node, where)

    def _rows(self, node: ast.expr, where: str, calls: frozenset[str], call_name: str,
              columns: tuple[str, ...]) -> Any:
        """input_params/output_params (or a dependency's packages): a list of Params(...) (Packages(...)) or dicts;
        one on its own counts as a list of one, as the SDK takes it."""
        if isinstance(node, ast.Constant) and node.value is None:
            return []
        items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node] \
            if isinstance(node, (ast.Call, ast.Dict)) else None
        if items is None:
            if isinstance(node, ast.Constant):
                self._problem(node, where, f"{where} is a list of {call_name}(...) or dicts, not {_shown(node)}")
                return _BAD
            return self._not_literal(node, where)
        rows = [self._record(item, f"{where}[{index}]", calls, call_name, columns)
                for index, item in enumerate(items)]
        return _BAD if any(row is _BAD for row in rows) else rows

    def _dependencies(self, node: ast.expr) -> Any:
        groups = self._rows(node, "dependencies", DEPENDENCIES_CALLS, "Dependencies", ("installer", "packages"))
        if groups is _BAD:
            return _BAD
        for index, group in enumerate(groups):
            if "packages" not in group:
                self._problem(node, f"dependencies[{index}]", "a dependency needs packages=[Packages(...), ...]")
                return _BAD
        return groups

    def _record(self, node: ast.expr, where: str, calls: frozenset[str], call_name: str,
                columns: tuple[str, ...]) -> Any:
        """One Params(...)/Packages(...)/Dependencies(...) or dict, as a dict of its arguments."""
        if isinstance(node, ast.Call) and self._is(node.func, calls):
            if node.args:
                self._problem(node, where, f"{call_name}(...) takes keywords only: write {call_name}("
                                           f"{columns[0]}=..., {columns[1]}=..., ...)")
                return _BAD
            pairs = []
            for keyword in node.keywords:
                if keyword.arg is None:
                    self._problem(keyword.value, where, f"**{_shown(keyword.value)} cannot be read without running "
                                                        "the code: write each argument out")
                    return _BAD
                pairs.append((keyword.arg, keyword.value))
        elif isinstance(node, ast.Dict):
            pairs = []
            for key, value in zip(node.keys, node.values):
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    self._problem(value if key is None else key, where,
                                  f"the keys of {where} must be text in quotes, written out")
                    return _BAD
                pairs.append((key.value, value))
        elif isinstance(node, (ast.Constant, ast.List, ast.Tuple)):
            self._problem(node, where, f"{where} must be {call_name}(...) or a dict, not {_shown(node)}")
            return _BAD
        else:
            return self._not_literal(node, where)
        made: dict[str, Any] = {}
        for key, value in pairs:
            if key not in columns:
                self._problem(value, where, f"{call_name} has no {key!r}; it takes {', '.join(columns)}")
                made[key] = _BAD
            elif key == "packages":
                made[key] = self._rows(value, f"{where}.packages", PACKAGES_CALLS, "Packages", PACKAGE_COLUMNS)
            else:
                made[key] = self._cell(value, f"{where}.{key}")
        return _BAD if any(value is _BAD for value in made.values()) else made

    def _not_literal(self, node: ast.expr, where: str) -> Any:
        hint = (" An Environment object is not read: give its runtime as text, e.g. environment='python3.6', and its "
                "pip packages as dependencies=[Dependencies(installer='pip', packages=[...])]."
                if where == "environment" else "")
        self.not_literal = True
        self._problem(node, where, f"{_shown(node)} is {_kind(node)}, not a literal value: write the value itself in "
                                   f"its place (e.g. the text in quotes).{hint}")
        return _BAD

    def _problem(self, node: ast.AST, field: str, message: str) -> None:
        self.problems.append({"line": getattr(node, "lineno", None), "field": field, "message": message})


def _loads_a_model(call: ast.Call) -> bool:
    """Method 1, `Model(session, model_id=...)` (or the id as the second positional argument): nothing to import."""
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    return len(positional) >= 2 or any(keyword.arg == "model_id" and not (isinstance(keyword.value, ast.Constant)
                                                                           and keyword.value.value is None)
                                       for keyword in call.keywords)


def _dotted(node: ast.expr) -> str | None:
    """`a.b.C` for a chain of names, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _number(node: ast.expr) -> int | float | None:
    """An int or float written out (with its sign), else None. True and False are not numbers here."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * node.value
    return None


def _kind(node: ast.expr) -> str:
    kinds = {ast.Name: "a variable", ast.Attribute: "an attribute", ast.Call: "a call", ast.JoinedStr: "an f-string",
             ast.Subscript: "an index", ast.Lambda: "a function", ast.Set: "a set", ast.Await: "an await",
             ast.NamedExpr: "an assignment", ast.Starred: "an unpacking"}
    for kind, words in kinds.items():
        if isinstance(node, kind):
            return words
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return "a comprehension"
    return "an expression"


class _ArgumentsHidden(ast.NodeTransformer):
    """Every call's arguments as `...`: a value shown in a message never quotes what was passed to a call (a
    Session(access_key=...) inside it, say)."""

    def visit_Call(self, node: ast.Call) -> ast.Call:
        func = self.visit(node.func)
        hidden = [ast.Constant(...)] if node.args or node.keywords else []
        return ast.Call(func=func, args=hidden, keywords=[])


def _shown(node: ast.expr, limit: int = 60) -> str:
    """The value as written, short, with calls' arguments left out."""
    try:
        text = ast.unparse(_ArgumentsHidden().visit(copy.deepcopy(node)))
    except (RecursionError, ValueError):
        return _kind(node)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
