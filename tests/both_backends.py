"""Fixtures for suites that run the same SDK code on both backends: the embedded registry and ModelArts (the contract
server). `from both_backends import cloud, session` in a test module brings them in."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fakecloud import FakeCloud
from model_import_widget import Session

_names = iter(range(10_000))


@pytest.fixture(scope="module")
def cloud():
    with FakeCloud(publish_delay=0.02) as running:
        yield running


@pytest.fixture(params=["embedded", "modelarts"])
def session(request, cloud, tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_", "MODEL_IMPORT_WIDGET_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_HTTP_BACKOFF", "0.002")
    monkeypatch.setenv("MODEL_IMPORT_WIDGET_POLL_INTERVAL", "0.01")
    if request.param == "embedded":
        made = Session(backend="embedded", home=tmp_path / "registry")
    else:
        for name, value in cloud.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("MODEL_IMPORT_WIDGET_OBS_LOCATION", f"obs://{cloud.bucket}/suite/")
        made = Session(access_key=cloud.access_key, secret_key=cloud.secret_key, region_name=cloud.region,
                       home=tmp_path / "registry")
    with made:
        yield made


def new_name(stem: str, sep: str = "-") -> str:
    """A model name no other test uses (the cloud lives for the whole module)."""
    return f"{stem}{sep}{next(_names)}{sep}{os.getpid()}"


def unique_number() -> int:
    return next(_names)


def package(root: Path, *, model_type: str = "PyTorch", weights: int = 4096) -> str:
    """A package folder: root/model/{config.json, customize_service.py, weights.pth}; returns root."""
    model = root / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"model_type": model_type, "model_algorithm": "image_classification"}))
    (model / "customize_service.py").write_text("class Service:\n    pass\n")
    (model / "weights.pth").write_bytes(os.urandom(weights))
    return str(root)


def obs_package(session, cloud, tmp_path: Path, stem: str, *, model_type: str = "PyTorch", inside: str = "") -> str:
    """A package on OBS where the session's backend reads it: the fake OBS for ModelArts, <home>/obs/<bucket>/ for the
    embedded registry (which reads OBS paths from disk). Returns `/bucket/dir/`, the pages' OBS path spelling (`inside` goes between dir/ and the package)."""
    local = Path(package(tmp_path / "obs-source" / stem, model_type=model_type))
    prefix = f"vendor-samples/{stem}/{inside}"
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(local).as_posix()
        if session.backend == "embedded":
            target = session.home / "obs" / cloud.bucket / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
        else:
            cloud.obs.put_object(cloud.bucket, key, path.read_bytes())
    return f"/{cloud.bucket}/{prefix}"
