"""Client overhead per request: the ModelArts backend (credentials, SDK-HMAC-SHA256 signing, canonical query, JSON,
error table) against a bare `requests.Session` GET of the same URL from the same loopback server, in the same run.

    .venv/bin/python benchmarks/bench_client.py [--requests 2000] [--rounds 5]

Goal: <= 1.2x the bare call. The server answers a fixed model detail without checking anything, so the ratio is the
client's own cost (both sides pay the same HTTP round trip on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402

from model_import_widget.sdk.credentials import Credentials  # noqa: E402
from model_import_widget.sdk.endpoints import Endpoints  # noqa: E402
from model_import_widget.sdk.modelarts import ModelArtsBackend  # noqa: E402

PROJECT = "0" * 32
MODEL_ID = "7feb7235-ed9c-48ae-9833-2876b2458445"
BODY = json.dumps({"model_id": MODEL_ID, "model_name": "digits", "model_version": "1.0.0", "model_type": "PyTorch",
                   "model_status": "published", "apis": "[]", "config": "{}", "install_type": ["realtime"],
                   "input_params": [], "output_params": [], "dependencies": [], "create_at": 0}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without this, delayed ACKs add 40 ms

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ready = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ready,), daemon=True)  # its own process: no GIL shared
    server.start()
    base = f"http://127.0.0.1:{ready.get(timeout=10)}"
    url = f"{base}/v1/{PROJECT}/models/{MODEL_ID}"
    credentials = Credentials("explicit", "aksk", access_key="BENCHAK0000000000000", project_id=PROJECT,
                              region_name="cn-north-4", _secret_key="bench-secret-key")
    backend = ModelArtsBackend(credentials, Endpoints("cn-north-4", base, base, base))
    bare = requests.Session()

    def run_bare() -> None:
        bare.get(url, timeout=(5, 60)).json()

    def run_client() -> None:
        backend.get_model(MODEL_ID)

    for warm in (run_bare, run_client):
        for _ in range(200):
            warm()
    # Batches of 100 alternate between the two, so the machine's drift hits both alike; a round's ratio is the sum
    # of its client batches over the sum of its bare ones.
    ratios, per_bare, per_client = [], [], []
    batch = 100
    for _ in range(args.rounds):
        totals = {"bare": 0.0, "client": 0.0}
        for _ in range(max(1, args.requests // batch)):
            for name, call in (("bare", run_bare), ("client", run_client)):
                start = time.perf_counter()
                for _ in range(batch):
                    call()
                totals[name] += time.perf_counter() - start
        count = max(1, args.requests // batch) * batch
        per_bare.append(totals["bare"] / count * 1e6)
        per_client.append(totals["client"] / count * 1e6)
        ratios.append(totals["client"] / totals["bare"])
    print(f"bare requests.Session GET + json : {statistics.median(per_bare):8.1f} µs/request (median of {args.rounds})")
    print(f"ModelArtsBackend.get_model        : {statistics.median(per_client):8.1f} µs/request")
    print(f"ratio client / bare               : {statistics.median(ratios):.2f}x  (rounds {min(ratios):.2f}-"
          f"{max(ratios):.2f}; goal <= 1.2x)")
    server.terminate()


def serve(ready) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ready.put(server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
