"""A complete model package from a model object in memory: `package.build(model, folder, example=X[:2])`.

For a scikit-learn estimator or pipeline, an XGBoost Booster or estimator, or a PyTorch module it writes
`folder/model/` with the saved model in the engine's usual format, a `customize_service.py` subclassing the
engine's ModelArts base class (spec §5.3; templates in service_code.py), and a `config.json` with model_type,
runtime, the apis read off the example's request and answer, and the dependencies pinned to this kernel's versions.
Before it returns, the package passes `inspect` (the lint) and a dry run whose answer must equal the model's own
answer here. It is written beside `folder` and moved into place only then: a failure leaves `folder` as it was.
"""

from __future__ import annotations

import errno
import inspect as inspect_module
import math
import os
import re
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import config_file, service_code
from .dependencies import runtime_conflict
from .dryrun import DryRunResult, RunsPackageCodeWarning, dry_run
from .errors import PackageBuildError
from .examples import apis_from_example
from .lint import infer_dependencies, inspect
from .spec import DEFAULT_RUNTIMES, MAX_EXAMPLE_ROWS, canonical_model_type

__all__ = ["build", "BuiltPackage", "MAX_EXAMPLE_ROWS", "new_folder"]


@dataclass
class BuiltPackage:
    """What `build` wrote. `model_fields()` gives the arguments `Model(session, ...)` takes for it."""

    folder: Path
    model_type: str
    runtime: str
    model_algorithm: str
    request: dict[str, Any]
    response: dict[str, Any]
    apis: list[dict[str, Any]]
    dependencies: list[dict[str, Any]]
    files: list[str]
    dry_run: DryRunResult
    warnings: list[str] = field(default_factory=list)

    def model_fields(self) -> dict[str, Any]:
        """`Model(session, model_name=..., model_version=..., **built.model_fields())` imports this package."""
        return {"source_location_type": "LOCAL_SOURCE", "source_location": str(self.folder),
                "model_type": self.model_type, "runtime": self.runtime, "model_algorithm": self.model_algorithm}

    def __repr__(self) -> str:
        answer = sum(self.dry_run.timings_ms.values())
        return (f"<BuiltPackage {self.folder} ({self.model_type}, {self.runtime}): {', '.join(self.files)}; "
                f"dry run answered in {answer:.1f} ms>")


@dataclass
class _Kind:
    engine: str  # the ModelArts model_type
    flavour: str  # service_code template key
    save: Callable[[Any, Path, Any], list[str]]  # writes the model into model/, returns warnings
    predict: Callable[[Any, list], Any]  # the model's answer here, the way the service computes it
    features: Callable[[Any], int | None]  # the width of one input row, for a made-up example


def build(model: Any, folder: str | os.PathLike[str], *, example: Any = None, overwrite: bool = False,
          model_type: str | None = None, runtime: str | None = None, model_algorithm: str = "predict_analysis",
          timeout: float = 60.0) -> BuiltPackage:
    """Write a model package for `model` in `folder` (created if missing) and check it; returns a BuiltPackage.

    `example` is a few input rows (an array, a list of lists, a tensor for PyTorch; at most MAX_EXAMPLE_ROWS are
    used): it makes the sample request {"instances": rows}, whose answer {"predictions": [...]} gives config.json's
    apis. Without one, a scikit-learn or XGBoost model gets a row of zeros of its input width. `runtime` defaults
    to the engine's documented default. A non-empty `folder` is refused unless `overwrite=True` and it holds a
    package that build wrote (model/config.json, customize_service.py and the saved model, nothing else), which is
    then replaced whole. Raises PackageBuildError with what to change; then nothing was written.
    """
    folder = Path(os.path.abspath(Path(folder).expanduser()))  # "pkg/model/.." is pkg
    kind = _kind_of(model)
    if model_type is not None and canonical_model_type(model_type) != kind.engine:
        raise PackageBuildError([f"model_type {model_type!r} does not fit a {_described(model)}: its packages are "
                                 f"{kind.engine}; leave model_type out"], str(folder))
    runtime = runtime or DEFAULT_RUNTIMES[kind.engine]
    _check_target(folder, overwrite)
    rows = _example_rows(model, kind, example)
    answer = _answer_here(model, kind, rows)
    extra = _extra_dependencies(model) if kind.engine != "PyTorch" else []  # TorchScript carries its own code
    notes: list[str] = []
    made_parents = _make_parents(folder.parent)
    _settle_leftovers(folder)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.building-{os.getpid()}-", dir=folder.parent))
    except OSError as exc:
        _remove_empty(made_parents)
        raise PackageBuildError([f"cannot write in {folder.parent} ({exc.strerror}): choose a folder you can write "
                                 f"to"]) from None
    try:
        model_dir = staging / "model"
        model_dir.mkdir()
        notes += _saved(kind, model, model_dir, rows)
        (model_dir / "customize_service.py").write_text(service_code.render(kind.flavour, model, rows),
                                                        encoding="utf-8")
        request, response = {"instances": _jsonable(rows)}, {"predictions": answer}
        apis = apis_from_example(request, response)
        dependencies = _dependencies(staging, runtime, notes, extra)
        config_file.write(model_dir / "config.json", {
            "model_algorithm": model_algorithm, "model_type": kind.engine, "runtime": runtime, "apis": apis,
            "dependencies": [{"installer": "pip", "packages": dependencies}] if dependencies else None})
        _sync_tree(staging)
        result = _check(model, staging, folder, request, answer, timeout)
        files = sorted(path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file())
        _place(staging, folder, overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(made_parents)
        raise
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return BuiltPackage(folder=folder, model_type=kind.engine, runtime=runtime, model_algorithm=model_algorithm,
                        request=request, response=response, apis=apis, dependencies=dependencies, files=files,
                        dry_run=result, warnings=notes)


# ------------------------------------------------------------------------------------------------ model kinds


def _module_root(cls: type) -> str:
    return (cls.__module__ or "").split(".")[0]


def _described(model: Any) -> str:
    return f"{type(model).__module__}.{type(model).__qualname__}"


def _kind_of(model: Any) -> _Kind:
    roots = [_module_root(cls) for cls in type(model).__mro__]
    if "torch" in roots and hasattr(model, "forward"):
        return _Kind("PyTorch", "torch", _save_torch, _predict_torch, lambda m: None)
    if "xgboost" in roots:
        if type(model).__name__ == "Booster":
            return _Kind("XGBoost", "xgboost_booster", _save_xgboost, _predict_booster,
                         lambda m: m.num_features())
        if hasattr(model, "get_booster"):
            return _Kind("XGBoost", "xgboost_estimator", _save_xgboost, _predict_sklearn_like,
                         lambda m: getattr(m, "n_features_in_", None))
    if "sklearn" in roots and callable(getattr(model, "predict", None)):
        return _Kind("Scikit_Learn", "sklearn", _save_sklearn, _predict_sklearn_like,
                     lambda m: getattr(m, "n_features_in_", None))
    what = "a class" if isinstance(model, type) else f"a {_described(model)}"
    hint = (" (pass the fitted object, not its class)" if isinstance(model, type) else
            "; for another kind of model write model/customize_service.py yourself and import the folder")
    raise PackageBuildError([f"cannot package {what}: build() packages a fitted scikit-learn estimator or pipeline, "
                             f"an XGBoost Booster or XGBModel (XGBClassifier, XGBRegressor, ...) or a PyTorch "
                             f"torch.nn.Module{hint}"])


def _example_rows(model: Any, kind: _Kind, example: Any) -> Any:
    """The sample rows: `example`'s first MAX_EXAMPLE_ROWS, or a row of zeros of the model's input width."""
    if example is None:
        width = kind.features(model) if kind.engine != "PyTorch" else None
        if not width:
            need = ("a PyTorch module's input shape cannot be read off it" if kind.engine == "PyTorch"
                    else "the model does not say how many input features it takes")
            raise PackageBuildError([f"example= is needed: {need}. Pass a few input rows, e.g. example=X[:2]"])
        example = [[0.0] * int(width)]
    if hasattr(example, "columns") and hasattr(example, "to_numpy"):
        raise PackageBuildError(["example is a table (a pandas DataFrame): the package's request is rows of numbers; "
                                 "pass example.to_numpy() (a model that needs the column names is not packaged by "
                                 "build() yet)"])
    if kind.engine == "PyTorch":
        import torch

        rows = example if isinstance(example, torch.Tensor) else torch.as_tensor(example)
        if rows.dim() == 0:
            raise PackageBuildError(["example is a single number: pass a batch of inputs, e.g. example=X[:2]"])
        return rows[:MAX_EXAMPLE_ROWS].detach().cpu()
    import numpy

    rows = numpy.asarray(example)
    if rows.ndim != 2:
        fix = "example=X[:2]" if rows.ndim != 1 else "example=[row] (or X[:1]) for one row"
        raise PackageBuildError([f"example must be rows of features (2 dimensions), not {rows.ndim}: pass {fix}"])
    if rows.dtype.kind not in "biuf":
        raise PackageBuildError([f"example holds {rows.dtype} values: the package's request is rows of numbers; "
                                 "encode text or categories inside the model (a pipeline step) and pass numbers"])
    return rows[:MAX_EXAMPLE_ROWS]


def _answer_here(model: Any, kind: _Kind, rows: Any) -> Any:
    """The model's own answer to the example, as the package will compute it; what it cannot answer is refused."""
    if len(rows) == 0:
        raise PackageBuildError(["example has no rows: pass a few input rows, e.g. example=X[:2]"])
    try:
        answer = kind.predict(model, rows)
    except PackageBuildError:
        raise
    except Exception as exc:  # noqa: BLE001 - the model's own code
        if type(exc).__name__ == "NotFittedError":
            raise PackageBuildError([f"the {type(model).__name__} is not fitted: call .fit(X, y) first"]) from None
        width = kind.features(model) if kind.engine != "PyTorch" else None
        shape = f" (the model takes rows of {width} numbers; the example's are {len(rows[0])})" if width else ""
        raise PackageBuildError([f"the model cannot answer the example: {_first_line(exc)}{shape}; pass rows like the "
                                 f"ones it was trained on"]) from None
    if kind.engine == "PyTorch":
        import torch

        if not isinstance(answer, torch.Tensor):
            raise PackageBuildError([f"forward() returns a {type(answer).__name__}: build() packages a module that "
                                     f"returns one tensor (wrap the module to return the tensor to serve)"])
    if answer is None:
        raise PackageBuildError(["the model answers None for the example: it must return its predictions"])
    return _jsonable(answer)


def _extra_dependencies(model: Any) -> list[str]:
    """Top-level modules of the model's own classes (a library outside scikit-learn, say) that the saved model
    needs to load: each must come from an installed distribution, which then becomes a dependency."""
    from .dependencies import _providers

    needed = []
    stdlib = set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    for module, name in _code_of(model):
        root = module.split(".")[0]
        if root in stdlib:
            continue
        if root == "__main__" or not _providers().get(root):
            where = "the notebook" if root == "__main__" else f"the module {module}, which no installed " \
                                                              f"distribution provides (a file on this machine)"
            raise PackageBuildError([f"the model uses {name}, defined in {where}: the service could not load it. "
                                     f"Use the library's own classes and functions (e.g. a Pipeline of scikit-learn "
                                     f"steps), or write customize_service.py yourself"])
        needed.append(root)
    return sorted(set(needed))


def _saved(kind: _Kind, model: Any, model_dir: Path, rows: Any) -> list[str]:
    try:
        return kind.save(model, model_dir, rows)
    except OSError as exc:
        raise PackageBuildError([f"could not write the saved model in {model_dir.parent.parent} ({exc.strerror}): "
                                 f"free some space or choose another folder"]) from None


def _save_sklearn(model: Any, model_dir: Path, rows: Any) -> list[str]:
    import joblib
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError:
        raise PackageBuildError([f"the {type(model).__name__} is not fitted: call .fit(X, y) first"]) from None
    except TypeError:  # not an estimator check_is_fitted understands: predicting on the example tells
        pass
    try:
        joblib.dump(model, model_dir / service_code.MODEL_FILES["sklearn"])
    except OSError:
        raise
    except Exception as exc:  # noqa: BLE001 - pickling runs the model's own code
        raise PackageBuildError([f"the model cannot be saved with joblib ({type(exc).__name__}: {exc}); a lambda or "
                                 "a function defined in the notebook cannot be pickled: use a named function from "
                                 "an importable module"]) from None
    return []


def _save_xgboost(model: Any, model_dir: Path, rows: Any) -> list[str]:
    name = type(model).__name__
    if name != "Booster":
        import xgboost

        if getattr(xgboost, name, None) is not type(model):
            raise PackageBuildError([f"{_described(model)} is a subclass of an XGBoost estimator: the package loads "
                                     f"xgboost's own classes; pass model.get_booster() to package the Booster"])
    try:
        model.save_model(str(model_dir / service_code.MODEL_FILES["xgboost"]))
    except OSError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise PackageBuildError([f"the XGBoost model cannot be saved ({type(exc).__name__}: {exc}); is it "
                                 "trained?"]) from None
    return []


def _save_torch(model: Any, model_dir: Path, rows: Any) -> list[str]:
    import torch

    notes: list[str] = []
    with _eval_mode(model), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)  # torch 2.13 deprecates TorchScript, which
        # ModelArts' PyTorch images (1.x) load
        if isinstance(model, torch.jit.ScriptModule):
            scripted = model
        else:
            try:
                scripted = torch.jit.script(model)
            except Exception as script_error:  # noqa: BLE001 - TorchScript rejects much Python
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        scripted = torch.jit.trace(model, rows)
                except Exception as exc:  # noqa: BLE001
                    raise PackageBuildError([
                        f"the module cannot be saved as TorchScript: torch.jit.script said "
                        f"{_first_line(script_error)}, and torch.jit.trace on the example said {_first_line(exc)}. "
                        "Make forward() scriptable (type hints, no Python-only calls) and build again"]) from None
                notes.append("the module was saved by tracing the example (torch.jit.script could not compile it): "
                             "branches that depend on the input follow the example's path")
        torch.jit.save(scripted, str(model_dir / service_code.MODEL_FILES["torch"]))
    return notes


class _eval_mode:
    """The module in eval mode for the duration (dropout off, batch norm frozen), then as the user left it."""

    def __init__(self, model: Any):
        self.model, self.training = model, bool(getattr(model, "training", False))

    def __enter__(self) -> None:
        self.model.eval()

    def __exit__(self, *exc_info: object) -> None:
        self.model.train(self.training)


def _predict_sklearn_like(model: Any, rows: Any) -> Any:
    return model.predict(rows)


def _predict_booster(model: Any, rows: Any) -> Any:
    import xgboost

    return model.predict(xgboost.DMatrix(rows, feature_names=model.feature_names))


def _predict_torch(model: Any, rows: Any) -> Any:
    import torch

    with _eval_mode(model), torch.no_grad():
        return model(rows)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _jsonable(value: Any) -> Any:
    """What the service's JSON answer holds for a model output: lists of numbers (or labels)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        raise PackageBuildError([f"the model answers {value} for the example: JSON cannot carry it; check the "
                                 f"example's values"])
    return value


# ------------------------------------------------------------------------------------------------ the folder


def new_folder(parent: Path, model: Any) -> Path:
    """`parent/<class>_package` (decision_tree_classifier_package), or …_package_2, _3, …: a folder that does not
    exist yet, so a default never replaces anything."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", type(model).__name__).lower() or "model"
    candidate, number = parent / f"{name}_package", 1
    while candidate.exists() or candidate.is_symlink():
        number += 1
        candidate = parent / f"{name}_package_{number}"
    return candidate


def _check_target(folder: Path, overwrite: bool) -> None:
    if folder.is_symlink():
        raise PackageBuildError([f"{folder} is a symbolic link (to {os.path.realpath(folder)}): choose a real folder"])
    if folder.exists() and not folder.is_dir():
        raise PackageBuildError([f"{folder} is a file, not a folder: choose a folder for the package"])
    for parent in folder.parents:
        if parent.exists() and not parent.is_dir():
            raise PackageBuildError([f"{parent} is a file, not a folder: choose a folder for the package"])
    if not folder.exists():
        return
    if os.path.ismount(folder):
        raise PackageBuildError([f"{folder} is a mount point, which cannot be replaced: build into a folder inside "
                                 f"it, e.g. {folder / 'model_package'}"])
    try:
        entries = sorted(entry.name for entry in os.scandir(folder))
    except OSError as exc:
        raise PackageBuildError([f"{folder} cannot be read ({exc.strerror}): choose another folder"]) from None
    if not entries:
        return
    listed = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
    if not overwrite:
        raise PackageBuildError([f"{folder} is not empty ({listed}): choose a new folder, or pass overwrite=True to "
                                 f"replace the model package in it"])
    if not (folder / "model" / "config.json").is_file() or (folder / "model").is_symlink():
        raise PackageBuildError([f"{folder} holds files that are not a model package ({listed}): overwrite=True "
                                 f"only replaces a folder with model/config.json in it; choose another folder"])
    theirs = _not_built(folder)
    if theirs:
        shown = ", ".join(theirs[:5]) + (f" and {len(theirs) - 5} more" if len(theirs) > 5 else "")
        raise PackageBuildError([f"{folder} holds files build did not write ({shown}): overwrite=True replaces only a "
                                 f"package build wrote, and would delete them; move them out, or build into another "
                                 f"folder"])


_BUILT = {"model", "model/config.json", "model/customize_service.py",
          *(f"model/{name}" for name in service_code.MODEL_FILES.values())}


def _not_built(folder: Path) -> list[str]:
    """What is in `folder` besides the files a build writes (a user's data, code, notebooks)."""
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel not in _BUILT:
            found.append(rel + ("/" if path.is_dir() and not path.is_symlink() else ""))
    return [rel for rel in found if not any(rel.startswith(other) and rel != other for other in found
                                             if other.endswith("/"))]


def _dependencies(staging: Path, runtime: str, notes: list[str], extra: list[str]) -> list[dict[str, Any]]:
    """The pip packages the service's code needs, and those the model's own classes come from (`extra`), pinned to
    this kernel's versions; what the runtime image has already is left out unless the saved model needs the exact
    version that saved it."""
    from .dependencies import pin

    rows = infer_dependencies(staging, runtime)
    listed = {row["imported_as"] for row in rows}
    rows += [{**pin(module, module, runtime), "imported_as": module, "in_runtime": False}
             for module in extra if module not in listed]
    chosen = []
    for row in sorted(rows, key=lambda row: row["package_name"].lower()):
        if row["in_runtime"] and row["restraint"] != "EXACT":
            continue
        if not row["installed"]:  # the service's code imports only what saved the model here
            raise PackageBuildError([row["note"]])
        chosen.append({"package_name": row["package_name"], "package_version": row["package_version"],
                       "restraint": row["restraint"]})
    conflict = runtime_conflict(chosen, runtime)
    if conflict:
        notes.append(conflict[0].upper() + conflict[1:])
    return chosen


_LIBRARIES = {"sklearn", "numpy", "scipy", "xgboost", "joblib", "builtins", "torch", "pandas"}


def _own_code(model: Any) -> list[tuple[str, str]]:
    """`_code_of` without the well-known libraries: the user's own classes and functions."""
    return [(module, name) for module, name in _code_of(model) if module.split(".")[0] not in _LIBRARIES]


def _code_of(model: Any) -> list[tuple[str, str]]:
    """(module, name) of the classes and functions in the model and its parts (a pipeline's steps, a
    FunctionTransformer's function): what its pickle refers to by name, so what the service must be able to import."""
    parts = [model]
    if callable(getattr(model, "get_params", None)):
        try:
            parts += list(model.get_params(deep=True).values())
        except Exception:  # noqa: BLE001 - the user's get_params
            pass
    found = []
    for part in parts:
        if isinstance(part, type) or inspect_module.isfunction(part):
            module, name = getattr(part, "__module__", "") or "", getattr(part, "__qualname__", repr(part))
        else:
            module, name = type(part).__module__ or "", type(part).__qualname__
        if "<lambda>" not in name:
            found.append((module, f"{module}.{name}"))
    return list(dict.fromkeys(found))


def _check(model: Any, staging: Path, folder: Path, request: dict[str, Any], answer: Any,
           timeout: float) -> DryRunResult:
    report = inspect(staging)
    if not report.ok:
        raise PackageBuildError([f"the lint found: {p['message']}" for p in report.problems])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunsPackageCodeWarning)  # the code build itself wrote, for the user's model
        result = dry_run(staging, request, timeout=timeout)
    if not result.ok:
        # (the staging folder is deleted with the failure: the traceback names the file as it would have been)
        result.traceback = result.traceback.replace(str(staging.resolve()), str(folder))
        detail = f"\n{result.traceback}" if result.traceback else ""
        hint = ""
        if result.stage == "_inference" and ("No module named" in result.message
                                             or "Can't get attribute" in result.message):
            own = ", ".join(sorted({name for _, name in _own_code(model)}))
            hint = (f"; the saved model refers to code the service does not have{f' ({own})' if own else ''}: "
                    f"classes and functions defined in the notebook cannot be loaded elsewhere. Use the library's "
                    f"own classes, or write customize_service.py yourself")
        raise PackageBuildError([f"the dry run of the package failed ({result.error}): {result.message}{hint}"
                                 f"{detail}"])
    if result.schema_problems:
        raise PackageBuildError([f"the dry run's answer does not fit config.json's apis: {p}"
                                 for p in result.schema_problems])
    served = result.response.get("predictions") if isinstance(result.response, dict) else None
    if not _close(served, answer):
        raise PackageBuildError([f"the served model answered {_short(served)} where the model here answers "
                                 f"{_short(answer)} for the same example: the saved model does not load as it was"])
    return result


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6)
    return a == b


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _sync_tree(root: Path) -> None:
    """Every file and folder written durable before the package is moved into place (and referred to)."""
    for path in sorted(root.rglob("*"), key=lambda p: -len(p.parts)):
        _fsync(path)
    _fsync(root)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _place(staging: Path, folder: Path, overwrite: bool) -> None:
    """The checked package becomes `folder`: a rename over a missing or empty folder. Else the folder is checked
    again (it may have changed during the build) and, if it is still a package build wrote and overwrite=True, moved
    aside first and deleted only once the new one is in place: a crash between leaves the old one aside, and the
    next build puts it back (_settle_leftovers)."""
    os.chmod(staging, 0o755)  # mkdtemp made it 0o700
    try:
        os.rename(staging, folder)
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise PackageBuildError([f"cannot put the package in place at {folder} ({exc.strerror})"]) from None
        try:
            _check_target(folder, overwrite)
        except PackageBuildError as changed:
            raise PackageBuildError([f"{folder} changed while the package was built, and nothing in it was replaced: "
                                     f"{changed.problems[0]}"]) from None
        aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.replaced-{os.getpid()}-", dir=folder.parent))
        os.rename(folder, aside / "old")
        os.rename(staging, folder)
        _fsync(folder.parent)
        shutil.rmtree(aside, ignore_errors=True)
    _fsync(folder.parent)


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>building|replaced)-(?P<pid>\d+)-")


def _settle_leftovers(folder: Path) -> None:
    """What a build of this folder killed midway (kill -9, a power cut) left beside it: a half-made package is
    deleted; an old package moved aside is put back if the folder is missing (the swap did not finish), else it is
    deleted (the swap did). Only leftovers of processes that are gone are touched."""
    try:
        entries = list(os.scandir(folder.parent))
    except OSError:
        return
    for entry in entries:
        found = _LEFTOVER.match(entry.name)
        if not found or found["name"] != folder.name or not entry.is_dir(follow_symlinks=False) \
                or _alive(int(found["pid"])):
            continue
        path = Path(entry.path)
        if found["kind"] == "replaced" and (path / "old").is_dir() and not folder.exists():
            os.rename(path / "old", folder)
            _fsync(folder.parent)
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != 0


def _make_parents(parent: Path) -> list[Path]:
    """Create the missing folders above the package; returns them (deepest first) to remove if the build fails."""
    missing = []
    for path in [parent, *parent.parents]:
        if path.exists():
            break
        missing.append(path)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PackageBuildError([f"cannot create {parent} ({exc.strerror}): choose a folder you can write to"]) from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for path in folders:
        try:
            path.rmdir()
        except OSError:
            break

