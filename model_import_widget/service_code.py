"""The customize_service.py that package.build writes for each kind of model: plain code a user can read and edit.

Every service answers `{"instances": [[...], ...]}` with `{"predictions": [...]}`, reads the request whether the
service hands it over parsed or as JSON text, finds the saved model beside the file (whatever `model_path` the
service passes), loads it once on the first request, and subclasses the engine's ModelArts base class (spec §5.3).
"""

from __future__ import annotations

from typing import Any

__all__ = ["render", "MODEL_FILES"]

MODEL_FILES = {"sklearn": "model.joblib", "xgboost": "model.ubj", "torch": "model.pt"}
"""The saved model's file name in model/, per template: joblib for scikit-learn, XGBoost's own binary JSON (UBJSON),
TorchScript for PyTorch."""

_COMMON = '''\
MODEL_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), {file!r})
DTYPE = {dtype!r}  # the type of the example's values


def instances(data):
    """The request's rows: {{"instances": [[...], ...]}}, parsed or as JSON text."""
    if isinstance(data, (bytes, str)):
        data = json.loads(data)
    if not isinstance(data, dict) or not isinstance(data.get("instances"), list):
        raise ValueError('the request must be a JSON object {{"instances": [[...], ...]}}, one row per prediction')
    return data["instances"]
'''

_SERVICE = '''\
"""ModelArts inference code for {what}, written by model_import_widget.package.build.

Request: {{"instances": [[...], ...]}} (one input row each)  ->  Response: {{"predictions": [...]}}
"""

import json
import os

{imports}

from model_service.{base_module} import {base}

{common}

class ModelService({base}):
    model = None

    def _preprocess(self, data):
        return {preprocess}

    def _inference(self, data):
        if self.model is None:
{load}
{infer}

    def _postprocess(self, data):
        return {{"predictions": {to_list}.tolist()}}
'''

_ML = {"base_module": "python_model_service", "base": "XgSklServingBaseService",
       "preprocess": "numpy.asarray(instances(data), dtype=DTYPE)", "to_list": "numpy.asarray(data)"}
_KINDS: dict[str, dict[str, str]] = {  # what differs between the engines; the rest is _SERVICE
    "sklearn": {**_ML, "what": "a scikit-learn {cls}",
                "imports": "import joblib\nimport numpy\nimport sklearn  # noqa: F401 - the saved model loads only with "
                           "the scikit-learn version that saved it",
                "load": "self.model = joblib.load(MODEL_FILE)", "infer": "return self.model.predict(data)"},
    "xgboost_estimator": {**_ML, "what": "an XGBoost {cls}", "imports": "import numpy\nimport xgboost",
                          "load": "self.model = xgboost.{cls}()\nself.model.load_model(MODEL_FILE)",
                          "infer": "return self.model.predict(data)"},
    "xgboost_booster": {**_ML, "what": "an XGBoost Booster", "imports": "import numpy\nimport xgboost",
                        "load": "self.model = xgboost.Booster(model_file=MODEL_FILE)",
                        "infer": "return self.model.predict(xgboost.DMatrix(data, feature_names=self.model.feature_names))"},
    "torch": {"what": "a PyTorch {cls} saved as TorchScript", "imports": "import torch",
              "base_module": "pytorch_model_service", "base": "PTServingBaseService",
              "preprocess": "torch.tensor(instances(data), dtype=getattr(torch, DTYPE))", "to_list": "data",
              "load": "self.model = torch.jit.load(MODEL_FILE, map_location=\"cpu\")\nself.model.eval()",
              "infer": "with torch.no_grad():\n    return self.model(data)"},
}


def _indented(code: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in code.splitlines())


def render(flavour: str, model: Any, rows: Any) -> str:
    """customize_service.py for a model of this template (`flavour`) whose example rows are `rows`."""
    kind = {key: value.replace("{cls}", type(model).__name__) for key, value in _KINDS[flavour].items()}
    common = _COMMON.format(file=MODEL_FILES[flavour.split("_")[0]], dtype=str(rows.dtype).replace("torch.", ""))
    return _SERVICE.format(**{**kind, "load": _indented(kind["load"], 12), "infer": _indented(kind["infer"], 8)},
                           common=common)
