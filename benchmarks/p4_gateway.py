"""P4: what the inference gateway costs, and a default-stage change under load.

    python benchmarks/p4_gateway.py [--seconds 8] [--concurrency 1 8]

Starts a real Jupyter server with the extension (local backend), deploys a
scikit-learn model on an endpoint (one pod), then drives OIP v1 predict
requests with the same load generator (raw HTTP/1.1 keep-alive connections
from this process) straight to the model server and through the gateway
(``/easymaker/inference/{endpoint}/{model}/...`` with an API key). The
difference of the medians is the gateway's overhead per request. Then a
second stage is added, and the default stage is changed while clients keep
calling the default stage URL: every request must succeed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time

from _server import ServerProcess

BODY = json.dumps({"instances": [[6.8, 2.8, 4.8, 1.4]]}).encode()


def build_model(folder: str) -> None:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(X, y), os.path.join(folder, "model.joblib"))


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = 0, False
    for line in head.split(b"\r\n"):
        lower = line.lower()
        if lower.startswith(b"content-length:"):
            length = int(line[15:])
        elif lower.startswith(b"transfer-encoding:") and b"chunked" in lower:
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def load(port: int, path: str, headers: str, concurrency: int, seconds: float, warmup: float,
               results: list | None = None, stop: asyncio.Event | None = None) -> dict:
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{headers}"
               f"Content-Length: {len(BODY)}\r\n\r\n").encode() + BODY
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measure_from = start + warmup
    end = measure_from + seconds

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (stop is None and time.perf_counter() < end) or (stop is not None and not stop.is_set()):
                t0 = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                t1 = time.perf_counter()
                if results is not None:
                    results.append(status)
                if t0 >= measure_from:
                    if status == 200:
                        latencies.append(t1 - t0)
                    else:
                        errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    latencies.sort()
    n = len(latencies)
    q = statistics.quantiles(latencies, n=100) if n > 100 else [latencies[-1] if latencies else 0.0] * 99
    return {"requests": n, "errors": errors, "rps": round(n / seconds, 1) if stop is None else None,
            "p50_ms": round(q[49] * 1000, 3), "p99_ms": round(q[98] * 1000, 3)}


def wait_active(server: ServerProcess, name: str, timeout: float = 120) -> dict:
    end = time.monotonic() + timeout
    while True:
        row = server.request("GET", f"endpoints/{name}")
        if row["status"] == "ACTIVE":
            return row
        if "FAILED" in row["status"] or time.monotonic() > end:
            raise SystemExit(f"endpoint {name}: {row['status']} {row['status_reason']}")
        time.sleep(0.2)


async def swap_under_load(server: ServerProcess, key: str, concurrency: int) -> dict:
    statuses: list[int] = []
    stop = asyncio.Event()
    task = asyncio.create_task(load(server.port, "/easymaker/inference/bench/iris/v1/models/iris/predict",
                                    f"Authorization: Bearer {key}\r\n", concurrency, 0, 0, statuses, stop))
    await asyncio.sleep(2.0)
    before = len(statuses)
    t0 = time.perf_counter()
    await asyncio.to_thread(server.request, "POST", "endpoints/bench/default-stage", {"stage": "next"})
    switch_ms = (time.perf_counter() - t0) * 1000
    while True:  # until the old default's servers are drained and gone
        stages = await asyncio.to_thread(server.request, "GET", "endpoints/bench/stages")
        if len(stages["items"]) == 1:
            break
        await asyncio.sleep(0.2)
    removed_s = time.perf_counter() - t0
    await asyncio.sleep(1.0)
    stop.set()
    await task
    return {"requests": len(statuses), "before_switch": before, "failed": sum(1 for s in statuses if s != 200),
            "switch_call_ms": round(switch_ms, 1), "old_stage_removed_after_s": round(removed_s, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    results: dict = {"model": "LogisticRegression on iris (joblib), one pod", "request": "v1 predict, 1 instance", "runs": []}
    with tempfile.TemporaryDirectory() as root:
        model_dir = os.path.join(root, "iris")
        os.makedirs(model_dir)
        build_model(model_dir)
        # the controller at its default pace (the tests' helper runs it every 0.1 s)
        server = ServerProcess(root, os.path.join(root, "data"), extra=["--EasyMakerExtension.controller_interval=0.5"]).start()
        try:
            server.request("POST", "models", {"name": "iris", "framework": "scikit-learn", "artifact_path": model_dir})
            key = server.request("POST", "endpoints", {"name": "bench", "resources": [{"model": "iris", "cpu": 0.5}]})["api_key"]["key"]
            wait_active(server, "bench")
            gateway = server.request("GET", "endpoints/bench/stages/default/gateway")
            direct = gateway["models"]["iris"][0]
            direct_port = int(direct.rsplit(":", 1)[1])
            for concurrency in args.concurrency:
                row = {"concurrency": concurrency}
                row["direct"] = asyncio.run(load(direct_port, "/v1/models/iris/predict", "", concurrency, args.seconds, args.warmup))
                row["gateway"] = asyncio.run(load(server.port, "/easymaker/inference/bench/iris/v1/models/iris/predict",
                                                  f"Authorization: Bearer {key}\r\n", concurrency, args.seconds, args.warmup))
                row["overhead_p50_ms"] = round(row["gateway"]["p50_ms"] - row["direct"]["p50_ms"], 3)
                results["runs"].append(row)
                d, g = row["direct"], row["gateway"]
                print(f"concurrency {concurrency:3d}: direct {d['rps']:8.1f} req/s p50 {d['p50_ms']:.2f} ms p99 {d['p99_ms']:.2f} ms | "
                      f"gateway {g['rps']:8.1f} req/s p50 {g['p50_ms']:.2f} ms p99 {g['p99_ms']:.2f} ms | "
                      f"overhead p50 {row['overhead_p50_ms']:.2f} ms", flush=True)
            server.request("POST", "endpoints/bench/stages", {"name": "next", "resources": [{"model": "iris", "cpu": 0.5}]})
            wait_active(server, "bench")
            swap = asyncio.run(swap_under_load(server, key, 8))
            results["swap"] = swap
            print(f"default stage change under load (8 clients): {swap['requests']} requests, {swap['failed']} failed, "
                  f"switch call {swap['switch_call_ms']} ms, old stage removed after {swap['old_stage_removed_after_s']} s")
        finally:
            try:  # the model servers outlive the Jupyter server by design: delete the endpoint first
                server.request("DELETE", "endpoints/bench")
                end = time.monotonic() + 30
                while time.monotonic() < end:
                    try:
                        server.request("GET", "endpoints/bench")
                    except Exception:  # noqa: BLE001 - 404: gone
                        break
                    time.sleep(0.2)
            finally:
                server.stop()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0 if results.get("swap", {}).get("failed", 1) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
