"""The Open Inference Protocol's three wire forms side by side: tritonclient
over HTTP with JSON tensors, over HTTP with binary tensors (the binary tensor
data extension, tritonclient's default), and over gRPC (raw contents).

    python benchmarks/oip_protocols.py [--seconds 3] [--rounds 8] [--json out.json]

Starts a real Jupyter server with the extension (local backend) and the
gateway's gRPC port, deploys two scikit-learn models on one endpoint (iris:
1x4 FP32; wide: a logistic regression over 1x10000 FP32), and calls each
model at concurrency 1 straight at its model server and through the gateway
(the gateway process's HTTP stage URL with an API key; the gateway's gRPC port with the endpoint,
stage and key in metadata). Each row: p50 / p99 latency, requests/s, and the
ratio of requests/s and of p50 to HTTP-JSON's in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
from _load import summary
from _server import ServerProcess, free_port

WIDE = 10000
MODES = ("http-json", "http-binary", "grpc")


def build_models(root: str) -> dict[str, str]:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    folders = {name: os.path.join(root, name) for name in ("iris", "wide")}
    for folder in folders.values():
        os.makedirs(folder)
    X, y = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(X, y), os.path.join(folders["iris"], "model.joblib"))
    rng = np.random.default_rng(0)
    Xw = rng.normal(size=(64, WIDE))
    joblib.dump(LogisticRegression(max_iter=200).fit(Xw, (Xw[:, 0] > 0).astype(int)), os.path.join(folders["wide"], "model.joblib"))
    return folders


def wait_active(server: ServerProcess, name: str, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while True:
        row = server.request("GET", f"endpoints/{name}")
        if row["status"] == "ACTIVE":
            return
        if "FAILED" in row["status"] or time.monotonic() > end:
            raise SystemExit(f"endpoint {name}: {row['status']} {row['status_reason']}")
        time.sleep(0.2)


def caller(mode: str, model: str, data: np.ndarray, http_url: str, grpc_url: str, headers: dict[str, str]):
    """One tritonclient call of ``mode`` as a function (client, inputs and outputs made once)."""
    headers = dict(headers)  # tritonclient.http adds its own headers to the dict it is given
    if mode == "grpc":
        import tritonclient.grpc as tc

        client = tc.InferenceServerClient(grpc_url, verbose=bool(os.environ.get("OIP_BENCH_VERBOSE")))
        tensor = tc.InferInput("input-0", list(data.shape), "FP32")
        tensor.set_data_from_numpy(data)
        outputs = [tc.InferRequestedOutput("output-0")]
        return lambda: client.infer(model, [tensor], outputs=outputs, headers=headers).as_numpy("output-0")
    import tritonclient.http as tc

    binary = mode == "http-binary"
    client = tc.InferenceServerClient(http_url)
    tensor = tc.InferInput("input-0", list(data.shape), "FP32")
    tensor.set_data_from_numpy(data, binary_data=binary)
    outputs = [tc.InferRequestedOutput("output-0", binary_data=binary)]
    return lambda: client.infer(model, [tensor], outputs=outputs, headers=headers).as_numpy("output-0")


def measure(calls: dict, seconds: float, warmup: float, rounds: int) -> dict:
    """Each call for ``seconds`` in all, in ``rounds`` interleaved turns (the
    machine's other load falls on every mode alike); latencies pooled."""
    latencies: dict[str, list[float]] = {mode: [] for mode in calls}
    elapsed = dict.fromkeys(calls, 0.0)
    expected = {mode: call().shape for mode, call in calls.items()}
    for mode, call in calls.items():
        end_warmup = time.perf_counter() + warmup
        while time.perf_counter() < end_warmup:
            call()
    for _ in range(rounds):
        for mode, call in calls.items():
            start = time.perf_counter()
            end = start + seconds / rounds
            while True:
                t0 = time.perf_counter()
                if t0 >= end:
                    break
                result = call()
                latencies[mode].append(time.perf_counter() - t0)
                assert result.shape == expected[mode]
            elapsed[mode] += time.perf_counter() - start
    return {mode: summary(values, elapsed[mode]) for mode, values in latencies.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per row (all rounds)")
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=8, help="interleaved turns of the three modes per row")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    inputs = {"iris": np.array([[6.8, 2.8, 4.8, 1.4]], dtype=np.float32),
              "wide": np.random.default_rng(1).normal(size=(1, WIDE)).astype(np.float32)}
    results: dict = {"client": "tritonclient (http: geventhttpclient; grpc), concurrency 1", "rows": []}
    with tempfile.TemporaryDirectory() as root:
        folders = build_models(root)
        grpc_port = free_port()
        server = ServerProcess(root, os.path.join(root, "data"), extra=[
            f"--EasyMakerExtension.serving={{'grpc_port': {grpc_port}}}"]).start()
        try:
            for name, folder in folders.items():
                server.request("POST", "models", {"name": name, "framework": "scikit-learn", "artifact_path": folder})
            key = server.request("POST", "endpoints", {"name": "bench", "resources": [
                {"model": "iris", "cpu": 0.4}, {"model": "wide", "cpu": 0.4}]})["api_key"]["key"]
            wait_active(server, "bench")
            routes = server.request("GET", "endpoints/bench/stages/default/gateway")["models"]
            gateway_grpc = f"127.0.0.1:{grpc_port}"
            # the gateway process's own stage URL (http://HOST:PORT/easymaker/inference/bench/default/), not the Jupyter port's
            stage_url = server.request("GET", "endpoints/bench/stages/default")["gateway_url"]
            gateway_http = stage_url.split("://", 1)[-1].rstrip("/")
            print(f"model servers {routes}; the gateway: {stage_url}, gRPC port {grpc_port}", flush=True)
            for model, data in inputs.items():
                direct = routes[model][0]  # http://127.0.0.1:P; gRPC on P + 1
                host, port = direct.rsplit("/", 1)[1].rsplit(":", 1)
                targets = {
                    "direct": (f"{host}:{port}", f"{host}:{int(port) + 1}", {}),
                    "gateway": (f"{gateway_http}/{model}", gateway_grpc,
                                {"authorization": f"Bearer {key}", "x-easymaker-endpoint": "bench",
                                 "x-easymaker-stage": "default"}),
                }
                for target, (http_url, grpc_url, headers) in targets.items():
                    calls = {mode: caller(mode, model, data, http_url, grpc_url, headers) for mode in MODES}
                    measured = measure(calls, args.seconds, args.warmup, args.rounds)
                    base = measured["http-json"]
                    for mode in MODES:
                        row = {"model": model, "shape": list(data.shape), "target": target, "mode": mode, **measured[mode]}
                        row["rps_vs_json"] = round(row["rps"] / base["rps"], 2)
                        row["p50_vs_json"] = round(row["p50_ms"] / base["p50_ms"], 2)
                        results["rows"].append(row)
                        print(f"{model:5s} {str(row['shape']):10s} {target:8s} {mode:12s} p50 {row['p50_ms']:7.3f} ms  "
                              f"p99 {row['p99_ms']:7.3f} ms  {row['rps']:8.1f} req/s  "
                              f"req/s x{row['rps_vs_json']:.2f}  p50 x{row['p50_vs_json']:.2f} (vs http-json)", flush=True)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
