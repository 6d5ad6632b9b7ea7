"""The quickstart notebook a new user runs first, executed whole against a
real server: every cell must run and its trainings must complete."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from test_notebook_e2e import TOKEN, api_get, jupyter_server  # noqa: F401 - the fixture

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_quickstart_notebook_runs_end_to_end(jupyter_server):  # noqa: F811
    url, root = jupyter_server
    shutil.copy(EXAMPLES / "quickstart.ipynb", root / "quickstart.ipynb")
    nb = nbformat.read(root / "quickstart.ipynb", as_version=4)
    env = {**os.environ, "JUPYTER_EASYMAKER_URL": url, "JUPYTER_EASYMAKER_TOKEN": TOKEN}
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(root)}})
    client.execute(env=env)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    trainings = api_get(url, "trainings")["items"]
    assert trainings and all(t["status"] == "COMPLETE" for t in trainings), [(t["name"], t["status"], t["status_reason"]) for t in trainings]
    mlp = next(t for t in trainings if t["name"] == "quickstart-mlp")
    assert any(files for _, _, files in os.walk(mlp["tensorboard_log_dir"])), "no TensorBoard events written"
    metrics = api_get(url, f"trainings/{mlp['id']}/metrics")["metrics"]
    assert {"loss", "accuracy"} <= {m["name"] for m in metrics}
