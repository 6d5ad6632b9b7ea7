"""``%%easymaker hpo`` / ``%easymaker tunings`` / ``%easymaker tuning`` and the
client's tuning methods, against a real server."""
from __future__ import annotations

import asyncio

from jupyter_easymaker.client import EasyMakerError
from jupyter_easymaker.magics import parser

try:
    from tests.test_magics import cell, client, line, magics, run, server_url, shell  # noqa: F401 - fixtures
except ImportError:
    from test_magics import cell, client, line, magics, run, server_url, shell  # noqa: F401 - fixtures

CELL = "import os\nx = float(os.environ['EM_HP_X'])\nprint(f\"step=1 loss={(x - 0.3) ** 2 + 1}\")\nprint(f\"step=2 loss={(x - 0.3) ** 2}\")\n"
SLOW = "import time\nprint('loss=1.0', flush=True)\ntime.sleep(60)\n"


async def test_hpo_cell_magic_waits_and_reports_the_best_trial(shell, magics, client, capsys):
    result = await cell(shell, "hpo --name mh --experiment exp-h --param x=double:0.1:0.5:0.2 --param opt=categorical:sgd,adam "
                               "--strategy grid --seed 3 --metric loss --goal minimize --parallel 3 --target 0.001 "
                               "--early-stop median:min_trials=5,start_step=3 --hp epochs=2 --wait", CELL)
    assert result["status"] == "COMPLETE" and result["status_detail"] in ("GoalReached", "SuggestionEndReached"), result
    assert result["best_trial"]["parameters"]["x"] == 0.3 and result["best_trial"]["objective_value"] == 0.0
    spec = result["spec"]
    assert spec["strategy"] == "Grid" and spec["random_seed"] == 3 and spec["early_stopping"] == {"algorithm": "median", "min_trials": 5, "start_step": 3}
    assert spec["hyperparameters"] == {"epochs": 2} and spec["algorithm"]["entry_point"] == "main.py"
    out = capsys.readouterr().out
    assert "started hyperparameter tuning mh" in out and "GridSampler" in out
    assert "trial   0" in out and "best trial" in out.splitlines()[-1]
    from IPython.lib.pretty import pretty

    assert pretty(result).startswith("<hyperparameter tuning mh: COMPLETE")

    await line(shell, "tunings")
    listing = capsys.readouterr().out
    assert "mh" in listing and "COMPLETE" in listing and "DONE/RUN/FAIL" in listing
    await line(shell, "tuning mh")
    shown = capsys.readouterr().out.splitlines()
    assert shown[0].startswith("hyperparameter tuning mh: COMPLETE") and "x=0.3" in shown[1]  # best first


async def test_tuning_stop_from_the_line_magic(shell, magics, client, capsys):
    await cell(shell, "hpo --name slow --param x=int:1:5 --metric loss --parallel 2 --no-widget", SLOW)
    out = capsys.readouterr().out
    assert "follow it with: %easymaker tuning slow" in out
    for _ in range(200):
        if (await run(client.get_tuning, "slow"))["trials"]["running"] == 2:
            break
        await asyncio.sleep(0.05)
    await line(shell, "tuning slow --stop")
    assert "stop requested for hyperparameter tuning slow" in capsys.readouterr().out
    final = await run(client.wait_tuning, "slow", timeout=30, poll=0.1)
    assert final["status"] == "STOPPED" and final["trials"]["killed"] == 2


async def test_bad_hpo_arguments_submit_nothing(shell, magics, client, capsys):
    for bad in ("hpo --metric loss", "hpo --param x=double:1 --metric loss", "hpo --param x=complex:1:2 --metric loss",
                "hpo --param x=int:1:2 --metric loss --early-stop hyperband", "hpo --param x=int:1:2"):
        await cell(shell, bad, CELL)
        assert capsys.readouterr().err, bad
    await cell(shell, "hpo --param x=double:2:1 --metric loss", CELL)  # the server's check names the field
    assert "parameters[0].max" in capsys.readouterr().err
    await line(shell, "hpo --param x=int:1:2 --metric loss")
    assert "cell body" in capsys.readouterr().err
    assert (await run(client.list_tunings)).total == 0


def test_hpo_arguments_map_onto_the_api():
    ns = parser.parse("hpo --param lr=double:1e-4:1e-1:log --param opt=categorical:sgd,adam --param n=int:1:9:2 "
                      "--metric loss --metric-format 'loss: (\\S+)' --goal maximize --trials 20 --parallel 2 --target 0.1 "
                      "--max-failed 4 --early-stop median:min_trials=5,start_step=3 --strategy Bayesian --seed 9 --wait")
    assert ns.param == [{"name": "lr", "type": "double", "min": 1e-4, "max": 0.1, "log": True},
                        {"name": "opt", "type": "categorical", "values": ["sgd", "adam"]},
                        {"name": "n", "type": "int", "min": 1, "max": 9, "step": 2}]
    assert (ns.metric, ns.metric_format, ns.goal, ns.trials, ns.parallel, ns.target, ns.max_failed) == ("loss", "loss: (\\S+)", "maximize", 20, 2, 0.1, 4)
    assert ns.early_stop == {"algorithm": "median", "min_trials": 5, "start_step": 3} and ns.strategy == "Bayesian" and ns.seed == 9


async def test_client_tuning_methods(client, tmp_path):
    source = tmp_path / "algo"
    source.mkdir()
    (source / "main.py").write_text(CELL)
    created = await run(client.create_tuning, name="c1", experiment="exp-c", strategy="Random", random_seed=1,
                        algorithm={"type": "custom", "source_dir": str(source), "entry_point": "main.py"},
                        parameters=[{"name": "x", "type": "double", "min": 0, "max": 1}], objective_metric="loss",
                        max_trials=3, parallel_trials=3)
    assert created["status"] == "CREATE REQUESTED" and created["experiment_name"] == "exp-c"
    done = await run(client.wait_tuning, "c1", timeout=60, poll=0.1)
    assert done["status"] == "COMPLETE" and done["trials"]["completed"] == 3
    trials = await run(client.tuning_trials, "c1", sort="objective_value")
    assert trials.total == 3 and trials[0]["is_best"] and trials[0]["id"] == done["best_trial"]["id"]
    assert (await run(client.tuning_trial, "c1", trials[0]["number"]))["history"][-1]["status"] == "SUCCEEDED"
    best = await run(client.best_trial, "c1")
    assert best["hyperparameters"] == {"x": repr(best["parameters"]["x"])}
    charts = await run(client.tuning_metrics, "c1")
    assert all(t["steps"] == [1, 2] for t in charts["trials"])
    logs = await run(client.tuning_logs, "c1")
    assert len({r["trainingId"] for r in logs["records"]}) == 3
    assert len((await run(client.tuning_logs, "c1", trials[0]["id"]))["records"]) == 2
    page = await run(client.list_tunings, experiment="exp-c")
    assert page.total == 1 and page[0]["name"] == "c1"
    copy = await run(client.copy_tuning, "c1", create=False, max_trials=1)
    assert copy["name"] == "c1-copy" and copy["max_trials"] == 1
    renamed = await run(client.update_tuning, "c1", description="first")
    assert renamed["description"] == "first"
    try:
        await run(client.create_tuning, name="c2", experiment="exp-c", parameters=[], objective_metric="loss",
                  algorithm={"type": "custom", "source_dir": str(source), "entry_point": "main.py"})
    except EasyMakerError as exc:
        assert exc.status == 422 and exc.field == "parameters"
    else:
        raise AssertionError("an empty search space was accepted")
    await run(client.delete_tuning, "c1")
    assert (await run(client.list_tunings)).total == 0


async def test_tuning_widget_shows_trials_and_highlights_the_best(client):
    from jupyter_easymaker.areas.tuning.magics import tuning_view
    from jupyter_easymaker.status_colors import STATUS_COLORS

    tuning = await run(client.create_tuning, name="w1", experiment="exp-w", strategy="Grid",
                       algorithm={"type": "custom", "source_files": {"main.py": CELL}, "entry_point": "main.py"},
                       parameters=[{"name": "x", "type": "double", "min": 0.1, "max": 0.3, "step": 0.2}],
                       objective_metric="loss", parallel_trials=2)
    view = await run(tuning_view, client, tuning, 0.1)
    final = await run(view.wait, 30)
    assert final["status"] == "COMPLETE" and view.watcher.done
    header, table, notice = view.children[0].children[0], view.children[1], view.children[2]
    assert STATUS_COLORS["COMPLETE"]["bg"] in header.value and ">w1<" in header.value
    assert table.value.count("<tr") == 3 and STATUS_COLORS["SUCCEEDED"]["bg"] in table.value
    best_row = next(r for r in table.value.split("<tr")[2:] if r.split("<td>")[1].startswith(f"{final['best_trial']['number']}<"))
    assert "background:#e8f5e9" in best_row and sum("background:#e8f5e9" in r for r in table.value.split("<tr")) == 1
    assert notice.value == ""


async def test_tensorboard_magic_finds_a_tuning(shell, magics, client, capsys, monkeypatch):
    await cell(shell, "hpo --name tb-t --param x=int:1:2 --metric loss --no-widget", CELL)
    capsys.readouterr()
    opened = []
    monkeypatch.setattr(client, "open_tensorboard", lambda **ref: opened.append(ref) or {
        "logdir": "/logs/tb-t", "url": "/base/easymaker/tensorboard/abc/", "link": "http://h/base/easymaker/tensorboard/abc/"})
    await line(shell, "tensorboard tb-t")
    assert "TensorBoard of hyperparameter tuning tb-t (/logs/tb-t): http://h/base/easymaker/tensorboard/abc/" in capsys.readouterr().out
    tuning = await run(client.get_tuning, "tb-t")
    assert opened == [{"tuning": tuning["id"]}]
