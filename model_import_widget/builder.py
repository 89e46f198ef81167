"""A complete model package from a model object in memory: `package.build(model, folder, example=X[:2])`.

For a scikit-learn estimator or pipeline, an XGBoost Booster or estimator, or a PyTorch module it writes
`folder/model/` with the saved model in the engine's usual format, a `customize_service.py` subclassing the
engine's ModelArts base class (spec §5.3; templates in service_code.py), and a `config.json` with model_type,
runtime, the apis read off the example's request and answer, and the dependencies pinned to this kernel's versions.
Before it returns, the package passes `inspect` (the lint) and a dry run whose answer must equal the model's own
answer here. It is written beside `folder` and moved into place only then: a failure leaves `folder` as it was.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import config_file, service_code
from .dependencies import runtime_python
from .dryrun import DryRunResult, dry_run
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
    model package (model/config.json), which is then replaced whole. Raises PackageBuildError with what to change;
    then nothing was written.
    """
    folder = Path(folder).expanduser()
    kind = _kind_of(model)
    if model_type is not None and canonical_model_type(model_type) != kind.engine:
        raise PackageBuildError([f"model_type {model_type!r} does not fit a {_described(model)}: its packages are "
                                 f"{kind.engine}; leave model_type out"], str(folder))
    runtime = runtime or DEFAULT_RUNTIMES[kind.engine]
    _check_target(folder, overwrite)
    rows = _example_rows(model, kind, example)
    notes: list[str] = []
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.building-", dir=folder.parent))
    try:
        model_dir = staging / "model"
        model_dir.mkdir()
        notes += kind.save(model, model_dir, rows)
        answer = _jsonable(kind.predict(model, rows))
        (model_dir / "customize_service.py").write_text(service_code.render(kind.flavour, model, rows),
                                                        encoding="utf-8")
        request, response = {"instances": _jsonable(rows)}, {"predictions": answer}
        apis = apis_from_example(request, response)
        dependencies = _dependencies(staging, runtime, notes)
        config_file.write(model_dir / "config.json", {
            "model_algorithm": model_algorithm, "model_type": kind.engine, "runtime": runtime, "apis": apis,
            "dependencies": [{"installer": "pip", "packages": dependencies}] if dependencies else None})
        _sync_tree(staging)
        result = _check(model, staging, request, answer, timeout)
        files = sorted(path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file())
        _place(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
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
    if not folder.exists():
        return
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


def _dependencies(staging: Path, runtime: str, notes: list[str]) -> list[dict[str, Any]]:
    """The pip packages the service's code needs, pinned to this kernel's versions; what the runtime image has
    already is left out unless the saved model needs the exact version that saved it."""
    chosen, too_new = [], []
    for row in infer_dependencies(staging, runtime):
        if row["in_runtime"] and row["restraint"] != "EXACT":
            continue
        if not row["installed"]:  # the service's code imports only what saved the model here
            raise PackageBuildError([row["note"]])
        if row["note"]:
            too_new.append(f"{row['package_name']} {row['package_version']}")
        chosen.append({"package_name": row["package_name"], "package_version": row["package_version"],
                       "restraint": row["restraint"]})
    if too_new:
        python = runtime_python(runtime)
        notes.append(f"the runtime {runtime} has Python {python}, and {', '.join(too_new)} (this kernel's versions, "
                     f"pinned in config.json) do not install on it: build with runtime= a newer image, or with a "
                     f"Python {python} kernel, before importing to ModelArts (the embedded registry does not care)")
    return chosen


_LIBRARIES = {"sklearn", "numpy", "scipy", "xgboost", "joblib", "builtins", "torch", "pandas"}


def _own_classes(model: Any) -> list[type]:
    """The classes of the model and its parts (a pipeline's steps) that come from no library."""
    parts = [model]
    if callable(getattr(model, "get_params", None)):
        try:
            parts += list(model.get_params(deep=True).values())
        except Exception:  # noqa: BLE001 - the user's get_params
            pass
    return [type(part) for part in parts if _module_root(type(part)) not in _LIBRARIES]


def _check(model: Any, staging: Path, request: dict[str, Any], answer: Any, timeout: float) -> DryRunResult:
    report = inspect(staging)
    if not report.ok:
        raise PackageBuildError([f"the lint found: {p['message']}" for p in report.problems])
    result = dry_run(staging, request, timeout=timeout)
    if not result.ok:
        detail = f"\n{result.traceback}" if result.traceback else ""
        hint = ""
        if result.stage == "_inference" and ("No module named" in result.message
                                             or "Can't get attribute" in result.message):
            own = ", ".join(sorted({f"{cls.__module__}.{cls.__qualname__}" for cls in _own_classes(model)}))
            hint = (f"; the saved model refers to code the service does not have{f' ({own})' if own else ''}: "
                    f"classes and functions defined in the notebook cannot be loaded elsewhere. Use the library's "
                    f"own classes, or put yours in a module (a .py file) and add it to the package's model/ folder")
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


def _place(staging: Path, folder: Path) -> None:
    """The checked package becomes `folder`: a rename over a missing or empty folder, else the old package is moved
    aside first and deleted only once the new one is in place (a crash between leaves both, never neither)."""
    os.chmod(staging, 0o755)  # mkdtemp made it 0o700
    try:
        os.rename(staging, folder)
    except OSError:
        aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.replaced-", dir=folder.parent))
        os.rename(folder, aside / "old")
        os.rename(staging, folder)
        _fsync(folder.parent)
        shutil.rmtree(aside, ignore_errors=True)
    _fsync(folder.parent)

