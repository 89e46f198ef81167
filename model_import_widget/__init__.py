"""Import trained models into Huawei Cloud ModelArts, or an embedded registry on this machine, from Jupyter."""

from . import errors, spec
from .errors import (
    DuplicateModelError,
    ImportFailedError,
    ModelImportError,
    ModelNotFoundError,
    SpecValidationError,
)
from .sdk.model import Model
from .sdk.session import Session
from .spec import Dependencies, Packages, Params, ServiceConfig

__version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds this package's prebuilt front end (the form's widget views)."""
    return [{"src": "labextension", "dest": "model-import-widget"}]

__all__ = [
    "Session",
    "Model",
    "Params",
    "Dependencies",
    "Packages",
    "ServiceConfig",
    "errors",
    "spec",
    "ModelImportError",
    "SpecValidationError",
    "ModelNotFoundError",
    "DuplicateModelError",
    "ImportFailedError",
]
