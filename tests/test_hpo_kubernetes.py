"""A tuning with ``backend: kubernetes`` through the whole server: each trial is
a schema-valid Job on an emulated API server (kmock); the test plays the
cluster, and the tuning follows its trials to SuggestionEndReached."""
from __future__ import annotations

import asyncio
import json
import time

try:
    from tests import kube_fixtures
    from tests.test_api_kubernetes import jp_server_config, threaded_cluster  # noqa: F401 - fixtures
except ImportError:
    import kube_fixtures
    from test_api_kubernetes import jp_server_config, threaded_cluster  # noqa: F401 - fixtures

from jupyter_easymaker.runtime.contract import entry_command, job_env

JOBS, SECRETS = kube_fixtures.JOBS, kube_fixtures.SECRETS


async def wait_until(check, timeout=20.0):
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < end, "condition not reached"
        await asyncio.sleep(0.05)


def trial_jobs(cluster, tuning_id: str) -> list[str]:
    return [n for n in cluster.names(JOBS)
            if cluster.get(JOBS, n)["metadata"]["labels"].get("easymaker/hyperparameter-tuning-id") == tuning_id]


async def test_kubernetes_tuning_runs_trials_as_jobs(api, write_script, threaded_cluster):
    cluster = threaded_cluster
    source = write_script("print('x')\n")
    created = await api.post("hyperparameter-tunings", {
        "name": "k-hpo", "experiment_name": "e", "backend": "kubernetes", "strategy": "Grid",
        "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"},
        "parameters": [{"name": "lr", "type": "double", "min": 0.1, "max": 0.2, "step": 0.1}],
        "hyperparameters": {"epochs": 3}, "objective_metric": "loss", "max_trials": 5, "parallel_trials": 2,
        "max_run_seconds": 600,
    }, expect=201)
    jobs = await wait_until(lambda: len(trial_jobs(cluster, created["id"])) == 2 and trial_jobs(cluster, created["id"]))
    trials = {t["id"]: t for t in (await api.get("hyperparameter-tunings/k-hpo/trials"))["items"]}
    for i, name in enumerate(jobs):
        job = cluster.get(JOBS, name)
        labels = job["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "jupyter-easymaker" and labels["easymaker/kind"] == "trial"
        assert labels["easymaker/experiment-id"] == created["experiment_id"]
        assert job["spec"]["activeDeadlineSeconds"] == 600
        trial = trials[labels["easymaker/id"]]
        # the job contract, exactly as the launcher in the pod will apply it
        spec = json.loads(next(iter(cluster.get(SECRETS, name)["stringData"].values())))
        assert spec["hyperparameters"] == {"epochs": "3", "lr": repr(trial["parameters"]["lr"])}
        assert job_env(spec)["EM_HP_LR"] == repr(trial["parameters"]["lr"])
        assert entry_command(spec, node_rank=0, master_addr="h", master_port=1)[-4:] == ["--epochs", "3", "--lr", repr(trial["parameters"]["lr"])]
        pod = f"{name}-p"
        cluster.add_pod(pod, job, phase="Running")
        cluster.logs[pod] = f"step=1 loss={1 + i}\n"
        cluster.set_status(JOBS, name, {"active": 1, "ready": 1, "startTime": "2030-01-01T00:00:01Z"})
    running = await api.get("hyperparameter-tunings/k-hpo")
    for _ in range(100):
        running = await api.get("hyperparameter-tunings/k-hpo")
        items = (await api.get("hyperparameter-tunings/k-hpo/trials"))["items"]
        if all(t["status"] == "RUNNING" for t in items):
            break
        await asyncio.sleep(0.05)
    assert all(t["status"] == "RUNNING" for t in items), items
    assert running["trials"]["running"] == 2

    for i, name in enumerate(jobs):
        job = cluster.get(JOBS, name)
        cluster.logs[f"{name}-p"] += f"step=2 loss={0.5 + i}\n"
        cluster.add_pod(f"{name}-p", job, phase="Succeeded", container_state={"terminated": {"exitCode": 0, "startedAt": "2030-01-01T00:00:05Z"}})
        cluster.set_status(JOBS, name, {"active": 0, "succeeded": 1, "completionTime": "2030-01-01T00:10:00Z",
                                        "conditions": [{"type": "Complete", "status": "True"}]})
    for _ in range(300):
        done = await api.get("hyperparameter-tunings/k-hpo")
        if done["status"] == "COMPLETE":
            break
        await asyncio.sleep(0.05)
    assert done["status"] == "COMPLETE" and done["status_detail"] == "SuggestionEndReached", done
    items = (await api.get("hyperparameter-tunings/k-hpo/trials", params={"sort": "objective_value"}))["items"]
    assert [t["objective_value"] for t in items] == [0.5, 1.5] and done["best_trial"]["id"] == items[0]["id"]
    charts = await api.get("hyperparameter-tunings/k-hpo/metrics")
    assert sorted(t["values"] for t in charts["trials"]) == [[1.0, 0.5], [2.0, 1.5]]
    await wait_until(lambda: not trial_jobs(cluster, created["id"]))  # released once finished
