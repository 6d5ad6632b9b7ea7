"""P2: OIP v2 inference on the same scikit-learn model, served by
jupyter-easymaker's model server and by KServe's ``kserve.ModelServer``,
with the same load generator and concurrency, in one run.

    python benchmarks/p2_oip_vs_kserve.py [--seconds 10] [--concurrency 32 8]

KServe runs from a benchmark-only venv (never a project dependency):
``--setup`` creates it (``benchmarks/.venv-kserve``: kserve, scikit-learn, joblib).
Each server is one process; the load generator is this process (raw HTTP/1.1
keep-alive connections, so it costs the servers' shared 2 cores little).
Goal: >= 1.5x requests/s and <= 0.7x p99 latency.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KSERVE_VENV = os.path.join(HERE, ".venv-kserve")
KSERVE_PY = os.path.join(KSERVE_VENV, "bin", "python")
MODEL = "sklearn-iris"
BODY = json.dumps({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32", "data": [6.8, 2.8, 4.8, 1.4]}]}).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_model(folder: str) -> None:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(X, y), os.path.join(folder, "model.joblib"))


def setup_kserve() -> None:
    if not os.path.exists(KSERVE_PY):
        subprocess.check_call([sys.executable, "-m", "venv", KSERVE_VENV])
    subprocess.check_call([KSERVE_PY, "-m", "pip", "install", "-q", "kserve", "scikit-learn", "joblib"])


def start(which: str, model_dir: str, port: int) -> subprocess.Popen:
    if which == "easymaker":
        cmd = [sys.executable, "-m", "jupyter_easymaker.runtime.model_server", "--model", MODEL, "--model-dir", model_dir,
               "--framework", "scikit-learn", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    else:
        cmd = [KSERVE_PY, os.path.join(HERE, "_kserve_sklearn.py"), "--model_name", MODEL, "--model_dir", model_dir,
               "--http_port", str(port), "--grpc_port", str(free_port()), "--enable_grpc", "false",
               "--enable_latency_logging", "false", "--enable_docs_url", "false", "--configure_logging", "false"]
    log = tempfile.TemporaryFile()  # a pipe nobody reads would fill up and stall the server
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    proc.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise SystemExit(f"{which} server exited: {log.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET /v2/models/{MODEL}/ready HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                if b" 200 " in s.recv(4096):
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{which} server did not become ready")


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def load(port: int, concurrency: int, seconds: float, warmup: float) -> dict:
    request = (f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
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
            while True:
                t0 = time.perf_counter()
                if t0 >= end:
                    return
                writer.write(request)
                status = await _read_response(reader)
                t1 = time.perf_counter()
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
    q = statistics.quantiles(latencies, n=100) if n > 100 else [latencies[-1]] * 99
    return {"requests": n, "errors": errors, "rps": round(n / seconds, 1), "p50_ms": round(q[49] * 1000, 3),
            "p99_ms": round(q[98] * 1000, 3), "mean_ms": round(statistics.fmean(latencies) * 1000, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[32, 8])
    parser.add_argument("--setup", action="store_true", help="create benchmarks/.venv-kserve first")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    if args.setup:
        setup_kserve()
    if not os.path.exists(KSERVE_PY):
        raise SystemExit("KServe's venv is missing: run with --setup (creates benchmarks/.venv-kserve)")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results: dict = {"model": "LogisticRegression on iris (joblib)", "request": "v2 infer, FP32 [1,4]", "seconds": args.seconds, "runs": []}
    with tempfile.TemporaryDirectory() as model_dir:
        build_model(model_dir)
        for concurrency in args.concurrency:
            row = {"concurrency": concurrency}
            for which in ("easymaker", "kserve"):
                port = free_port()
                proc = start(which, model_dir, port)
                try:
                    row[which] = asyncio.run(load(port, concurrency, args.seconds, args.warmup))
                finally:
                    proc.terminate()
                    proc.wait(30)
            row["rps_ratio"] = round(row["easymaker"]["rps"] / row["kserve"]["rps"], 2)
            row["p99_ratio"] = round(row["easymaker"]["p99_ms"] / row["kserve"]["p99_ms"], 2)
            results["runs"].append(row)
            e, k = row["easymaker"], row["kserve"]
            print(f"concurrency {concurrency:3d}: easymaker {e['rps']:8.1f} req/s p50 {e['p50_ms']:.2f} ms p99 {e['p99_ms']:.2f} ms | "
                  f"kserve {k['rps']:8.1f} req/s p50 {k['p50_ms']:.2f} ms p99 {k['p99_ms']:.2f} ms | "
                  f"x{row['rps_ratio']} req/s, x{row['p99_ratio']} p99", flush=True)
    ok = all(r["rps_ratio"] >= 1.5 and r["p99_ratio"] <= 0.7 for r in results["runs"])
    results["goal_met"] = ok
    print("goal (>= 1.5x req/s, <= 0.7x p99):", "met" if ok else "NOT met")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
