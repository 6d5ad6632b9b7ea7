"""A Job's status change reaches the REST API through the watch, not the
controller's tick: the controller here ticks every 60 s, so only the wake
that a watched change sends can move the training within seconds."""
from __future__ import annotations

import time

import pytest
from tests.server_config import kubeconfig_file, server_config

try:
    from tests import kube_fixtures
    from tests.test_api_kubernetes import job_of, threaded_cluster  # noqa: F401 - the fixture
except ImportError:
    import kube_fixtures
    from test_api_kubernetes import job_of, threaded_cluster  # noqa: F401

JOBS = kube_fixtures.JOBS
SLOW_TICK = 60.0
VISIBLE_WITHIN = 2.0


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path, threaded_cluster):  # noqa: F811 - uses the imported fixture
    kubeconfig = kubeconfig_file(str(threaded_cluster.server.url), tmp_path)
    return server_config(
        easymaker_data, tmp_path, kubernetes_enabled=True, controller_interval=SLOW_TICK,
        kubernetes={"kubeconfig": str(kubeconfig), "namespace": "default", "pytorchjob": False,
                    "volume_mounts": {str(tmp_path): {"persistentVolumeClaim": {"claimName": "workspace"}}}},
    )


async def test_a_job_status_change_reaches_the_api_within_two_seconds(api, write_script, threaded_cluster):  # noqa: F811
    cluster = threaded_cluster
    source = write_script("print('hi')\n")
    created = await api.post("trainings", {"name": "w1", "experiment_name": "e", "backend": "kubernetes",
                                           "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"}},
                             expect=201)
    await api.wait_status("w1", "CREATE IN PROGRESS", timeout=10)
    name = job_of(cluster, created["id"])
    job = cluster.get(JOBS, name)

    changed = time.monotonic()
    cluster.add_pod(f"{name}-p", job, phase="Running")
    cluster.set_status(JOBS, name, {"active": 1, "ready": 1, "startTime": "2030-01-01T00:00:01Z"})
    await api.wait_status("w1", "RUNNING", timeout=VISIBLE_WITHIN)
    running_after = time.monotonic() - changed

    changed = time.monotonic()
    cluster.add_pod(f"{name}-p", job, phase="Failed",
                    container_state={"terminated": {"exitCode": 2, "reason": "Error", "startedAt": "2030-01-01T00:00:05Z"}})
    cluster.set_status(JOBS, name, {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]})
    failed = await api.wait_status("w1", "FAIL TRAIN", timeout=VISIBLE_WITHIN)
    assert failed["exit_code"] == 2
    assert running_after < VISIBLE_WITHIN and time.monotonic() - changed < VISIBLE_WITHIN
