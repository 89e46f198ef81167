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

_TEMPLATES = {
    "sklearn": '''\
"""ModelArts inference code for a scikit-learn {what}, written by model_import_widget.package.build.

Request: {{"instances": [[feature, ...], ...]}}  ->  Response: {{"predictions": [...]}}
"""

import json
import os

import joblib
import numpy
import sklearn  # noqa: F401 - the saved model loads only with the scikit-learn version that saved it

from model_service.python_model_service import XgSklServingBaseService

{common}

class ModelService(XgSklServingBaseService):
    model = None

    def _preprocess(self, data):
        return numpy.asarray(instances(data), dtype=DTYPE)

    def _inference(self, data):
        if self.model is None:
            self.model = joblib.load(MODEL_FILE)
        return self.model.predict(data)

    def _postprocess(self, data):
        return {{"predictions": numpy.asarray(data).tolist()}}
''',
    "xgboost_estimator": '''\
"""ModelArts inference code for an XGBoost {what}, written by model_import_widget.package.build.

Request: {{"instances": [[feature, ...], ...]}}  ->  Response: {{"predictions": [...]}}
"""

import json
import os

import numpy
import xgboost

from model_service.python_model_service import XgSklServingBaseService

{common}

class ModelService(XgSklServingBaseService):
    model = None

    def _preprocess(self, data):
        return numpy.asarray(instances(data), dtype=DTYPE)

    def _inference(self, data):
        if self.model is None:
            self.model = xgboost.{cls}()
            self.model.load_model(MODEL_FILE)
        return self.model.predict(data)

    def _postprocess(self, data):
        return {{"predictions": numpy.asarray(data).tolist()}}
''',
    "xgboost_booster": '''\
"""ModelArts inference code for an XGBoost Booster, written by model_import_widget.package.build.

Request: {{"instances": [[feature, ...], ...]}}  ->  Response: {{"predictions": [...]}}
"""

import json
import os

import numpy
import xgboost

from model_service.python_model_service import XgSklServingBaseService

{common}

class ModelService(XgSklServingBaseService):
    model = None

    def _preprocess(self, data):
        return numpy.asarray(instances(data), dtype=DTYPE)

    def _inference(self, data):
        if self.model is None:
            self.model = xgboost.Booster(model_file=MODEL_FILE)
        return self.model.predict(xgboost.DMatrix(data, feature_names=self.model.feature_names))

    def _postprocess(self, data):
        return {{"predictions": numpy.asarray(data).tolist()}}
''',
    "torch": '''\
"""ModelArts inference code for a PyTorch {what} saved as TorchScript, written by model_import_widget.package.build.

Request: {{"instances": [[...], ...]}} (one input tensor per row)  ->  Response: {{"predictions": [...]}}
"""

import json
import os

import torch

from model_service.pytorch_model_service import PTServingBaseService

{common}

class ModelService(PTServingBaseService):
    model = None

    def _preprocess(self, data):
        return torch.tensor(instances(data), dtype=getattr(torch, DTYPE))

    def _inference(self, data):
        if self.model is None:
            self.model = torch.jit.load(MODEL_FILE, map_location="cpu")
            self.model.eval()
        with torch.no_grad():
            return self.model(data)

    def _postprocess(self, data):
        return {{"predictions": data.tolist()}}
''',
}


def render(flavour: str, model: Any, rows: Any) -> str:
    """customize_service.py for a model of this template (`flavour`) whose example rows are `rows`."""
    file = MODEL_FILES[flavour.split("_")[0]]
    dtype = str(rows.dtype).replace("torch.", "")
    common = _COMMON.format(file=file, dtype=dtype)
    return _TEMPLATES[flavour].format(what=type(model).__name__, cls=type(model).__name__, common=common)
