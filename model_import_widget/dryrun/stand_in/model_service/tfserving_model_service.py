"""Stand-in for ModelArts' tfserving_model_service (TensorFlow)."""

from .model_service import _StandInService


class TfServingBaseService(_StandInService):
    """TensorFlow: see _StandInService."""
