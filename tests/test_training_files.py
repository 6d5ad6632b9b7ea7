"""Submitting a workspace .py / .ipynb as a training, and live-chart polling
of a training's metrics with ?since=."""
from __future__ import annotations

import nbformat

from jupyter_easymaker.areas.trainings.files import strip_ipython

NOTEBOOK_CELLS = [
    ("markdown", "# A notebook\nthat trains"),
    ("code", "%matplotlib inline\n!pip install nothing-at-all\nimport sys\nfiles = !ls"),
    ("code", "%%writefile helper.py\nVALUE = 41\n"),
    ("code", "from helper import VALUE\nif VALUE:\n    %time x = 1\n    !echo indented\nprint('args', sys.argv[1:], x)"),
    ("code", "%%bash\necho this is not python"),
    ("code", "%%time\nfor step in range(2):\n    print(f'answer={VALUE + 1} step={step}')"),
]


def write_notebook(path, cells=NOTEBOOK_CELLS):
    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        nb.cells.append(nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def test_strip_ipython_keeps_python_valid():
    out = strip_ipython("if True:\n    %pip install x\n    !ls\nx = 1 \\\n    != 2")
    compile(out, "cell", "exec")
    assert "pass  # (IPython) %pip install x" in out and "!= 2" in out
    assert strip_ipython("%%html\n<b>x</b>") == "# %%html\n# <b>x</b>"


async def test_notebook_submitted_as_training(api, jp_root_dir):
    write_notebook(jp_root_dir / "work" / "train me.ipynb")
    created = await api.post("trainings/from-file", {
        "path": "work/train me.ipynb", "name": "from-nb", "experiment_name": "files",
        "hyperparameters": {"epochs": 2}, "instance_type": "cpu-1", "max_run_seconds": 60,
    }, expect=201)
    assert created["spec"]["algorithm"]["entry_point"] == "main.py"
    assert created["description"] == "from work/train me.ipynb"
    done = await api.wait_status("from-nb")
    logs = [r["body"] for r in (await api.get("trainings/from-nb/logs"))["records"]]
    assert done["status"] == "COMPLETE", logs
    assert "args ['--epochs', '2'] 1" in logs
    assert not any("this is not python" in line for line in logs)
    metrics = await api.get("trainings/from-nb/metrics")
    assert metrics["metrics"][0]["name"] == "answer" and metrics["metrics"][0]["values"] == [42.0, 42.0]

    # ?since= keeps only what was stored after that time
    times = [u["time"] for u in metrics["usage"]]
    future = await api.get("trainings/from-nb/metrics", params={"since": "2999-01-01T00:00:00Z"})
    assert future["metrics"] == [] and future["usage"] == []
    past = await api.get("trainings/from-nb/metrics", params={"since": "2000-01-01T00:00:00+00:00"})
    assert past["metrics"] == metrics["metrics"] and len(past["usage"]) == len(times)
    if times:
        newer = await api.get("trainings/from-nb/metrics", params={"since": times[-1]})
        assert newer["usage"] == []
    bad = await api.get("trainings/from-nb/metrics", params={"since": "yesterday"}, expect=422)
    assert bad["field"] == "since"


async def test_script_submitted_by_absolute_path_inside_root(api, jp_root_dir):
    script = jp_root_dir / "plain.py"
    script.write_text("import sys\nprint('loss=0.5 step=1', sys.argv[1:])\n")
    created = await api.post("trainings/from-file", {"path": str(script), "experiment_name": "files"}, expect=201)
    assert created["name"].startswith("plain-")
    done = await api.wait_status(created["id"])
    assert done["status"] == "COMPLETE"


async def test_from_file_refusals_name_the_field(api, jp_root_dir, tmp_path):
    (tmp_path / "outside.py").write_text("print(1)\n")
    (jp_root_dir / "notes.txt").write_text("hello\n")
    (jp_root_dir / "ok.py").write_text("print(1)\n")
    cases = [
        ({"path": "../outside.py"}, 422, "path"),
        ({"path": str(tmp_path / "outside.py")}, 422, "path"),
        ({"path": "notes.txt"}, 422, "path"),
        ({"path": "missing.py"}, 404, "path"),
        ({}, 422, "path"),
        ({"path": "ok.py", "experiment_name": "files", "algorithm": {"type": "builtin", "name": "x"}}, 422, "algorithm"),
        ({"path": "ok.py"}, 422, "body"),  # experiment_id or experiment_name is required
        ({"path": "ok.py", "experiment_name": "files", "nodes": 0}, 422, "nodes"),
    ]
    for body, status, field in cases:
        answer = await api.post("trainings/from-file", body, expect=status)
        assert answer["field"] == field, (body, answer)
