"""The seed's SDK (`modelarts.session`, `modelarts.model`, `modelarts.config.model_config`), working offline too."""

from .model import Model
from .session import Session

__all__ = ["Session", "Model"]
