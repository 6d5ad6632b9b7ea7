"""The Kubernetes backend against an emulated API server (kmock).

The real ``kubernetes`` client talks HTTP to the emulator; backend calls run in
worker threads (as the controller runs them) while the emulator serves on the
test's event loop. The tests play the cluster's controllers by writing pod
objects, statuses, pod logs and pod metrics into the emulator.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket

import kmock
import pytest
from kubernetes import client as k8s_client
from kubernetes_validate import ValidationError

from jupyter_easymaker.backend.kubernetes import job_manifests as manifests
from jupyter_easymaker.backend.kubernetes import labels
from jupyter_easymaker.backend.kubernetes.pods import ManifestError
from jupyter_easymaker.backend.jobs.base import Backend, JobPhase, JobSpec
from jupyter_easymaker.backend.base import BackendError, CapacityUnavailable, InstanceType
from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend, assemble_logs

try:  # whether tests/ is a package decides how its helper module is found
    from tests import kube_fixtures
except ImportError:
    import kube_fixtures

cluster = kube_fixtures.cluster  # the fixture: pytest collects it from this module's names
validate_manifest = kube_fixtures.validate_manifest
NAMESPACE, JOBS, PODS, SERVICES, SECRETS = (
    kube_fixtures.NAMESPACE,
    kube_fixtures.JOBS,
    kube_fixtures.PODS,
    kube_fixtures.SERVICES,
    kube_fixtures.SECRETS,
)
PYTORCHJOBS, POD_METRICS = kube_fixtures.PYTORCHJOBS, kube_fixtures.POD_METRICS

DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
NAS = "/mnt/nas1"
NFS = {"nfs": {"server": "10.0.0.5", "path": "/export"}}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
GPU_TYPE = InstanceType(name="gpu-small", cpu=3.5, memory_mib=16384, gpu=1, node_selector={"accelerator": "a10"},
                        tolerations=[GPU_TOLERATION])


def make_spec(job_id: str = "job-0001", **overrides) -> JobSpec:
    fields = dict(
        job_id=job_id,
        name="my training",
        kind="training",
        source_dir=f"{NAS}/code",
        entry_point="train.py",
        hyperparameters={"lr": "0.1"},
        datasets={"train": f"{NAS}/data/train", "extra": "obs://s3.example.com/bucket/extra"},
        model_dir=f"{NAS}/out/model",
        output_dir="obs://s3.example.com/bucket/out",
        work_dir="/home/user/.easymaker/jobs/job-0001",
        instance_type=GPU_TYPE,
        max_run_seconds=90.5,
        env={"HF_HOME": "/cache"},
        labels={"team": "vision"},
        appkey="secret-app-key",
        storage_options={"key": "AK", "secret": "SK"},
    )
    fields.update(overrides)
    return JobSpec(**fields)


def backend_for(cluster, **kwargs) -> KubernetesBackend:
    kwargs.setdefault("volume_mounts", {NAS: NFS})
    return KubernetesBackend(
        namespace=NAMESPACE, image="registry.example.com/train:1", api_client=cluster.api_client(), **kwargs
    )


async def call(fn, *args, **kwargs):
    """Backend methods are blocking: run them in a thread, as the controller does."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def env_of(container: dict) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


# -- submit -------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_single_node_job_manifest(cluster):
    backend = backend_for(
        cluster, service_account="trainer", image_pull_secrets=["regcred"], extra_env={"PIP_INDEX_URL": "http://pypi"}
    )
    assert isinstance(backend, Backend)
    spec = make_spec()
    handle = await call(backend.submit, spec)

    name = handle["name"]
    assert handle == {
        "backend": "kubernetes",
        "namespace": NAMESPACE,
        "name": name,
        "kind": "Job",
        "service": None,
        "job_id": "job-0001",
        "nodes": 1,
    }
    assert json.loads(json.dumps(handle)) == handle
    assert DNS_1035.match(name) and len(name) <= 63 and "training" in name

    job = cluster.get(JOBS, name)
    validate_manifest(job)
    assert job["metadata"]["labels"] == {
        "team": "vision",
        "app.kubernetes.io/managed-by": "jupyter-easymaker",
        "app.kubernetes.io/name": "easymaker-training",
        "easymaker/id": "job-0001",
        "easymaker/kind": "training",
    }
    js = job["spec"]
    assert js["backoffLimit"] == 0 and js["activeDeadlineSeconds"] == 91
    assert "ttlSecondsAfterFinished" not in js and "completionMode" not in js
    pod = js["template"]["spec"]
    assert js["template"]["metadata"]["labels"] == job["metadata"]["labels"]
    assert pod["restartPolicy"] == "Never"
    assert pod["nodeSelector"] == {"accelerator": "a10"} and pod["tolerations"] == [GPU_TOLERATION]
    assert pod["serviceAccountName"] == "trainer" and pod["imagePullSecrets"] == [{"name": "regcred"}]
    (container,) = pod["containers"]
    assert container["image"] == "registry.example.com/train:1"
    assert container["command"] == ["python", "-m", "jupyter_easymaker.runtime.launcher"]
    assert container["resources"] == {
        "requests": {"cpu": "3500m", "memory": "16384Mi"},
        "limits": {"cpu": "3500m", "memory": "16384Mi", "nvidia.com/gpu": "1"},
    }
    env = env_of(container)
    assert env["EM_JOB_SPEC"] == {"secretKeyRef": {"name": name, "key": "job-spec.json"}}
    assert env["HF_HOME"] == "/cache" and env["PIP_INDEX_URL"] == "http://pypi"
    assert "EM_MASTER_ADDR" not in env  # one pod: torchrun rendezvous stays on localhost

    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {mt["mountPath"]: mt["name"] for mt in container["volumeMounts"]}
    assert volumes[mounts[NAS]] == {"name": mounts[NAS], **NFS}  # NAS paths appear at the same path
    assert volumes[mounts[spec.work_dir]] == {"name": mounts[spec.work_dir], "emptyDir": {}}
    assert volumes[mounts["/dev/shm"]]["emptyDir"]["medium"] == "Memory"

    # the spec (with credentials) lives in a Secret, not in the Job
    assert "secret-app-key" not in json.dumps(job) and "SK" not in json.dumps(job)
    secret = cluster.get(SECRETS, name)
    validate_manifest(secret)
    assert json.loads(secret["stringData"]["job-spec.json"]) == spec.to_dict()
    assert cluster.names(SERVICES) == []


@pytest.mark.asyncio
async def test_job_without_gpu_or_work_dir_uses_defaults(cluster):
    backend = backend_for(cluster)
    spec = make_spec(
        instance_type=InstanceType(name="cpu", cpu=0.5, memory_mib=1024), work_dir="", max_run_seconds=None, labels={}
    )
    handle = await call(backend.submit, spec)
    job = cluster.get(JOBS, handle["name"])
    validate_manifest(job)
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "1024Mi"}
    assert "activeDeadlineSeconds" not in job["spec"] and "nodeSelector" not in job["spec"]["template"]["spec"]
    assert job["spec"]["template"]["spec"]["automountServiceAccountToken"] is False
    assert manifests.DEFAULT_WORK_DIR in [mt["mountPath"] for mt in container["volumeMounts"]]
    sent = json.loads(cluster.get(SECRETS, handle["name"])["stringData"]["job-spec.json"])
    assert sent["work_dir"] == manifests.DEFAULT_WORK_DIR  # the launcher writes its state into the emptyDir


@pytest.mark.asyncio
async def test_submit_twice_returns_the_same_job(cluster):
    backend = backend_for(cluster)
    first = await call(backend.submit, make_spec())
    again = await call(backend.submit, make_spec())  # a controller retry after a crash
    assert again == first
    assert cluster.names(JOBS) == [first["name"]]
    assert len(cluster.requests("POST", r"/jobs$")) == 2  # the second one got 409 and was accepted


@pytest.mark.asyncio
async def test_name_clash_with_a_foreign_job_is_refused(cluster):
    backend = backend_for(cluster)
    name = labels.resource_name("training", "job-0001")
    cluster.emulator.objects[JOBS, NAMESPACE, name] = {
        "metadata": {"name": name, "namespace": NAMESPACE, "annotations": {"easymaker/job-id": "other"}}
    }
    with pytest.raises(BackendError, match="belongs to another job"):
        await call(backend.submit, make_spec())


@pytest.mark.asyncio
async def test_path_the_cluster_cannot_see_is_refused_before_creating_anything(cluster):
    backend = backend_for(cluster)
    with pytest.raises(BackendError, match="/home/user/code is not on storage the cluster can mount"):
        await call(backend.submit, make_spec(source_dir="/home/user/code"))
    assert cluster.created_bodies() == []


@pytest.mark.asyncio
async def test_quota_exhausted_means_capacity_unavailable_and_no_leftovers(cluster):
    quota = kmock.KubernetesError(
        status=403,
        reason="Forbidden",
        message='jobs "x" is forbidden: exceeded quota: compute, requested: limits.cpu=3500m',
    )
    cluster.emulator["post", re.compile(r"/apis/batch/v1/namespaces/[^/]+/jobs$")] << quota
    backend = backend_for(cluster)
    with pytest.raises(CapacityUnavailable, match="exceeded quota"):
        await call(backend.submit, make_spec())
    assert cluster.names(SECRETS) == []  # the spec secret was removed again


@pytest.mark.asyncio
async def test_api_rejection_is_a_backend_error_with_the_servers_message(cluster):
    invalid = kmock.KubernetesError(
        status=422, reason="Invalid", message='Job.batch "x" is invalid: spec.template: bad'
    )
    cluster.emulator["post", re.compile(r"/apis/batch/v1/namespaces/[^/]+/jobs")] << invalid
    with pytest.raises(BackendError, match=r"422: Job.batch \"x\" is invalid"):
        await call(backend_for(cluster).submit, make_spec())


@pytest.mark.asyncio
async def test_unreachable_api_is_a_backend_error_not_a_lost_job():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    configuration = k8s_client.Configuration()
    configuration.host = f"http://127.0.0.1:{port}"
    configuration.retries = 0
    backend = KubernetesBackend(api_client=k8s_client.ApiClient(configuration), pytorchjob=False)
    handle = {
        "backend": "kubernetes",
        "namespace": "default",
        "name": "em-training-x",
        "kind": "Job",
        "service": None,
        "job_id": "x",
    }
    with pytest.raises(BackendError, match="cannot reach the Kubernetes API"):
        await call(backend.status, handle)


@pytest.mark.asyncio
async def test_secret_and_service_are_owned_by_the_job(cluster):
    """With a uid from the server (kmock assigns none, so this reaction adds
    one), the spec Secret and the Service get the Job as owner: the cluster's
    garbage collector removes them with the Job even if release() never runs."""

    def created_with_uid(request):
        return {**request.data, "metadata": {**request.data["metadata"], "uid": "0b9e-uid"}}

    cluster.emulator["post", re.compile(r"/apis/batch/v1/namespaces/[^/]+/jobs")] << created_with_uid
    handle = await call(backend_for(cluster).submit, make_spec(job_id="owned", nodes=2))
    owner = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": handle["name"],
        "uid": "0b9e-uid",
        "controller": False,
        "blockOwnerDeletion": False,
    }
    secret = cluster.get(SECRETS, handle["name"])
    assert secret["metadata"]["ownerReferences"] == [owner]
    validate_manifest(secret)
    service = cluster.get(SERVICES, handle["service"])
    assert service["metadata"]["ownerReferences"] == [owner]
    validate_manifest(service)


# -- multi-node -------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_multi_node_without_kubeflow_is_an_indexed_job_with_headless_service(cluster):
    backend = backend_for(cluster)
    spec = make_spec(job_id="dist-1", nodes=3, nproc_per_node=2, use_torchrun=True)
    handle = await call(backend.submit, spec)
    name = handle["name"]
    assert handle["kind"] == "Job" and handle["service"] == name and handle["nodes"] == 3

    job = cluster.get(JOBS, name)
    validate_manifest(job)
    js = job["spec"]
    assert (js["completionMode"], js["completions"], js["parallelism"], js["backoffLimit"]) == ("Indexed", 3, 3, 0)
    pod = js["template"]["spec"]
    assert pod["subdomain"] == name
    env = env_of(pod["containers"][0])
    assert env["EM_MASTER_ADDR"] == f"{name}-0.{name}" and env["EM_MASTER_PORT"] == "29500"
    assert "EM_NODE_RANK" not in env  # each pod's rank comes from JOB_COMPLETION_INDEX

    service = cluster.get(SERVICES, name)
    validate_manifest(service)
    assert service["spec"]["clusterIP"] == "None" and service["spec"]["publishNotReadyAddresses"] is True
    selector = service["spec"]["selector"]
    assert selector.items() <= js["template"]["metadata"]["labels"].items()  # it selects the job's pods
    assert service["metadata"]["labels"]["easymaker/id"] == "dist-1"


@pytest.mark.asyncio
async def test_pytorchjob_used_when_the_crd_is_served(cluster):
    cluster.emulator.resources[PYTORCHJOBS] = {}
    backend = backend_for(cluster)
    assert (await call(backend.capabilities))["pytorchjob"] is True
    handle = await call(backend.submit, make_spec(job_id="ptj-7", nodes=4))
    name = handle["name"]
    assert handle["kind"] == "PyTorchJob" and handle["service"] is None
    assert cluster.names(JOBS) == [] and cluster.names(SERVICES) == []

    ptj = cluster.get(PYTORCHJOBS, name)
    validate_manifest(ptj)  # pod templates as v1 PodTemplates (the CRD has no bundled schema)
    assert ptj["apiVersion"] == "kubeflow.org/v1"
    assert ptj["spec"]["runPolicy"] == {"backoffLimit": 0, "cleanPodPolicy": "None", "activeDeadlineSeconds": 91}
    replicas = ptj["spec"]["pytorchReplicaSpecs"]
    assert replicas["Master"]["replicas"] == 1 and replicas["Worker"]["replicas"] == 3
    master = replicas["Master"]["template"]["spec"]["containers"][0]
    worker = replicas["Worker"]["template"]["spec"]["containers"][0]
    assert master["name"] == worker["name"] == "pytorch"
    assert env_of(master)["EM_NODE_RANK"] == "0" and env_of(master)["EM_MASTER_ADDR"] == f"{name}-master-0"
    assert worker["command"][:2] == ["sh", "-c"] and 'EM_NODE_RANK="$RANK"' in worker["command"][2]
    assert master["ports"] == [{"name": "pytorchjob-port", "containerPort": 29500}]

    # the training operator reports progress through conditions
    cluster.add_pod(f"{name}-master-0", ptj, extra_labels={"training.kubeflow.org/replica-type": "master"})
    cluster.set_status(
        PYTORCHJOBS,
        name,
        {"conditions": [{"type": "Created", "status": "True"}, {"type": "Running", "status": "True"}]},
    )
    assert (await call(backend.status, handle)).phase == JobPhase.RUNNING
    cluster.set_status(
        PYTORCHJOBS,
        name,
        {
            "conditions": [
                {"type": "Running", "status": "False"},
                {"type": "Succeeded", "status": "True", "lastTransitionTime": "2030-01-01T01:00:00Z"},
            ]
        },
    )
    state = await call(backend.status, handle)
    assert state.phase == JobPhase.SUCCEEDED and state.finished_at is not None

    assert await call(backend_for(cluster).discover) == [handle]
    await call(backend.release, handle)
    assert cluster.names(PYTORCHJOBS) == [] and cluster.names(SECRETS) == []


@pytest.mark.asyncio
async def test_pytorchjob_deadline_maps_to_maximum_run_time(cluster):
    cluster.emulator.resources[PYTORCHJOBS] = {}
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec(job_id="ptj-8", nodes=2))
    cluster.set_status(
        PYTORCHJOBS,
        handle["name"],
        {
            "conditions": [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "PyTorchJobFailed",
                    "message": "PyTorchJob ptj-8 has failed because it was active longer than specified deadline",
                }
            ]
        },
    )
    state = await call(backend.status, handle)
    assert (state.phase, state.reason) == (JobPhase.FAILED, "maximum run time exceeded")


@pytest.mark.asyncio
async def test_crd_detection_is_cached_and_404_means_indexed_job(cluster):
    backend = backend_for(cluster)
    for i in range(3):
        handle = await call(backend.submit, make_spec(job_id=f"multi-{i}", nodes=2))
        assert handle["kind"] == "Job"
    assert len(cluster.requests("GET", r"/apis/kubeflow.org/v1/namespaces/default/pytorchjobs$")) == 1
    assert (await call(backend.capabilities))["pytorchjob"] is False
    forced = backend_for(cluster, pytorchjob=False)
    cluster.emulator.resources[PYTORCHJOBS] = {}
    assert (await call(forced.submit, make_spec(job_id="multi-x", nodes=2)))["kind"] == "Job"


# -- status ------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_status_follows_the_job_and_its_pods(cluster):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec())
    name = handle["name"]
    job = cluster.get(JOBS, name)
    assert (await call(backend.status, handle)).phase == JobPhase.STARTING  # created, no pod yet

    unschedulable = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
        }
    ]
    cluster.add_pod(f"{name}-abcde", job, phase="Pending", conditions=unschedulable)
    cluster.set_status(JOBS, name, {"active": 1})
    state = await call(backend.status, handle)
    assert state.phase == JobPhase.QUEUED and "Insufficient nvidia.com/gpu" in state.reason

    cluster.add_pod(f"{name}-abcde", job, phase="Pending", container_state={"waiting": {"reason": "ContainerCreating"}})
    assert (await call(backend.status, handle)).phase == JobPhase.STARTING

    cluster.add_pod(f"{name}-abcde", job, phase="Running")
    cluster.set_status(JOBS, name, {"active": 1, "ready": 1, "startTime": "2030-01-01T00:00:01Z"})
    state = await call(backend.status, handle)
    assert state.phase == JobPhase.RUNNING and not state.terminal
    assert state.started_at == pytest.approx(1893456005.0)  # the container's start, 2030-01-01T00:00:05Z

    cluster.add_pod(
        f"{name}-abcde",
        job,
        phase="Succeeded",
        container_state={"terminated": {"exitCode": 0, "startedAt": "2030-01-01T00:00:05Z"}},
    )
    cluster.set_status(
        JOBS,
        name,
        {
            "active": 0,
            "succeeded": 1,
            "completionTime": "2030-01-01T00:10:00Z",
            "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}],
        },
    )
    state = await call(backend.status, handle)
    assert (state.phase, state.exit_code, state.terminal) == (JobPhase.SUCCEEDED, 0, True)
    assert state.finished_at == pytest.approx(1893456600.0)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "condition, container, phase, reason, exit_code",
    [
        (
            {
                "type": "Failed",
                "status": "True",
                "reason": "DeadlineExceeded",
                "message": "Job was active longer than specified deadline",
            },
            {"terminated": {"exitCode": 143, "reason": "Error"}},
            JobPhase.FAILED,
            "maximum run time exceeded",
            143,
        ),
        (
            {
                "type": "Failed",
                "status": "True",
                "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit",
            },
            {"terminated": {"exitCode": 3, "reason": "Error", "message": "epoch 1\nValueError: bad input\n"}},
            JobPhase.FAILED,
            "user code exited with 3: ValueError: bad input",
            3,
        ),
        (
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"},
            {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
            JobPhase.FAILED,
            "out of memory: the container exceeded its memory limit of 16384Mi (OOMKilled)",
            137,
        ),
    ],
)
async def test_failures_are_explained(cluster, condition, container, phase, reason, exit_code):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec())
    cluster.add_pod(f"{handle['name']}-x", cluster.get(JOBS, handle["name"]), phase="Failed", container_state=container)
    cluster.set_status(JOBS, handle["name"], {"failed": 1, "conditions": [condition]})
    state = await call(backend.status, handle)
    assert (state.phase, state.reason, state.exit_code) == (phase, reason, exit_code)


@pytest.mark.asyncio
async def test_a_job_that_vanished_is_lost(cluster):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec())
    await asyncio.to_thread(
        k8s_client.BatchV1Api(cluster.api_client()).delete_namespaced_job, handle["name"], NAMESPACE
    )  # kubectl delete
    state = await call(backend.status, handle)
    assert state.phase == JobPhase.LOST and state.terminal


@pytest.mark.asyncio
async def test_image_that_can_never_be_pulled_fails(cluster):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec())
    cluster.add_pod(
        f"{handle['name']}-x",
        cluster.get(JOBS, handle["name"]),
        phase="Pending",
        container_state={"waiting": {"reason": "InvalidImageName", "message": 'invalid reference format: "Bad:Image"'}},
    )
    state = await call(backend.status, handle)
    assert state.phase == JobPhase.FAILED and "InvalidImageName" in state.reason


# -- logs ----------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_logs_are_read_incrementally(cluster):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec())
    name = handle["name"]
    chunk = await call(backend.read_logs, handle, 0)
    assert (chunk.text, chunk.offset) == ("", 0)  # no pod yet

    cluster.add_pod(f"{name}-p", cluster.get(JOBS, name), phase="Pending")
    assert (await call(backend.read_logs, handle, 0)).text == ""  # container waiting: 400 from the server

    cluster.add_pod(f"{name}-p", cluster.get(JOBS, name), phase="Running")
    cluster.logs[f"{name}-p"] = "[easymaker] installing\nstep 1 loss=0.9\n"
    first = await call(backend.read_logs, handle, 0)
    assert first.text == "[easymaker] installing\nstep 1 loss=0.9\n" and first.offset == len(first.text)
    cluster.logs[f"{name}-p"] += "step 2 loss=0.5\n"
    second = await call(backend.read_logs, handle, first.offset)
    assert (second.text, second.offset) == ("step 2 loss=0.5\n", first.offset + 16)
    limited = await call(backend.read_logs, handle, 0, 5)
    assert (limited.text, limited.offset) == ("[easy", 5)
    assert (await call(backend.read_logs, handle, second.offset)).text == ""


@pytest.mark.asyncio
async def test_multi_node_logs_in_rank_order_never_rewrite_what_was_read(cluster):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec(job_id="dist-2", nodes=2))
    name = handle["name"]
    job = cluster.get(JOBS, name)
    # rank 1's pod was created first: order must come from the completion index
    cluster.add_pod(f"{name}-1-bbbbb", job, rank=1, created="2030-01-01T00:00:00Z")
    cluster.add_pod(f"{name}-0-aaaaa", job, rank=0, created="2030-01-01T00:00:09Z")
    cluster.logs.update({f"{name}-0-aaaaa": "r0 a\n", f"{name}-1-bbbbb": "r1 a\n"})

    running = await call(backend.read_logs, handle, 0)
    assert "r0 a\n" in running.text and "r1" not in running.text  # rank 1 waits until rank 0 ends

    cluster.logs[f"{name}-0-aaaaa"] += "r0 b\n"
    cluster.add_pod(f"{name}-0-aaaaa", job, rank=0, phase="Succeeded", container_state={"terminated": {"exitCode": 0}})
    cluster.add_pod(f"{name}-1-bbbbb", job, rank=1, phase="Succeeded", container_state={"terminated": {"exitCode": 0}})
    rest = await call(backend.read_logs, handle, running.offset)
    full = (await call(backend.read_logs, handle, 0)).text
    assert running.text + rest.text == full  # earlier text never moved
    assert full.index("r0 a") < full.index("r0 b") < full.index("node 1") < full.index("r1 a")


def test_assemble_logs_stops_after_the_first_unfinished_pod():
    def pod(name, rank, phase):
        return {
            "metadata": {"name": name, "annotations": {"batch.kubernetes.io/job-completion-index": str(rank)}},
            "status": {"phase": phase},
        }

    texts = {"a": "A", "b": "B", "c": "C"}
    pods = [pod("c", 2, "Running"), pod("a", 0, "Succeeded"), pod("b", 1, "Running")]
    text = assemble_logs(pods, lambda p: texts[p["metadata"]["name"]], multi_node=True)
    assert text == "===== node 0 (a) =====\nA\n===== node 1 (b) =====\nB"
    assert assemble_logs(pods[1:2], lambda p: "only\n", multi_node=False) == "only\n"
    # rank 0's pod not created yet: nothing of rank 1 may come first
    assert assemble_logs([pod("b", 1, "Succeeded")], lambda p: "B", multi_node=True) == ""


# -- stop / release / restart ----------------------------------------------------------------
@pytest.mark.asyncio
async def test_stop_deletes_the_job_and_reads_stopped(cluster):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec(job_id="dist-3", nodes=2))
    name = handle["name"]
    job = cluster.get(JOBS, name)
    cluster.add_pod(f"{name}-0-a", job, rank=0)
    cluster.add_pod(f"{name}-1-b", job, rank=1)
    cluster.set_status(JOBS, name, {"active": 2})
    assert (await call(backend.status, handle)).phase == JobPhase.RUNNING

    await call(backend.stop, handle, 7.5)
    assert handle["stop_requested"] is True
    versions = [v for v in cluster.emulator.objects[JOBS, NAMESPACE, name].history if v is not None]
    assert versions[-1]["metadata"]["annotations"]["easymaker/stop-requested"] == "true"  # marked before deletion
    (patch,) = cluster.requests("PATCH", rf"/jobs/{name}$")
    assert patch.headers["Content-Type"] == "application/merge-patch+json"
    assert cluster.names(JOBS) == [] and cluster.names(SERVICES) == [] and cluster.names(PODS) == []
    job_delete = cluster.requests("DELETE", rf"/jobs/{name}$")[0]
    pod_deletes = cluster.requests("DELETE", r"/pods/")
    assert len(pod_deletes) == 2
    for request in [job_delete, *pod_deletes]:  # grace rounded up, passed as query or body
        options = {**request.params, **(request.data or {})}
        assert str(options.get("gracePeriodSeconds")) == "8"
    assert {**job_delete.params, **(job_delete.data or {})}.get("propagationPolicy") == "Foreground"

    state = await call(backend.status, handle)
    assert state.phase == JobPhase.STOPPED and state.terminal
    await call(backend.stop, handle, 1)  # stopping again is harmless


@pytest.mark.asyncio
async def test_stop_of_a_job_that_failed_meanwhile_reads_stopped(cluster):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec())
    cluster.set_status(
        JOBS, handle["name"], {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}
    )
    stale = dict(handle, stop_requested=True)
    assert (await call(backend.status, stale)).phase == JobPhase.STOPPED


@pytest.mark.asyncio
async def test_release_is_idempotent(cluster):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec(job_id="dist-4", nodes=2))
    assert cluster.names(JOBS) and cluster.names(SERVICES) and cluster.names(SECRETS)
    await call(backend.release, handle)
    assert cluster.names(JOBS) == cluster.names(SERVICES) == cluster.names(SECRETS) == []
    await call(backend.release, handle)  # everything already gone: 404s are fine
    await call(backend.adopt, handle)


@pytest.mark.asyncio
async def test_discover_reattaches_after_a_restart(cluster):
    backend = backend_for(cluster)
    single = await call(backend.submit, make_spec(job_id="job-a"))
    multi = await call(backend.submit, make_spec(job_id="job-b", nodes=3))
    cluster.emulator.objects[JOBS, NAMESPACE, "someone-elses"] = {
        "metadata": {"name": "someone-elses", "namespace": NAMESPACE, "labels": {"app": "x"}}
    }
    cluster.set_status(JOBS, multi["name"], {"active": 3})
    cluster.add_pod(f"{multi['name']}-0-a", cluster.get(JOBS, multi["name"]), rank=0)

    restarted = backend_for(cluster)  # new process: new backend, new client, no memory
    found = await call(restarted.discover)
    assert sorted(found, key=lambda h: h["job_id"]) == [single, multi]
    again = next(h for h in found if h["job_id"] == "job-b")
    assert (await call(restarted.status, again)).phase == JobPhase.RUNNING
    await call(restarted.release, again)
    assert [h["job_id"] for h in await call(restarted.discover)] == ["job-a"]


# -- usage and facts --------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_usage_from_metrics_server(cluster):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec(job_id="dist-5", nodes=2))
    name = handle["name"]
    assert await call(backend.usage, handle) is None  # metrics.k8s.io not served

    cluster.emulator.resources[POD_METRICS] = {}
    assert await call(backend.usage, handle) is None  # served, no sample yet
    job = cluster.get(JOBS, name)
    cluster.add_pod(f"{name}-0-a", job, rank=0)
    cluster.add_pod(f"{name}-1-b", job, rank=1)
    for pod, cpu, mem in (
        (f"{name}-0-a", "1500m", "1Gi"),
        (f"{name}-1-b", "250000000n", "512Mi"),
        ("unrelated", "8", "8Gi"),
    ):
        cluster.emulator.objects[POD_METRICS, NAMESPACE, pod] = {
            "metadata": {"name": pod, "namespace": NAMESPACE},
            "containers": [{"name": "c", "usage": {"cpu": cpu, "memory": mem}}],
        }
    usage = await call(backend.usage, handle)
    assert usage.cpu_percent == pytest.approx(175.0)
    assert usage.memory_bytes == 1536 * 1024 * 1024
    assert usage.gpu_percent is None


@pytest.mark.asyncio
async def test_capabilities_report_backend_facts(cluster):
    caps = await call(backend_for(cluster).capabilities)
    assert caps == {
        "name": "kubernetes",
        "namespace": NAMESPACE,
        "image": "registry.example.com/train:1",
        "pytorchjob": False,
        "multi_node": "Indexed Job",
        "gpu_resource": "nvidia.com/gpu",
        "volume_mounts": [NAS],
    }


# -- names -----------------------------------------------------------------------------------
def test_names_are_dns_labels_and_unique():
    long_id = "x" * 80
    names = {
        labels.resource_name("training", "job-0001"),
        labels.resource_name("training", "Job_0001"),
        labels.resource_name("training", "job.0001"),
        labels.resource_name("batch-inference", long_id),
        labels.resource_name("batch-inference", long_id + "y"),
    }
    assert len(names) == 5
    for name in names:
        assert DNS_1035.match(name) and len(name) <= labels.MAX_NAME_LENGTH
    assert labels.resource_name("training", "job-0001") == "em-training-job-0001"
    assert labels.label_value("ok-id_1.2") == "ok-id_1.2"
    for value in ("-bad/value-", "é" * 70, "a" * 64):
        assert re.match(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", labels.label_value(value))
        assert len(labels.label_value(value)) <= 63


def test_invalid_user_label_is_refused():
    with pytest.raises(ManifestError, match="not a valid Kubernetes label"):
        manifests.job_labels(make_spec(labels={"team": "has space"}))


def test_schema_validation_is_not_vacuous():
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "x"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i", "imagePullSecret": "typo"}]}}},
    }
    with pytest.raises(ValidationError):
        validate_manifest(job)
    ptj = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "x"},
        "spec": {
            "pytorchReplicaSpecs": {"Master": {"template": {"spec": {"containers": [{"name": "c", "imag": "i"}]}}}}
        },
    }
    with pytest.raises(ValidationError):
        validate_manifest(ptj)


class Prometheus:
    """Prometheus' instant-query API over fixed series, with the selectors the backend
    sends evaluated (metric name, = and =~ label matchers, `or`)."""

    def __init__(self, series: list[dict]):
        import http.server
        import threading
        import urllib.parse

        self.series = series
        self.queries: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                url = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(url.query)["query"][0]
                outer.queries.append(query)
                body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": outer.select(query)}})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def select(self, query: str) -> list[dict]:
        import re as regex

        out = []
        for part in query.split(" or "):
            name, _, matchers = part.partition("{")
            wanted = [(label, op, regex.sub(r"\\(.)", r"\1", value) if op == "=" else value.replace("\\\\", "\\"))
                      for label, op, value in regex.findall(r'(\w+)(=~|=)"((?:[^"\\]|\\.)*)"', matchers)]
            for s in self.series:
                labels = s["metric"]
                if labels["__name__"] != name.strip():
                    continue
                if all(label in labels and (labels[label] == value if op == "=" else regex.fullmatch(value, labels[label]))
                       for label, op, value in wanted):
                    out.append({"metric": labels, "value": [0, str(s["value"])]})
        return out

    def close(self):
        self.server.shutdown()


@pytest.mark.asyncio
async def test_gpu_usage_from_the_dcgm_exporter_through_prometheus(cluster):
    name_of = {}
    series = []
    prometheus = Prometheus(series)
    try:
        backend = backend_for(cluster, gpu_metrics_url=prometheus.url + "/")
        handle = await call(backend.submit, make_spec(job_id="gpu-7", nodes=2))
        name = handle["name"]
        job = cluster.get(JOBS, name)
        cluster.emulator.resources[POD_METRICS] = {}
        for rank, pod in enumerate((f"{name}-0-a", f"{name}-1-b")):
            name_of[rank] = pod
            cluster.add_pod(pod, job, rank=rank)
            cluster.emulator.objects[POD_METRICS, NAMESPACE, pod] = {
                "metadata": {"name": pod, "namespace": NAMESPACE},
                "containers": [{"name": "c", "usage": {"cpu": "1", "memory": "1Gi"}}],
            }
        assert (await call(backend.usage, handle)).gpu_percent is None  # no GPU series yet
        # one pod's GPU labelled by the exporter, the other's relabelled by Prometheus; others' GPUs around
        series += [
            {"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "namespace": NAMESPACE, "pod": name_of[0], "UUID": "GPU-a"}, "value": 80},
            {"metric": {"__name__": "DCGM_FI_DEV_FB_USED", "namespace": NAMESPACE, "pod": name_of[0], "UUID": "GPU-a"}, "value": 1024},
            {"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "exported_namespace": NAMESPACE, "exported_pod": name_of[1],
                        "UUID": "GPU-b"}, "value": 40},
            {"metric": {"__name__": "DCGM_FI_DEV_FB_USED", "exported_namespace": NAMESPACE, "exported_pod": name_of[1],
                        "UUID": "GPU-b"}, "value": 512},
            {"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "namespace": NAMESPACE, "pod": f"{name}-0-ab", "UUID": "GPU-c"}, "value": 99},
            {"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "namespace": "other", "pod": name_of[0], "UUID": "GPU-d"}, "value": 99},
        ]
        usage = await call(backend.usage, handle)
        assert usage.gpu_percent == pytest.approx(60.0)  # the mean of its two GPUs
        assert usage.gpu_memory_bytes == 1536 * 1024 * 1024
        assert usage.cpu_percent == pytest.approx(200.0)
        assert all('namespace="' + NAMESPACE + '"' in q for q in prometheus.queries)

        # Prometheus out of reach: CPU and memory still come, GPU usage is unknown
        prometheus.close()
        usage = await call(backend.usage, handle)
        assert usage.gpu_percent is None and usage.cpu_percent == pytest.approx(200.0)
    finally:
        prometheus.close()


@pytest.mark.asyncio
async def test_data_storage_is_the_pods_ephemeral_storage(cluster):
    backend = backend_for(cluster)
    handle = await call(backend.submit, make_spec(job_id="disk-1", data_storage_gb=20))
    job = cluster.get(JOBS, handle["name"])
    validate_manifest(job)
    resources = job["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["ephemeral-storage"] == resources["limits"]["ephemeral-storage"] == "20480Mi"
