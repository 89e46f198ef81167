"""Speed of the rule table and of importing the package, each as a ratio to a baseline measured in this run.

    python benchmarks/bench_spec.py

Goals (issue 2): full validation of a form-sized spec ≤ 1.5× a bare pydantic `model_validate` of the same dict and
≤ 0.5 ms; `import model_import_widget` ≤ 1.2× `import ipywidgets, pydantic`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Optional

from pydantic import BaseModel

from model_import_widget import spec

FORM = {
    "model_name": "digit_recognition",
    "model_version": "1.0.0",
    "source_location_type": "OBS_SOURCE",
    "source_location": "obs://my-bucket/models/mnist/",
    "model_type": "MXNet",
    "model_algorithm": "image_classification",
    "description": "handwritten digits",
    "execution_code": "obs://my-bucket/models/mnist/model/customize_service.py",
    "runtime": "python3.6",
    "input_params": [{"url": "/", "param_name": f"in{i}", "param_type": "number", "min": 0, "max": 1,
                      "param_desc": "a pixel"} for i in range(4)],
    "output_params": [{"url": "/", "param_name": "label", "param_type": "string"}],
    "dependencies": [{"installer": "pip", "packages": [
        {"package_name": name, "package_version": "1.15.0", "restraint": "EXACT"} for name in ("numpy", "h5py", "pillow")]}],
}


# The same shape with plain types and no rules: what pydantic costs with nothing of ours.
class BareParam(BaseModel):
    url: str
    param_name: str
    param_type: str
    min: Optional[float] = None
    max: Optional[float] = None
    param_desc: Optional[str] = None


class BarePackage(BaseModel):
    package_name: str
    package_version: Optional[str] = None
    restraint: Optional[str] = None


class BareDependency(BaseModel):
    installer: str
    packages: list[BarePackage]


class BareSpec(BaseModel):
    model_name: Optional[str] = None
    model_version: str
    source_location_type: str = "OBS_SOURCE"
    source_location: str
    model_type: str
    model_algorithm: Optional[str] = None
    description: Optional[str] = None
    execution_code: Optional[str] = None
    runtime: Optional[str] = None
    input_params: list[BareParam] = []
    output_params: list[BareParam] = []
    dependencies: list[BareDependency] = []


def per_call(fn, rounds: int = 7, number: int = 2000) -> float:
    """Median seconds per call over `rounds` batches."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def import_time(statement: str, runs: int = 9) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    assert spec.validate(FORM) == [], spec.validate(FORM)
    bare = per_call(lambda: BareSpec.model_validate(FORM))
    ours_model = per_call(lambda: spec.ModelSpec.model_validate(FORM))
    ours_full = per_call(lambda: spec.validate(FORM))
    invalid = {**FORM, "model_version": "01.0.0", "input_params": [{**FORM["input_params"][0], "min": 5, "max": 1}]}
    ours_invalid = per_call(lambda: spec.validate(invalid), number=500)
    print("validation of a form-sized spec (4 input params, 1 output, 3 packages)")
    print(f"  bare pydantic model_validate (no rules)      {bare * 1e6:8.1f} µs")
    print(f"  ModelSpec.model_validate (all rules)         {ours_model * 1e6:8.1f} µs   {ours_model / bare:5.2f}× bare")
    print(f"  spec.validate (rules + report), valid        {ours_full * 1e6:8.1f} µs   {ours_full / bare:5.2f}× bare, "
          f"{ours_full / ours_model:4.2f}× ModelSpec.model_validate   (goal ≤ 1.5×, ≤ 500 µs)")
    print(f"  spec.validate, 2 errors                      {ours_invalid * 1e6:8.1f} µs")

    base = import_time("import ipywidgets, pydantic")
    ours = import_time("import model_import_widget")
    empty = import_time("pass")
    print("import time (fresh interpreter, median of 9)")
    print(f"  python -c pass                               {empty * 1e3:8.1f} ms")
    print(f"  import ipywidgets, pydantic                  {base * 1e3:8.1f} ms")
    print(f"  import model_import_widget                   {ours * 1e3:8.1f} ms   {ours / base:5.2f}× (goal ≤ 1.2×)")


if __name__ == "__main__":
    main()
