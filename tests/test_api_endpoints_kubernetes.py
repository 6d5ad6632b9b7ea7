"""Endpoints with ``backend: kubernetes`` through the whole server against an
emulated API server (kmock, in its own thread): Deployment + Service +
HorizontalPodAutoscaler + Secret per stage resource, or an InferenceService
when KServe's CRD is served; every manifest validated strictly. The test
plays the cluster (pods become ready); the Service address points at a real
model server, so inference goes through the gateway end to end."""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import kubernetes_validate
import pytest

from tests import kube_fixtures
from tests import model_builders as mb

from jupyter_easymaker.backend.kubernetes.serving_manifests import predictor_pod_template
from tests.server_config import kubeconfig_file, server_config

DEPLOYMENTS = "apps/v1/deployments"
HPAS = "autoscaling/v2/horizontalpodautoscalers"
ISVCS = "serving.kserve.io/v1beta1/inferenceservices"
PODS, SERVICES, SECRETS = kube_fixtures.PODS, kube_fixtures.SERVICES, kube_fixtures.SECRETS
IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def iris_dir(tmp_path_factory):
    return mb.iris_sklearn(str(tmp_path_factory.mktemp("k8s-models") / "iris"))


@pytest.fixture(scope="module")
def model_server(iris_dir):
    """What the cluster's pods would run: the real model server, reachable where the Service would be."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_easymaker.runtime.model_server", "--model", "iris", "--model-dir",
                             iris_dir, "--framework", "scikit-learn", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/v2/health/ready", timeout=1)
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "the model server did not start"
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(params=[False, True], ids=["deployment", "inferenceservice"])
def kserve(request):
    return request.param


@pytest.fixture
def threaded_cluster(kserve):
    resources = [PODS, SERVICES, SECRETS, DEPLOYMENTS, HPAS, kube_fixtures.JOBS] + ([ISVCS] if kserve else [])
    with kube_fixtures.cluster_in_a_thread(resources) as cluster:
        yield cluster


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path, threaded_cluster, model_server, iris_dir):
    kubeconfig = kubeconfig_file(str(threaded_cluster.server.url), tmp_path)
    models_root = os.path.dirname(iris_dir)
    return server_config(
        easymaker_data, tmp_path, local_roots=[str(tmp_path), models_root], kubernetes_enabled=True,
        kubernetes={"kubeconfig": str(kubeconfig), "namespace": "default", "pytorchjob": False,
                    # the store's folder too: the gateway's pods read the SQLite store from it
                    "volume_mounts": {models_root: {"persistentVolumeClaim": {"claimName": "models"}},
                                      str(easymaker_data): {"persistentVolumeClaim": {"claimName": "data"}}}},
        serving={"kubernetes_image": "registry.example/serving:1", "kubernetes_address_template": model_server,
                 "stats_flush_seconds": 0.2},
    )


def created(cluster, kind: str, *, gateway: bool = False) -> list[dict]:
    """Objects of a kind created so far: the stage resources' (or the inference gateway's own)."""
    return [b for b in cluster.created_bodies() if b.get("kind") == kind
            and (((b.get("metadata") or {}).get("labels") or {}).get("easymaker/kind") == "inference-gateway") == gateway]


async def wait_until(check, timeout=30.0, what="condition"):
    end = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < end, f"{what} not reached"
        await asyncio.sleep(0.05)


async def test_kubernetes_endpoint_objects_readiness_gateway_and_deletion(api, kserve, threaded_cluster, iris_dir, jp_fetch,
                                                                          jp_http_port, jp_base_url):
    cluster = threaded_cluster
    info = await api.get("")
    assert "endpoints" in info["capabilities"]["areas"]
    await api.post("models", {"name": "iris", "framework": "scikit-learn", "artifact_path": iris_dir, "validate_artifact": False},
                   expect=201)
    endpoint = await api.post("endpoints", {
        "name": "k8s-ep", "backend": "kubernetes", "instance_type": "cpu-2",
        "node_autoscaler": {"enabled": True, "min_nodes": 1, "max_nodes": 4, "scale_down_threshold": 40},
        "resources": [{"model": "iris", "cpu": 0.5, "memory": "1Gi", "pod_count": 1,
                       "pod_autoscaler": {"enabled": True, "metric": "cpu", "threshold": 60, "max_pods": 3}}]}, expect=201)
    key = endpoint["api_key"]["key"]
    resource_id = endpoint["stages"][0]["resources"][0]["id"]
    kind = "InferenceService" if kserve else "Deployment"
    await wait_until(lambda: created(cluster, kind), what=f"{kind} created")
    await asyncio.sleep(0.3)
    secret = created(cluster, "Secret")[0]
    kubernetes_validate.validate(secret, kube_fixtures.K8S_VERSION, strict=True)
    # the inference gateway is a Deployment + Service of its own on the cluster, valid objects
    gateway_objects = [created(cluster, k, gateway=True) for k in ("Secret", "Deployment", "Service")]
    assert all(len(objects) == 1 for objects in gateway_objects), gateway_objects
    for (doc,) in gateway_objects:
        kubernetes_validate.validate(doc, kube_fixtures.K8S_VERSION, strict=True)
    gateway_config = json.loads(gateway_objects[0][0]["stringData"]["config.json"])
    assert gateway_config["port"] == 8080 and gateway_config["reload_seconds"] > 0
    assert gateway_objects[1][0]["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/serving:1"
    gateway_pod = gateway_objects[1][0]["spec"]["template"]["spec"]
    assert {"name": "store", "persistentVolumeClaim": {"claimName": "data"}} in gateway_pod["volumes"]
    assert secret["stringData"]["EM_MODEL_PARAMS"] == "{}"
    if kserve:
        (isvc,) = created(cluster, "InferenceService")
        kubernetes_validate.validate(predictor_pod_template(isvc), kube_fixtures.K8S_VERSION, strict=True)
        predictor = isvc["spec"]["predictor"]
        assert (predictor["minReplicas"], predictor["maxReplicas"], predictor["scaleMetric"], predictor["scaleTarget"]) == (1, 3, "cpu", 60)
        assert not created(cluster, "Deployment") and not created(cluster, "HorizontalPodAutoscaler")
        name = isvc["metadata"]["name"]
        container = predictor["containers"][0]
    else:
        (deployment,) = created(cluster, "Deployment")
        (hpa,) = created(cluster, "HorizontalPodAutoscaler")
        services = [s for s in created(cluster, "Service") if s["metadata"]["name"] == deployment["metadata"]["name"]]
        for doc in (deployment, hpa, *services):
            kubernetes_validate.validate(doc, kube_fixtures.K8S_VERSION, strict=True)
        assert hpa["spec"]["maxReplicas"] == 3 and hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
        assert len(services) == 1
        name = deployment["metadata"]["name"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert json.loads(deployment["metadata"]["annotations"]["easymaker/node-autoscaler"])["max_nodes"] == 4
    labels = (isvc if kserve else deployment)["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "jupyter-easymaker" and labels["easymaker/id"] == resource_id
    assert container["image"] == "registry.example/serving:1"
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "1024Mi"}
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert (await api.get("endpoints/k8s-ep"))["status"] in ("CREATE REQUESTED", "CREATE IN PROGRESS")

    # the cluster: the pod comes up and turns ready
    owner = cluster.get(ISVCS if kserve else DEPLOYMENTS, name)
    pod_owner = {"spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}}
    cluster.add_pod(f"{name}-abc", pod_owner if kserve else owner, phase="Running",
                    conditions=[{"type": "Ready", "status": "True"}])
    if kserve:
        cluster.set_status(ISVCS, name, {"conditions": [{"type": "Ready", "status": "True"}],
                                         "address": {"url": f"http://{name}-predictor.default.svc.cluster.local"}})
    else:
        cluster.set_status(DEPLOYMENTS, name, {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1})

    async def active():
        row = await api.get("endpoints/k8s-ep")
        assert row["status"] not in ("CREATE FAILED",), row
        return row["status"] == "ACTIVE"

    await wait_until(active, what="endpoint ACTIVE")
    stage = await api.get("endpoints/k8s-ep/stages/default")
    assert stage["pods_ready"] == 1 and stage["resources"][0]["backend"] == "kubernetes"

    from tornado.httpclient import AsyncHTTPClient, HTTPRequest

    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/inference/k8s-ep/iris/v1/models/iris/predict"
    response = await AsyncHTTPClient().fetch(HTTPRequest(url, method="POST", body=json.dumps({"instances": IRIS}),
                                                         headers={"Authorization": f"Bearer {key}"}), raise_error=False)
    assert response.code == 200 and json.loads(response.body)["predictions"] == [1, 1]

    await api.call("DELETE", "endpoints/k8s-ep", expect=204)

    async def gone():
        code, _ = await api.call("GET", "endpoints/k8s-ep", raw=True)
        return code == 404

    await wait_until(gone, what="endpoint deleted")
    for resource in (DEPLOYMENTS, HPAS, SERVICES, SECRETS) + ((ISVCS,) if kserve else ()):
        assert not [n for n in cluster.names(resource) if n.startswith(name)], resource
