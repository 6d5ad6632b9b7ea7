"""P7: rows per second of a batch inference job, start-up included, against
one HTTP request per row to the model server, for the same scikit-learn model
on the same machine.

    python benchmarks/p7_batch_vs_http.py [--rows 200000] [--http-rows 5000] [--batch-size 1000]

Batch: a jupyter server (with the extension) runs the batch inference as a
job on the local backend; the clock runs from the create request to the
COMPLETE status seen by polling (job start-up, model load, reading, writing
and the controller's polling included). HTTP: the model server started with
its CLI (``python -m jupyter_easymaker.runtime.model_server``), one v1 predict
request per row over keep-alive connections, once from one client in a loop
and once from ``--concurrency`` clients at a time; the faster of the two is
the baseline. Goal: batch >= 10x that baseline.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _server import ServerProcess, free_port  # noqa: E402

MODEL = "iris"


def build(folder: str, rows: int) -> tuple[str, str, list[list[float]]]:
    import joblib
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    model_dir = os.path.join(folder, "model")
    os.makedirs(model_dir)
    joblib.dump(LogisticRegression(max_iter=500).fit(X, y), os.path.join(model_dir, "model.joblib"))
    data = np.round(X[np.random.default_rng(0).integers(0, len(X), rows)] + np.random.default_rng(1).normal(0, 0.1, (rows, 4)), 3)
    path = os.path.join(folder, "input", "rows.jsonl")
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in data.tolist())
    return model_dir, path, data.tolist()


# -- HTTP, one request per row ------------------------------------------------------------------
def start_model_server(model_dir: str, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "jupyter_easymaker.runtime.model_server", "--model", MODEL, "--model-dir", model_dir,
           "--framework", "scikit-learn", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET /v2/models/{MODEL}/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                if s.recv(64)[9:12] == b"200":
                    return proc
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the model server did not become ready")


async def _read(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return int(head[9:12]), await reader.readexactly(length) if length else b""


async def http_rows(port: int, rows: list[list[float]], concurrency: int) -> dict:
    """Every row as its own ``POST /v1/models/iris/predict``; rows/s over all of them."""
    queue = list(reversed(rows))
    answers = 0

    async def client() -> None:
        nonlocal answers
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue:
                body = json.dumps({"instances": [queue.pop()]}).encode()
                writer.write(f"POST /v1/models/{MODEL}/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                status, payload = await _read(reader)
                if status != 200:
                    raise SystemExit(f"predict answered {status}: {payload[:200]!r}")
                answers += 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    seconds = time.perf_counter() - start
    return {"rows": answers, "seconds": round(seconds, 3), "rows_per_second": round(answers / seconds, 1), "concurrency": concurrency}


# -- batch inference job ------------------------------------------------------------------------
def batch_job(folder: str, model_dir: str, input_path: str, rows: int, batch_size: int, pods: int) -> dict:
    server = ServerProcess(folder, os.path.join(folder, "easymaker-data"), controller_interval=0.05).start()
    try:
        server.request("POST", "models", {"name": MODEL, "framework": "scikit-learn", "artifact_path": model_dir})
        body = {"name": "p7", "model_id": MODEL, "input_path": input_path, "input_format": "JSONL", "batch_size": batch_size,
                "pod_count": pods, "timeout_seconds": 600, "output_path": os.path.join(folder, "output")}
        start = time.perf_counter()
        server.request("POST", "batch-inferences", body)
        while True:
            row = server.request("GET", "batch-inferences/p7")
            if row["status"] in ("COMPLETE", "FAIL BATCH INFERENCE", "CREATE FAILED", "STOPPED"):
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
    finally:
        server.stop()
    if row["status"] != "COMPLETE":
        raise SystemExit(f"the batch inference ended {row['status']}: {row['status_reason']}")
    result = row["result"]
    assert result["records"] == rows and result["errors"] == 0, result
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_second": round(rows / seconds, 1),
            "job_seconds": result["elapsed_seconds"], "job_rows_per_second": result["records_per_second"],
            "predict_seconds": result.get("predict_seconds"),
            "batch_size": batch_size, "pods": pods}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the batch inference")
    parser.add_argument("--http-rows", type=int, default=5_000, help="rows sent one request each")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8, help="parallel HTTP clients of the second HTTP run")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="p7-") as folder:
        model_dir, input_path, data = build(folder, args.rows)
        port = free_port()
        proc = start_model_server(model_dir, port)
        try:
            asyncio.run(http_rows(port, data[:200], 1))  # warm-up
            http = [asyncio.run(http_rows(port, data[: args.http_rows], c)) for c in (1, args.concurrency)]
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        batch = batch_job(folder, model_dir, input_path, args.rows, args.batch_size, args.pods)
    best = max(http, key=lambda h: h["rows_per_second"])
    ratio = batch["rows_per_second"] / best["rows_per_second"]
    for h in http:
        print(f"HTTP, one request per row, {h['concurrency']} client(s): {h['rows']} rows in {h['seconds']:.2f} s = {h['rows_per_second']:,.0f} rows/s")
    print(f"batch inference job (start-up included): {batch['rows']} rows in {batch['seconds']:.2f} s = {batch['rows_per_second']:,.0f} rows/s "
          f"(the job itself: {batch['job_seconds']:.2f} s, {batch['job_rows_per_second']:,.0f} rows/s, of which predicting "
          f"{batch['predict_seconds']:.2f} s; batch size {batch['batch_size']}, "
          f"{batch['pods']} pod(s))")
    print(f"ratio batch / best HTTP: {ratio:.1f}x (goal >= 10x): {'PASS' if ratio >= 10 else 'FAIL'}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"http": http, "batch": batch, "ratio": round(ratio, 2)}, fh, indent=1)
    return 0 if ratio >= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
