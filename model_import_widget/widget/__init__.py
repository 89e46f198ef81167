"""The notebook form and the registry browser; built on the rule table and the SDK, never on `requests`."""

from .form import ModelImportForm
from .model_list import ModelList

__all__ = ["ModelImportForm", "ModelList"]
