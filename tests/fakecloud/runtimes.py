"""The GET /v1/{project_id}/models/ai-engine-runtimes catalogue (spec §2.4 shape, runtimes from §5.4)."""

from __future__ import annotations

import re

ENGINE_RUNTIMES = {
    "TensorFlow": ["python3.6", "python2.7", "tf1.13-python2.7-gpu", "tf1.13-python2.7-cpu", "tf1.13-python3.6-gpu",
                   "tf1.13-python3.6-cpu", "tf1.13-python3.7-cpu", "tf1.13-python3.7-gpu", "tf2.1-python3.7",
                   "tf1.13-python3.7-gpu-async", "tensorflow_2.1.0-cuda_10.1-py_3.7-ubuntu_18.04-x86_64",
                   "tensorflow_2.6.0-cuda_11.2-py_3.7-ubuntu_18.04-x86_64",
                   "tensorflow_1.15.5-cuda_11.4-py_3.8-ubuntu_20.04-x86_64",
                   "tensorflow_1.15.0-cann_6.3.0-py_3.7-euler_2.8.3-aarch64"],
    "PyTorch": ["python3.6", "python3.7", "pytorch1.4-python3.7", "pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64",
                "pytorch_1.8.2-cuda_11.1-py_3.7-ubuntu_18.04-x86_64",
                "pytorch_1.11.0-cann_6.3.0-py_3.7-euler_2.8.3-aarch64",
                "pytorch_1.11.0-cann_7.0.1-py_3.9-euler_2.10.7-aarch64-snt9b"],
    "MindSpore": ["mindspore_1.7.0-cuda_10.1-py_3.7-ubuntu_18.04-x86_64",
                  "mindspore_2.0.0-cann_6.3.0-py_3.7-euler_2.8.3-aarch64"],
    "MXNet": ["python3.7", "python3.6"],
    "Scikit_Learn": ["python3.6"],
    "XGBoost": ["python3.6"],
    "Spark_MLlib": ["python3.6"],
    "Caffe": ["python3.6", "python3.7", "python3.6-gpu", "python3.7-gpu", "python3.6-cpu", "python3.7-cpu"],
}


def _accelerator(runtime: str) -> dict:
    cuda = re.search(r"cuda_(\d+\.\d+)", runtime)
    if cuda:
        return {"type": "gpu", "name": "nvidia", "cuda_version": cuda.group(1), "driver_version_section": ">=440"}
    if "cann_" in runtime:
        return {"type": "npu", "name": "ascend-snt9b" if "snt9b" in runtime else "ascend-snt3",
                "cuda_version": "", "driver_version_section": ""}
    if "gpu" in runtime:
        return {"type": "gpu", "name": "nvidia", "cuda_version": "10.0", "driver_version_section": ">=410"}
    return {"type": "none", "name": "", "cuda_version": "", "driver_version_section": ""}


def engine_runtimes() -> list[dict]:
    """One entry per engine; runtimes[i] lines up with request_mode[i], accelerators[i], arch[i], ..."""
    engines = []
    for engine, runtimes in ENGINE_RUNTIMES.items():
        engines.append({
            "ai_engine": engine,
            "runtimes": list(runtimes),
            "request_mode": ["async" if runtime.endswith("-async") else "sync" for runtime in runtimes],
            "accelerators": [_accelerator(runtime) for runtime in runtimes],
            "arch": ["aarch64" if "aarch64" in runtime else "x86_64" for runtime in runtimes],
            "status_list": ["normal" for _ in runtimes],
            "image_source": ["uniform_image" if "-py_" in runtime else "base_image" for runtime in runtimes],
        })
    return engines
