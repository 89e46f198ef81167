"""Stand-in for ModelArts' pytorch_model_service (PyTorch)."""

from .model_service import _StandInService


class PTServingBaseService(_StandInService):
    """PyTorch: see _StandInService."""
