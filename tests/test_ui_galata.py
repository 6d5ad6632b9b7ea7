"""The UI tests: the galata (Playwright) suite in tests/ui, on Debian's
chromium, against a Jupyter server that playwright's `webServer` starts with
tests/ui/jupyter_server_test_config.py (jupyter_easymaker enabled, a
non-default base_url, throw-away root and data dir).

Screenshots of every panel land in test-artifacts/ui/ (printed at the end),
with figures.json (list of 10,000 trainings, scroll frames, status latency).
Skipped only when node or chromium is missing; EASYMAKER_UI_FIGURES=0 leaves
the figures project out.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "tests" / "ui"
ARTIFACTS = ROOT / "test-artifacts" / "ui"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium() -> str | None:
    candidate = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    return candidate if os.path.exists(candidate) else shutil.which("chromium")


@pytest.mark.timeout(2400)  # installs the UI test deps on a fresh machine, then the whole browser suite
def test_galata_ui_suite(tmp_path, capsys):
    npm = shutil.which("npm")
    node = shutil.which("node")
    if node is None or npm is None:
        pytest.skip("Node.js / npm is not installed: the galata UI tests need it")
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium; scripts/easymaker-dev test does it as root)")
    if not (ROOT / "jupyter_easymaker" / "labextension" / "package.json").exists():
        pytest.fail("the labextension is not built (run scripts/easymaker-dev test, or jlpm build)")

    env = dict(os.environ)
    env.update(
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1",
        CHROMIUM_PATH=chromium,
        EASYMAKER_UI_PORT=str(_free_port()),
        EASYMAKER_UI_STATE=str(tmp_path / "server-state.json"),
        EASYMAKER_UI_TMP=str(tmp_path),  # the server's folders: what it starts ends with this test
        EASYMAKER_UI_ARTIFACTS=str(ARTIFACTS),
        EASYMAKER_PYTHON=sys.executable,
        EASYMAKER_JUPYTER=f"{sys.executable} -m jupyter",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        CI="1",
        FORCE_COLOR="0",
    )
    if not (UI / "node_modules" / "@jupyterlab" / "galata").exists():
        install = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=UI, env=env, capture_output=True, text=True, timeout=900)
        if install.returncode != 0:
            pytest.fail(f"npm ci in tests/ui failed:\n{install.stdout[-5000:]}\n{install.stderr[-5000:]}")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    args = [str(UI / "node_modules" / ".bin" / "playwright"), "test"]
    if os.environ.get("EASYMAKER_UI_FIGURES", "1") == "0":
        args.append("--project=ui")
    result = subprocess.run(args, cwd=UI, env=env, capture_output=True, text=True, timeout=1500)
    output = result.stdout + result.stderr
    lines = [line for line in output.splitlines() if "[WebServer]" not in line]
    summary = "\n".join(lines[-200:])
    if result.returncode != 0:
        pytest.fail(f"the galata UI suite failed (exit {result.returncode}):\n{summary}\n\nscreenshots: {ARTIFACTS}")
    figures = ARTIFACTS / "figures.json"
    with capsys.disabled():
        print(f"\n[ui] galata UI suite passed; screenshots in {ARTIFACTS}")
        for line in lines:
            if line.startswith(("open Trainings", "scroll (", "no scrolling", "status change", "seeded")):
                print(f"[ui] {line}")
        if figures.exists():
            print(f"[ui] figures: {figures}")
