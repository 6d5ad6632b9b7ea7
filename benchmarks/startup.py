"""Start-up cost of the server extension and of ``%load_ext jupyter_easymaker``.

Each figure is measured in a fresh interpreter (median of N), so our imports
are counted (jupyter_server's own are loaded first, as in a real server): the extension's load (import + settings + store + backends +
controller, as ``initialize_settings`` does) on a new store and on an
existing one, and the magics' ``%load_ext`` in a bare IPython shell.
Goal: well under a second.

    python benchmarks/startup.py [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile

EXTENSION = """
import sys, time
import jupyter_server.serverapp  # loaded by the server before any extension: not ours to count
t0 = time.perf_counter()
from jupyter_easymaker.extension import EasyMakerExtension
from jupyter_easymaker.core.services import Services
from jupyter_easymaker.core.settings import Settings
from jupyter_easymaker.backend.jobs.local import LocalBackend
from jupyter_easymaker.core.reconcile import Controller
from jupyter_easymaker.core.routes import url_specs
settings = Settings(data_dir=sys.argv[1])
backends = {"local": LocalBackend()}
services = Services(settings, backend_names=lambda: list(backends))
Controller(services, backends)
url_specs()
print(time.perf_counter() - t0)
"""

LOAD_EXT = """
import time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
t0 = time.perf_counter()
shell.run_line_magic("load_ext", "jupyter_easymaker")
print(time.perf_counter() - t0)
"""


def measure(code: str, *args: str, runs: int) -> list[float]:
    return [float(subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True).stdout.split()[-1])
            for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        fresh = [measure(EXTENSION, f"{tmp}/new{i}", runs=1)[0] for i in range(runs)]
        existing = measure(EXTENSION, f"{tmp}/new0", runs=runs)
    load_ext = measure(LOAD_EXT, runs=runs)
    print("start-up (median of %d fresh interpreters)" % runs)
    print(f"  server extension, new store (runs migrations):   {statistics.median(fresh) * 1000:6.0f} ms")
    print(f"  server extension, existing store:                {statistics.median(existing) * 1000:6.0f} ms")
    print(f"  %load_ext jupyter_easymaker:                     {statistics.median(load_ext) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
