"""The seed's `modelarts.config.model_config` names: the rule table's own models, not copies."""

from ...spec import Dependencies, Packages, Params, ServiceConfig

__all__ = ["ServiceConfig", "Params", "Dependencies", "Packages"]
