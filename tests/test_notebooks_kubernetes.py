"""Notebooks on Kubernetes: the StatefulSet, Service and token Secret built
in the shape Kubeflow Notebooks use, valid against the 1.37 schemas, created
on the kmock emulator, scaled to 0 and 1 for stop and start, read for
readiness, and deleted."""
from __future__ import annotations

import asyncio
import base64

import kubernetes_validate
import pytest

from jupyter_easymaker.backend.kubernetes.api import KubernetesApi
from jupyter_easymaker.backend.kubernetes.notebook_manifests import (
    DATA_PATH,
    NotebookManifest,
    manifests,
    notebook_object_name,
    token_secret_name,
)
from jupyter_easymaker.backend.kubernetes.pods import ManifestError
from jupyter_easymaker.backend.notebooks.kubernetes import KubernetesNotebookBackend
from jupyter_easymaker.backend.notebooks.local import NotebookPhase
from jupyter_easymaker.core.queries import ListQuery
from tests import kube_fixtures

cluster = kube_fixtures.cluster  # the fixture
NAMESPACE = kube_fixtures.NAMESPACE
STATEFULSETS = "apps/v1/statefulsets"
NOTEBOOK_ID = "3f0c8a52-7d1e-4b8e-9a51-0c2f4d6e8b10"


def manifest(**overrides) -> NotebookManifest:
    values = {"notebook_id": NOTEBOOK_ID, "name": "nb-k8s", "image": "registry.example/notebook:py3.11",
                  "base_url": f"/easymaker/notebooks/{NOTEBOOK_ID}/proxy/", "cpu": 4, "memory_mib": 16384, "gpu": 1,
                  "boot_storage_gb": 50, "data_storage_gb": 120, "token": "t0ken", "pull_secret_account_id": "acc-42",
                  "nas_mount_name": "team", "nas_server": "10.0.0.5", "nas_export": "/share/team",
                  "node_selector": {"easymaker/instance-type": "gpu-1"},
                  "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}
    values.update(overrides)
    return NotebookManifest(**values)


def test_manifests_are_valid_and_shaped_like_kubeflow_notebooks():
    docs = manifests(manifest())
    for doc in docs:
        kubernetes_validate.validate(doc, kube_fixtures.K8S_VERSION, strict=True)
    secret, svc, sts = docs
    assert sts["spec"]["replicas"] == 1
    assert sts["spec"]["serviceName"] == svc["metadata"]["name"] == notebook_object_name(NOTEBOOK_ID)
    pod = sts["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "4000m", "memory": "16384Mi", "nvidia.com/gpu": "1"}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["data"] == DATA_PATH and mounts["boot"] == "/root" and mounts["nas"] == "/root/team"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["boot"]["emptyDir"] == {"sizeLimit": "50Gi"}
    assert volumes["nas"]["nfs"] == {"server": "10.0.0.5", "path": "/share/team"}
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "data" and claim["spec"]["resources"]["requests"]["storage"] == "120Gi"
    assert pod["imagePullSecrets"] == [{"name": "easymaker-registry-acc-42"}]
    assert pod["nodeSelector"] == {"easymaker/instance-type": "gpu-1"}
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    env = {e["name"]: e for e in container["env"]}
    assert env["JUPYTER_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == token_secret_name(NOTEBOOK_ID)
    assert "t0ken" not in str(sts)  # the token lives in the Secret only
    assert base64.b64decode(secret["data"]["token"]).decode() == "t0ken"
    script = container["command"][-1]
    assert "cont-init.d" in script and "--ServerApp.base_url=/easymaker/notebooks/" in script
    # a stopped notebook keeps its objects with no replica; no NAS, no pull secret: no such fields
    stopped = manifests(manifest(running=False, nas_mount_name="", nas_server="", nas_export="", pull_secret_account_id=None, gpu=0))[2]
    kubernetes_validate.validate(stopped, kube_fixtures.K8S_VERSION, strict=True)
    assert stopped["spec"]["replicas"] == 0 and "imagePullSecrets" not in stopped["spec"]["template"]["spec"]
    with pytest.raises(ManifestError):
        manifests(manifest(nas_server=""))


async def call(fn, *args, **kwargs):
    return await asyncio.to_thread(fn, *args, **kwargs)


@pytest.mark.asyncio
async def test_apply_stop_start_ready_and_delete_on_the_emulator(cluster):
    cluster.emulator.resources[STATEFULSETS] = {}
    backend = KubernetesNotebookBackend(KubernetesApi(cluster.api_client()), NAMESPACE)
    handle = await call(backend.apply, manifest())
    name = handle["name"]
    sts = cluster.get(STATEFULSETS, name)
    kubernetes_validate.validate(sts, kube_fixtures.K8S_VERSION, strict=True)
    assert cluster.exists(kube_fixtures.SERVICES, name) and cluster.exists(kube_fixtures.SECRETS, token_secret_name(NOTEBOOK_ID))
    assert (await call(backend.status, NOTEBOOK_ID)).phase == NotebookPhase.STARTING
    cluster.set_status(STATEFULSETS, name, {"replicas": 1, "readyReplicas": 1})
    assert (await call(backend.status, NOTEBOOK_ID)).phase == NotebookPhase.READY
    address, token = await call(backend.upstream, NOTEBOOK_ID)
    assert address == f"http://{name}.{NAMESPACE}.svc:80" and token == "t0ken"

    await call(backend.scale, NOTEBOOK_ID, 0)  # stop
    assert cluster.get(STATEFULSETS, name)["spec"]["replicas"] == 0
    assert (await call(backend.status, NOTEBOOK_ID)).phase == NotebookPhase.STOPPED
    await call(backend.scale, NOTEBOOK_ID, 1)  # start
    assert cluster.get(STATEFULSETS, name)["spec"]["replicas"] == 1
    # applying again (a restarted server) creates nothing twice
    await call(backend.apply, manifest())
    assert cluster.names(STATEFULSETS) == [name]

    await call(backend.delete, NOTEBOOK_ID)
    assert not cluster.exists(STATEFULSETS, name)
    assert not cluster.exists(kube_fixtures.SERVICES, name)
    assert not cluster.exists(kube_fixtures.SECRETS, token_secret_name(NOTEBOOK_ID))
    assert (await call(backend.status, NOTEBOOK_ID)).phase == NotebookPhase.STOPPED


@pytest.mark.asyncio
async def test_the_service_runs_a_notebook_as_a_statefulset(cluster, tmp_path):
    """The guide's statuses over the StatefulSet: create, ACTIVE (HEALTHY) once ready, stop (0 replicas), start, delete."""
    from jupyter_easymaker.api import AREAS
    from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend
    from jupyter_easymaker.core.platform import Platform
    from jupyter_easymaker.core.settings import Settings

    cluster.emulator.resources[STATEFULSETS] = {}
    (tmp_path / "nas").mkdir()
    settings = Settings(data_dir=str(tmp_path / "data"), default_backend="kubernetes", nas_mounts={"nas1": str(tmp_path / "nas")},
                        area_options={"notebooks": {"nas_servers": {"nas1": "10.0.0.5"}}})
    jobs = KubernetesBackend(namespace=NAMESPACE, api_client=cluster.api_client())
    platform = Platform(settings, AREAS, {"local": object(), "kubernetes": jobs})
    try:
        notebooks = platform.service("notebooks")
        nb = await call(notebooks.create, {"name": "nb-kube", "instance_type": "cpu-2", "data_storage_gb": 30,
                                           "nas_mount_name": "team", "nas_path": "nas://nas1:/share"})
        assert nb.backend == "kubernetes" and nb.data_path == DATA_PATH

        async def step(times: int = 1) -> str:
            for _ in range(times):
                await call(notebooks.reconcile, nb.id)
            return (await call(notebooks.get, nb.id)).status

        assert await step(2) == "CREATE IN PROGRESS"
        name = notebook_object_name(nb.id)
        sts = cluster.get(STATEFULSETS, name)
        kubernetes_validate.validate(sts, kube_fixtures.K8S_VERSION, strict=True)
        assert sts["spec"]["replicas"] == 1
        assert {v["name"]: v for v in sts["spec"]["template"]["spec"]["volumes"]}["nas"]["nfs"] == {"server": "10.0.0.5", "path": "/share"}
        cluster.set_status(STATEFULSETS, name, {"replicas": 1, "readyReplicas": 1})
        assert await step() == "ACTIVE (HEALTHY)"
        address, token = await call(notebooks.upstream, nb.id)
        assert address == f"http://{name}.{NAMESPACE}.svc:80" and len(token) == 48
        cluster.set_status(STATEFULSETS, name, {"replicas": 1, "readyReplicas": 0})
        notebooks._checked.clear()
        assert await step() == "ACTIVE (UNHEALTHY)"

        await call(notebooks.stop, nb.id)
        assert await step() == "STOPPED"
        assert cluster.get(STATEFULSETS, name)["spec"]["replicas"] == 0
        await call(notebooks.start, nb.id)
        assert await step() == "START IN PROGRESS"
        assert cluster.get(STATEFULSETS, name)["spec"]["replicas"] == 1
        cluster.set_status(STATEFULSETS, name, {"replicas": 1, "readyReplicas": 1})
        assert await step() == "ACTIVE (HEALTHY)"

        await call(notebooks.delete, nb.id)
        await call(notebooks.reconcile, nb.id)
        assert not cluster.exists(STATEFULSETS, name)
        assert (await call(notebooks.list, ListQuery()))[1] == 0
    finally:
        platform.close()
