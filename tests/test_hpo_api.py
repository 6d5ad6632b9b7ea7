"""Hyperparameter tuning through the REST API of a real Jupyter server, with
trials as local jobs: the guide's statuses and details, Katib's end conditions,
the median rule, stop, guards and the charts' data."""
from __future__ import annotations

import asyncio
import json
import os
import time

import psutil
import pytest

FINAL = {"COMPLETE", "FAIL HYPERPARAMETER TUNING", "STOPPED", "CREATE FAILED"}

# a quadratic with its optimum at x=0.3, y=-0.2; the loss printed per step
# falls towards the final value, so the median rule has something to compare
QUADRATIC = """
import argparse, os, time
p = argparse.ArgumentParser()
p.add_argument("--x", type=float, default=0.0)
p.add_argument("--y", type=float, default=0.0)
p.add_argument("--opt", default="adam")
p.add_argument("--steps", type=int, default=1)
p.add_argument("--sleep", type=float, default=0.0)
a, _ = p.parse_known_args()
loss = (a.x - 0.3) ** 2 + (a.y + 0.2) ** 2 + (0.0 if a.opt == "adam" else 0.5)
print("trial", os.environ["EM_JOB_ID"], "x", a.x, flush=True)
for s in range(1, a.steps + 1):
    time.sleep(a.sleep)
    print(f"step={s} loss={loss + (a.steps - s) * 0.1}", flush=True)
"""


def body(source: str, name: str = "h1", **extra):
    base = {
        "name": name,
        "experiment_name": "hpo",
        "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"},
        "strategy": "Random",
        "random_seed": 7,
        "parameters": [{"name": "x", "type": "double", "min": -1, "max": 1}],
        "objective_metric": "loss",
        "goal": "minimize",
        "max_trials": 4,
        "parallel_trials": 2,
    }
    base.update(extra)
    return base


async def wait_tuning(api, ref: str, statuses=FINAL, timeout: float = 60.0) -> dict:
    wanted = {statuses} if isinstance(statuses, str) else set(statuses)
    end = time.monotonic() + timeout
    while True:
        row = await api.get(f"hyperparameter-tunings/{ref}")
        if row["status"] in wanted:
            return row
        assert time.monotonic() < end, f"tuning stayed {row['status']} ({row['status_reason']}): {row['trials']}"
        await asyncio.sleep(0.1)


async def trials_of(api, ref: str) -> list[dict]:
    return (await api.get(f"hyperparameter-tunings/{ref}/trials", params={"limit": "1000"}))["items"]


@pytest.fixture
def quadratic(write_script):
    return write_script(QUADRATIC)


async def test_grid_enumerates_exactly_the_grid(api, quadratic):
    created = await api.post("hyperparameter-tunings", body(
        quadratic, strategy="Grid", max_trials=50, parallel_trials=3,
        parameters=[{"name": "x", "type": "double", "min": 0.1, "max": 0.5, "step": 0.2},
                    {"name": "opt", "type": "categorical", "values": "sgd, adam"}],
    ), expect=201)
    assert created["status"] == "CREATE REQUESTED" and created["instance_count"] == 3 and created["sampler"] == "GridSampler"
    done = await wait_tuning(api, "h1")
    assert done["status"] == "COMPLETE" and done["status_detail"] == "SuggestionEndReached", done
    history = [e["status"] for e in done["history"]]
    assert history == ["CREATE REQUESTED", "CREATE IN PROGRESS", "RUNNING", "COMPLETE IN PROGRESS", "COMPLETE"]
    trials = await trials_of(api, "h1")
    grid = sorted((t["parameters"]["x"], t["parameters"]["opt"]) for t in trials)
    assert grid == sorted((x, o) for x in (0.1, 0.3, 0.5) for o in ("sgd", "adam"))
    assert {t["status"] for t in trials} == {"SUCCEEDED"} and [t["number"] for t in trials] == list(range(6))
    assert done["trials"] == {"total": 6, "completed": 6, "running": 0, "failed": 0, "early_stopped": 0, "killed": 0}
    best = done["best_trial"]
    assert best["parameters"] == {"x": 0.3, "opt": "adam"} and best["objective_value"] == pytest.approx(0.04) and best["is_best"]
    assert done["elapsed_seconds"] > 0

    # the trial's job got --key value args and EM_HP_* (through argparse here) and logged with the guide's fields
    logs = await api.get(f"hyperparameter-tunings/h1/trials/{best['number']}/logs")
    assert any(r["body"].startswith(f"trial {best['id']} x 0.3") for r in logs["records"])
    assert all(r["hyperparameterTuningId"] == done["id"] and r["trainingId"] == best["id"] for r in logs["records"])
    everything = await api.get("logs", params={"query": f'category:"easymaker.training" hyperparameterTuningId:{done["id"]}'})
    assert len({r["trainingId"] for r in everything["records"]}) == 6

    charts = await api.get("hyperparameter-tunings/h1/metrics")
    assert charts["objective_metric"] == "loss" and charts["best_trial_id"] == best["id"] and len(charts["trials"]) == 6
    assert all(t["steps"] == [1] for t in charts["trials"])
    assert [p["name"] for p in charts["parameters"]] == ["x", "opt"]
    by_objective = await api.get("hyperparameter-tunings/h1/trials", params={"sort": "objective_value", "limit": "2"})
    assert by_objective["total"] == 6 and by_objective["items"][0]["id"] == best["id"]
    model_source = await api.get("hyperparameter-tunings/h1/best")
    assert model_source["trial_id"] == best["id"] and model_source["hyperparameters"] == {"x": "0.3", "opt": "adam"}
    assert model_source["model_dir"].endswith(os.path.join("trials", str(best["number"]), "model"))
    trial = await api.get(f"hyperparameter-tunings/h1/trials/{best['id']}")
    assert [e["status"] for e in trial["history"]][-1] == "SUCCEEDED"


async def test_same_seed_same_suggestions(api, quadratic):
    space = [{"name": "x", "type": "double", "min": 1e-4, "max": 1, "log": True}, {"name": "n", "type": "int", "min": 1, "max": 9},
             {"name": "opt", "type": "categorical", "values": ["sgd", "adam", "rmsprop"]}]
    for name, seed in (("r1", 3), ("r2", 3), ("r3", 4)):
        await api.post("hyperparameter-tunings", body(quadratic, name=name, random_seed=seed, parameters=space, max_trials=4, parallel_trials=4), expect=201)
    runs = {}
    for name in ("r1", "r2", "r3"):
        done = await wait_tuning(api, name)
        assert done["status"] == "COMPLETE" and done["status_detail"] == "MaxTrialsReached", done
        runs[name] = [t["parameters"] for t in await trials_of(api, name)]
    assert runs["r1"] == runs["r2"] and runs["r1"] != runs["r3"]
    assert all(1e-4 <= p["x"] <= 1 and isinstance(p["n"], int) for p in runs["r1"])


async def test_goal_kills_the_trials_still_running(api, write_script):
    source = write_script(
        "import argparse, time\np = argparse.ArgumentParser(); p.add_argument('--x', type=float)\na, _ = p.parse_known_args()\n"
        "if a.x > 0.5:\n    time.sleep(60)\nprint(f'loss={a.x}', flush=True)\n"
    )
    await api.post("hyperparameter-tunings", body(
        source, strategy="Grid", max_trials=3, parallel_trials=3, target_value=0.5,
        parameters=[{"name": "x", "type": "double", "min": 0.0, "max": 2.0, "step": 1.0}],
    ), expect=201)
    done = await wait_tuning(api, "h1")
    assert done["status_detail"] == "GoalReached", done
    trials = {t["parameters"]["x"]: t for t in await trials_of(api, "h1")}
    assert trials[0.0]["status"] == "SUCCEEDED"
    assert trials[1.0]["status"] == trials[2.0]["status"] == "KILLED"
    assert done["trials"]["killed"] == 2


async def test_metric_never_printed_is_metrics_unavailable_and_fails_the_tuning(api, write_script):
    source = write_script("print('no metric here')\n")
    await api.post("hyperparameter-tunings", body(source, max_trials=10, max_failed_trials=2, parallel_trials=1), expect=201)
    done = await wait_tuning(api, "h1")
    assert done["status"] == "FAIL HYPERPARAMETER TUNING", done
    assert [e["status"] for e in done["history"]][-2:] == ["FAIL HYPERPARAMETER TUNING IN PROGRESS", "FAIL HYPERPARAMETER TUNING"]
    trials = await trials_of(api, "h1")
    assert [t["status"] for t in trials] == ["METRICS_UNAVAILABLE", "METRICS_UNAVAILABLE"]
    assert "loss" in trials[0]["status_reason"] and done["trials"]["failed"] == 2


async def test_failing_trials_reach_the_limit(api, write_script):
    source = write_script("raise SystemExit(3)\n")
    await api.post("hyperparameter-tunings", body(source, max_trials=10, max_failed_trials=3, parallel_trials=2), expect=201)
    done = await wait_tuning(api, "h1")
    assert done["status"] == "FAIL HYPERPARAMETER TUNING" and "trials failed, the limit is 3" in done["status_reason"], done
    trials = await trials_of(api, "h1")
    assert sum(t["status"] == "FAILED" for t in trials) >= 3 and all(t["exit_code"] == 3 for t in trials if t["status"] == "FAILED")
    assert done["best_trial"] is None
    await api.get("hyperparameter-tunings/h1/best", expect=409)


async def test_median_rule_stops_bad_trials(api, write_script):
    # loss at step s is x + 1/s: a larger x is worse at every step
    source = write_script(
        "import argparse, time\np = argparse.ArgumentParser(); p.add_argument('--x', type=int)\na, _ = p.parse_known_args()\n"
        "for s in range(1, 9):\n    print(f'step={s} loss={a.x + 1 / s}', flush=True)\n    time.sleep(0.1)\n"
    )
    await api.post("hyperparameter-tunings", body(
        source, strategy="Grid", random_seed=0, max_trials=8, parallel_trials=1,
        parameters=[{"name": "x", "type": "int", "min": 0, "max": 5}],
        early_stopping={"algorithm": "median", "min_trials": 2, "start_step": 2},
    ), expect=201)
    done = await wait_tuning(api, "h1", timeout=90)
    assert done["status"] == "COMPLETE" and done["status_detail"] == "SuggestionEndReached", done
    trials = await trials_of(api, "h1")
    stopped = [t for t in trials if t["status"] == "EARLY_STOPPED"]
    assert stopped, [(t["parameters"], t["status"]) for t in trials]
    completed = [t for t in trials if t["status"] == "SUCCEEDED"]
    for t in stopped:
        earlier = sorted(c["parameters"]["x"] for c in completed if c["number"] < t["number"])
        assert len(earlier) >= 2 and t["parameters"]["x"] > earlier[(len(earlier) - 1) // 2], (t, earlier)
        assert "median" in t["status_reason"]
        series = next(s for s in (await api.get("hyperparameter-tunings/h1/metrics"))["trials"] if s["trial_id"] == t["id"])
        assert 2 <= len(series["steps"]) < 8  # stopped after start_step, before the end
    assert done["trials"]["early_stopped"] == len(stopped)


async def test_stop_mid_run_kills_every_trial(api, write_script, tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    source = write_script(
        f"import os, time\nopen(os.path.join({str(pids)!r}, str(os.getpid())), 'w').close()\n"
        "print('loss=1.0', flush=True)\ntime.sleep(120)\n"
    )
    await api.post("hyperparameter-tunings", body(source, max_trials=10, parallel_trials=3), expect=201)
    end = time.monotonic() + 30
    while len(os.listdir(pids)) < 3:
        assert time.monotonic() < end
        await asyncio.sleep(0.1)
    running = await wait_tuning(api, "h1", "RUNNING")
    assert running["trials"]["running"] == 3
    await api.call("DELETE", "hyperparameter-tunings/h1", expect=409)  # running: stop first
    stopping = await api.post("hyperparameter-tunings/h1/stop", expect=200)
    assert stopping["status"] == "STOP IN PROGRESS"
    done = await wait_tuning(api, "h1")
    assert done["status"] == "STOPPED", done
    trials = await trials_of(api, "h1")
    assert len(trials) == 3 and {t["status"] for t in trials} == {"KILLED"}
    assert not any(psutil.pid_exists(int(pid)) and psutil.Process(int(pid)).status() != psutil.STATUS_ZOMBIE for pid in os.listdir(pids))
    await api.post("hyperparameter-tunings/h1/stop", expect=409)
    await api.call("DELETE", "hyperparameter-tunings/h1", expect=204)
    assert (await api.get("hyperparameter-tunings"))["total"] == 0


async def test_copy_template_rename_and_guards(api, quadratic):
    await api.post("trainings", {"name": "t1", "experiment_name": "hpo", "max_run_seconds": 300,
                                 "algorithm": {"type": "custom", "source_dir": quadratic, "entry_point": "train.py"},
                                 "hyperparameters": {"steps": 2, "x": 0.1}}, expect=201)
    await api.post("trainings/t1/template", {"name": "tpl"}, expect=201)
    created = await api.post("hyperparameter-tunings", {
        "name": "h1", "experiment_name": "hpo", "template_id": "tpl", "max_trials": 2,
        "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}], "objective_metric": "loss",
    }, expect=201)
    assert created["template_id"] and created["spec"]["max_run_seconds"] == 300
    assert created["spec"]["hyperparameters"] == {"steps": 2, "x": 0.1}
    done = await wait_tuning(api, "h1")
    assert done["status"] == "COMPLETE"
    trial = (await trials_of(api, "h1"))[0]
    best = await api.get("hyperparameter-tunings/h1/best")
    assert best["hyperparameters"]["steps"] == "2" and best["hyperparameters"]["x"] == repr(best["parameters"]["x"])
    assert (await api.get(f"hyperparameter-tunings/h1/trials/{trial['number']}/metrics"))["metrics"][0]["steps"] == [1, 2]

    copy = await api.get("hyperparameter-tunings/h1/copy")
    assert copy["name"] == "h1-copy" and copy["parameters"] == created["spec"]["parameters"] and "search_space" not in copy
    copied = await api.post("hyperparameter-tunings", copy, expect=201)
    assert copied["spec"] == created["spec"]
    await wait_tuning(api, "h1-copy")
    renamed = await api.call("PATCH", "hyperparameter-tunings/h1-copy", {"name": "h2", "description": "again"}, expect=200)
    assert renamed["name"] == "h2" and renamed["description"] == "again"

    blocked = await api.call("DELETE", "experiments/hpo", expect=409)
    assert "trainings" in blocked["error"] or "hyperparameter tunings" in blocked["error"]
    await api.call("DELETE", "trainings/t1", expect=204)
    blocked = await api.call("DELETE", "experiments/hpo", expect=409)
    assert "2 hyperparameter tunings" in blocked["error"]
    await api.call("DELETE", "hyperparameter-tunings/h1", expect=204)
    await api.call("DELETE", "hyperparameter-tunings/h2", expect=204)
    await api.get("hyperparameter-tunings/h1/trials", expect=404)
    await api.call("DELETE", "experiments/hpo", expect=204)
    info = await api.get("")
    assert "hyperparameter-tuning" in info["capabilities"]["areas"]
    paths = (await api.get("openapi.json"))["paths"]
    trial_path = next(v for k, v in paths.items() if k.endswith("/easymaker/api/v1/hyperparameter-tunings/{ref}/trials/{trial}"))
    assert [p["name"] for p in trial_path["get"]["parameters"]] == ["ref", "trial"]


INVALID = [
    ("max below min", {"parameters": [{"name": "x", "type": "double", "min": 1, "max": 0}]}, "parameters[0].max"),
    ("no max", {"parameters": [{"name": "x", "type": "int", "min": 1}]}, "parameters[0].max"),
    ("fractional int", {"parameters": [{"name": "x", "type": "int", "min": 1, "max": 2.5}]}, "parameters[0].max"),
    ("log of zero", {"parameters": [{"name": "x", "type": "double", "min": 0, "max": 1, "log": True}]}, "parameters[0].min"),
    ("grid needs a step", {"strategy": "Grid", "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]}, "parameters[0].step"),
    ("negative step", {"parameters": [{"name": "x", "type": "int", "min": 0, "max": 9, "step": -1}]}, "parameters[0].step"),
    ("no values", {"parameters": [{"name": "o", "type": "categorical"}]}, "parameters[0].values"),
    ("empty value", {"parameters": [{"name": "o", "type": "categorical", "values": "sgd,,adam"}]}, "parameters[0].values"),
    ("range on categorical", {"parameters": [{"name": "o", "type": "categorical", "values": "a", "min": 1}]}, "parameters[0].min"),
    ("unknown type", {"parameters": [{"name": "x", "type": "complex", "min": 0, "max": 1}]}, "parameters[0].type"),
    ("tuned twice", {"parameters": [{"name": "x", "type": "int", "min": 0, "max": 1}] * 2}, "parameters[1].name"),
    ("no parameters", {"parameters": []}, "parameters"),
    ("unknown strategy", {"strategy": "Hyperband"}, "strategy"),
    ("zero parallel", {"parallel_trials": 0}, "parallel_trials"),
    ("zero trials", {"max_trials": 0}, "max_trials"),
    ("bad regex", {"metrics": [{"name": "loss", "format": "([a-z"}]}, "metrics[0].format"),
    ("regex without group", {"metrics": [{"name": "loss", "format": "loss"}]}, "metrics[0].format"),
    ("objective not a metric", {"metrics": [{"name": "acc"}]}, "objective_metric"),
    ("bad goal", {"goal": "sideways"}, "goal"),
    ("bad early stopping", {"early_stopping": {"algorithm": "hyperband"}}, "early_stopping.algorithm"),
    ("bad min trials", {"early_stopping": {"min_trials": 0}}, "early_stopping.min_trials"),
    ("unknown instance type", {"instance_type": "huge"}, "instance_type"),
    ("dataset outside roots", {"datasets": [{"name": "d", "path": "/etc"}]}, "datasets[0].path"),
    ("unknown field", {"epochs": 3}, "epochs"),
    ("huge grid", {"strategy": "Grid", "parameters": [{"name": f"p{i}", "type": "int", "min": 0, "max": 99} for i in range(4)]}, "parameters"),
    ("unknown built-in hp", {"algorithm": {"type": "builtin", "name": "sklearn-tabular"}, "hyperparameters": {"target": "y"},
                             "parameters": [{"name": "nope", "type": "int", "min": 1, "max": 2}]}, "parameters[0].name"),
    ("built-in range", {"algorithm": {"type": "builtin", "name": "sklearn-tabular"}, "hyperparameters": {"target": "y"},
                        "parameters": [{"name": "n_estimators", "type": "int", "min": 0, "max": 10}]}, "parameters[0].min"),
]


async def test_bad_input_names_the_field_and_stores_nothing(api, quadratic):
    for label, change, field in INVALID:  # one server for all cases keeps this fast
        code, text = await api.call("POST", "hyperparameter-tunings", body(quadratic, **change), raw=True)
        answer = json.loads(text)
        assert code in (409, 422) and answer.get("field") == field, (label, answer)
    assert (await api.get("hyperparameter-tunings"))["total"] == 0
    assert (await api.get("experiments"))["total"] == 0


async def test_builtin_algorithm_tuning_is_accepted(api):
    created = await api.post("hyperparameter-tunings", body(
        "", algorithm={"type": "builtin", "name": "sklearn-tabular"}, hyperparameters={"target": "y"},
        parameters=[{"name": "n_estimators", "type": "int", "min": 10, "max": 50}, {"name": "model", "type": "categorical", "values": "random_forest,linear"}],
        objective_metric="accuracy", goal="maximize", max_trials=1,
    ), expect=201)
    assert created["spec"]["hyperparameters"]["target"] == "y" and "n_estimators" not in created["spec"]["hyperparameters"]
    assert created["goal"] == "maximize" and created["spec"]["objective_strategy"] == "max"
    await api.post("hyperparameter-tunings/h1/stop", expect=200)
    done = await wait_tuning(api, "h1")
    assert done["status"] == "STOPPED"
