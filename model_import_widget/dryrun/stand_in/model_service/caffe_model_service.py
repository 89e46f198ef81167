"""Stand-in for ModelArts' caffe_model_service (Caffe)."""

from .model_service import _StandInService


class CaffeBaseService(_StandInService):
    """Caffe: see _StandInService."""
