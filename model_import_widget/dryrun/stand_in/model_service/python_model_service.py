"""Stand-in for ModelArts' python_model_service (XGBoost and scikit-learn)."""

from .model_service import _StandInService


class XgSklServingBaseService(_StandInService):
    """XGBoost and scikit-learn: see _StandInService. Constructed as Service(model_path)."""

    _takes_model_path_only = True
