"""%easymaker / %%easymaker in a bare IPython shell against a real server, and
the ipywidgets view. Magics block (urllib), so they run in a thread while the
test's event loop keeps serving."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from jupyter_easymaker.client import Client

TRAIN = "import sys\nprint('args', sys.argv[1:])\nprint('loss=0.5 step=1')\nprint('loss=0.25 step=2')\n"
SLOW = "import time\nfor i in range(600):\n    print('tick', i, flush=True)\n    time.sleep(0.1)\n"


def run(fn, *args, **kwargs):
    return asyncio.to_thread(fn, *args, **kwargs)


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    old = os.environ.get("IPYTHONDIR")
    os.environ["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython"))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    sh = InteractiveShell.instance(config=config)
    sh.run_line_magic("load_ext", "jupyter_easymaker")
    yield sh
    sh.run_line_magic("unload_ext", "jupyter_easymaker")
    InteractiveShell.clear_instance()
    if old is None:
        os.environ.pop("IPYTHONDIR", None)
    else:
        os.environ["IPYTHONDIR"] = old


@pytest.fixture
def server_url(jp_fetch, jp_http_port, jp_base_url):
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def client(server_url, jp_serverapp):
    return Client(server_url, jp_serverapp.identity_provider.token, timeout=10)


@pytest.fixture
def magics(shell, client):
    m = shell.magics_manager.registry["EasyMakerMagics"]
    m.client = client
    return m


def cell(shell, line, body):
    return run(shell.run_cell_magic, "easymaker", line, body)


def line(shell, text):
    return run(shell.run_line_magic, "easymaker", text)


async def test_train_wait_shows_logs_and_metrics(shell, magics, client, capsys):
    result = await cell(shell, "train --name m1 --experiment exp-m --hp epochs=2 lr=0.1 --max-time 5m --wait", TRAIN)
    assert result["status"] == "COMPLETE", result
    assert result["name"] == "m1" and result["experiment_name"] == "exp-m"
    assert result["spec"]["hyperparameters"] == {"epochs": 2, "lr": 0.1} and result["spec"]["max_run_seconds"] == 300
    out = capsys.readouterr().out
    assert "submitted training m1" in out
    assert "args ['--epochs', '2', '--lr', '0.1']" in out and "loss=0.25 step=2" in out
    assert "training m1: COMPLETE" in out and "loss=0.25" in out.splitlines()[-1]
    from IPython.lib.pretty import pretty

    assert pretty(result).startswith("<training m1: COMPLETE")
    metrics = await run(client.metrics, "m1")
    assert metrics["metrics"][0]["values"] == [0.5, 0.25]


async def test_vars_ship_notebook_variables(shell, magics, client, capsys):
    shell.user_ns["payload"] = {"items": [1, 2, 3]}
    shell.user_ns["scale"] = lambda x: x * 10  # defined in the notebook: pickled by value
    result = await cell(shell, "train --name m2 --vars payload,scale --no-widget --wait", "print('shipped', payload['items'], scale(4))\n")
    assert result["status"] == "COMPLETE", result
    assert "shipped [1, 2, 3] 40" in capsys.readouterr().out


async def test_help(shell, magics, capsys):
    await line(shell, "--help")
    assert "usage: %easymaker" in capsys.readouterr().out
    await line(shell, "")
    assert "COMMAND" in capsys.readouterr().out
    await line(shell, "help")
    assert "tensorboard" in capsys.readouterr().out
    await cell(shell, "train --help", "print(1)")
    out = capsys.readouterr().out
    assert "usage: %%easymaker train" in out and "--max-time DURATION" in out and "--vars A,B" in out
    for sub in ("list", "status", "logs", "stop", "copy", "delete", "tensorboard", "templates", "experiments"):
        await line(shell, f"{sub} --help")
        magic = "%%easymaker" if sub == "templates" else "%easymaker"  # templates also takes a cell of JSON fields
        assert f"usage: {magic} {sub}" in capsys.readouterr().out


async def test_bad_arguments_submit_nothing(shell, magics, client, capsys):
    before = (await run(client.list_trainings)).total
    cases = {
        "train --nodes x": "argument --nodes: expected a whole number, got 'x'",
        "train --hp noequals": "argument --hp: expected KEY=VALUE, got 'noequals'",
        "train --bogus": "unrecognized arguments: --bogus",
        "train --max-time soon": "invalid duration 'soon'",
        "train --backend moon": "argument --backend: invalid choice",
        "train --vars missing_var": "no variable named 'missing_var'",
        'train --name "unclosed': "cannot read the arguments",
        "list": "the cell magic takes `train`",
    }
    for args, message in cases.items():
        assert await cell(shell, args, "print(1)") is None
        captured = capsys.readouterr()
        assert message in captured.err, (args, captured)
        assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
    assert await cell(shell, "train", "   \n") is None
    assert "the cell is empty" in capsys.readouterr().err
    await line(shell, "train --name x")
    assert "%%easymaker train" in capsys.readouterr().err
    await line(shell, "frobnicate")
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err
    # the server's own validation: one line naming the field, and nothing is created
    assert await cell(shell, "train --name 'bad name!'", "print(1)") is None
    assert capsys.readouterr().err.startswith("error: name:")
    assert await cell(shell, "train --instance-type huge", "print(1)") is None
    assert capsys.readouterr().err.startswith("error: instance_type:")
    assert (await run(client.list_trainings)).total == before
    # a full cell through run_cell: still no traceback
    result = await run(shell.run_cell, "%%easymaker train --nodes x\nprint(1)\n")
    assert result.success and result.result is None
    assert (await run(client.list_trainings)).total == before


async def test_line_magics(shell, magics, client, capsys, monkeypatch):
    assert await cell(shell, "train --name slow --experiment exp-l", SLOW) is None
    out = capsys.readouterr().out
    assert "submitted training slow" in out and "%easymaker logs slow --follow" in out
    await wait_for(client, "slow", {"RUNNING"})
    await wait_logs(client, "slow")

    await line(shell, "list")
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["NAME", "STATUS", "EXPERIMENT", "ELAPSED", "CREATED"]
    assert "slow" in out and "RUNNING" in out and "exp-l" in out
    await line(shell, "list --status COMPLETE")
    assert capsys.readouterr().out.strip() == "no trainings"

    await line(shell, "status slow")
    out = capsys.readouterr().out
    assert "status       RUNNING" in out and "experiment   exp-l" in out and "tensorboard" in out

    await line(shell, "logs slow --tail 1")
    assert capsys.readouterr().out.startswith("tick ")

    await line(shell, "delete slow --yes")
    assert "stop it before deleting it" in capsys.readouterr().err

    await line(shell, "stop slow")
    assert "stop requested for training slow: STOP IN PROGRESS" in capsys.readouterr().out
    assert (await run(client.wait, "slow", 30, 0.1))["status"] == "STOPPED"

    await line(shell, "status nope")
    assert capsys.readouterr().err.strip() == "error: id: training 'nope' does not exist"

    # a copy with a changed hyperparameter, followed to its end
    await cell(shell, "train --name quick --hp epochs=1 --no-widget", TRAIN)
    await line(shell, "copy quick --name quick2 --hp epochs=7")
    assert "submitted copy quick2" in capsys.readouterr().out
    await line(shell, "logs quick2 --follow")
    out = capsys.readouterr().out
    assert "args ['--epochs', '7']" in out and out.strip().endswith("training quick2: COMPLETE")

    await line(shell, "delete quick2")
    out = capsys.readouterr().out
    assert "would delete training quick2" in out and "--yes" in out
    assert (await run(client.get_training, "quick2"))["name"] == "quick2"
    await line(shell, "delete quick2 --yes")
    assert "deleted training quick2" in capsys.readouterr().out
    assert "quick2" not in {t["name"] for t in await run(client.list_trainings)}

    await run(client.wait, "quick", 30)
    await run(client.save_as_template, "quick", "tpl-q")
    await line(shell, "templates")
    assert "tpl-q" in capsys.readouterr().out
    await line(shell, "experiments")
    out = capsys.readouterr().out
    assert "exp-l" in out and "notebook" in out

    opened = []
    monkeypatch.setattr(client, "open_tensorboard", lambda **ref: opened.append(ref) or {
        "logdir": "/logs", "url": "/base/easymaker/tensorboard/abc/", "link": "http://h/base/easymaker/tensorboard/abc/"})
    await line(shell, "tensorboard quick")
    assert "TensorBoard of training quick (/logs): http://h/base/easymaker/tensorboard/abc/" in capsys.readouterr().out
    await line(shell, "tensorboard exp-l")
    assert "TensorBoard of experiment exp-l" in capsys.readouterr().out
    assert [list(r) for r in opened] == [["training"], ["experiment"]]


async def test_train_from_template(shell, magics, client, capsys):
    await run(client.create_template, "tpl-a", algorithm={"type": "custom", "source_files": {"t.py": "print(1)"}, "entry_point": "t.py"},
              hyperparameters={"epochs": 1, "lr": 0.5})
    result = await cell(shell, "train --name from-tpl --template tpl-a --hp epochs=4 --wait", TRAIN)
    assert result["status"] == "COMPLETE" and result["spec"]["hyperparameters"] == {"epochs": 4, "lr": 0.5}
    assert "args ['--epochs', '4', '--lr', '0.5']" in capsys.readouterr().out


async def test_connect(shell, magics, server_url, jp_serverapp, capsys):
    magics.client = None
    await line(shell, f"connect {server_url} --token {jp_serverapp.identity_provider.token}")
    assert "connected to jupyter-easymaker" in capsys.readouterr().out
    await line(shell, "list")
    assert capsys.readouterr().out.strip() == "no trainings"
    await line(shell, "connect http://127.0.0.1:9/ --token x")
    assert "cannot reach" in capsys.readouterr().err
    assert magics.client.url == server_url  # a failed connect keeps the working client


async def test_widget_view(client):
    from jupyter_easymaker.areas.trainings.widgets import TrainingView
    from jupyter_easymaker.status_colors import STATUS_COLORS

    training = await run(client.create_training, name="w1", experiment="exp-w",
                         algorithm={"type": "custom", "source_files": {"main.py": TRAIN}, "entry_point": "main.py"})
    view = await run(TrainingView, client, training, poll=0.2)
    final = await run(view.wait, 30)
    assert final["status"] == "COMPLETE" and view.done
    assert STATUS_COLORS["COMPLETE"]["bg"] in view.header_html.value and ">w1<" in view.header_html.value
    assert "loss=0.25 step=2" in view.logs_html.value
    assert "<code>loss</code>" in view.metrics_html.value and "0.25" in view.metrics_html.value
    assert any(c in view.metrics_html.value for c in "▁█")
    assert view.stop_button.layout.display == "none"
    view.close()

    slow = await run(client.create_training, name="w2", experiment="exp-w",
                     algorithm={"type": "custom", "source_files": {"main.py": SLOW}, "entry_point": "main.py"})
    await wait_for(client, "w2", {"RUNNING"})
    view = await run(TrainingView, client, slow, poll=0.2)
    assert STATUS_COLORS["RUNNING"]["bg"] in view.header_html.value
    await run(view.stop_button.click)
    assert "stop requested" in view.notice_html.value
    assert (await run(view.wait, 30))["status"] == "STOPPED"
    assert STATUS_COLORS["STOPPED"]["bg"] in view.header_html.value


async def test_cell_magic_with_widget(shell, magics, client, capsys, monkeypatch):
    from jupyter_easymaker.areas.trainings.widgets import TrainingView

    monkeypatch.setattr(magics, "_widgets_available", lambda: True)
    view = await cell(shell, "train --name wm1", TRAIN)
    assert isinstance(view, TrainingView)
    assert (await run(view.wait, 30))["status"] == "COMPLETE"
    result = await cell(shell, "train --name wm2 --wait", TRAIN)
    assert result["status"] == "COMPLETE"
    assert "training wm2: COMPLETE" in capsys.readouterr().out


def test_load_ext_is_fast_and_light(tmp_path):
    code = (
        "import sys, time\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "sh = InteractiveShell.instance()\n"
        "t = time.perf_counter()\n"
        "sh.run_line_magic('load_ext', 'jupyter_easymaker')\n"
        "elapsed = time.perf_counter() - t\n"
        "heavy = [m for m in ('ipywidgets', 'cloudpickle', 'jupyter_server', 'tornado', 'sqlalchemy', 'pydantic') if m in sys.modules]\n"
        "print(elapsed, heavy, 'easymaker' in sh.magics_manager.magics['cell'])\n"
    )
    env = {**os.environ, "IPYTHONDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout.split()
    elapsed, heavy, registered = float(out[0]), out[1:-1], out[-1]
    assert registered == "True"
    assert heavy == ["[]"], heavy
    assert elapsed < 0.3, elapsed


def test_load_ext_registers_the_magic_only(tmp_path):
    """The areas' commands, the client and the widgets load on first use, not at %load_ext."""
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "sh = InteractiveShell.instance()\n"
        "sh.run_line_magic('load_ext', 'jupyter_easymaker')\n"
        "def loaded():\n"
        "    return sorted(m for m in sys.modules if m.startswith(('jupyter_easymaker.areas', 'jupyter_easymaker.client')))\n"
        "print(loaded())\n"
        "sh.run_line_magic('easymaker', 'help')\n"
        "print([m for m in loaded() if m.endswith('.magics')])\n"
    )
    env = {**os.environ, "IPYTHONDIR": str(tmp_path)}
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout.splitlines()
    assert lines[0] == "[]", lines[0]
    assert "experiments" in "\n".join(lines) and "jupyter_easymaker.areas.trainings.magics" in lines[-1], lines[-1]


async def wait_for(client, ref, statuses, timeout=30.0):
    for _ in range(int(timeout / 0.1)):
        t = await run(client.get_training, ref)
        if t["status"] in statuses:
            return t
        await asyncio.sleep(0.1)
    raise AssertionError(f"{ref} stayed {t['status']}")


async def wait_logs(client, ref, timeout=30.0):
    for _ in range(int(timeout / 0.1)):
        if (await run(client.training_logs, ref))["records"]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{ref} wrote no log")


def test_train_body_maps_every_option(shell):
    from jupyter_easymaker.magics import parser
    from jupyter_easymaker.magics.cell_job import ENTRY_POINT, VARS_FILE, VARS_PRELUDE

    m = shell.magics_manager.registry["EasyMakerMagics"]
    shell.user_ns["weights"] = [0.5, 1.5]
    args = parser.parse(
        "train --name b1 --description 'a b' --dataset train=/data/t test=nas://n1:/x --instance-type cpu-2 --nodes 2 "
        "--nproc-per-node 4 --torchrun --max-time 1h30m --backend kubernetes --requirements 'numpy pandas==2.2' --vars weights"
    )
    body = m._train_body(args, "print(weights)\n")
    files = body["algorithm"]["source_files"]
    assert body["algorithm"]["entry_point"] == ENTRY_POINT == "main.py"
    assert files["main.py"] == VARS_PRELUDE + "print(weights)\n" and VARS_PRELUDE.count("\n") == 1
    assert files["requirements.txt"] == "numpy\npandas==2.2\n"
    import base64

    import cloudpickle

    assert cloudpickle.loads(base64.b64decode(files[VARS_FILE])) == {"weights": [0.5, 1.5]}
    assert body["datasets"] == [{"name": "train", "path": "/data/t"}, {"name": "test", "path": "nas://n1:/x"}]
    assert (body["name"], body["description"], body["experiment_name"]) == ("b1", "a b", "notebook")
    assert (body["instance_type"], body["nodes"], body["nproc_per_node"], body["use_torchrun"]) == ("cpu-2", 2, 4, True)
    assert (body["max_run_seconds"], body["backend"]) == (5400, "kubernetes")
    default = m._train_body(parser.parse("train"), "pass\n")
    assert default["name"].startswith("cell-") and len(default["name"]) == len("cell-20250101-120000")
    assert set(default) == {"name", "description", "experiment_name", "algorithm"}
    assert [parser.duration(v) for v in ("90s", "30m", "1h", "3600", "1.5h", "2d")] == [90, 1800, 3600, 3600, 5400, 172800]


async def test_submit_a_workspace_file_from_the_client_and_the_magic(shell, magics, client, capsys, jp_root_dir):
    (jp_root_dir / "jobs").mkdir()
    (jp_root_dir / "jobs" / "job.py").write_text(TRAIN)
    training = await line(shell, "submit jobs/job.py --name sub-magic --experiment exp-sub --hp epochs=3")
    assert "training sub-magic submitted from jobs/job.py" in capsys.readouterr().out
    done = await wait_for(client, "sub-magic", {"COMPLETE", "FAIL TRAIN", "CREATE FAILED"})
    assert done["status"] == "COMPLETE" and done["experiment_name"] == "exp-sub", done
    assert done["spec"]["hyperparameters"] == {"epochs": "3"} and training["id"] == done["id"]
    bodies = [r["body"] for r in (await run(client.training_logs, "sub-magic"))["records"]]
    assert any("'--epochs', '3'" in b for b in bodies), bodies  # the file ran as the entry point, with its hyperparameter

    from_client = await run(client.create_training_from_file, "jobs/job.py", name="sub-client", experiment="exp-sub")
    assert from_client["name"] == "sub-client"
    assert (await wait_for(client, "sub-client", {"COMPLETE", "FAIL TRAIN", "CREATE FAILED"}))["status"] == "COMPLETE"
    assert await line(shell, "submit jobs/missing.py") is None  # refused: the magic shows the server's reason
    assert "missing.py" in capsys.readouterr().err
    assert await line(shell, "submit jobs/job.py --hp nokey") is None
    assert "expected KEY=VALUE" in capsys.readouterr().err
