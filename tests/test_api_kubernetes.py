"""Trainings with ``backend: kubernetes`` through the whole server: the
controller submits to an emulated API server (kmock, in its own thread) and
follows the Job the tests move through its lifecycle, as a cluster would."""
from __future__ import annotations

import asyncio
import time

import pytest
from tests.server_config import kubeconfig_file, server_config

try:
    from tests import kube_fixtures
except ImportError:
    import kube_fixtures

JOBS, PODS = kube_fixtures.JOBS, kube_fixtures.PODS


@pytest.fixture
def threaded_cluster():
    """kmock serving from a thread, so it answers while the server's loop runs the test."""
    with kube_fixtures.cluster_in_a_thread([JOBS, PODS, kube_fixtures.SERVICES, kube_fixtures.SECRETS]) as cluster:
        yield cluster
    assert cluster.validate_created() >= 1


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path, threaded_cluster):
    kubeconfig = kubeconfig_file(str(threaded_cluster.server.url), tmp_path)
    return server_config(
        easymaker_data, tmp_path, kubernetes_enabled=True,
        kubernetes={"kubeconfig": str(kubeconfig), "namespace": "default", "pytorchjob": False,
                    "volume_mounts": {str(tmp_path): {"persistentVolumeClaim": {"claimName": "workspace"}}}},
    )


def job_of(cluster, training_id: str) -> str:
    names = [n for n in cluster.names(JOBS) if cluster.get(JOBS, n)["metadata"]["labels"].get("easymaker/id") == training_id]
    assert len(names) == 1, cluster.names(JOBS)
    return names[0]


async def wait_until(check, timeout=15.0):
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "condition not reached"
        await asyncio.sleep(0.05)


async def test_kubernetes_training_lifecycle(api, write_script, threaded_cluster):
    cluster = threaded_cluster
    info = await api.get("")
    assert "kubernetes" in info["capabilities"]["backends"]
    source = write_script("print('loss=0.5')\n")
    created = await api.post("trainings", {"name": "k1", "experiment_name": "e", "backend": "kubernetes",
                                           "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"},
                                           "hyperparameters": {"lr": "0.1"}, "max_run_seconds": 600}, expect=201)
    await api.wait_status("k1", "CREATE IN PROGRESS")
    name = job_of(cluster, created["id"])
    job = cluster.get(JOBS, name)
    labels = job["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "jupyter-easymaker" and labels["easymaker/id"] == created["id"]
    assert job["spec"]["activeDeadlineSeconds"] == 600
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert "jupyter_easymaker.runtime.launcher" in " ".join(container["command"] + container.get("args", []))

    pod = f"{name}-abcde"
    cluster.add_pod(pod, job, phase="Running")
    cluster.logs[pod] = "[easymaker] starting\nstep=1 loss=0.5\n"
    cluster.set_status(JOBS, name, {"active": 1, "ready": 1, "startTime": "2030-01-01T00:00:01Z"})
    await api.wait_status("k1", "RUNNING")

    cluster.logs[pod] += "step=2 loss=0.25\n"
    cluster.add_pod(pod, job, phase="Succeeded", container_state={"terminated": {"exitCode": 0, "startedAt": "2030-01-01T00:00:05Z"}})
    cluster.set_status(JOBS, name, {"active": 0, "succeeded": 1, "completionTime": "2030-01-01T00:10:00Z",
                                    "conditions": [{"type": "Complete", "status": "True"}]})
    done = await api.wait_status("k1")
    assert done["status"] == "COMPLETE", done
    assert [e["status"] for e in done["history"]][-3:] == ["RUNNING", "COMPLETE IN PROGRESS", "COMPLETE"]
    loss = next(m for m in (await api.get("trainings/k1/metrics"))["metrics"] if m["name"] == "loss")
    assert loss["steps"] == [1, 2] and loss["values"] == [0.5, 0.25]
    await wait_until(lambda: name not in cluster.names(JOBS))  # released once finished


async def test_kubernetes_training_stop_and_failure(api, write_script, threaded_cluster):
    cluster = threaded_cluster
    source = write_script("print('x')\n")
    algorithm = {"type": "custom", "source_dir": source, "entry_point": "train.py"}
    running = await api.post("trainings", {"name": "k-stop", "experiment_name": "e", "backend": "kubernetes", "algorithm": algorithm}, expect=201)
    await api.wait_status("k-stop", "CREATE IN PROGRESS")
    name = job_of(cluster, running["id"])
    cluster.add_pod(f"{name}-p", cluster.get(JOBS, name), phase="Running")
    cluster.set_status(JOBS, name, {"active": 1, "ready": 1})
    await api.wait_status("k-stop", "RUNNING")
    await api.post("trainings/k-stop/stop", expect=200)
    stopped = await api.wait_status("k-stop")
    assert stopped["status"] == "STOPPED", stopped
    assert name not in cluster.names(JOBS)

    failing = await api.post("trainings", {"name": "k-fail", "experiment_name": "e", "backend": "kubernetes", "algorithm": algorithm}, expect=201)
    await api.wait_status("k-fail", "CREATE IN PROGRESS")
    name = job_of(cluster, failing["id"])
    job = cluster.get(JOBS, name)
    cluster.add_pod(f"{name}-p", job, phase="Failed", container_state={"terminated": {"exitCode": 3, "reason": "Error", "startedAt": "2030-01-01T00:00:05Z"}})
    cluster.set_status(JOBS, name, {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]})
    failed = await api.wait_status("k-fail")
    assert failed["status"] == "FAIL TRAIN" and failed["exit_code"] == 3, failed

