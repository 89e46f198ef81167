"""FakeCloud: one account in one region — ModelArts, IAM, metadata and OBS stand-ins, each on its own loopback
port, sharing one key ring, one request log and one fault list. Start it in a `with` block; stop leaves no thread.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Optional

from .faults import FaultList
from .http import RequestLog, RequestRecord
from .iam import IamStandIn
from .keyring import KeyRing, random_hex
from .metadata import MetadataStandIn
from .modelarts import ModelArtsStandIn

try:
    from .obs import ObsStandIn
    OBS_MISSING: Optional[str] = None
except ImportError as exc:  # another engineer writes obs.py; until it exists the OBS checks skip
    ObsStandIn = None  # type: ignore[assignment,misc]
    OBS_MISSING = f"tests/fakecloud/obs.py is not importable yet ({exc})"


class FakeCloud:
    def __init__(self, publish_delay: float = 0.05, region: str = "cn-north-4", *, host: str = "127.0.0.1",
                 bucket: str = "model-bucket"):
        self.region = region
        self.project_id = random_hex(32)
        self.domain_id = random_hex(32)
        self.account = "fake-account"
        self.username = "fake-user"
        self.password = "Fake-Pa55word!" + random_hex(8)
        self.bucket = bucket
        self.keyring = KeyRing()
        permanent = self.keyring.add_permanent()
        self.access_key, self.secret_key = permanent.access, permanent.secret
        self.log = RequestLog()
        self.faults = FaultList({"project_id": self.project_id})
        self._skew = 0.0
        shared = {"host": host, "log": self.log, "faults": self.faults}
        self.modelarts_stand_in = ModelArtsStandIn(self, publish_delay=publish_delay, **shared)
        self.iam = IamStandIn(self, **shared)
        self.iam.add_user(self.username, self.password, random_hex(32))
        self.metadata = MetadataStandIn(self, **shared)
        self._obs_root: Optional[Path] = None
        self.obs: Any = None
        if ObsStandIn is not None:
            self._obs_root = Path(tempfile.mkdtemp(prefix="fakecloud-obs-"))
            self.obs = ObsStandIn(self.keyring.keys, root=self._obs_root, host=host)
            self.obs.faults = self.faults     # one fault list and one log for every service
            if hasattr(self.obs, "log"):
                self.obs.log = self.log
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def _stand_ins(self) -> list[Any]:
        return [self.modelarts_stand_in, self.iam, self.metadata] + ([self.obs] if self.obs is not None else [])

    def start(self) -> "FakeCloud":
        if not self._started:
            try:
                for stand_in in self._stand_ins():
                    stand_in.start()
                if self.obs is not None:
                    self.obs.create_bucket(self.bucket)
            except BaseException:
                self.stop()
                raise
            self._started = True
        return self

    def stop(self) -> None:
        # in parallel: each server needs up to one poll interval to notice its shutdown
        stoppers = [threading.Thread(target=stand_in.stop, name="fakecloud-stop") for stand_in in self._stand_ins()]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        if self._obs_root is not None:
            shutil.rmtree(self._obs_root, ignore_errors=True)
        self._started = False

    def __enter__(self) -> "FakeCloud":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- where things are --------------------------------------------------------------------------------------
    modelarts_url = property(lambda self: self.modelarts_stand_in.url)
    iam_url = property(lambda self: self.iam.url)
    metadata_url = property(lambda self: self.metadata.url)
    obs_url = property(lambda self: self.obs.url if self.obs is not None else None)

    def env(self) -> dict[str, str]:
        """Endpoint overrides that point the SDK at the stand-ins (no credentials in it)."""
        region = self.region.upper().replace("-", "_")
        env = {f"HUAWEICLOUD_SDK_REGION_MODELARTS_{region}": self.modelarts_url,
               "HUAWEICLOUD_SDK_IAM_ENDPOINT": self.iam_url,
               "MODEL_IMPORT_WIDGET_METADATA_URL": self.metadata_url}
        if self.obs is not None:
            env[f"HUAWEICLOUD_SDK_REGION_OBS_{region}"] = self.obs_url
        return env

    def obs_source(self, prefix: str, bucket: Optional[str] = None) -> str:
        """The source_location of an OBS prefix in the stand-in: https://<bucket>.127.0.0.1:PORT/<prefix>/."""
        if self.obs is None:
            raise RuntimeError(OBS_MISSING)
        return f"https://{bucket or self.bucket}.{self.obs.url.split('://', 1)[1]}/{prefix.strip('/')}/"

    def put_model_package(self, prefix: str, *, model_type: str = "PyTorch", config: bool = True,
                          service: bool = True, files: Optional[dict[str, bytes]] = None) -> str:
        """Upload a minimal model package (model/config.json, model/customize_service.py, a weights file) under
        `prefix` of the default bucket; returns its source_location."""
        if self.obs is None:
            raise RuntimeError(OBS_MISSING)
        base = prefix.strip("/") + "/"
        content: dict[str, bytes] = {"model/weights.bin": bytes(range(256)) * 4}
        if config:
            content["model/config.json"] = (b'{"model_type": "%s", "model_algorithm": "image_classification"}'
                                            % model_type.encode())
        if service:
            content["model/customize_service.py"] = b"class Service:\n    pass\n"
        content.update(files or {})
        for key, data in content.items():
            self.obs.put_object(self.bucket, base + key, data)
        return self.obs_source(prefix)

    # -- server-side state for assertions ----------------------------------------------------------------------
    @property
    def models(self) -> dict[str, dict]:
        return self.modelarts_stand_in.models

    @property
    def requests(self) -> list[RequestRecord]:
        return self.log.snapshot()

    def creates(self) -> list[RequestRecord]:
        path = f"/v1/{self.project_id}/models"
        return [r for r in self.requests if r.service == "modelarts" and r.method == "POST" and r.path == path]

    @property
    def issued_tokens(self) -> int:
        return self.iam.issued_tokens

    @property
    def metadata_calls(self) -> int:
        return self.metadata.calls

    # -- levers ------------------------------------------------------------------------------------------------
    def expire_tokens(self) -> None:
        self.keyring.expire_tokens()

    def expire_credentials(self) -> None:
        """Every temporary AK/SK (metadata or securitytokens) expires now."""
        self.keyring.expire_credentials()

    def fail_next_import(self, reason: str = "Failed to publish model.") -> None:
        self.modelarts_stand_in.fail_next_import(reason)

    def deploy(self, model_id: str) -> None:
        self.modelarts_stand_in.deploy(model_id)

    def clock_skew(self, seconds: float) -> None:
        """Every stand-in's clock is `seconds` off for the request-date checks (X-Sdk-Date, OBS Date)."""
        self._skew = float(seconds)
        if self.obs is not None and hasattr(self.obs, "clock_skew"):
            self.obs.clock_skew = self._skew

    def server_time(self) -> float:
        return time.time() + self._skew
