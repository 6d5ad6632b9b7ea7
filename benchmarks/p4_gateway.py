"""P4: what the inference gateway costs, what it costs JupyterLab, and a default-stage change under load.

    python benchmarks/p4_gateway.py [--seconds 8] [--concurrency 1 8 32] [--probe-seconds 20] [--rounds 3]

Starts a real Jupyter server with the extension (local backend), deploys a
scikit-learn model on an endpoint (one pod), then drives OIP v1 predict
requests with the same load generator (raw HTTP/1.1 keep-alive connections
from a process of its own, on uvloop) straight to the model server, through
the gateway process's own port, and through the Jupyter port's stage URL
(relayed to the gateway process): requests/s, p50, p99, the ratio to direct
and the p50 the gateway adds. Then the Jupyter REST API (authenticated
``GET /api/status`` and ``GET /easymaker/api/v1/endpoints``) is timed idle,
while the gateway carries 32 clients, and while 32 clients call the model
server directly (what that load alone costs JupyterLab on this host), for
--probe-seconds each in all, in --rounds interleaved rounds whose calls are
pooled: a host that speeds up or slows down during the run then weighs on
idle and loaded alike. Last, a second stage is added and the default stage
is changed while clients keep calling the default stage URL: every request
must succeed.

Through the gateway port, a kept-alive connection is handed to the model
server after its first request (the connection handoff, serving option
``gateway_handoff``; ``--serving '{"gateway_handoff": false}'`` measures the
gateway proxying every request). Every request is still counted and logged
(``inference_log_sample_rate`` 1.0 by default): stored as batches while the
gateway serves, made log records when the host has time or a query asks
(core/log_batches.py).

The load generator stands in for clients on other hosts: it runs at the
gateway's CPU priority (``gateway_nice`` steps below JupyterLab, and the
shortest time slice, as the serving processes). Serving
options go in with --serving, e.g. ``'{"gateway_nice": 0, "local_nice": 0}'``
to see what the default priorities spare JupyterLab.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from _load import http_load, post_request, summary
from _server import ServerProcess

from jupyter_easymaker.backend.processes import lower_priority
from jupyter_easymaker.backend.serving.base import ServingOptions

BODY = json.dumps({"instances": [[6.8, 2.8, 4.8, 1.4]]}).encode()


def build_model(folder: str) -> None:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(X, y), os.path.join(folder, "model.joblib"))


async def load(port: int, path: str, headers: str, concurrency: int, seconds: float, warmup: float,
               statuses: list | None = None, stop: asyncio.Event | None = None) -> dict:
    """The v1 predict request of the benchmark sent to ``path`` (see ``_load.http_load``)."""
    return await http_load(port, post_request(path, BODY, headers), concurrency, seconds, warmup,
                           statuses=statuses, stop=stop)


def wait_active(server: ServerProcess, name: str, timeout: float = 120) -> dict:
    end = time.monotonic() + timeout
    while True:
        row = server.request("GET", f"endpoints/{name}")
        if row["status"] == "ACTIVE":
            return row
        if "FAILED" in row["status"] or time.monotonic() > end:
            raise SystemExit(f"endpoint {name}: {row['status']} {row['status_reason']}")
        time.sleep(0.2)


async def swap_under_load(server: ServerProcess, port: int, key: str, concurrency: int) -> dict:
    statuses: list[int] = []
    stop = asyncio.Event()
    task = asyncio.create_task(load(port, "/easymaker/inference/bench/iris/v1/models/iris/predict",
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




def load_in_process(port: int, path: str, headers: str, concurrency: int, seconds: float, warmup: float,
                    nice: int) -> subprocess.Popen:
    """The load generator in a process of its own (its loop must not share a core with the probes).
    It stands in for clients on other hosts, so it runs ``nice`` steps below JupyterLab's CPU
    priority, as the gateway does (``gateway_nice``)."""
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--load", json.dumps(
        [port, path, headers, concurrency, seconds, warmup])], stdout=subprocess.PIPE, text=True, start_new_session=True)
    lower_priority(proc.pid, nice)
    return proc


def run_load(*args) -> dict:
    proc = load_in_process(*args)
    out, _ = proc.communicate()
    return json.loads(out)


def probe(port: int, token: str, seconds: float) -> dict[str, list[float]]:
    """Authenticated Jupyter REST calls one after another: GET /api/status and an EasyMaker list.
    The seconds each call took, by path."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"token {token}"}
    times: dict[str, list[float]] = {"/api/status": [], "/easymaker/api/v1/endpoints": []}
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for path, bucket in times.items():
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            bucket.append(time.perf_counter() - t0)
            assert response.status == 200, (path, response.status)
            time.sleep(0.005)  # a person's pace, not a load test
    conn.close()
    return times


def print_row(name: str, concurrency: int, row: dict, direct: dict) -> None:
    ratio = row["rps"] / direct["rps"] if direct["rps"] else 0.0
    added = row["p50_ms"] - direct["p50_ms"]
    print(f"{name:13s} {concurrency:4d} {row['rps']:9.1f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {ratio:6.2f}x "
          f"{added:+8.2f}  {row['errors']:4d}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--probe-seconds", type=float, default=20.0,
                        help="how long the Jupyter REST API is timed, idle and under each load, in all (its p99 needs samples)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="the idle and loaded timings of the Jupyter REST API are taken in this many interleaved "
                             "rounds and pooled, so that a host that speeds up or slows down meanwhile weighs on each alike")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--serving", default="{}", help="serving options of the server (JSON), e.g. "
                        "'{\"inference_log_sample_rate\": 0.01}'")
    parser.add_argument("--load", help=argparse.SUPPRESS)  # the load generator's own process
    args = parser.parse_args()
    if args.load:
        try:
            import uvloop
        except ImportError:
            print(json.dumps(asyncio.run(load(*json.loads(args.load)))))
        else:
            print(json.dumps(uvloop.run(load(*json.loads(args.load)))))
        return 0
    client_nice = ServingOptions.from_dict(json.loads(args.serving)).gateway_nice
    results: dict = {"model": "LogisticRegression on iris (joblib), one pod", "request": "v1 predict, 1 instance", "runs": []}
    with tempfile.TemporaryDirectory() as root:
        model_dir = os.path.join(root, "iris")
        os.makedirs(model_dir)
        build_model(model_dir)
        # the controller at its default pace (the tests' helper runs it every 0.1 s)
        server = ServerProcess(root, os.path.join(root, "data"), controller_interval=0.5, extra=[
            f"--EasyMakerExtension.serving={json.loads(args.serving)!r}"]).start()
        try:
            server.request("POST", "models", {"name": "iris", "framework": "scikit-learn", "artifact_path": model_dir})
            key = server.request("POST", "endpoints", {"name": "bench", "resources": [{"model": "iris", "cpu": 0.5}]})["api_key"]["key"]
            endpoint = wait_active(server, "bench")
            gateway = server.request("GET", "endpoints/bench/stages/default/gateway")
            direct_port = int(gateway["models"]["iris"][0].rsplit(":", 1)[1])
            gateway_port = int(endpoint["default_stage_gateway_url"].split(":")[2].split("/")[0])
            auth = f"Authorization: Bearer {key}\r\n"
            path = "/easymaker/inference/bench/iris/v1/models/iris/predict"
            targets = [("direct", direct_port, "/v1/models/iris/predict", ""), ("gateway port", gateway_port, path, auth),
                       ("jupyter port", server.port, path, auth)]
            print(f"{'through':13s} {'conc':>4s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'ratio':>7s} {'+p50 ms':>8s}  errs")
            for concurrency in args.concurrency:
                row: dict = {"concurrency": concurrency}
                for name, port, target_path, headers in targets:
                    row[name] = run_load(port, target_path, headers, concurrency, args.seconds, args.warmup, client_nice)
                    print_row(name, concurrency, row[name], row["direct"])
                for name in ("gateway port", "jupyter port"):
                    row[name]["ratio"] = round(row[name]["rps"] / row["direct"]["rps"], 3) if row["direct"]["rps"] else None
                    row[name]["added_p50_ms"] = round(row[name]["p50_ms"] - row["direct"]["p50_ms"], 3)
                results["runs"].append(row)

            # The Jupyter REST API idle, while the same 32 clients call through the gateway port, and while they
            # call the model server straight (what that load costs JupyterLab on this host with no gateway at all)
            conditions = {"idle": None, "gateway": targets[1], "direct": targets[0]}
            calls: dict[str, dict[str, list[float]]] = {name: {} for name in conditions}
            carried: dict[str, list[float]] = {"gateway": [], "direct": []}  # req/s of each loaded window
            rounds = max(1, args.rounds)
            window = args.probe_seconds / rounds
            per_round: list[dict[str, float]] = []  # /api/status p99 ratios of each round, for their spread
            for _ in range(rounds):
                p99s = {}
                for name, target in conditions.items():
                    if target is None:
                        # idle is idle: the requests so far stored (the servers report and the gateway writes every
                        # 0.25 s), made log records and indexed first (a search with terms catches up), or the idle
                        # calls would share the cores with that work
                        time.sleep(1.0)
                        server.request("GET", "endpoints/bench/stages/default/logs?query=predict&limit=1")
                        time.sleep(1.0)
                        times = probe(server.port, server.token, window)
                    else:
                        _name, port, target_path, headers = target
                        clients = load_in_process(port, target_path, headers, 32, window + 2, args.warmup, client_nice)
                        time.sleep(args.warmup + 0.5)
                        times = probe(server.port, server.token, window)
                        carried[name].append(json.loads(clients.communicate()[0])["rps"])
                    for api_path, values in times.items():
                        calls[name].setdefault(api_path, []).extend(values)
                    p99s[name] = summary(times["/api/status"], None)["p99_ms"]
                per_round.append({"gateway": p99s["gateway"] / p99s["idle"], "direct": p99s["direct"] / p99s["idle"]})
            figures = {name: {api_path: summary(values, None) for api_path, values in by_path.items()}
                       for name, by_path in calls.items()}
            idle, busy, direct_busy = figures["idle"], figures["gateway"], figures["direct"]
            gateway_rps, direct_rps = statistics.fmean(carried["gateway"]), statistics.fmean(carried["direct"])
            results["jupyter_api"] = {"rounds": rounds, "idle": idle, "gateway_32_clients": busy, "gateway_load_rps": gateway_rps,
                                      "direct_32_clients": direct_busy, "direct_load_rps": direct_rps,
                                      "status_p99_ratio_per_round": per_round}
            print(f"\nJupyter REST API, idle vs while 32 clients call through the gateway port ({gateway_rps:.0f} req/s) "
                  f"and straight to the model server ({direct_rps:.0f} req/s), "
                  + (f"{rounds} interleaved rounds pooled:" if rounds > 1 else "one window each:"))
            for api_path in idle:
                i, b, d = idle[api_path], busy[api_path], direct_busy[api_path]
                print(f"  {api_path:30s} idle p50 {i['p50_ms']:6.2f} p99 {i['p99_ms']:6.2f} ms | "
                      f"gateway load p50 {b['p50_ms']:6.2f} p99 {b['p99_ms']:6.2f} ms ({b['p99_ms'] / i['p99_ms']:.2f}x idle p99, "
                      f"{b['requests']} calls) | direct load p99 {d['p99_ms']:6.2f} ms ({d['p99_ms'] / i['p99_ms']:.2f}x)")
            print("  /api/status p99 / idle p99, round by round: gateway load "
                  + " ".join(f"{r['gateway']:.2f}x" for r in per_round) + ", direct load "
                  + " ".join(f"{r['direct']:.2f}x" for r in per_round))

            server.request("POST", "endpoints/bench/stages", {"name": "next", "resources": [{"model": "iris", "cpu": 0.5}]})
            wait_active(server, "bench")
            swap = asyncio.run(swap_under_load(server, gateway_port, key, 8))
            results["swap"] = swap
            print(f"\ndefault stage change under load (8 clients): {swap['requests']} requests, {swap['failed']} failed, "
                  f"switch call {swap['switch_call_ms']} ms, old stage removed after {swap['old_stage_removed_after_s']} s")
        finally:
            try:  # the model servers and the gateway outlive the Jupyter server by design: delete the endpoint first
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
                stop_gateway(os.path.join(root, "data"))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0 if results.get("swap", {}).get("failed", 1) == 0 else 1


def stop_gateway(data_dir: str) -> None:
    try:
        pid = json.load(open(os.path.join(data_dir, "gateway", "process.json")))["pid"]
        os.killpg(pid, signal.SIGTERM)
    except (OSError, ValueError, KeyError):
        pass


if __name__ == "__main__":
    sys.exit(main())
