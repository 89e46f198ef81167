"""The stand-in base every engine's class shares, and MindSpore's SingleNodeService (model_service.model_service)."""


class _StandInService:
    """What ModelArts' base classes give a subclass: `model_name`, `model_path` and the three stages.

    The real `_inference` runs the engine on the weights; this one can only call `self.model` if the subclass
    set one (a plain callable), because no engine is loaded here."""

    _takes_model_path_only = False  # ModelArts constructs DL services as (model_name, model_path), ML ones (model_path)

    def __init__(self, *args, model_name=None, model_path=None):
        if len(args) == 1 and self._takes_model_path_only:
            model_path = args[0]
        elif args:
            model_name, model_path = (list(args) + [model_path])[:2]
        self.model_name = model_name
        self.model_path = model_path

    def _preprocess(self, data):
        return data

    def _inference(self, data):
        model = getattr(self, "model", None)
        if callable(model):
            return model(data)
        raise NotImplementedError(
            f"the dry run's stand-in {type(self).__mro__[-2].__name__} loads no engine: set self.model to a "
            f"callable in __init__ or override _inference")

    def _postprocess(self, data):
        return data


class SingleNodeService(_StandInService):
    """MindSpore."""
