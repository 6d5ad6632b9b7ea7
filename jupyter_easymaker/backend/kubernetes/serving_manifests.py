"""Pure builders of the Kubernetes objects a stage resource becomes.

* a ``Deployment`` of the model server (``python -m
  jupyter_easymaker.runtime.model_server``), with the stage resource's CPU /
  memory / GPU allocation as requests and limits and a readiness probe on
  ``/v2/health/ready``;
* a ``Service`` in front of its pods (the gateway's upstream);
* a ``HorizontalPodAutoscaler`` (autoscaling/v2) on CPU or memory
  utilisation when the pod autoscaler is on;
* or, when KServe's CRD is installed, one ``InferenceService``
  (serving.kserve.io/v1beta1, RawDeployment mode) with the same container as
  its predictor: KServe then makes the Deployment, Service and HPA itself.

Storage follows the job manifests: a model directory under a configured
``volume_mounts`` prefix is mounted at the same path (see :mod:`.pods`);
``obs://`` needs none. Names, labels and annotations: :mod:`.labels`.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jupyter_easymaker.backend.kubernetes.labels import (
    APP_NAME_KEY,
    ENDPOINT_LABEL,
    KIND_LABEL,
    NODE_AUTOSCALER_ANNOTATION,
    SERVER_ID_ANNOTATION,
    SERVER_NAME_ANNOTATION,
    STAGE_LABEL,
    label_value,
    resource_name,
    selector_labels,
    user_labels,
)
from jupyter_easymaker.backend.kubernetes.pods import (
    ManifestError,
    PodOptions,
    container_resources,
    mount_prefix,
    pod_settings,
    volume_source,
)
from jupyter_easymaker.backend.serving.base import (
    GRPC_PORT_OFFSET,
    MODEL_SERVER_MODULE,
    READY_PATH,
    ServerSpec,
    model_server_args,
)

DEFAULT_SERVING_IMAGE = "ghcr.io/jupyter-easymaker/serving:latest"
SERVER_PORT = 8080
SERVICE_PORT = 80
# the model server's v2 gRPC protocol (model_server_args), in the pod and on the Service
GRPC_SERVER_PORT = SERVER_PORT + GRPC_PORT_OFFSET
GRPC_SERVICE_PORT = SERVICE_PORT + GRPC_PORT_OFFSET
CONTAINER = "kserve-container"  # KServe's name for the predictor container; harmless in a Deployment

ISVC_GROUP = "serving.kserve.io"
ISVC_VERSION = "v1beta1"
ISVC_PLURAL = "inferenceservices"
ISVC_API_VERSION = f"{ISVC_GROUP}/{ISVC_VERSION}"
# fields of a KServe predictor that are not PodSpec fields
ISVC_COMPONENT_FIELDS = ("minReplicas", "maxReplicas", "scaleTarget", "scaleMetric", "containerConcurrency", "timeout",
                         "canaryTrafficPercent", "logger", "batcher", "labels", "annotations", "deploymentStrategy")


def server_name(server_id: str) -> str:
    return resource_name("serving", server_id)


def server_labels(spec: ServerSpec) -> dict[str, str]:
    labels = user_labels(spec.labels)
    labels.update({
        APP_NAME_KEY: "easymaker-serving",
        KIND_LABEL: "stage-resource",
        ENDPOINT_LABEL: label_value(spec.endpoint_id),
        STAGE_LABEL: label_value(spec.stage_id),
        **selector_labels(spec.server_id),
    })
    return labels


def _metadata(name: str, namespace: str, spec: ServerSpec, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    annotations = {SERVER_ID_ANNOTATION: spec.server_id, SERVER_NAME_ANNOTATION: spec.name}
    if spec.node_autoscaler:
        # the cluster autoscaler's node-group settings are the cluster's business; recorded for its operator
        annotations[NODE_AUTOSCALER_ANNOTATION] = json.dumps(spec.node_autoscaler, sort_keys=True)
    annotations.update(extra or {})
    return {"name": name, "namespace": namespace, "labels": server_labels(spec), "annotations": annotations}


def model_volumes(model_dir: str, volume_mounts: Mapping[str, Mapping[str, Any]]) -> tuple[list[dict], list[dict]]:
    if not model_dir or "://" in model_dir:
        return [], []
    match = mount_prefix(model_dir, volume_mounts)
    if match is None:
        raise ManifestError(f"the model directory {model_dir} is not on storage the cluster can mount: use an obs:// path "
                            "or a NAS configured in the Kubernetes backend's volume_mounts")
    # read-only: serving never writes its artifact
    return ([{"name": "model-storage", **volume_source(match, volume_mounts)}],
            [{"name": "model-storage", "mountPath": match, "readOnly": True}])


def env_secret_name(name: str) -> str:
    return f"{name}-env"


def env_secret_manifest(spec: ServerSpec, *, name: str, namespace: str) -> dict[str, Any]:
    """The model's environment (parameters, a Hugging Face token): in a Secret,
    not in the pod template where anyone allowed to read Deployments sees it."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(env_secret_name(name), namespace, spec),
        "type": "Opaque",
        "stringData": {str(k): str(v) for k, v in {**(spec.env or {}), **(spec.secret_env or {})}.items()},
    }


def container(spec: ServerSpec, options: PodOptions, mounts: list[dict], start_timeout_seconds: float,
              env_secret: str | None = None) -> dict[str, Any]:
    env = {str(k): str(v) for k, v in options.extra_env.items()}
    period = 5
    out = {
        "name": CONTAINER,
        "image": spec.image or options.image,
        "command": ["python", "-m", spec.server_module],
        "args": model_server_args(spec, "0.0.0.0", SERVER_PORT),
        "ports": container_ports(spec),
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "resources": container_resources(spec.cpu, spec.memory_mib, spec.gpu),
        "volumeMounts": mounts,
        "readinessProbe": {"httpGet": {"path": READY_PATH, "port": SERVER_PORT}, "periodSeconds": period,
                           "timeoutSeconds": 2, "failureThreshold": 2},
        # a large model may load for minutes: liveness only starts counting once it has started
        "startupProbe": {"httpGet": {"path": "/v2/health/live", "port": SERVER_PORT}, "periodSeconds": period,
                         "failureThreshold": max(1, int(start_timeout_seconds // period))},
        "livenessProbe": {"httpGet": {"path": "/v2/health/live", "port": SERVER_PORT}, "periodSeconds": 10,
                          "timeoutSeconds": 5, "failureThreshold": 3},
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if env_secret:
        out["envFrom"] = [{"secretRef": {"name": env_secret}}]
    return out


def container_ports(spec: ServerSpec) -> list[dict[str, Any]]:
    ports = [{"name": "http", "containerPort": SERVER_PORT, "protocol": "TCP"}]
    if spec.server_module == MODEL_SERVER_MODULE:
        ports.append({"name": "grpc", "containerPort": GRPC_SERVER_PORT, "protocol": "TCP"})
    return ports


def pod_spec(spec: ServerSpec, options: PodOptions, start_timeout_seconds: float = 600.0, env_secret: str | None = None) -> dict[str, Any]:
    volumes, mounts = model_volumes(spec.model_dir, options.volume_mounts)
    pod: dict[str, Any] = {
        "containers": [container(spec, options, mounts, start_timeout_seconds, env_secret)],
        "volumes": volumes,
        "enableServiceLinks": False,
        # in-flight requests finish after the endpoints controller stops sending new ones
        "terminationGracePeriodSeconds": 30,
        **pod_settings(options, spec.instance_type.node_selector, spec.instance_type.tolerations),
    }
    if not volumes:
        pod.pop("volumes")
    return pod


def deployment_manifest(spec: ServerSpec, *, name: str, namespace: str, options: PodOptions,
                        start_timeout_seconds: float = 600.0) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(name, namespace, spec),
        "spec": {
            "replicas": max(1, int(spec.pods)),
            "selector": {"matchLabels": selector_labels(spec.server_id)},
            # never fewer ready pods than asked while pods are replaced
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "progressDeadlineSeconds": max(60, int(start_timeout_seconds)),
            "template": {"metadata": {"labels": server_labels(spec), "annotations": {SERVER_ID_ANNOTATION: spec.server_id}},
                         "spec": pod_spec(spec, options, start_timeout_seconds, env_secret_name(name))},
        },
    }


def service_manifest(spec: ServerSpec, *, name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(name, namespace, spec),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(spec.server_id),
            "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"},
                      *([{"name": "grpc", "port": GRPC_SERVICE_PORT, "targetPort": "grpc", "protocol": "TCP"}]
                        if spec.server_module == MODEL_SERVER_MODULE else [])],
        },
    }


def hpa_manifest(spec: ServerSpec, *, name: str, namespace: str, scale_down_seconds: float = 60.0) -> dict[str, Any]:
    auto = spec.autoscaler
    if auto.metric not in ("cpu", "memory"):
        raise ManifestError(f"pod autoscaler metric {auto.metric!r}: a HorizontalPodAutoscaler scales on cpu or memory")
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(name, namespace, spec),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": max(1, int(auto.min_pods)),
            "maxReplicas": max(1, int(auto.max_pods), int(auto.min_pods)),
            "metrics": [{"type": "Resource", "resource": {"name": auto.metric,
                                                           "target": {"type": "Utilization",
                                                                      "averageUtilization": max(1, int(round(auto.threshold)))}}}],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": max(0, int(scale_down_seconds))}},
        },
    }


def inferenceservice_manifest(spec: ServerSpec, *, name: str, namespace: str, options: PodOptions,
                              start_timeout_seconds: float = 600.0) -> dict[str, Any]:
    """An InferenceService whose predictor runs the same model server container."""
    auto = spec.autoscaler
    annotations = {"serving.kserve.io/deploymentMode": "RawDeployment"}
    predictor: dict[str, Any] = dict(pod_spec(spec, options, start_timeout_seconds, env_secret_name(name)))
    for c in predictor["containers"]:  # KServe allows the predictor container one port (its HTTP one)
        c["ports"] = [p for p in c["ports"] if p["name"] == "http"]
    if auto.enabled:
        annotations["serving.kserve.io/autoscalerClass"] = "hpa"
        predictor.update(minReplicas=max(1, int(auto.min_pods)), maxReplicas=max(1, int(auto.max_pods), int(auto.min_pods)),
                         scaleMetric=auto.metric, scaleTarget=max(1, int(round(auto.threshold))))
    else:
        annotations["serving.kserve.io/autoscalerClass"] = "none"
        predictor.update(minReplicas=max(1, int(spec.pods)), maxReplicas=max(1, int(spec.pods)))
    return {
        "apiVersion": ISVC_API_VERSION,
        "kind": "InferenceService",
        "metadata": _metadata(name, namespace, spec, annotations),
        "spec": {"predictor": predictor},
    }


def predictor_pod_template(isvc: Mapping[str, Any]) -> dict[str, Any]:
    """The PodSpec part of an InferenceService's predictor as a v1 PodTemplate
    (what schema validation can check: the CRD itself has no bundled schema)."""
    predictor = {k: v for k, v in isvc["spec"]["predictor"].items() if k not in ISVC_COMPONENT_FIELDS}
    return {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": f"{isvc['metadata']['name']}-predictor"},
            "template": {"metadata": {"labels": dict(isvc["metadata"]["labels"])}, "spec": predictor}}
