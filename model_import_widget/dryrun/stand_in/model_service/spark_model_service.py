"""Stand-in for ModelArts' spark_model_service (Spark MLlib)."""

from .model_service import _StandInService


class SparkServingBaseService(_StandInService):
    """Spark MLlib: see _StandInService. Constructed as Service(model_path)."""

    _takes_model_path_only = True
