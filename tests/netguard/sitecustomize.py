"""Installs the tests' network guard in every Python the test suite starts (this folder is on their PYTHONPATH).

Python imports only the first sitecustomize on sys.path, so this one then runs the next one it would have
shadowed (a venv's or the distribution's), under its own name.
"""

import importlib.machinery
import importlib.util
import os
import sys

import model_import_widget_netguard

model_import_widget_netguard.install()


def _run_shadowed_sitecustomize() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None or os.path.abspath(spec.origin or "") == os.path.abspath(__file__):
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["_shadowed_sitecustomize"] = module


_run_shadowed_sitecustomize()
