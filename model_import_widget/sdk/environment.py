"""The vendor SDK's `Environment` and `CondaDependencies` (`modelarts.environment`), as this SDK's model fields.

`environment_fields(env)` turns one into `{"runtime": …, "dependencies": […]}` in the rule table's shape, or raises
SpecValidationError listing every package it cannot express. ModelArts installs pip packages only (spec.Dependency),
so conda packages are refused, with the pip spelling to use instead. `python_version`, like a conda `python=` pin,
maps to nothing: ModelArts picks Python through the runtime, so give it as `Environment(runtime=…)` (or Model's
`runtime=`).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Optional

from .. import spec
from ..errors import SpecValidationError

__all__ = ["Environment", "CondaDependencies", "environment_fields"]

_PIP_RULES = {"==": "EXACT", ">=": "ATLEAST", "<=": "ATMOST", "~=": "ATLEAST"}  # ~=1.4 keeps only its lower bound
_CONDA_RULES = {"=": "EXACT", "==": "EXACT", ">=": "ATLEAST", "<=": "ATMOST"}
_TAKES = "EXACT ==, ATLEAST >= or ATMOST <="
_NAME_RE, _VERSION_RE = re.compile(spec.PACKAGE_NAME_PATTERN), re.compile(spec.PACKAGE_VERSION_PATTERN)
_SPLIT_RE = re.compile(r"^(?P<name>[^\s\[\]<>=!~,;]+)\s*(?P<extras>\[[^\]]*\])?\s*(?P<rest>.*)$")
_OP_RE = re.compile(r"(===|==|~=|!=|<=|>=|=|<|>)?(.*)")


def _strings(value: Optional[Iterable[str]], what: str) -> list:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a list of requirement strings, like ['numpy==1.21.0'], not one string")
    return list(value or [])


class CondaDependencies:
    """The packages an environment needs: `pip_packages` and `conda_packages` (requirement strings)."""

    def __init__(self, pip_packages: Optional[Iterable[str]] = None, conda_packages: Optional[Iterable[str]] = None,
                 python_version: Optional[str] = None):
        self.pip_packages: list = _strings(pip_packages, "pip_packages")
        self.conda_packages: list = _strings(conda_packages, "conda_packages")
        self.python_version = python_version  # kept, never sent: the runtime decides the Python version

    @classmethod
    def create(cls, pip_packages: Optional[Iterable[str]] = None, conda_packages: Optional[Iterable[str]] = None,
               python_version: Optional[str] = None) -> "CondaDependencies":
        return cls(pip_packages, conda_packages, python_version)

    def add_pip_package(self, spec: str) -> None:
        self.pip_packages.append(spec)

    def add_conda_package(self, spec: str) -> None:
        self.conda_packages.append(spec)

    def __repr__(self) -> str:
        parts = [f"{key}={getattr(self, key)!r}" for key in ("pip_packages", "conda_packages", "python_version")
                 if getattr(self, key)]
        return f"CondaDependencies({', '.join(parts)})"


class Environment:
    """Where a model runs: a `runtime` (e.g. python3.7) and the packages in `conda`; `name` is only a label."""

    def __init__(self, name: Optional[str] = None, runtime: Optional[str] = None,
                 conda: Optional[CondaDependencies] = None):
        self.name, self.runtime, self.conda = name, runtime, conda

    def __repr__(self) -> str:
        parts = [f"{key}={getattr(self, key)!r}" for key in ("name", "runtime", "conda")
                 if getattr(self, key) is not None]
        return f"Environment({', '.join(parts)})"


def _split(text: str, rules: dict) -> Any:
    """`name[extras] <op> version` -> (package_name, op, version); a problem (str) instead when it cannot be read."""
    if ";" in text:
        return (f"{text!r} has an environment marker: ModelArts installs every package always; "
                f"write {text.split(';')[0].strip()!r}")
    if text.startswith("-"):
        return f"{text!r} is a pip option, not a package: list the packages themselves, like 'numpy==1.21.0'"
    if "://" in text or "@" in text or text.startswith((".", "/", "~")):
        return (f"{text!r} is a URL or a path: ModelArts installs from the package index only; "
                "write a name and a version, like 'numpy==1.21.0'")
    match = _SPLIT_RE.match(text)
    name = match["name"] + re.sub(r"\s*([\[\],])\s*", r"\1", match["extras"] or "") if match else ""
    rest = re.sub(r"\s+", "", match["rest"]) if match else text
    if "," in rest:
        op, version = _OP_RE.match(rest.split(",")[0]).groups()
        hint = f"; write '{name}{op}{version}'" if op in rules else ""
        return f"{text!r} has {rest.count(',') + 1} version rules: ModelArts takes one ({_TAKES}){hint}"
    op, version = _OP_RE.match(rest).groups()
    if not match or (version and not op):
        return f"{text!r} is not a requirement: write a name and at most one version rule, like 'numpy==1.21.0'"
    if op and op not in rules:
        near = {"=": "==", "===": "==", "<": "<=", ">": ">="}.get(op, "")
        hint = f" (write {name + near + version!r} if {version} itself will do)" if near else ""
        return f"{text!r} uses {op}, which ModelArts cannot express: it takes {_TAKES}{hint}"
    if not _NAME_RE.match(name):
        return f"package name {name!r} in {text!r} is not a pip distribution name (letters, digits, . _ -, [extras])"
    if op and not _VERSION_RE.match(version):
        return f"version {version!r} in {text!r} is not a plain version like 1.21.0 (no wildcards)"
    return name, op or "", version


def _package(name: str, op: str, version: str, rules: dict) -> dict:
    if not op:
        return {"package_name": name}
    return {"package_name": name, "package_version": version, "restraint": rules[op]}


def environment_fields(env: Optional[Environment]) -> dict:
    """`env` as model fields: `runtime` (when set) and `dependencies` (when there are packages); {} for None."""
    if env is None:
        return {}
    if not isinstance(env, Environment):
        raise TypeError(f"environment must be an Environment (from model_import_widget.sdk.environment), "
                        f"not {type(env).__name__}")
    fields: dict = {}
    errors: list = []
    if isinstance(env.runtime, str) and env.runtime.strip():
        fields["runtime"] = env.runtime.strip()
    elif env.runtime not in (None, ""):
        errors.append({"field": "environment.runtime", "type": "environment_runtime",
                       "message": f"runtime must be text like 'python3.7', not {type(env.runtime).__name__}"})
    conda = env.conda
    if conda is not None and not isinstance(conda, CondaDependencies):
        raise TypeError("environment.conda must be a CondaDependencies (CondaDependencies.create(pip_packages=[…])),"
                        f" not {type(conda).__name__}")
    packages = []
    for group, items in (("pip_packages", conda.pip_packages if conda else []),
                         ("conda_packages", conda.conda_packages if conda else [])):
        rules = _PIP_RULES if group == "pip_packages" else _CONDA_RULES
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                problem = f"a package must be a requirement string like 'numpy==1.21.0', not {item!r}"
            elif group == "pip_packages":
                problem = _split(item.strip(), rules)
                if isinstance(problem, tuple):
                    packages.append(_package(*problem, rules))
                    continue
            else:  # the rule table's only installer is pip: say how to write the package for pip, when readable
                parts = _split(item.strip(), rules)
                if isinstance(parts, tuple) and parts[0].lower() == "python":
                    continue  # a Python pin (the vendor's sample has python=3.6.2): the runtime picks Python

                pip = f" as '{parts[0]}{'==' if parts[1] in ('=', '==') else parts[1]}{parts[2]}'" \
                    if isinstance(parts, tuple) else " under its pip name"
                problem = (f"{item.strip()!r} is a conda package: ModelArts installs pip packages only; move it to "
                           f"pip_packages{pip} (names can differ: conda's opencv is opencv-python on PyPI)")
            errors.append({"field": f"environment.conda.{group}[{i}]", "type": "environment_package",
                           "message": problem})
    if errors:
        raise SpecValidationError(errors)
    if packages:
        fields["dependencies"] = [{"installer": "pip", "packages": packages}]
    return fields
