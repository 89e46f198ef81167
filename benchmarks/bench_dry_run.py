"""Dry-run start-up to first answer, for a scikit-learn package, as a ratio to a bare `python -c "import sklearn"`
measured in the same run (issue 11: goal at most 2x).

    .venv/bin/python benchmarks/bench_dry_run.py

The package is the one `package.build` writes for a fitted LogisticRegression pipeline. A dry run starts a worker
process, imports the package's customize_service.py (joblib, numpy, scikit-learn), constructs its service, loads
the model on the first request and answers it; the baseline is only a fresh interpreter importing scikit-learn.
Each is the median wall time of several rounds, alternated so that a busy machine slows both alike.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from model_import_widget import package

ROUNDS = 7
GOAL = 2.0


def main() -> int:
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    folder = Path(tempfile.mkdtemp(prefix="bench-dry-run-")) / "iris"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the python3.6 runtime's note: not what is measured
        built = package.build(model, folder, example=X[:2])
    bare, dry = [], []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sklearn"], check=True)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = package.dry_run(folder, built.request)
        dry.append(time.perf_counter() - started)
        assert result.ok, result
    ratio = statistics.median(dry) / statistics.median(bare)
    print(f"python -c 'import sklearn':        {statistics.median(bare) * 1000:7.1f} ms (median of {ROUNDS})")
    print(f"dry run, start-up to first answer: {statistics.median(dry) * 1000:7.1f} ms "
          f"(stages {sum(result.timings_ms.values()):.1f} ms of it)")
    print(f"ratio: {ratio:.2f}x (goal <= {GOAL:g}x) {'ok' if ratio <= GOAL else 'OVER'}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
