"""End to end: a real `jupyter server` process with the extension, and a
notebook executed by nbclient in a kernel that finds the server the way a
kernel started by that server does (JUPYTER_EASYMAKER_URL / _TOKEN)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parent.parent
TOKEN = "e2e-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_get(url: str, path: str) -> dict:
    request = urllib.request.Request(url + "easymaker/api/v1/" + path, headers={"Authorization": f"token {TOKEN}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def jupyter_server(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    root = tmp_path / "root"
    root.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),  # no user configuration
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    for key in ("JUPYTER_EASYMAKER_URL", "JUPYTER_EASYMAKER_TOKEN"):
        env.pop(key, None)
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
            "--ServerApp.jpserver_extensions={'jupyter_easymaker': True}",
            f"--EasyMakerExtension.data_dir={tmp_path / 'easymaker-data'}",
            "--EasyMakerExtension.controller_interval=0.2",
        ],
        cwd=str(root), env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"jupyter server exited with {proc.returncode}:\n{(tmp_path / 'server.log').read_text()[-3000:]}")
            try:
                if api_get(url, "").get("name") == "jupyter-easymaker":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"jupyter server did not answer:\n{(tmp_path / 'server.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield url, root
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


CELLS = [
    "import time as _t\n_t0 = _t.perf_counter()\n%load_ext jupyter_easymaker\nprint('load_ext seconds', round(_t.perf_counter() - _t0, 4))",
    "%%easymaker train --name nb-train --experiment e2e --hp epochs=2 --wait\n"
    "import sys\nprint('args', sys.argv[1:])\nprint('loss=0.5 step=1')\nprint('loss=0.25 step=2')\n",
    "from jupyter_easymaker import Client\ntrainings = Client().list_trainings()\nprint([(t['name'], t['status']) for t in trainings])",
    "%easymaker status nb-train",
]


def texts(cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


def test_notebook_end_to_end(jupyter_server):
    url, root = jupyter_server
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    # what the server exports to the kernels it starts
    env = {**os.environ, "JUPYTER_EASYMAKER_URL": url, "JUPYTER_EASYMAKER_TOKEN": TOKEN}
    client = nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(root)}})
    client.execute(env=env)

    load, train, listing, status = nb.cells
    seconds = float(texts(load).split()[-1])
    assert seconds < 0.3, seconds
    out = texts(train)
    assert "<training nb-train: COMPLETE" in out, out
    assert "training nb-train: COMPLETE" in out and "loss=0.25" in out
    # a kernel shows the live widget
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in train.outputs), train.outputs
    assert "('nb-train', 'COMPLETE')" in texts(listing)
    assert "status       COMPLETE" in texts(status)
    assert api_get(url, "trainings/nb-train")["status"] == "COMPLETE"
    logs = api_get(url, "trainings/nb-train/logs")
    assert any("args ['--epochs', '2']" in r["body"] for r in logs["records"])
