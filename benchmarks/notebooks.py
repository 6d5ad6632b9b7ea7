"""Notebook start time, as a ratio against the bare Jupyter server.

Baseline (same machine, same run): ``python -m jupyter_server`` started by
hand, timed to its first successful ``/api/status`` with its token.
Measured through a real EasyMaker server over its REST API:

* create -> ACTIVE (HEALTHY): POST notebooks until the status says so
  (the notebook's own server is JupyterLab where the environment has it);
* stop -> start: POST start on a STOPPED notebook until ACTIVE (HEALTHY).

    python benchmarks/notebooks.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from _server import ServerProcess, free_port

POLL = 0.05


def bare_jupyter_server(workdir: str) -> float:
    """Seconds from spawn to the first 200 of /api/status."""
    port, token = free_port(), secrets.token_hex(16)
    config = os.path.join(workdir, f"config-{port}")
    os.makedirs(config)
    with open(os.path.join(config, "jupyter_server_config.json"), "w") as fh:
        json.dump({"ServerApp": {"jpserver_extensions": {"jupyter_easymaker": False}}}, fh)  # bare: not this product
    env = dict(os.environ, JUPYTER_TOKEN=token, JUPYTER_CONFIG_DIR=config)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                             "--ServerApp.port_retries=0", "--ServerApp.open_browser=False", "--ServerApp.allow_root=True",
                             f"--ServerApp.root_dir={workdir}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"})
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, OSError):
                pass
            if proc.poll() is not None:
                raise RuntimeError("the bare jupyter_server exited")
            time.sleep(POLL)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def until(server: ServerProcess, ref: str, status: str, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while True:
        row = server.request("GET", f"notebooks/{ref}")
        if row["status"] == status:
            return
        if "FAILED" in row["status"] or time.monotonic() > end:
            raise RuntimeError(f"notebook {ref}: {row['status']} {row['status_reason']}")
        time.sleep(POLL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        baseline = [bare_jupyter_server(tmp) for _ in range(args.repeat)]
        server = ServerProcess(tmp, os.path.join(tmp, "data")).start()
        create, restart = [], []
        try:
            for i in range(args.repeat):
                started = time.perf_counter()
                nb = server.request("POST", "notebooks", {"name": f"bench-{i}"})
                until(server, nb["id"], "ACTIVE (HEALTHY)")
                create.append(time.perf_counter() - started)
                server.request("POST", f"notebooks/{nb['id']}/stop")
                until(server, nb["id"], "STOPPED")
                started = time.perf_counter()
                server.request("POST", f"notebooks/{nb['id']}/start")
                until(server, nb["id"], "ACTIVE (HEALTHY)")
                restart.append(time.perf_counter() - started)
                server.request("DELETE", f"notebooks/{nb['id']}")
        finally:
            server.stop()
    base = statistics.median(baseline)
    print(f"machine: {os.cpu_count()} CPUs; {args.repeat} runs each; medians")
    print(f"baseline  bare python -m jupyter_server to first /api/status: {base:6.2f} s  (runs: {', '.join(f'{v:.2f}' for v in baseline)})")
    for label, values in (("create -> ACTIVE (HEALTHY)", create), ("stop -> start -> ACTIVE (HEALTHY)", restart)):
        median = statistics.median(values)
        print(f"notebook  {label:<34} {median:6.2f} s  = {median / base:4.2f} x baseline  (runs: {', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
