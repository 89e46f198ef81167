"""Import trained models into Huawei Cloud ModelArts, or an embedded registry on this machine, from Jupyter."""

from . import errors, spec
from .errors import (
    AuthenticationError,
    CredentialsError,
    DuplicateModelError,
    ImportCancelledError,
    ImportFailedError,
    ModelImportError,
    ModelNotFoundError,
    NetworkError,
    ObsLocationError,
    PackageError,
    PermissionDeniedError,
    RegistryDamagedError,
    RegistryReadOnlyError,
    ServiceError,
    SpecValidationError,
    ThrottledError,
)
from .sdk.model import Model
from .sdk.session import Session
from .spec import Dependencies, Packages, Params, ServiceConfig

__version__ = "0.1.0"


def __getattr__(name: str):
    # The widgets load ipywidgets; import them only when asked for, so the SDK alone stays light.
    if name in ("ModelImportForm", "ModelList"):
        from . import widget

        return getattr(widget, name)
    raise AttributeError(f"module 'model_import_widget' has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds this package's prebuilt front end (the form's widget views)."""
    return [{"src": "labextension", "dest": "model-import-widget"}]

__all__ = [
    "ModelImportForm",
    "ModelList",
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
    "ImportCancelledError",
    "CredentialsError",
    "ServiceError",
    "AuthenticationError",
    "PermissionDeniedError",
    "ThrottledError",
    "NetworkError",
    "ObsLocationError",
    "PackageError",
    "RegistryDamagedError",
    "RegistryReadOnlyError",
]
