"""The Kubernetes serving backend against kmock (no Jupyter server): objects
it creates and deletes, readiness from pods, pod metrics and logs, the
InferenceService path when KServe's CRD is served, and an existing object of
another server refused."""
from __future__ import annotations

import asyncio

import kubernetes_validate
import pytest

from tests import kube_fixtures
from tests.test_endpoints_units import spec

from jupyter_easymaker.backend.base import BackendError
from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend
from jupyter_easymaker.backend.serving.base import AutoscalerSpec, ServerPhase, ServingOptions
from jupyter_easymaker.backend.serving.kubernetes import KubernetesServingBackend

cluster = kube_fixtures.cluster  # the fixture
NAMESPACE = kube_fixtures.NAMESPACE
DEPLOYMENTS = "apps/v1/deployments"
HPAS = "autoscaling/v2/horizontalpodautoscalers"
ISVCS = "serving.kserve.io/v1beta1/inferenceservices"


def serving_for(cluster, **options) -> KubernetesServingBackend:
    jobs = KubernetesBackend(namespace=NAMESPACE, api_client=cluster.api_client(),
                             volume_mounts={"/mnt/nas1": {"nfs": {"server": "10.0.0.5", "path": "/export"}}})
    return KubernetesServingBackend(jobs, ServingOptions(kubernetes_image="registry.example/serving:2", **options))


async def call(fn, *args, **kwargs):
    return await asyncio.to_thread(fn, *args, **kwargs)


@pytest.mark.asyncio
async def test_deployment_service_hpa_secret_readiness_metrics_scale_and_stop(cluster):
    for resource in (DEPLOYMENTS, HPAS, kube_fixtures.POD_METRICS):
        cluster.emulator.resources[resource] = {}
    backend = serving_for(cluster)
    s = spec(autoscaler=AutoscalerSpec(enabled=True, metric="cpu", threshold=75, min_pods=2, max_pods=4))
    handle = await call(backend.start, s)
    assert handle["kind"] == "Deployment" and handle["hpa"] and handle["address"] == f"http://{handle['name']}.default.svc.cluster.local:80"
    assert await call(backend.start, s) == handle  # a retry after a crash finds its own objects
    name = handle["name"]
    deployment = cluster.get(DEPLOYMENTS, name)
    for doc in (deployment, cluster.get(kube_fixtures.SERVICES, name), cluster.get(HPAS, name),
                cluster.get(kube_fixtures.SECRETS, f"{name}-env")):
        kubernetes_validate.validate(doc, kube_fixtures.K8S_VERSION, strict=True)
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/serving:2"
    assert (await call(backend.status, handle)).phase == ServerPhase.STARTING

    cluster.add_pod(f"{name}-a", deployment, conditions=[{"type": "Ready", "status": "True"}])
    cluster.add_pod(f"{name}-b", deployment, conditions=[{"type": "Ready", "status": "False"}],
                    container_state={"waiting": {"reason": "ErrImagePull", "message": "pull failed"}})
    cluster.set_status(DEPLOYMENTS, name, {"replicas": 2, "readyReplicas": 1})
    state = await call(backend.status, handle)
    assert state.phase == ServerPhase.STARTING and state.reason == "ErrImagePull: pull failed" and len(state.pods) == 2
    cluster.add_pod(f"{name}-b", deployment, conditions=[{"type": "Ready", "status": "True"}])
    cluster.set_status(DEPLOYMENTS, name, {"replicas": 2, "readyReplicas": 2})
    state = await call(backend.status, handle)
    assert state.phase == ServerPhase.READY and state.addresses == [handle["address"]] * 2

    for pod, cpu, mem in ((f"{name}-a", "250m", "256Mi"), (f"{name}-b", "500m", "128Mi"), ("other", "4", "1Gi")):
        cluster.emulator.objects[kube_fixtures.POD_METRICS, NAMESPACE, pod] = {
            "metadata": {"name": pod, "namespace": NAMESPACE}, "containers": [{"name": "c", "usage": {"cpu": cpu, "memory": mem}}]}
    usage = sorted((u.cpu_percent, u.memory_bytes) for u in await call(backend.usage, handle))
    assert usage == [(25.0, 256 << 20), (50.0, 128 << 20)]
    cluster.logs[f"{name}-a"] = "model loaded\n"
    logs = await call(backend.read_logs, handle)
    assert f"===== {name}-a =====\nmodel loaded" in logs

    await call(backend.stop, handle)
    for resource, object_name in ((DEPLOYMENTS, name), (HPAS, name), (kube_fixtures.SERVICES, name),
                                  (kube_fixtures.SECRETS, f"{name}-env")):
        assert not cluster.exists(resource, object_name), resource
    assert (await call(backend.status, handle)).phase == ServerPhase.LOST
    await call(backend.stop, handle)  # idempotent

    other = spec(server_id="1b7c6a2e-1f4e-4c1e-9a57-6a3b9f4c1d21")
    handle = await call(backend.start, other)
    cluster.emulator.objects[DEPLOYMENTS, NAMESPACE, handle["name"]].patch(
        {"metadata": {"annotations": {"easymaker/server-id": "someone-else"}}})
    with pytest.raises(BackendError, match="belongs to another server"):
        await call(backend.start, other)


@pytest.mark.asyncio
async def test_inferenceservice_when_kserve_is_served(cluster):
    backend = serving_for(cluster)
    assert (await call(backend.capabilities))["objects"].startswith("Deployment")  # no CRD: plain objects
    cluster.emulator.resources[ISVCS] = {}
    backend = serving_for(cluster)
    assert await call(backend.inferenceservice_available)
    handle = await call(backend.start, spec())
    assert handle["kind"] == "InferenceService" and handle["service"] == f"{handle['name']}-predictor"
    isvc = cluster.get(ISVCS, handle["name"])
    assert isvc["spec"]["predictor"]["minReplicas"] == isvc["spec"]["predictor"]["maxReplicas"] == 2
    assert (await call(backend.status, handle)).phase == ServerPhase.STARTING
    cluster.set_status(ISVCS, handle["name"], {"conditions": [{"type": "Ready", "status": "True"}]})
    assert (await call(backend.status, handle)).phase == ServerPhase.READY
    await call(backend.stop, handle)
    assert not cluster.exists(ISVCS, handle["name"]) and not cluster.exists(kube_fixtures.SECRETS, f"{handle['name']}-env")
    forced = serving_for(cluster, kubernetes_inferenceservice=False)
    assert not await call(forced.inferenceservice_available)
