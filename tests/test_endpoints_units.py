"""Endpoint pieces without a server: the gateway's routing and round-robin,
API keys, statistics percentiles, the autoscaler rule, allocations, and the
Kubernetes manifests (validated strictly against the 1.37 schemas)."""
from __future__ import annotations

import random

import kubernetes_validate
import pytest

from tests import kube_fixtures  # noqa: F401 - caches the schema files
from tests.kube_fixtures import K8S_VERSION

from jupyter_easymaker.backend.kubernetes import serving_manifests as sm
from jupyter_easymaker.backend.base import InstanceType
from jupyter_easymaker.backend.kubernetes.pods import ManifestError, PodOptions
from jupyter_easymaker.backend.serving.base import AutoscalerSpec, ServerPhase, ServerSpec, ServingOptions, model_server_args
from jupyter_easymaker.backend.serving.kubernetes import server_state
from jupyter_easymaker.areas.endpoints.reconciler import desired_pods
from jupyter_easymaker.areas.endpoints.schemas import memory_mib
from jupyter_easymaker.core.api_keys import masked, split_key
from jupyter_easymaker.core.api_stats import EDGES, Acc
from jupyter_easymaker.areas.endpoints.gateway import Gateway
from jupyter_easymaker.areas.endpoints.routes import EndpointRoute, GatewayError, ModelRoute, StageRoute, Upstream


def validate(doc):
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


# -- gateway ----------------------------------------------------------------------------
def routes() -> Gateway:
    gateway = Gateway(db=None, keys=None, stats=None, options=ServingOptions())
    prod = StageRoute("s1", "prod", "ACTIVE", {"iris": ModelRoute("iris", [Upstream("r1", "http://a"), Upstream("r1", "http://b"),
                                                                         Upstream("r2", "http://c")])})
    test = StageRoute("s2", "test", "ACTIVE", {"iris": ModelRoute("iris", [Upstream("r3", "http://d")])})
    busy = StageRoute("s3", "new", "CREATE IN PROGRESS", {})
    route = EndpointRoute("e1", "ep", "s1", {"prod": prod, "test": test, "new": busy})
    gateway._routes = {"e1": route, "ep": route}
    return gateway


def test_gateway_resolves_stage_urls_and_the_default_stage_url():
    gateway = routes()
    t = gateway.resolve("ep", "iris/v1/models/iris/predict")
    assert (t.stage.name, t.model, t.path) == ("prod", "iris", "v1/models/iris/predict")
    t = gateway.resolve("e1", "test/iris/v2/health/ready")
    assert (t.stage.name, t.model, t.path) == ("test", "iris", "v2/health/ready")
    with pytest.raises(GatewayError) as err:
        gateway.resolve("nope", "iris")
    assert err.value.status == 404
    with pytest.raises(GatewayError) as err:
        gateway.resolve("ep", "new/iris/v1/models")
    assert err.value.status == 503 and "CREATE IN PROGRESS" in err.value.message
    with pytest.raises(GatewayError) as err:
        gateway.pick(gateway.resolve("ep", "other/v1/models"))
    assert err.value.status == 404 and "iris" in err.value.message


def test_round_robin_over_every_pod_of_every_resource_with_in_flight_counts_and_draining():
    gateway = routes()
    target = gateway.resolve("ep", "iris/v1/models/iris/predict")
    picked = [gateway.pick(target) for _ in range(6)]
    assert [u.address for u in picked] == ["http://a", "http://b", "http://c"] * 2
    assert gateway.in_flight(resource_id="r1") == 4 and gateway.in_flight(addresses=["http://c"]) == 2
    for upstream in picked:
        gateway.release(upstream)
    assert gateway.in_flight(resource_id="r1") == 0
    gateway._draining.add("http://b")  # a pod about to stop gets nothing new
    assert {gateway.pick(target).address for _ in range(4)} == {"http://a", "http://c"}
    # a refused server is tried once per request; then the answer is 502
    tried = {"http://a", "http://c"}
    with pytest.raises(GatewayError) as err:
        gateway.pick(target, tried)
    assert err.value.status == 502


# -- API keys, statistics, autoscaler, quantities -----------------------------------------
def test_key_format_and_masking():
    assert split_key("emk_0123abcd_secret_with_underscores") == "0123abcd"
    assert split_key("emk_short_x") is None and split_key("Bearer x") is None and split_key("emk_0123abcd_") is None
    assert masked("0123abcd", "wxyz") == "emk_0123abcd_********wxyz"


def test_latency_percentiles_from_the_histogram_are_within_five_percent():
    rng = random.Random(1)
    values = [rng.lognormvariate(3, 0.8) for _ in range(20000)]
    acc = Acc("e")
    for v in values:
        acc.add(True, v)
    values.sort()
    for p in (50, 90, 95, 99):
        exact = values[int(len(values) * p / 100) - 1]
        assert acc.percentile(p) == pytest.approx(exact, rel=0.05), p
    point = acc.point(None)
    assert point["latency_ms"]["max"] == pytest.approx(values[-1], abs=1e-3)
    assert point["latency_ms"]["avg"] == pytest.approx(sum(values) / len(values), abs=1e-3)
    assert Acc("e").percentile(50) is None


def test_a_report_of_many_latencies_counts_as_each_one_added():
    """What a model server reports for its handed connections (add_many) is what the gateway's own requests add."""
    latencies = [0.0, 0.05, 0.4, 0.4, 1.2, 3.3, 250.0, 1e9]
    one_by_one, at_once = Acc("e"), Acc("e")
    for i, latency in enumerate(latencies):
        one_by_one.add(i not in (2, 5), latency)
    at_once.add_many(latencies, 2)
    assert at_once == one_by_one
    assert at_once.histogram[len(EDGES) - 1] == 1  # past the last edge: the last bucket


def test_autoscaler_rule_is_the_hpa_rule():
    assert desired_pods(1, 160, 80, 1, 4) == 2
    assert desired_pods(2, 200, 50, 1, 4) == 4  # capped at max
    assert desired_pods(3, 85, 80, 1, 4) == 3  # within the 10% tolerance
    assert desired_pods(4, 10, 80, 2, 4) == 2  # never under min
    assert desired_pods(4, 30, 80, 1, 4) == 2


@pytest.mark.parametrize("value, mib", [(512, 512), ("512", 512), ("512Mi", 512), ("2Gi", 2048), ("1G", 954), ("1024Ki", 1)])
def test_memory_quantities(value, mib):
    if mib < 16:
        with pytest.raises(ValueError):
            memory_mib(value)
    else:
        assert memory_mib(value) == mib


def test_local_pods_get_their_gpus_in_turn_and_cpu_pods_none():
    from jupyter_easymaker.backend.base import BackendError
    from jupyter_easymaker.backend.serving.local import LocalServingBackend

    backend = LocalServingBackend(gpus=[0, 1, 2])
    assert [backend._pod_gpus(1, i) for i in range(4)] == [[0], [1], [2], [0]]
    assert backend._pod_gpus(2, 1) == [2, 0] and backend._pod_gpus(0, 5) == []
    with pytest.raises(BackendError, match="4 GPU"):
        backend._pod_gpus(4, 0)


# -- Kubernetes manifests -------------------------------------------------------------------
def spec(**kw) -> ServerSpec:
    base = dict(server_id="0b7c6a2e-1f4e-4c1e-9a57-6a3b9f4c1d20", name="iris-ep-default-iris", endpoint_id="e-1", stage_id="s-1",
                model_id="m-1", model_name="iris", model_dir="/mnt/nas1/models/iris", framework="scikit-learn",
                parameters={"method": "predict_proba"}, instance_type=InstanceType("cpu-2", cpu=2, memory_mib=4096,
                                                                                   node_selector={"pool": "cpu"}),
                cpu=0.5, memory_mib=768, gpu=0, pods=2, env={"METHOD": "predict_proba", "HF_TOKEN": "hf_secret"},
                node_autoscaler={"enabled": True, "min_nodes": 1, "max_nodes": 3})
    base.update(kw)
    return ServerSpec(**base)


OPTIONS = PodOptions(image="registry/serving:1", volume_mounts={"/mnt/nas1": {"nfs": {"server": "10.0.0.5", "path": "/export"}}},
                     image_pull_secrets=("pull",))


def test_deployment_service_hpa_and_secret_are_valid_and_carry_the_allocation():
    s = spec(autoscaler=AutoscalerSpec(enabled=True, metric="memory", threshold=70, min_pods=2, max_pods=5))
    name = sm.server_name(s.server_id)
    deployment = sm.deployment_manifest(s, name=name, namespace="ml", options=OPTIONS)
    service = sm.service_manifest(s, name=name, namespace="ml")
    hpa = sm.hpa_manifest(s, name=name, namespace="ml", scale_down_seconds=120)
    secret = sm.env_secret_manifest(s, name=name, namespace="ml")
    for doc in (deployment, service, hpa, secret):
        validate(doc)
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "jupyter-easymaker" and labels["easymaker/id"] == s.server_id
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "500m", "memory": "768Mi"}, "limits": {"cpu": "500m", "memory": "768Mi"}}
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert container["command"] == ["python", "-m", "jupyter_easymaker.runtime.model_server"]
    assert container["args"] == model_server_args(s, "0.0.0.0", sm.SERVER_PORT)
    assert "hf_secret" not in str(deployment) and secret["stringData"]["HF_TOKEN"] == "hf_secret"
    assert container["envFrom"] == [{"secretRef": {"name": f"{name}-env"}}]
    assert container["volumeMounts"] == [{"name": "model-storage", "mountPath": "/mnt/nas1", "readOnly": True}]
    assert deployment["spec"]["template"]["spec"]["nodeSelector"] == {"pool": "cpu"}
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert deployment["metadata"]["annotations"]["easymaker/node-autoscaler"].startswith('{"enabled": true')
    assert hpa["spec"]["metrics"][0]["resource"] == {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 120
    gpu = sm.deployment_manifest(spec(gpu=1), name=name, namespace="ml", options=OPTIONS)
    validate(gpu)
    assert gpu["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_inferenceservice_predictor_is_a_valid_pod_spec():
    s = spec(autoscaler=AutoscalerSpec(enabled=True, metric="cpu", threshold=60, min_pods=1, max_pods=3))
    isvc = sm.inferenceservice_manifest(s, name="em-serving-x", namespace="ml", options=OPTIONS)
    assert isvc["apiVersion"] == "serving.kserve.io/v1beta1" and isvc["kind"] == "InferenceService"
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "RawDeployment"
    predictor = isvc["spec"]["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"], predictor["scaleMetric"], predictor["scaleTarget"]) == (1, 3, "cpu", 60)
    assert predictor["containers"][0]["name"] == "kserve-container"
    validate(sm.predictor_pod_template(isvc))


def test_a_model_dir_no_pod_can_see_is_refused():
    with pytest.raises(ManifestError, match="volume_mounts"):
        sm.deployment_manifest(spec(model_dir="/home/me/model"), name="n", namespace="ml", options=OPTIONS)
    obs = sm.deployment_manifest(spec(model_dir="obs://host/bucket/m"), name="n", namespace="ml", options=OPTIONS)
    assert "volumes" not in obs["spec"]["template"]["spec"]
    with pytest.raises(ManifestError, match="cpu or memory"):
        sm.hpa_manifest(spec(autoscaler=AutoscalerSpec(enabled=True, metric="gpu")), name="n", namespace="ml")


def _pod(name, ready, *, waiting=None, restarts=0, node="node-1"):
    status = {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
              "containerStatuses": [{"name": "c", "restartCount": restarts, "state": {"waiting": waiting} if waiting else {"running": {}}}]}
    return {"metadata": {"name": name}, "spec": {"nodeName": node}, "status": status}


def test_server_state_from_deployments_and_inferenceservices():
    deployment = {"spec": {"replicas": 2}, "status": {"readyReplicas": 2}}
    state = server_state(deployment, [_pod("p1", True), _pod("p2", True, node="node-2")], kind="Deployment", desired=2, address="http://svc")
    assert state.phase == ServerPhase.READY and state.addresses == ["http://svc", "http://svc"] and state.nodes == 2
    starting = server_state({"spec": {"replicas": 2}, "status": {"readyReplicas": 1}}, [_pod("p1", True), _pod("p2", False)],
                            kind="Deployment", desired=2, address="http://svc")
    assert starting.phase == ServerPhase.STARTING
    crash = server_state({"spec": {"replicas": 1}, "status": {}}, [_pod("p1", False, waiting={"reason": "CrashLoopBackOff"}, restarts=3)],
                         kind="Deployment", desired=1, address="http://svc")
    assert crash.phase == ServerPhase.FAILED and "keeps crashing" in crash.reason
    pulling = server_state({"spec": {"replicas": 1}, "status": {}}, [_pod("p1", False, waiting={"reason": "ErrImagePull", "message": "nope"})],
                           kind="Deployment", desired=1, address="http://svc")
    assert pulling.phase == ServerPhase.STARTING and pulling.reason == "ErrImagePull: nope"
    bad_image = server_state({"spec": {}, "status": {}}, [_pod("p1", False, waiting={"reason": "InvalidImageName"})],
                             kind="Deployment", desired=1, address="http://svc")
    assert bad_image.phase == ServerPhase.FAILED
    deadline = {"spec": {"replicas": 1}, "status": {"conditions": [
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "too slow"}]}}
    assert server_state(deadline, [], kind="Deployment", desired=1, address="").reason == "too slow"
    assert server_state(None, [], kind="Deployment", desired=1, address="").phase == ServerPhase.LOST
    isvc = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert server_state(isvc, [], kind="InferenceService", desired=1, address="http://isvc").addresses == ["http://isvc"]


def test_stage_and_resource_events_name_their_endpoint():
    from types import SimpleNamespace

    from jupyter_easymaker.areas.endpoints.service import StageKind, StageResourceKind
    from jupyter_easymaker.core.events import EventBus

    bus = EventBus()
    queue = bus.subscribe()
    platform = SimpleNamespace(db=None, settings=None, events=bus)
    StageKind(platform).publish(SimpleNamespace(id="s1", status="ACTIVE", name="next", endpoint_id="e1"), "status")
    StageResourceKind(platform).publish(
        SimpleNamespace(id="r1", status="ACTIVE", model_name="iris", endpoint_id="e1", stage_id="s1"), "created")
    stage, resource = queue.get_nowait(), queue.get_nowait()
    assert (stage["kind"], stage["id"], stage["endpoint_id"], stage["name"]) == ("endpoint stage", "s1", "e1", "next")
    assert (resource["kind"], resource["endpoint_id"], resource["stage_id"]) == ("stage resource", "e1", "s1")
