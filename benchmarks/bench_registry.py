"""Benchmark of the embedded registry: import throughput against `cp -r`, memory, re-import, get/list at 10 000 models.

    python benchmarks/bench_registry.py [--size-mib 1024] [--files 8] [--small-files 0] [--rounds 5]
                                        [--hash all|sha256|blake3] [--models 10000] [--drop-caches] [--dir /tmp]

Everything is measured in this one run, several rounds, median reported (page-cache and writeback state make single
runs noisy). Each round syncs before every timed step. A script, not a test; CI does not run it.
The import ends with its files on disk (one syncfs before they are referenced); `cp -r` is measured both alone (its
files may still be only in the page cache) and followed by `sync` (as durable as the import).
Goals: import ≥ 0.7× cp -r throughput, peak RSS ≤ 150 MB, re-import ≤ 0.1× time and ≤ 1.05× disk, get/list ≤ 10 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Runs in a fresh process, so its peak RSS is the import's alone (interpreter and imports included).
CHILD = r"""
import json, os, resource, sys, time
from pathlib import Path
from model_import_widget.registry import EmbeddedRegistry

home, source, hash_name = sys.argv[1:4]

def disk(path):
    return sum(os.lstat(os.path.join(d, f)).st_blocks * 512 for d, _, fs in os.walk(path) for f in fs)

registry = EmbeddedRegistry(home, hash_name=hash_name)
fields = {"model_name": "bench", "model_type": "PyTorch", "source_location_type": "LOCAL_SOURCE",
          "source_location": source}
os.sync()
start = time.perf_counter()
first = registry.wait_model(registry.create_model(dict(fields, model_version="1.0.0")))
first_s = time.perf_counter() - start
disk_first = disk(home)
start = time.perf_counter()
second = registry.wait_model(registry.create_model(dict(fields, model_version="1.0.1")))
second_s = time.perf_counter() - start
assert first["model_status"] == second["model_status"] == "published", registry.get_model_events(first["model_id"])
print(json.dumps({"first_s": first_s, "second_s": second_s, "disk_first": disk_first, "disk_second": disk(home),
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def make_source(root: Path, size_mib: int, files: int, small_files: int) -> int:
    model = root / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"model_type": "PyTorch", "model_algorithm": "bench"}))
    (model / "customize_service.py").write_text("class Service:\n    pass\n")
    per_file = size_mib * 1024 * 1024 // files
    block = 4 << 20
    for n in range(files):
        with open(model / f"weights-{n}.bin", "wb") as out:
            left = per_file
            while left:
                out.write(os.urandom(min(block, left)))
                left -= min(block, left)
    for n in range(small_files):
        sub = model / "small" / f"{n % 32:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{n}.txt").write_bytes(os.urandom(random.randint(100, 20_000)))
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def quiesce(source: Path, drop_caches: bool) -> None:
    """Flush dirty pages; with --drop-caches also empty the page cache and read the source back in, so every timed
    step starts with the source cached and plenty of free memory (without it, rounds here vary 0.27-2.6 s for cp)."""
    os.sync()
    if drop_caches:
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
        for path in source.rglob("*"):
            if path.is_file():
                with open(path, "rb", buffering=0) as f:
                    while f.read(4 << 20):
                        pass


def timed_cp(source: Path, target: Path, drop_caches: bool, sync: bool = False) -> float:
    """`cp -r` (into the page cache), or with `sync` until it is on disk, as durable as an import."""
    shutil.rmtree(target, ignore_errors=True)
    quiesce(source, drop_caches)
    start = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(target)], check=True)
    if sync:
        os.sync()
    elapsed = time.perf_counter() - start
    shutil.rmtree(target)
    return elapsed


def timed_import(source: Path, home: Path, hash_name: str, drop_caches: bool) -> dict:
    shutil.rmtree(home, ignore_errors=True)
    quiesce(source, drop_caches)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", CHILD, str(home), str(source), hash_name], env=env, check=True,
                          capture_output=True, text=True)
    shutil.rmtree(home)
    return json.loads(done.stdout)


def bench_import(work: Path, args: argparse.Namespace, hashes: list[str]) -> None:
    source = work / "source"
    total = make_source(source, args.size_mib, args.files, args.small_files)
    print(f"source: {total / 2**20:.0f} MiB in {args.files} large + {args.small_files} small files; "
          f"{args.rounds} rounds, median; page cache {'dropped' if args.drop_caches else 'NOT dropped'} before each step")
    cp_times: list[float] = []
    cp_sync_times: list[float] = []
    runs: dict[str, list[dict]] = {h: [] for h in hashes}
    ratios: dict[str, list[float]] = {h: [] for h in hashes}
    sync_ratios: dict[str, list[float]] = {h: [] for h in hashes}
    for _ in range(args.rounds):
        cp_s = timed_cp(source, work / "copy", args.drop_caches)
        cp_sync_s = timed_cp(source, work / "copy", args.drop_caches, sync=True)
        cp_times.append(cp_s)
        cp_sync_times.append(cp_sync_s)
        for hash_name in hashes:
            run = timed_import(source, work / "home", hash_name, args.drop_caches)
            runs[hash_name].append(run)
            ratios[hash_name].append(cp_s / run["first_s"])
            sync_ratios[hash_name].append(cp_sync_s / run["first_s"])
    cp_med = statistics.median(cp_times)
    cp_sync_med = statistics.median(cp_sync_times)
    print(f"  cp -r                    {cp_med:6.3f} s   {total / cp_med / 1e6:7.0f} MB/s   (page cache only)")
    print(f"  cp -r + sync             {cp_sync_med:6.3f} s   {total / cp_sync_med / 1e6:7.0f} MB/s   (on disk, as an import)")
    for hash_name in hashes:
        rs = runs[hash_name]
        first = statistics.median(r["first_s"] for r in rs)
        print(f"  import ({hash_name:6})          {first:6.3f} s   {total / first / 1e6:7.0f} MB/s   "
              f"throughput vs cp -r: median {statistics.median(ratios[hash_name]):.2f} "
              f"(rounds {' '.join(f'{x:.2f}' for x in sorted(ratios[hash_name]))}; goal >= 0.7); "
              f"vs cp -r + sync: median {statistics.median(sync_ratios[hash_name]):.2f} "
              f"(rounds {' '.join(f'{x:.2f}' for x in sorted(sync_ratios[hash_name]))})")
        print(f"    peak RSS of the importing process: {max(r['maxrss_kib'] for r in rs) / 1024:.0f} MB (max of rounds;"
              f" goal <= 150 MB)")
        reimport = statistics.median(r["second_s"] / r["first_s"] for r in rs)
        disk = statistics.median(r["disk_second"] / r["disk_first"] for r in rs)
        print(f"    re-import of identical content: {statistics.median(r['second_s'] for r in rs) * 1000:.1f} ms, "
              f"time ratio {reimport:.4f} (goal <= 0.1), disk ratio {disk:.4f} (goal <= 1.05)")


def bench_queries(work: Path, models: int) -> None:
    sys.path.insert(0, str(REPO))
    from model_import_widget.registry import EmbeddedRegistry
    from model_import_widget.registry.importer import walk

    source = work / "tiny"
    make_source(source, 0, 1, 0)
    registry = EmbeddedRegistry(work / "query-home")
    template = {"model_type": "PyTorch", "source_location_type": "LOCAL_SOURCE", "source_location": str(source)}
    first = registry.wait_model(registry.create_model(dict(template, model_name="seed", model_version="1.0.0")))
    tree = walk(source, str(source))
    rng = random.Random(7)
    ids = [first["model_id"]]
    with registry._index.writing() as db:  # bulk rows through the registry's own row builder, one transaction
        for n in range(models - 1):
            fields = dict(template, model_name=f"model-{n % 500}", model_version=f"{n // 500}.{rng.randint(0, 9)}.0",
                          description=f"bench model {n}", model_type=rng.choice(["PyTorch", "TensorFlow", "MindSpore"]))
            row = registry._new_row(f"bench-{n:05d}-{rng.getrandbits(64):016x}", fields, tree)
            row["model_status"] = rng.choice(["published", "published", "published", "failed"])
            db.execute(f"INSERT INTO models ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       tuple(row.values()))
            ids.append(row["model_id"])
    assert registry.list_models(limit=1)["total_count"] == models

    def per_call(action, repeat: int) -> float:
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            action()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples) * 1000

    picks = [rng.choice(ids) for _ in range(2000)]
    it = iter(picks)
    print(f"queries with {models} models in the index (median ms per call; goal <= 10 ms):")
    line = "  {:<62} {:7.3f} ms".format
    print(line("get_model (random ids)", per_call(lambda: registry.get_model(next(it)), 2000)))
    default = registry.list_models()
    print(line(f"list_models() default page: {default['count']} of {default['total_count']}",
               per_call(registry.list_models, 50)))
    print(line("list_models(limit=280), the SDK's default page", per_call(lambda: registry.list_models(limit=280), 100)))
    filtered = dict(model_name="model-12", model_status="published", sort_by="model_version", order="asc", limit=10,
                    offset=1)
    hits = registry.list_models(**filtered)
    print(line(f"name fuzzy + status, by version, page 2 of 10: {hits['count']} of {hits['total_count']}",
               per_call(lambda: registry.list_models(**filtered), 200)))
    typed = dict(model_type="tensorflow", description="model 99", limit=50)
    hits = registry.list_models(**typed)
    print(line(f"type + description fuzzy, limit 50: {hits['count']} of {hits['total_count']}",
               per_call(lambda: registry.list_models(**typed), 200)))
    registry.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--small-files", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hash", default="all", choices=["all", "sha256", "blake3"])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--drop-caches", action="store_true",
                        help="root only: drop the page cache (then re-read the source) before every timed step")
    parser.add_argument("--dir", default=None, help="where the temp folder goes (default: the system temp dir)")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from model_import_widget.registry import store

    hashes = [h for h in ("sha256", "blake3") if args.hash in ("all", h)]
    if "blake3" in hashes and store._blake3 is None:
        print("blake3 is not installed here: measuring sha256 only (pip install blake3 to compare)")
        hashes.remove("blake3")
    print(f"registry default hash here: {store.DEFAULT_HASH}; CPUs: {os.cpu_count()}")
    work = Path(tempfile.mkdtemp(prefix="bench-registry-", dir=args.dir))
    try:
        if hashes and args.size_mib:
            bench_import(work, args, hashes)
        if args.models:
            bench_queries(work, args.models)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
