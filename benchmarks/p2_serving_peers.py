"""P2: OIP v2 inference on the same scikit-learn models, served by
jupyter-easymaker's model server and by two peers - KServe's
``kserve.ModelServer`` and Seldon MLServer - with the same load generator and
concurrency, in one interleaved run.

    python benchmarks/p2_serving_peers.py [--setup] [--seconds 10] [--concurrency 1 8 32] [--model iris rf20]
                                          [--servers ...] [--max-batch-size 1] [--param compile=false]

Models: ``iris`` (LogisticRegression, 4 features) and ``rf20`` (a 100-tree
RandomForestClassifier on 20 features), both answering ``predict``.

The peers run from benchmark-only venvs (never project dependencies), which
``--setup`` creates: ``benchmarks/.venv-kserve`` (kserve, scikit-learn, joblib)
and ``benchmarks/.venv-mlserver`` (mlserver 1.7 + mlserver-sklearn; MLServer
1.7.1's workers need ``uvloop<0.22``). Each peer is measured at its defaults
and tuned (``SERVERS``): KServe with its per-request logging off (latency log
and uvicorn's access log), MLServer with its access log off and adaptive
batching on, or in-process inference. A peer "at its best" is, at each point,
the best requests/s and the best p99 any of its configurations reached.

All servers of a model are up together; at each concurrency they are measured
one after another, in an order that rotates from point to point, so the
machine's noise hits all alike. The load generator is this process (raw
HTTP/1.1 keep-alive connections, so it costs the servers' shared cores little).
Goal: >= 1.5x requests/s and <= 0.7x p99 against both peers at their best, at
every point.
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
from collections.abc import Callable
from dataclasses import dataclass

from _load import http_load, post_request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KSERVE_VENV = os.path.join(HERE, ".venv-kserve")
KSERVE_PY = os.path.join(KSERVE_VENV, "bin", "python")
MLSERVER_VENV = os.path.join(HERE, ".venv-mlserver")
MLSERVER_BIN = os.path.join(MLSERVER_VENV, "bin", "mlserver")
MODEL = "sklearn-iris"
IRIS_ROW = [6.8, 2.8, 4.8, 1.4]
RF20_ROW = [0.5, -1.2, 0.3, 2.1, -0.7, 1.4, 0.0, -0.3, 0.9, -1.8, 0.2, 1.1, -0.4, 0.6, -2.0, 0.8, 1.7, -0.9, 0.1, -0.5]
ROWS = {"iris": IRIS_ROW, "rf20": RF20_ROW}
DESCRIPTIONS = {"iris": "LogisticRegression on iris (joblib)", "rf20": "RandomForestClassifier, 100 trees, 20 features (joblib)"}
THIS = "easymaker"
GOAL_RPS, GOAL_P99 = 1.5, 0.7


def body_for(model: str) -> bytes:
    row = ROWS[model]
    return json.dumps({"inputs": [{"name": "input-0", "shape": [1, len(row)], "datatype": "FP32", "data": row}]}).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_model(folder: str, model: str = "iris") -> None:
    import joblib

    if model == "rf20":
        from sklearn.datasets import make_classification
        from sklearn.ensemble import RandomForestClassifier

        X, y = make_classification(n_samples=2000, n_features=20, n_informative=10, random_state=0)
        estimator = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    else:
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression

        X, y = load_iris(return_X_y=True)
        estimator = LogisticRegression(max_iter=500).fit(X, y)
    joblib.dump(estimator, os.path.join(folder, "model.joblib"))


def setup_kserve() -> None:
    if not os.path.exists(KSERVE_PY):
        subprocess.check_call([sys.executable, "-m", "venv", KSERVE_VENV])
    subprocess.check_call([KSERVE_PY, "-m", "pip", "install", "-q", "kserve", "scikit-learn", "joblib"])


def setup_mlserver() -> None:
    python = os.path.join(MLSERVER_VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", MLSERVER_VENV])
    subprocess.check_call([python, "-m", "pip", "install", "-q", "mlserver>=1.7,<1.8", "mlserver-sklearn>=1.7,<1.8",
                           "uvloop<0.22", "scikit-learn", "joblib"])


# -- the servers ------------------------------------------------------------------------
@dataclass
class Run:
    """What one server configuration needs for one model: its folder, flags."""
    model_dir: str
    port: int
    work_dir: str
    max_batch_size: int
    params: list[str]


@dataclass(frozen=True)
class Server:
    name: str
    peer: str  # "" for this server; peers at their best are compared per peer
    description: str
    command: Callable[[Run], list[str]]
    needs: str = ""  # the executable that must exist (its venv)


def easymaker_command(run: Run) -> list[str]:
    return [sys.executable, "-m", "jupyter_easymaker.runtime.model_server", "--model", MODEL, "--model-dir", run.model_dir,
            "--framework", "scikit-learn", "--host", "127.0.0.1", "--port", str(run.port), "--log-level", "warning",
            "--max-batch-size", str(run.max_batch_size), *[a for p in run.params for a in ("--param", p)]]


def kserve_command(logging_on: bool) -> Callable[[Run], list[str]]:
    def command(run: Run) -> list[str]:
        flags = [] if logging_on else ["--enable_latency_logging", "false", "--configure_logging", "false"]
        return [KSERVE_PY, os.path.join(HERE, "_kserve_sklearn.py"), "--model_name", MODEL, "--model_dir", run.model_dir,
                "--http_port", str(run.port), "--grpc_port", str(free_port()), "--enable_grpc", "false",
                "--enable_docs_url", "false", *flags]
    return command


def mlserver_command(settings: dict, model_settings: dict) -> Callable[[Run], list[str]]:
    """``mlserver start`` on a folder with its settings.json and a model-settings.json
    naming mlserver_sklearn.SKLearnModel; gRPC and metrics on free ports (they cannot be off)."""
    def command(run: Run) -> list[str]:
        with open(os.path.join(run.work_dir, "settings.json"), "w") as fh:
            json.dump({"host": "127.0.0.1", "http_port": run.port, "grpc_port": free_port(), "metrics_port": free_port(),
                       **settings}, fh)
        with open(os.path.join(run.work_dir, "model-settings.json"), "w") as fh:
            json.dump({"name": MODEL, "implementation": "mlserver_sklearn.SKLearnModel",
                       "parameters": {"uri": os.path.join(run.model_dir, "model.joblib")}, **model_settings}, fh)
        return [MLSERVER_BIN, "start", run.work_dir]
    return command


SERVERS = [
    Server(THIS, "", "this project's model server (defaults)", easymaker_command),
    Server("kserve", "KServe", "kserve.ModelServer 0.21, defaults (latency log and access log per request)",
           kserve_command(logging_on=True), KSERVE_PY),
    Server("kserve-quiet", "KServe", "kserve.ModelServer, --enable_latency_logging false --configure_logging false",
           kserve_command(logging_on=False), KSERVE_PY),
    Server("mlserver", "MLServer", "MLServer 1.7 + mlserver-sklearn, defaults (one inference worker process, access log)",
           mlserver_command({}, {}), MLSERVER_BIN),
    Server("mlserver-batching", "MLServer", "MLServer, adaptive batching (max_batch_size 32, max_batch_time 2 ms), debug off",
           mlserver_command({"debug": False}, {"max_batch_size": 32, "max_batch_time": 0.002}), MLSERVER_BIN),
    Server("mlserver-inproc", "MLServer", "MLServer, inference in the server process (parallel_workers 0), debug off",
           mlserver_command({"debug": False, "parallel_workers": 0}, {}), MLSERVER_BIN),
]
BY_NAME = {s.name: s for s in SERVERS}


def start(server: Server, run: Run) -> subprocess.Popen:
    # a file, not a pipe nobody reads (it would fill up and stall the server); it lives as long as the server
    log = tempfile.TemporaryFile()  # noqa: SIM115
    proc = subprocess.Popen(server.command(run), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise SystemExit(f"{server.name} exited: {log.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", run.port), timeout=1) as s:
                s.sendall(f"GET /v2/models/{MODEL}/ready HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                if b" 200 " in s.recv(4096):
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"{server.name} did not become ready")


def stop(proc: subprocess.Popen) -> None:
    """The server and the workers it started (MLServer's inference pool)."""
    try:
        os.killpg(proc.pid, 15)
        proc.wait(30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(5)


# -- comparison -------------------------------------------------------------------------
def compare(point: dict[str, dict], servers: list[Server]) -> dict:
    """This server against each peer at its defaults (its first configuration) and at
    its best (the best req/s and the best p99 of its configurations at this point)."""
    mine = point[THIS]
    out = {}
    for peer in dict.fromkeys(s.peer for s in servers if s.peer):
        configs = [s.name for s in servers if s.peer == peer]
        default = point[configs[0]]
        best_rps = max(point[c]["rps"] for c in configs)
        best_p99 = min(point[c]["p99_ms"] for c in configs)
        out[peer] = {
            "defaults": {"rps_ratio": _ratio(mine["rps"], default["rps"]), "p99_ratio": _ratio(mine["p99_ms"], default["p99_ms"])},
            "best": {"rps_ratio": _ratio(mine["rps"], best_rps), "p99_ratio": _ratio(mine["p99_ms"], best_p99),
                     "rps_from": max(configs, key=lambda c: point[c]["rps"]),
                     "p99_from": min(configs, key=lambda c: point[c]["p99_ms"])},
        }
        best = out[peer]["best"]
        best["goal_met"] = best["rps_ratio"] >= GOAL_RPS and best["p99_ratio"] <= GOAL_P99
    return out


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b and b != float("inf") else float("inf")


def table(model: str, runs: list[dict], servers: list[Server]) -> str:
    lines = [f"### {model}: {DESCRIPTIONS[model]}", "",
             "| concurrency | server | req/s | p50 ms | p99 ms | errors |", "|---|---|---:|---:|---:|---:|"]
    for r in runs:
        for s in servers:
            m = r["servers"][s.name]
            lines.append(f"| {r['concurrency']} | {s.name} | {m['rps']:,.0f} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | {m['errors']} |")
    peers = list(dict.fromkeys(s.peer for s in servers if s.peer))
    if peers:
        head = " | ".join(f"vs {p} defaults | vs {p} best" for p in peers)
        lines += ["", f"| concurrency | {head} | goal (>= {GOAL_RPS}x req/s, <= {GOAL_P99}x p99 vs each best) |",
                  "|---|" + "---|" * (2 * len(peers)) + "---|"]
        for r in runs:
            cells = []
            for p in peers:
                c = r["ratios"][p]
                cells.append(f"{c['defaults']['rps_ratio']}x req/s, {c['defaults']['p99_ratio']}x p99")
                cells.append(f"{c['best']['rps_ratio']}x req/s, {c['best']['p99_ratio']}x p99")
            met = all(r["ratios"][p]["best"]["goal_met"] for p in peers)
            lines.append(f"| {r['concurrency']} | " + " | ".join(cells) + f" | {'met' if met else '**NOT met**'} |")
    return "\n".join(lines)


def median_round(measured: list[dict]) -> dict:
    """One server's figures at one point over its rounds: the median of each measure."""
    if len(measured) == 1:
        return measured[0]
    merged = {key: statistics.median(m[key] for m in measured) for key in measured[0] if key != "errors"
              and isinstance(measured[0][key], (int, float))}
    merged["errors"] = sum(m.get("errors", 0) for m in measured)
    merged["rounds"] = len(measured)
    return merged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--model", choices=sorted(ROWS), nargs="+", default=["iris", "rf20"])
    parser.add_argument("--servers", choices=list(BY_NAME), nargs="+", default=list(BY_NAME),
                        help=f"the configurations to run ({THIS} always runs)")
    parser.add_argument("--max-batch-size", type=int, default=64, help="this server's micro-batching (1: none)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a model parameter for this server")
    parser.add_argument("--setup", action="store_true", help="create benchmarks/.venv-kserve and benchmarks/.venv-mlserver first")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure each point this many times, servers alternating, and keep the medians "
                             "(a burst of other work on the machine then hits one round, not the figure)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    if args.setup:
        setup_kserve()
        setup_mlserver()
    servers = [s for s in SERVERS if s.name == THIS or s.name in args.servers]
    missing = sorted({s.needs for s in servers if s.needs and not os.path.exists(s.needs)})
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: run with --setup (creates the peers' venvs under benchmarks/)")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results: dict = {"max_batch_size": args.max_batch_size, "params": args.param, "seconds": args.seconds,
                     "servers": {s.name: s.description for s in servers}, "models": {}}
    goal = True
    for model in args.model:
        body = body_for(model)
        runs: list[dict] = []
        with tempfile.TemporaryDirectory() as folder:
            model_dir = os.path.join(folder, "model")
            os.mkdir(model_dir)
            build_model(model_dir, model)
            procs: dict[str, tuple[subprocess.Popen, int]] = {}
            try:
                for s in servers:
                    work_dir = os.path.join(folder, s.name)
                    os.mkdir(work_dir)
                    run = Run(model_dir, free_port(), work_dir, args.max_batch_size, args.param)
                    procs[s.name] = (start(s, run), run.port)
                request = post_request(f"/v2/models/{MODEL}/infer", body)
                for i, concurrency in enumerate(args.concurrency):
                    rounds: dict[str, list[dict]] = {s.name: [] for s in servers}
                    for r in range(args.rounds):
                        shift = (i + r) % len(servers)
                        for s in servers[shift:] + servers[:shift]:  # who goes first rotates
                            rounds[s.name].append(asyncio.run(http_load(
                                procs[s.name][1], request, concurrency, args.seconds, args.warmup if r == 0 else 0.5)))
                    point = {name: median_round(measured) for name, measured in rounds.items()}
                    ratios = compare(point, servers)
                    runs.append({"concurrency": concurrency, "servers": point, "ratios": ratios})
                    goal = goal and all(r["best"]["goal_met"] for r in ratios.values())
                    print(f"{model} c={concurrency}: " + ", ".join(f"{n} {m['rps']:.0f} req/s p99 {m['p99_ms']:.2f} ms"
                                                                   for n, m in point.items()), flush=True)
            finally:
                for proc, _ in procs.values():
                    stop(proc)
        results["models"][model] = {"description": DESCRIPTIONS[model], "request": f"v2 infer, FP32 [1,{len(ROWS[model])}]",
                                    "runs": runs}
        print()
        print(table(model, runs, servers), flush=True)
        print()
    results["goal_met"] = goal
    print(f"goal (>= {GOAL_RPS}x req/s and <= {GOAL_P99}x p99 against each peer at its best, every point):",
          "met" if goal else "NOT met")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
