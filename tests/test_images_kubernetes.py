"""A private image's registry account on Kubernetes: a dockerconfigjson pull
Secret per account (created, then replaced when the login changes) named in
every pod's imagePullSecrets; against the kmock emulator, every object checked
against the Kubernetes schemas."""
from __future__ import annotations

import asyncio
import base64
import json

import pytest

from jupyter_easymaker.areas.registry_accounts.service import pull_secret_name
from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend

try:
    from tests import kube_fixtures
except ImportError:
    import kube_fixtures

cluster = kube_fixtures.cluster
validate_manifest = kube_fixtures.validate_manifest
NAMESPACE, JOBS, SECRETS = kube_fixtures.NAMESPACE, kube_fixtures.JOBS, kube_fixtures.SECRETS
NAS = "/mnt/nas1"
HOST = "example-kr1-registry.container.nhncloud.com"
IMAGE = f"{HOST}/registry/custom-training:v1"


def spec(job_id: str, password: str) -> JobSpec:
    return JobSpec(
        job_id=job_id, name=f"train {job_id}", kind="training", source_dir=f"{NAS}/code", entry_point="train.py",
        model_dir=f"{NAS}/out", output_dir=f"{NAS}/out", checkpoint_dir=f"{NAS}/ckpt", work_dir=f"/tmp/{job_id}",
        image=IMAGE, python="/home/user/envs/torch/bin/python",
        registry_credentials={pull_secret_name("acc-0001"): {"server": HOST, "username": "AK", "password": password}},
    )


def backend_for(cluster) -> KubernetesBackend:
    return KubernetesBackend(namespace=NAMESPACE, image="registry.example.com/train:1", api_client=cluster.api_client(),
                             volume_mounts={NAS: {"nfs": {"server": "10.0.0.5", "path": "/export"}}},
                             image_pull_secrets=["cluster-wide"])


def login_of(secret: dict) -> dict:
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    return json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"][HOST]


@pytest.mark.asyncio
async def test_pull_secret_per_account_in_every_pod(cluster):
    backend = backend_for(cluster)
    name = pull_secret_name("acc-0001")
    first = await asyncio.to_thread(backend.submit, spec("job-0001", "old-secret"))

    secret = cluster.get(SECRETS, name)
    validate_manifest(secret)
    login = login_of(secret)
    assert login["username"] == "AK" and login["password"] == "old-secret"
    assert base64.b64decode(login["auth"]).decode() == "AK:old-secret"
    assert secret["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "jupyter-easymaker"}

    job = cluster.get(JOBS, first["name"])
    validate_manifest(job)
    pod = job["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "cluster-wide"}, {"name": name}]
    assert pod["containers"][0]["image"] == IMAGE
    # the job spec the pod reads holds the secret's name only, and no local interpreter
    job_secret = cluster.get(SECRETS, first["name"])
    pod_spec = json.loads(job_secret["stringData"]["job-spec.json"])
    assert pod_spec["pull_secrets"] == [name] and pod_spec["python"] == ""
    assert "old-secret" not in json.dumps(job) and "old-secret" not in json.dumps(job_secret)

    # a second job of the same account after its password changed: one Secret, replaced
    second = await asyncio.to_thread(backend.submit, spec("job-0002", "new-secret"))
    replaced = cluster.get(SECRETS, name)
    validate_manifest(replaced)
    assert login_of(replaced)["password"] == "new-secret"
    assert [n for n in cluster.names(SECRETS) if n.startswith("easymaker-registry-")] == [name]
    assert cluster.get(JOBS, second["name"])["spec"]["template"]["spec"]["imagePullSecrets"][-1] == {"name": name}


@pytest.mark.asyncio
async def test_no_image_account_no_pull_secret(cluster):
    backend = backend_for(cluster)
    plain = spec("job-0003", "x")
    plain.registry_credentials = {}
    handle = await asyncio.to_thread(backend.submit, plain)
    pod = cluster.get(JOBS, handle["name"])["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "cluster-wide"}]
    assert not [n for n in cluster.names(SECRETS) if n.startswith("easymaker-registry-")]


async def test_the_images_service_hands_a_kubernetes_job_its_pull_login(api, jp_serverapp):
    """From the REST API to the JobSpec fields test_pull_secret_per_account_in_every_pod
    submits: the image's account, decrypted by the images service for a Kubernetes
    job only, under the Secret name its pods pull with."""
    image = await api.post("images", {"name": "private", "address": IMAGE, "image_type": "TRAINING", "registry_account": {
        "name": "ncr", "registry_type": "NCR", "registry_address": HOST, "username": "AK", "password": "stored-secret"}}, expect=201)
    images = jp_serverapp.web_app.settings["easymaker"].service("images")
    local = await asyncio.to_thread(images.job_fields, image["id"], "training", "local")
    assert local == {"image": IMAGE}  # no login decrypted for a backend that pulls nothing
    fields = await asyncio.to_thread(images.job_fields, "private", "training", "kubernetes")
    name = pull_secret_name(image["registry_account_id"])
    assert fields == {"image": IMAGE, "registry_credentials": {name: {"server": HOST, "username": "AK", "password": "stored-secret"}}}
    assert await asyncio.to_thread(images.job_fields, None, "training", "kubernetes") == {}  # no image: as before
    runtime = await asyncio.to_thread(images.runtime_for, "private", "training")
    assert runtime.container_image == IMAGE and runtime.pull_secret_account_id == image["registry_account_id"]
    assert runtime.python is None  # no local environment named: the server's own interpreter
