"""Start-up cost of the server extension, next to a plain ``jupyter server``
in the same run, and of ``%load_ext jupyter_easymaker``.

Each server start is a fresh ``python -m jupyter_server`` process, timed from
launch until ``GET /api/status`` answers 200 (what JupyterLab waits for),
alternating plain and with-extension starts so both see the same machine load.
The extension's store is migrated once before the timed starts (the goal is
for an already-migrated store). For the extension we also time until its own
handshake (``GET easymaker/api/v1/``) answers, and until the first list of
trainings does (the first request that loads an area: store, tables, service).

Goals (issue: lazy start-up): the extension adds <= 0.25 s to the server's
start; ``%load_ext jupyter_easymaker`` takes <= 50 ms (it registers the magic
only: the commands, the client and the widgets load on first use).

    python benchmarks/startup.py [--runs 7]
    python benchmarks/startup.py --load-ext [--runs 5]   # only %load_ext, no servers
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from _server import free_port

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-token"

# what the extension does while the server starts (initialize_settings + initialize_handlers), in a
# fresh interpreter with jupyter_server already imported, as in a real server: the low-noise figure
EXTENSION = """
import sys, time
import jupyter_server.serverapp
t0 = time.perf_counter()
from jupyter_easymaker import api, areas
from jupyter_easymaker.core.http import NotFoundHandler
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.reconcile import Controller
from jupyter_easymaker.core.routing import url_specs
from jupyter_easymaker.core.settings import Settings
from jupyter_easymaker.backend.jobs.local import LocalBackend
from jupyter_easymaker.extension import EasyMakerExtension
platform = Platform(Settings(data_dir=sys.argv[1]), areas.AREAS, {"local": LocalBackend()})
platform.routes = api.routes()
Controller(platform)
url_specs(platform.routes, api.pages(), not_found=NotFoundHandler)
print(time.perf_counter() - t0)
"""

# a fresh interpreter with IPython's shell already up, as in a kernel
LOAD_EXT = """
import time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
t0 = time.perf_counter()
shell.run_line_magic("load_ext", "jupyter_easymaker")
print(time.perf_counter() - t0)
"""


def _get(url: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait(url: str, start: float, proc: subprocess.Popen, timeout: float = 60.0) -> float:
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if _get(url) == 200:
                return time.perf_counter() - start
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.005)
    raise TimeoutError(url)


def start_server(root: str, data: str | None) -> dict[str, float]:
    """Seconds from launch to /api/status (and, with the extension, to its handshake and a first area)."""
    port = free_port()
    extensions = "{'jupyter_easymaker': True}" if data else "{'jupyter_easymaker': False}"
    cmd = [sys.executable, "-m", "jupyter_server", f"--port={port}", "--port_retries=0", "--no-browser", "--allow-root",
           f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.jpserver_extensions={extensions}"]
    if data:
        cmd.append(f"--EasyMakerExtension.data_dir={data}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH", "")) if p))
    base = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        out = {"status": _wait(base + "api/status", start, proc)}
        if data:
            out["handshake"] = _wait(base + "easymaker/api/v1/", start, proc)
            out["first_area"] = _wait(base + "easymaker/api/v1/trainings", start, proc)
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _measure(code: str, *args: str) -> float:
    return float(subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True).stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--load-ext", action="store_true", help="only time %%load_ext jupyter_easymaker")
    options = parser.parse_args()
    runs = options.runs
    if options.load_ext:
        load_ext = [_measure(LOAD_EXT) for _ in range(runs)]
        print(f"%load_ext jupyter_easymaker, median of {runs} fresh interpreters: "
              f"{statistics.median(load_ext) * 1000:.1f} ms   (goal <= 50 ms)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "easymaker")
        start_server(tmp, data)  # creates and migrates the store: the timed starts open an existing one
        plain, ours = [], []
        for _ in range(runs):
            plain.append(start_server(tmp, None))
            ours.append(start_server(tmp, data))
        in_process = [_measure(EXTENSION, data) for _ in range(runs)]
    load_ext = [_measure(LOAD_EXT) for _ in range(runs)]

    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows) * 1000

    added = [o["status"] - p["status"] for p, o in zip(plain, ours)]
    figures = {
        "plain_server_ms": round(med(plain, "status")),
        "with_extension_ms": round(med(ours, "status")),
        "added_ms": round(statistics.median(added) * 1000),
        "added_ratio": round(med(ours, "status") / med(plain, "status"), 3),
        "handshake_ms": round(med(ours, "handshake")),
        "first_area_ms": round(med(ours, "first_area")),
        "extension_load_ms": round(statistics.median(in_process) * 1000),
        "load_ext_ms": round(statistics.median(load_ext) * 1000, 1),
    }
    print(f"start-up, median of {runs} alternating fresh server processes (existing, migrated store)")
    print(f"  jupyter server, plain:                          {figures['plain_server_ms']:6d} ms to /api/status")
    print(f"  jupyter server + jupyter_easymaker:             {figures['with_extension_ms']:6d} ms to /api/status "
          f"({figures['added_ratio']:.2f}x)")
    print(f"  added by the extension (paired, median):        {figures['added_ms']:6d} ms   (goal <= 250 ms)")
    print(f"  the extension's own load in the server process: {figures['extension_load_ms']:6d} ms   (imports, platform, routes)")
    print(f"  extension's handshake answers at:               {figures['handshake_ms']:6d} ms")
    print(f"  first area request (store + trainings) at:      {figures['first_area_ms']:6d} ms")
    print(f"  %load_ext jupyter_easymaker:                    {figures['load_ext_ms']:8.1f} ms   (goal <= 50 ms)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
