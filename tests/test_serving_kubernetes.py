"""The Kubernetes serving backend against kmock (no Jupyter server): objects
it creates and deletes, readiness from pods, pod metrics (GPUs through a fake Prometheus) and logs, the
InferenceService path when KServe's CRD is served, and an existing object of
another server refused."""
from __future__ import annotations

import asyncio
import json

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
    # the v2 gRPC protocol on the port after HTTP's, in the pod and on the Service (grpc_address derives it)
    assert deployment["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"name": "grpc", "containerPort": 8081, "protocol": "TCP"}]
    assert [(p["name"], p["port"], p["targetPort"]) for p in cluster.get(kube_fixtures.SERVICES, name)["spec"]["ports"]] == [
        ("http", 80, "http"), ("grpc", 81, "grpc")]
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
    assert [p["name"] for p in isvc["spec"]["predictor"]["containers"][0]["ports"]] == ["http"]  # KServe allows one port
    assert (await call(backend.status, handle)).phase == ServerPhase.STARTING
    cluster.set_status(ISVCS, handle["name"], {"conditions": [{"type": "Ready", "status": "True"}]})
    assert (await call(backend.status, handle)).phase == ServerPhase.READY
    await call(backend.stop, handle)
    assert not cluster.exists(ISVCS, handle["name"]) and not cluster.exists(kube_fixtures.SECRETS, f"{handle['name']}-env")
    forced = serving_for(cluster, kubernetes_inferenceservice=False)
    assert not await call(forced.inferenceservice_available)


@pytest.mark.asyncio
async def test_gpu_usage_of_each_pod_from_the_dcgm_exporter_through_prometheus(cluster):
    from tests.test_backend_kubernetes import Prometheus

    for resource in (DEPLOYMENTS, kube_fixtures.POD_METRICS):
        cluster.emulator.resources[resource] = {}
    series: list[dict] = []
    prometheus = Prometheus(series)
    try:
        jobs = KubernetesBackend(namespace=NAMESPACE, api_client=cluster.api_client(), gpu_metrics_url=prometheus.url,
                                 volume_mounts={"/mnt/nas1": {"nfs": {"server": "10.0.0.5", "path": "/export"}}})
        backend = KubernetesServingBackend(jobs, ServingOptions(kubernetes_image="registry.example/serving:2"))
        handle = await call(backend.start, spec(gpu=1))
        name = handle["name"]
        deployment = cluster.get(DEPLOYMENTS, name)
        assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
        pods = (f"{name}-a", f"{name}-b")
        for pod in pods:
            cluster.add_pod(pod, deployment, conditions=[{"type": "Ready", "status": "True"}])
            cluster.emulator.objects[kube_fixtures.POD_METRICS, NAMESPACE, pod] = {
                "metadata": {"name": pod, "namespace": NAMESPACE}, "containers": [{"name": "c", "usage": {"cpu": "500m", "memory": "1Gi"}}]}
        assert [u.gpu_percent for u in await call(backend.usage, handle)] == [None, None]  # no series yet

        series += [
            {"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "namespace": NAMESPACE, "pod": pods[0], "UUID": "GPU-a"}, "value": 70},
            {"metric": {"__name__": "DCGM_FI_DEV_FB_USED", "namespace": NAMESPACE, "pod": pods[0], "UUID": "GPU-a"}, "value": 3000},
            {"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "exported_namespace": NAMESPACE, "exported_pod": pods[1],
                        "UUID": "GPU-b"}, "value": 10},
            {"metric": {"__name__": "DCGM_FI_DEV_FB_USED", "exported_namespace": NAMESPACE, "exported_pod": pods[1],
                        "UUID": "GPU-b"}, "value": 500},
            # another server's pod whose name starts alike, and the same pod name in another namespace
            {"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "namespace": NAMESPACE, "pod": f"{name}-ab", "UUID": "GPU-c"}, "value": 99},
            {"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "namespace": "other", "pod": pods[0], "UUID": "GPU-d"}, "value": 99},
        ]
        usage = sorted((u.gpu_percent, u.gpu_memory_bytes, u.cpu_percent) for u in await call(backend.usage, handle))
        assert usage == [(10.0, 500 << 20, 50.0), (70.0, 3000 << 20, 50.0)]

        prometheus.close()  # out of reach: CPU and memory still come, GPU usage is unknown
        usage = await call(backend.usage, handle)
        assert [u.gpu_percent for u in usage] == [None, None] and [u.memory_bytes for u in usage] == [1 << 30] * 2
    finally:
        prometheus.close()


@pytest.mark.asyncio
async def test_the_inference_gateway_is_a_deployment_and_service_of_its_own(cluster):
    from jupyter_easymaker.backend.kubernetes.gateway_manifests import gateway_config

    cluster.emulator.resources[DEPLOYMENTS] = {}
    backend = serving_for(cluster, kubernetes_gateway_replicas=2)
    config = gateway_config(db_url="postgresql://em:pw@db/em", log_type="jupyter-easymaker", options={"stats_flush_seconds": 2})
    where = await call(backend.apply_gateway, config, "s3cret")
    assert where == {"service": "easymaker-gateway", "address": "http://easymaker-gateway.default.svc.cluster.local:80"}
    deployment = cluster.get(DEPLOYMENTS, "easymaker-gateway")
    service = cluster.get(kube_fixtures.SERVICES, "easymaker-gateway")
    secret = cluster.get(kube_fixtures.SECRETS, "easymaker-gateway")
    for doc in (deployment, service, secret):
        kubernetes_validate.validate(doc, kube_fixtures.K8S_VERSION, strict=True)
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == 2 and pod["containers"][0]["image"] == "registry.example/serving:2"
    assert pod["containers"][0]["command"][-1] == "jupyter_easymaker.areas.endpoints.gateway_process"
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert json.loads(secret["stringData"]["config.json"])["db_url"] == "postgresql://em:pw@db/em"
    # applied again with another config: the objects follow it (no conflict)
    config["options"]["stats_flush_seconds"] = 5
    await call(backend.apply_gateway, config, "s3cret")
    secret = cluster.get(kube_fixtures.SECRETS, "easymaker-gateway")
    assert json.loads(secret["stringData"]["config.json"])["options"]["stats_flush_seconds"] == 5


@pytest.mark.asyncio
async def test_the_inference_gateway_reads_a_sqlite_store_from_its_volume_and_is_placed_as_asked(cluster):
    from jupyter_easymaker.backend.kubernetes.gateway_manifests import gateway_config

    cluster.emulator.resources[DEPLOYMENTS] = {}
    backend = serving_for(cluster, kubernetes_gateway_cpu="2", kubernetes_gateway_memory="1Gi",
                          kubernetes_gateway_node_selector={"pool": "system"},
                          kubernetes_gateway_tolerations=[{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
                          kubernetes_gateway_service_type="LoadBalancer")
    # a store on no volume the cluster can mount: refused, naming the way out, and nothing is created
    config = gateway_config(db_url="sqlite:////srv/easymaker/easymaker.db", log_type="jupyter-easymaker", options={})
    with pytest.raises(BackendError, match="kubernetes_gateway_db_url"):
        await call(backend.apply_gateway, config, "s3cret", store_file="/srv/easymaker/easymaker.db")
    assert not cluster.exists(DEPLOYMENTS, "easymaker-gateway")
    # on the NAS volume the backend mounts: the gateway's pods mount it at the same path
    config = gateway_config(db_url="sqlite:////mnt/nas1/team/.easymaker/easymaker.db", log_type="jupyter-easymaker", options={})
    await call(backend.apply_gateway, config, "s3cret", store_file="/mnt/nas1/team/.easymaker/easymaker.db")
    deployment = cluster.get(DEPLOYMENTS, "easymaker-gateway")
    service = cluster.get(kube_fixtures.SERVICES, "easymaker-gateway")
    for doc in (deployment, service):
        kubernetes_validate.validate(doc, kube_fixtures.K8S_VERSION, strict=True)
    pod = deployment["spec"]["template"]["spec"]
    (store,) = [v for v in pod["volumes"] if v["name"] == "store"]
    assert store["nfs"] == {"server": "10.0.0.5", "path": "/export"}
    assert {"name": "store", "mountPath": "/mnt/nas1"} in pod["containers"][0]["volumeMounts"]
    assert pod["containers"][0]["resources"] == {"requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}
    assert pod["nodeSelector"] == {"pool": "system"} and pod["tolerations"][0]["key"] == "dedicated"
    assert service["spec"]["type"] == "LoadBalancer"
