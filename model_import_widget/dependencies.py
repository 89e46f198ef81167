"""Which pip distribution an imported module comes from, pinned to the version this kernel has installed, and whether
that version can install on the chosen runtime's Python. package.infer_dependencies finds the imports; this pins them.
Reads installed metadata only (importlib.metadata): nothing is imported, installed or fetched.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import re
from typing import Any, Optional

__all__ = ["pin", "runtime_python", "runtime_conflict", "SERIALISED_BY", "BUILD_VARIANTS"]

SERIALISED_BY = frozenset({"scikit-learn", "xgboost", "lightgbm", "catboost", "joblib", "torch", "tensorflow",
                           "keras", "mindspore", "mxnet", "onnx", "onnxruntime", "cloudpickle"})
"""Distributions whose saved models are read back only by the version that wrote them (a pickle of a scikit-learn
estimator warns or breaks under another version): pinned EXACT. Any other is pinned ATLEAST the kernel's version."""


BUILD_VARIANTS = {"xgboost-cpu": "xgboost"}
"""Distributions that are a build of another one with the same versions (xgboost-cpu is XGBoost without CUDA): the
pin names the usual distribution, which the service's images and index know."""


def _installed_name(name: str) -> str:
    """The distribution installed here under `name`, or the build variant of it that is (xgboost -> xgboost-cpu)."""
    for variant, usual in BUILD_VARIANTS.items():
        if _same(usual, name):
            try:
                metadata.version(usual)
            except metadata.PackageNotFoundError:
                return variant
    return name


@functools.lru_cache(maxsize=1)
def _providers() -> dict[str, list[str]]:
    return {module: list(dict.fromkeys(names)) for module, names in metadata.packages_distributions().items()}


def pin(module: str, guess: str, runtime: Optional[str] = None) -> dict[str, Any]:
    """The distribution behind top-level module `module` (`guess`: its usual pip name, used when none is installed),
    with this kernel's version and a suggested restraint: {package_name, installed, package_version, restraint,
    note}. `note` says what to check: a module no installed distribution provides, or a version that cannot install
    on `runtime`'s Python."""
    providers = _providers().get(module.split(".")[0], [])
    name = next((p for p in providers if _same(p, guess)), providers[0] if providers else None)
    if name is None:
        return {"package_name": guess, "installed": False, "package_version": None, "restraint": None,
                "note": f"no installed distribution provides {module}: check the name (pip install {guess}) before "
                        "importing, or drop it if the code does not need it"}
    try:
        version = metadata.version(name)
        needs = metadata.metadata(name).get("Requires-Python") or ""
    except metadata.PackageNotFoundError:  # (uninstalled since the table was read)
        return {"package_name": name, "installed": False, "package_version": None, "restraint": None,
                "note": f"{name} is no longer installed here"}
    version = version.split("+", 1)[0]  # 2.13.0+cpu: the local label names a build no index but its own has
    pinned = BUILD_VARIANTS.get(_canonical(name).lower(), _canonical(name))
    made = {"package_name": pinned, "installed": True, "package_version": version,
            "restraint": "EXACT" if pinned.lower() in SERIALISED_BY else "ATLEAST", "note": ""}
    python = runtime_python(runtime or "")
    if python and needs and not _allows(needs, python):
        made["note"] = (f"{made['package_name']} {version} needs Python {needs}, and the runtime {runtime} has "
                        f"Python {python}: pin a version that supports {python}, or choose a newer runtime")
    return made


def runtime_python(runtime: str) -> str:
    """The Python version of a runtime name ("python3.6", "tf1.13-python3.7-gpu", "pytorch_1.8.0-…-py_3.7-…"); ''."""
    found = re.search(r"(?:python|py_)(\d)\.(\d+)", runtime)
    return f"{found.group(1)}.{found.group(2)}" if found else ""


def runtime_conflict(packages: list[dict[str, Any]], runtime: Optional[str]) -> str:
    """A warning naming the pinned packages that cannot install on `runtime`'s Python, as far as this kernel can tell
    (a package installed here at the pinned version says which Pythons it supports); '' if none. `packages` are
    {package_name, package_version} rows (config.json's, the form's)."""
    python = runtime_python(runtime or "")
    if not python:
        return ""
    too_new = []
    for row in packages:
        name, version = str(row.get("package_name") or ""), str(row.get("package_version") or "")
        try:
            installed = metadata.version(_installed_name(name)).split("+", 1)[0]
            needs = metadata.metadata(_installed_name(name)).get("Requires-Python") or ""
        except metadata.PackageNotFoundError:
            continue
        if version and installed == version and needs and not _allows(needs, python):
            too_new.append(f"{name} {version} (Python {needs})")
    if not too_new:
        return ""
    return (f"the runtime {runtime} has Python {python}, too old for {', '.join(too_new)}: before importing into "
            f"ModelArts, choose a runtime with a newer Python (such as a custom image) or pin older versions that "
            f"support Python {python} (the embedded registry does not check this)")


def _allows(requires: str, python: str) -> bool:
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
    except ImportError:  # (packaging comes with pip and JupyterLab; without it, nothing is claimed)
        return True
    try:
        return SpecifierSet(requires).contains(python, prereleases=True)
    except InvalidSpecifier:
        return True


def _same(a: str, b: str) -> bool:
    return re.sub(r"[-_.]+", "-", a).lower() == re.sub(r"[-_.]+", "-", b).lower()


def _canonical(name: str) -> str:
    """The distribution's own spelling of its name (its metadata's Name), e.g. PyYAML, scikit-learn."""
    try:
        return metadata.metadata(name).get("Name") or name
    except metadata.PackageNotFoundError:
        return name
