"""Stand-in for ModelArts' mxnet_model_service (MXNet)."""

from .model_service import _StandInService


class MXNetBaseService(_StandInService):
    """MXNet: see _StandInService."""
