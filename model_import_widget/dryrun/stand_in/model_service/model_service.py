"""The stand-in base every engine's class shares, and MindSpore's SingleNodeService (model_service.model_service)."""


class EngineNotImitated(NotImplementedError):
    """The base class's own _inference was called: the engine it would run is not here (not the package's fault)."""


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
        real = next((cls.__name__ for cls in type(self).__mro__ if cls.__module__.startswith("model_service.")
                     and not cls.__name__.startswith("_")), "the base class")
        raise EngineNotImitated(
            f"ModelArts' {real} runs the engine on the weights in _inference, and a local try only imitates the base "
            f"class: define _inference in customize_service.py (or set self.model to a function in __init__) to try "
            f"this package here")

    def _postprocess(self, data):
        return data


class SingleNodeService(_StandInService):
    """MindSpore."""
