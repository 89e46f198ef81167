"""Uploading a 1 GiB model folder to OBS: `upload_folder` against a plain streamed PUT of the same bytes.

Both go to the OBS stand-in (tests/fakecloud/obs.py) on 127.0.0.1 in the same run, each in a fresh child process
(so the peak RSS of the upload is its own), several rounds in alternating order; medians are printed.

    .venv/bin/python benchmarks/bench_obs.py [--rounds 3] [--big-files 8] [--big-mib 128] [--part-mib 16]

Goals: throughput ratio (plain PUT time / upload_folder time) >= 0.8, peak RSS of the upload <= 150 MB.
The data lives in a temp dir that is removed at the end.
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

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ACCESS_ENV, SECRET_ENV = "BENCH_OBS_AK", "BENCH_OBS_SK"


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_upload(url: str, src: str, bucket: str, part_mib: int) -> dict:
    from model_import_widget.registry.importer import walk
    from model_import_widget.sdk.obs import ObsClient
    from model_import_widget.sdk.obs_upload import upload_folder

    keys = (os.environ[ACCESS_ENV], os.environ[SECRET_ENV], None)
    tree = walk(Path(src), src)
    with ObsClient(url, lambda: keys) as client:
        started = time.perf_counter()
        result = upload_folder(client, tree, bucket, "upload/", part_size=part_mib << 20)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": result.bytes, "files": result.files, "rss_mb": peak_rss_mb(),
            "cpu": sum(os.times()[:2])}


def child_plain(url: str, src: str, bucket: str) -> dict:
    """requests.put(url, data=<file object>) per file, signed the same way, no Content-MD5: the floor."""
    import email.utils

    import requests

    from model_import_widget.registry.importer import walk
    from model_import_widget.sdk.obs import ObsAuth, ObsClient

    tree = walk(Path(src), src)
    client = ObsClient(url, lambda: ("", "", None))  # only for its addressing
    session = requests.Session()
    started = time.perf_counter()
    total = 0
    for file in tree.files:
        with open(file.path, "rb") as data:
            response = session.put(client.object_url(bucket, "plain/" + file.rel), data=data,
                                   headers={"Date": email.utils.formatdate(usegmt=True)},
                                   auth=ObsAuth(os.environ[ACCESS_ENV], os.environ[SECRET_ENV]), timeout=(5, 120))
        response.raise_for_status()
        total += file.size
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": total, "files": len(tree.files), "rss_mb": peak_rss_mb(),
            "cpu": sum(os.times()[:2])}


def make_folder(root: Path, big_files: int, big_mib: int) -> int:
    model = root / "model"
    (model / "variables").mkdir(parents=True)
    (model / "config.json").write_text('{"model_type": "PyTorch", "model_algorithm": "image_classification"}')
    (model / "customize_service.py").write_text("from model_service.pytorch_model_service import "
                                                "PTServingBaseService\n")
    total = 0
    for index in range(12):  # small files of 1 KiB .. 2 MiB
        size = min(1024 << index, 2 << 20)
        (model / "variables" / f"small-{index:02d}.bin").write_bytes(os.urandom(size))
        total += size
    chunk = 8 << 20
    for index in range(big_files):
        with open(model / f"weights-{index}.bin", "wb") as out:
            for _ in range((big_mib << 20) // chunk):
                out.write(os.urandom(chunk))
        total += big_mib << 20
    return total


def run_child(mode: str, url: str, src: Path, bucket: str, part_mib: int, env: dict) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--url", url, "--src", str(src),
               "--bucket", bucket, "--part-mib", str(part_mib)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"the {mode} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big-files", type=int, default=8)
    parser.add_argument("--big-mib", type=int, default=128)
    parser.add_argument("--part-mib", type=int, default=16)
    parser.add_argument("--dir", default=None, help="where to put the temp data (default: the system temp dir)")
    parser.add_argument("--child", choices=("upload", "plain"))
    parser.add_argument("--url")
    parser.add_argument("--src")
    parser.add_argument("--bucket", default="bench")
    args = parser.parse_args()

    if args.child:
        result = (child_upload(args.url, args.src, args.bucket, args.part_mib) if args.child == "upload"
                  else child_plain(args.url, args.src, args.bucket))
        print(json.dumps(result))
        return

    sys.path.insert(0, str(REPO / "tests"))
    from fakecloud.keyring import KeyRing
    from fakecloud.obs import ObsStandIn

    work = Path(tempfile.mkdtemp(prefix="bench-obs-", dir=args.dir))
    try:
        src = work / "src"
        print(f"writing {args.big_files} x {args.big_mib} MiB + small files to {src} ...", flush=True)
        total = make_folder(src, args.big_files, args.big_mib)
        ring = KeyRing()
        key = ring.add_permanent()
        env = {**os.environ, ACCESS_ENV: key.access, SECRET_ENV: key.secret,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        obs = ObsStandIn(ring.keys, root=work / "obs")
        obs.start()
        obs.create_bucket(args.bucket)
        try:
            uploads, plains = [], []
            for round_index in range(args.rounds):
                order = ("upload", "plain") if round_index % 2 == 0 else ("plain", "upload")
                for mode in order:
                    server_cpu = sum(os.times()[:2])
                    result = run_child(mode, obs.url, src, args.bucket, args.part_mib, env)
                    result["server_cpu"] = sum(os.times()[:2]) - server_cpu
                    (uploads if mode == "upload" else plains).append(result)
                    for stored in obs.list_keys(args.bucket):  # keep the stand-in's disk use to one copy
                        obs._delete_object(args.bucket, stored)
                    mib_s = result["bytes"] / result["seconds"] / (1 << 20)
                    print(f"round {round_index + 1} {mode:6s}: {result['seconds']:6.2f} s  {mib_s:7.1f} MiB/s  "
                          f"peak RSS {result['rss_mb']:6.1f} MB  CPU s: client {result['cpu']:.2f} server "
                          f"{result['server_cpu']:.2f}", flush=True)
        finally:
            obs.stop()
        upload_s = statistics.median(r["seconds"] for r in uploads)
        plain_s = statistics.median(r["seconds"] for r in plains)
        ratios = [p["seconds"] / u["seconds"] for u, p in zip(uploads, plains)]
        rss = max(r["rss_mb"] for r in uploads)
        print(f"\n{total / (1 << 30):.2f} GiB, {len(uploads)} rounds, part size {args.part_mib} MiB")
        print(f"upload_folder : median {upload_s:6.2f} s  ({total / upload_s / (1 << 20):7.1f} MiB/s)")
        print(f"plain PUT     : median {plain_s:6.2f} s  ({total / plain_s / (1 << 20):7.1f} MiB/s)")
        print(f"throughput ratio (median of rounds): {statistics.median(ratios):.2f}x  (goal >= 0.8x; "
              f"per round {', '.join(f'{r:.2f}' for r in ratios)})")
        print(f"peak RSS of upload_folder: {rss:.1f} MB (goal <= 150 MB); plain PUT: "
              f"{max(r['rss_mb'] for r in plains):.1f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
