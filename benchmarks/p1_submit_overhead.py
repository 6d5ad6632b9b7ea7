"""P1: time from submitting a training to its first line of user code,
against starting the same script with plain ``python``.

Prints the median and p90 of each path over N runs and the overhead
(goal: <= 0.2 s). Paths: POST /trainings through a real server, and
``%%easymaker train`` in an IPython shell connected to the same server.

    python benchmarks/p1_submit_overhead.py [--runs 20]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _server import ServerProcess

FIRST_LINE = "import os, time; open(os.environ['EM_HP_MARK'], 'w').write(repr(time.time()))\n"


def wait_file(path: str, timeout: float = 30.0) -> float:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(path) as fh:
                text = fh.read()
            if text:
                return float(text)
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    raise TimeoutError(path)


def plain(script: str, mark: str) -> float:
    t0 = time.time()
    proc = subprocess.Popen([sys.executable, script], env=dict(os.environ, EM_HP_MARK=mark))
    first = wait_file(mark)
    proc.wait()
    return first - t0


def via_api(server: ServerProcess, source: str, mark: str, name: str) -> float:
    t0 = time.time()
    server.request("POST", "trainings", {"name": name, "experiment_name": "bench-p1", "hyperparameters": {"mark": mark},
                                         "algorithm": {"type": "custom", "source_dir": source, "entry_point": "main.py"}})
    return wait_file(mark) - t0


def via_magic(shell, mark: str, name: str) -> float:
    t0 = time.time()
    shell.run_cell_magic("easymaker", f"train --name {name} --experiment bench-p1 --hp mark={mark} --no-widget", FIRST_LINE)
    return wait_file(mark) - t0


def summary(label: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[max(0, int(len(values) * 0.9) - 1)]
    return f"{label:<28} median {statistics.median(values) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms   (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "algo")
        os.makedirs(source)
        script = os.path.join(source, "main.py")
        with open(script, "w") as fh:
            fh.write(FIRST_LINE)
        server = ServerProcess(tmp, os.path.join(tmp, "data"), extra=["--EasyMakerExtension.local_cpu=64"]).start()
        try:
            plain_times, api_times, magic_times = [], [], []
            for i in range(args.runs):
                plain_times.append(plain(script, os.path.join(tmp, f"plain{i}")))
                api_times.append(via_api(server, source, os.path.join(tmp, f"api{i}"), f"p1-api-{i}"))
            try:
                from IPython.core.interactiveshell import InteractiveShell

                os.environ["JUPYTER_EASYMAKER_URL"] = f"http://127.0.0.1:{server.port}/"
                os.environ["JUPYTER_EASYMAKER_TOKEN"] = server.token
                shell = InteractiveShell.instance()
                shell.run_line_magic("load_ext", "jupyter_easymaker")
                for i in range(args.runs):
                    magic_times.append(via_magic(shell, os.path.join(tmp, f"magic{i}"), f"p1-magic-{i}"))
            except ImportError as exc:
                print(f"(magics unavailable: {exc})")
        finally:
            server.stop()
    print("P1: submit -> first line of user code")
    print(summary("plain python", plain_times))
    print(summary("POST /trainings", api_times))
    if magic_times:
        print(summary("%%easymaker train", magic_times))
    base = statistics.median(plain_times)
    print(f"overhead POST /trainings:   {(statistics.median(api_times) - base) * 1000:7.1f} ms (goal <= 200 ms)")
    if magic_times:
        print(f"overhead %%easymaker train: {(statistics.median(magic_times) - base) * 1000:7.1f} ms (goal <= 200 ms)")


if __name__ == "__main__":
    main()
