"""Stand-in for MindSpore's base class under a second module name some packages use."""

from .model_service import SingleNodeService

__all__ = ["SingleNodeService"]
