"""Benchmark: importing many small files into the embedded registry, against `cp -r` followed by `sync`.

    python benchmarks/bench_small_files.py [--files 50000] [--size 1024] [--rounds 5] [--dir /tmp]

Both sides end durable: the import commits only after its blobs are on disk (one syncfs of the store's file system),
and `cp -r` is followed by `sync`. Each round measures both on the same source, in the same run, alternating which
goes first; the median of the per-round ratios is reported. The import runs in a fresh process and is timed from the
call to "published" (the interpreter's start-up is not counted; `cp`'s is). A script, not a test; CI does not run it.
Goal (issue 8): import time <= 2x the time of cp -r + sync.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
from model_import_widget.registry import EmbeddedRegistry
home, source = sys.argv[1:3]
registry = EmbeddedRegistry(home)
fields = {"model_name": "bench", "model_version": "1.0.0", "model_type": "PyTorch",
          "source_location_type": "LOCAL_SOURCE", "source_location": source}
start = time.perf_counter()
info = registry.wait_model(registry.create_model(fields))
elapsed = time.perf_counter() - start
assert info["model_status"] == "published", registry.get_model_events(info["model_id"])
registry.close()
print(json.dumps({"seconds": elapsed}))
"""


def make_source(root: Path, files: int, size: int) -> None:
    """A model folder with `files` distinct files of `size` bytes, 500 to a folder (a dataset-like layout)."""
    model = root / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"model_type": "PyTorch", "model_algorithm": "bench"}))
    (model / "customize_service.py").write_text("class Service:\n    pass\n")
    for n in range(files):
        sub = model / "data" / f"{n // 500:03d}"
        if n % 500 == 0:
            sub.mkdir(parents=True)
        # distinct content, so the content-addressed store cannot share blobs between them
        (sub / f"{n}.bin").write_bytes(n.to_bytes(8, "little") + os.urandom(max(size - 8, 0)))


def timed_cp_sync(source: Path, target: Path) -> float:
    os.sync()
    start = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(target)], check=True)
    os.sync()
    return time.perf_counter() - start


def timed_import(source: Path, home: Path) -> float:
    os.sync()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", CHILD, str(home), str(source)], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout)["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--size", type=int, default=1024, help="bytes per file")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where the temp folder goes (default: the system temp dir)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-small-", dir=args.dir))
    try:
        source = work / "source"
        make_source(source, args.files, args.size)
        os.sync()
        print(f"source: {args.files:,} files of {args.size} B; {args.rounds} rounds; CPUs: {os.cpu_count()}")
        cp_s: list[float] = []
        import_s: list[float] = []
        ratios: list[float] = []
        for n in range(args.rounds):
            steps = [("cp", lambda: timed_cp_sync(source, work / "copy")),
                     ("import", lambda: timed_import(source, work / "home"))]
            if n % 2:
                steps.reverse()
            got = {name: step() for name, step in steps}
            shutil.rmtree(work / "copy")
            shutil.rmtree(work / "home")
            cp_s.append(got["cp"])
            import_s.append(got["import"])
            ratios.append(got["import"] / got["cp"])
            print(f"  round {n + 1}: cp -r + sync {got['cp']:6.2f} s   import {got['import']:6.2f} s   "
                  f"ratio {ratios[-1]:.2f}")
        print(f"median: cp -r + sync {statistics.median(cp_s):.2f} s, import {statistics.median(import_s):.2f} s, "
              f"import / (cp -r + sync) {statistics.median(ratios):.2f} (goal <= 2.0)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
