"""The seed's `modelarts.config.model_config` names: the rule table's own models, not copies."""

from ...spec import Dependencies, Packages, Params, Schedule, ServiceConfig, TransformerConfig

__all__ = ["ServiceConfig", "TransformerConfig", "Schedule", "Params", "Dependencies", "Packages"]
