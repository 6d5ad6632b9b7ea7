"""Model servers on Kubernetes: Deployment + Service + HorizontalPodAutoscaler
per stage resource, or one KServe InferenceService when that CRD is served.

Shares the API client (:mod:`jupyter_easymaker.backend.kubernetes.api`) and
the pod options (image pull secrets, volume mounts, ...) of the job backend it
is built from. Handles look like
``{"backend": "kubernetes", "namespace", "name", "kind": "Deployment" |
"InferenceService", "server_id", "service", "hpa", "desired", "address"}``.
The cluster scales pods itself (HPA), so the controller never calls scale()
for a resource with the pod autoscaler on.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kubernetes.client.exceptions import ApiException
from kubernetes.utils import parse_quantity

from jupyter_easymaker.backend.base import BackendError, ResourceUsage
from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend
from jupyter_easymaker.backend.kubernetes import gateway_manifests as gm
from jupyter_easymaker.backend.kubernetes import serving_manifests as sm
from jupyter_easymaker.backend.kubernetes.api import (
    MERGE_PATCH,
    CustomResourceCheck,
    labels_match,
    true_condition,
)
from jupyter_easymaker.backend.kubernetes.informers import DEPLOYMENTS, INFERENCESERVICES, PODS
from jupyter_easymaker.backend.kubernetes.labels import (
    ID_LABEL,
    SERVER_ID_ANNOTATION,
    selector_labels,
)
from jupyter_easymaker.backend.kubernetes.pods import ManifestError
from jupyter_easymaker.backend.serving.base import (
    MODEL_SERVER_MODULE,
    PodState,
    ServerPhase,
    ServerSpec,
    ServerState,
    ServingOptions,
)

DEPLOYMENT = "Deployment"
INFERENCESERVICE = "InferenceService"
_PERMANENT_WAITING = ("InvalidImageName", "ErrImageNeverPull")


def _pod_ready(pod: Mapping[str, Any]) -> bool:
    return bool(true_condition(pod, ("Ready",))) and not (pod.get("metadata") or {}).get("deletionTimestamp")


def _restarts(pod: Mapping[str, Any]) -> int:
    return sum(int(cs.get("restartCount") or 0) for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def _waiting(pod: Mapping[str, Any]) -> tuple[str, str]:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason"):
            return str(waiting["reason"]), str(waiting.get("message") or "")
    return "", ""


def server_state(obj: Mapping[str, Any] | None, pods: list[dict], *, kind: str, desired: int, address: str,
                 max_restarts: int = 3) -> ServerState:
    """Map a Deployment or InferenceService (None when gone) and its pods to a ServerState."""
    if obj is None:
        return ServerState(ServerPhase.LOST, reason=f"the {kind} no longer exists in the cluster")
    states = []
    for pod in sorted(pods, key=lambda p: str((p.get("metadata") or {}).get("name"))):
        meta = pod.get("metadata") or {}
        reason, message = _waiting(pod)
        states.append(PodState(str(meta.get("name")), _pod_ready(pod), address, str((pod.get("spec") or {}).get("nodeName") or ""),
                               _restarts(pod), f"{reason}: {message}".rstrip(": ") if reason else ""))
    status = obj.get("status") or {}
    ready = sum(p.ready for p in states)
    if kind == DEPLOYMENT:
        ready = max(ready, int(status.get("readyReplicas") or 0))
        progressing = next((c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), None)
        if progressing and str(progressing.get("status")) == "False" and progressing.get("reason") == "ProgressDeadlineExceeded" and ready == 0:
            return ServerState(ServerPhase.FAILED, reason=str(progressing.get("message") or "the pods did not become ready in time"),
                               pods=states, desired=desired)
        up = ready >= 1 and ready >= min(desired, int((obj.get("spec") or {}).get("replicas") or desired))
    else:
        up = bool(true_condition(obj, ("Ready",)) or true_condition(obj, ("PredictorReady",)))
        if up and not any(p.ready for p in states):  # KServe says ready; the pods may just not be listed to us
            states = states or [PodState("predictor", True, address)]
    for pod in states:
        head = pod.reason.split(":", 1)[0]
        if head in _PERMANENT_WAITING:
            return ServerState(ServerPhase.FAILED, reason=pod.reason, pods=states, desired=desired)
        if head == "CrashLoopBackOff" and pod.restarts >= max_restarts and ready == 0:
            return ServerState(ServerPhase.FAILED, reason=f"{pod.name} keeps crashing ({pod.restarts} restarts): {pod.reason}",
                               pods=states, desired=desired)
    if up:
        for pod in states:
            pod.address = address
        return ServerState(ServerPhase.READY, pods=states, desired=desired)
    reason = next((p.reason for p in states if p.reason), "")
    return ServerState(ServerPhase.STARTING, reason=reason, pods=states, desired=desired)


class KubernetesServingBackend:
    name = "kubernetes"
    autoscales_itself = True

    def __init__(self, jobs: KubernetesBackend, options: ServingOptions | None = None):
        self.api = jobs.api  # the job backend's client
        self._jobs = jobs  # its watch-fed caches count the changes of the servers' objects too
        self.gpu_metrics = jobs.gpu_metrics
        self.options = options or ServingOptions()
        self.namespace = jobs.namespace
        # the job pods' options (volumes, service account, pull secrets, env), the serving image
        self.pod_options = replace(jobs.options, image=self.options.kubernetes_image or sm.DEFAULT_SERVING_IMAGE)
        self._isvc = CustomResourceCheck(self.api, self.namespace, sm.ISVC_GROUP, sm.ISVC_VERSION, sm.ISVC_PLURAL,
                                         "InferenceService")

    # -- facts --------------------------------------------------------------------
    def inferenceservice_available(self) -> bool:
        forced = self.options.kubernetes_inferenceservice
        if forced is not None:
            return forced
        return self._isvc.available()

    def capabilities(self) -> dict[str, Any]:
        try:
            kserve = self.inferenceservice_available()
        except BackendError:
            kserve = False
        return {"name": self.name, "namespace": self.namespace, "image": self.pod_options.image,
                "objects": "InferenceService" if kserve else "Deployment + Service + HorizontalPodAutoscaler",
                "autoscaler": "HorizontalPodAutoscaler"}

    def _address(self, service: str) -> str:
        return self.options.kubernetes_address_template.format(service=service, namespace=self.namespace,
                                                               port=sm.SERVICE_PORT)

    # -- the inference gateway -------------------------------------------------------------
    def apply_gateway(self, config: dict[str, Any], secret: str, store_file: str | None = None) -> dict[str, str]:
        """The inference gateway's Secret, Deployment and Service: created, or brought to this config;
        ``store_file`` is the SQLite file of ``config["db_url"]`` (its volume is mounted), None for a database server."""
        api, ns, name = self.api, self.namespace, gm.GATEWAY_NAME
        o = self.options
        try:
            store = gm.store_volumes(store_file, self.pod_options.volume_mounts)
        except ValueError as exc:
            raise BackendError(str(exc)) from exc
        secret_doc = gm.gateway_secret_manifest(config, secret, namespace=ns)
        deployment = gm.gateway_deployment_manifest(
            namespace=ns, options=self.pod_options, replicas=o.kubernetes_gateway_replicas, cpu=o.kubernetes_gateway_cpu,
            memory=o.kubernetes_gateway_memory, node_selector=o.kubernetes_gateway_node_selector,
            tolerations=o.kubernetes_gateway_tolerations, store=store)
        service = gm.gateway_service_manifest(namespace=ns, service_type=o.kubernetes_gateway_service_type)
        try:
            if api.create(api.core.create_namespaced_secret, ns, secret_doc, what=f"creating Secret {name}") is None:
                api.call(api.core.patch_namespaced_secret, name, ns, {"stringData": secret_doc["stringData"]},
                         _content_type=MERGE_PATCH)
            if api.create(api.apps.create_namespaced_deployment, ns, deployment, what=f"creating Deployment {name}") is None:
                api.call(api.apps.patch_namespaced_deployment, name, ns, {"spec": deployment["spec"]}, _content_type=MERGE_PATCH)
            api.create(api.core.create_namespaced_service, ns, service, what=f"creating Service {name}")
        except ApiException as exc:
            raise api.error(f"applying the inference gateway {name}", exc) from exc
        return {"service": name, "address": f"http://{name}.{ns}.svc.cluster.local:{gm.SERVICE_PORT}"}

    # -- lifecycle ----------------------------------------------------------------------
    def start(self, spec: ServerSpec) -> dict[str, Any]:
        name = sm.server_name(spec.server_id)
        ns = self.namespace
        # KServe serves models; other servers (a RAG query server) are plain Deployments
        use_isvc = spec.server_module == MODEL_SERVER_MODULE and self.inferenceservice_available()
        timeout = self.options.start_timeout_seconds
        try:
            if use_isvc:
                isvc = sm.inferenceservice_manifest(spec, name=name, namespace=ns, options=self.pod_options,
                                                    start_timeout_seconds=timeout)
            else:
                deployment = sm.deployment_manifest(spec, name=name, namespace=ns, options=self.pod_options,
                                                    start_timeout_seconds=timeout)
                service = sm.service_manifest(spec, name=name, namespace=ns)
                hpa = sm.hpa_manifest(spec, name=name, namespace=ns, scale_down_seconds=self.options.scale_down_cooldown_seconds) \
                    if spec.autoscaler.enabled else None
        except ManifestError as exc:
            raise BackendError(str(exc)) from exc
        handle = {"backend": self.name, "namespace": ns, "name": name, "server_id": spec.server_id,
                  "kind": INFERENCESERVICE if use_isvc else DEPLOYMENT, "desired": max(1, int(spec.pods))}
        api, create = self.api, self.api.create
        secret = sm.env_secret_manifest(spec, name=name, namespace=ns)
        if create(api.core.create_namespaced_secret, ns, secret, what=f"creating Secret {secret['metadata']['name']}") is None:
            # left over from an earlier attempt: the model's environment may have changed since
            api.call(api.core.patch_namespaced_secret, secret["metadata"]["name"], ns,
                     {"stringData": secret["stringData"]}, _content_type=MERGE_PATCH)
        if use_isvc:
            create(api.custom.create_namespaced_custom_object, sm.ISVC_GROUP, sm.ISVC_VERSION, ns, sm.ISVC_PLURAL, isvc,
                   what=f"creating InferenceService {name}")
            # KServe's RawDeployment predictor Service
            handle.update(service=f"{name}-predictor", hpa=spec.autoscaler.enabled, address=self._address(f"{name}-predictor"))
            return handle
        created = create(api.apps.create_namespaced_deployment, ns, deployment, what=f"creating Deployment {name}")
        if created is None:  # already there: a retry after a crash; make sure it is ours
            existing = self._read(handle) or {}
            owner = ((existing.get("metadata") or {}).get("annotations") or {}).get(SERVER_ID_ANNOTATION)
            if owner != spec.server_id:
                raise BackendError(f"Deployment {name} already exists in namespace {ns} and belongs to another server")
        create(api.core.create_namespaced_service, ns, service, what=f"creating Service {name}")
        if hpa is not None:
            create(api.autoscaling.create_namespaced_horizontal_pod_autoscaler, ns, hpa,
                   what=f"creating HorizontalPodAutoscaler {name}")
        handle.update(service=name, hpa=hpa is not None, address=self._address(name))
        return handle

    def _read(self, handle: Mapping[str, Any]) -> dict | None:
        ns, name = handle["namespace"], handle["name"]
        try:
            if handle.get("kind") == INFERENCESERVICE:
                return self.api.call(self.api.custom.get_namespaced_custom_object, sm.ISVC_GROUP, sm.ISVC_VERSION, ns,
                                     sm.ISVC_PLURAL, name)
            return self.api.call(self.api.apps.read_namespaced_deployment, name, ns)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise self.api.error(f"reading {handle.get('kind')} {name} failed", exc) from exc

    def change_mark(self, handle: Mapping[str, Any]) -> int | None:
        """How many changes of this server's Deployment (or InferenceService) and pods the job
        backend's caches have seen; None when they do not watch its namespace (then only a
        status read tells whether it changed)."""
        informers = self.api.informers
        if informers is None or handle.get("namespace") != informers.namespace or not handle.get("server_id"):
            return None
        kind = INFERENCESERVICES if handle.get("kind") == INFERENCESERVICE else DEPLOYMENTS
        return self._jobs.changes_of(str(handle["server_id"]), (kind, PODS))

    def changes_seen(self) -> int:
        """How many changes of watched objects the job backend's caches have seen in all (a
        reconciler looks whether it moved before it asks each server's :meth:`change_mark`)."""
        return self._jobs.changes_seen()

    def _pods(self, handle: Mapping[str, Any]) -> list[dict]:
        return self.api.pods(handle["namespace"], selector_labels(handle["server_id"]), what="listing the server's pods failed")

    def _informer(self, handle: Mapping[str, Any], kind: str) -> Any:
        """The job backend's synced cache of ``kind`` for this handle's namespace, or None (read directly)."""
        informers = self.api.informers
        if informers is None or handle["namespace"] != informers.namespace:
            return None
        return informers.synced(kind)

    def _cached(self, handle: Mapping[str, Any]) -> dict | None:
        """The Deployment or InferenceService from the cache; read when it is off, not synced, or has not seen it."""
        informer = self._informer(handle, INFERENCESERVICES if handle.get("kind") == INFERENCESERVICE else DEPLOYMENTS)
        found = informer.get(handle["name"]) if informer is not None else None
        return found if found is not None else self._read(handle)

    def _cached_pods(self, handle: Mapping[str, Any]) -> list[dict]:
        informer = self._informer(handle, PODS)
        if informer is None:
            return self._pods(handle)
        wanted = selector_labels(handle["server_id"])
        return [p for p in informer.with_id(wanted[ID_LABEL]) if labels_match(p, wanted)]

    def status(self, handle: dict[str, Any]) -> ServerState:
        obj = self._cached(handle)
        pods = self._cached_pods(handle) if obj is not None else []
        return server_state(obj, pods, kind=handle.get("kind") or DEPLOYMENT, desired=int(handle.get("desired") or 1),
                            address=handle.get("address") or "", max_restarts=self.options.max_restarts)

    def drain_candidates(self, handle: dict[str, Any], pods: int) -> list[str]:
        return []  # the Service stops sending to terminating pods itself

    def scale(self, handle: dict[str, Any], pods: int) -> dict[str, Any]:
        pods = max(1, int(pods))
        ns, name = handle["namespace"], handle["name"]
        patch = {"spec": {"replicas": pods}}
        try:
            self.api.call(self.api.apps.patch_namespaced_deployment_scale, name, ns, patch, _content_type=MERGE_PATCH)
        except ApiException as exc:
            raise self.api.error(f"scaling Deployment {name} failed", exc) from exc
        return {**handle, "desired": pods}

    def stop(self, handle: dict[str, Any], grace_seconds: float = 10.0) -> None:
        ns, name = handle["namespace"], handle["name"]
        api = self.api

        def gone(fn: Any, *args: Any, **kwargs: Any) -> None:
            api.ignore_missing(fn, *args, what=f"stopping the servers of {name} failed", **kwargs)

        gone(api.core.delete_namespaced_secret, sm.env_secret_name(name), ns)
        if handle.get("kind") == INFERENCESERVICE:
            gone(api.custom.delete_namespaced_custom_object, sm.ISVC_GROUP, sm.ISVC_VERSION, ns, sm.ISVC_PLURAL, name,
                 propagation_policy="Foreground")
            return
        if handle.get("hpa"):
            gone(api.autoscaling.delete_namespaced_horizontal_pod_autoscaler, name, ns)
        gone(api.apps.delete_namespaced_deployment, name, ns, propagation_policy="Foreground",
             grace_period_seconds=max(0, int(grace_seconds)))
        gone(api.core.delete_namespaced_service, handle.get("service") or name, ns)

    def adopt(self, handle: dict[str, Any], secret_env: dict[str, str] | None = None) -> None:
        """Nothing to do: the cluster keeps its own objects (the secrets in the servers' Secret)."""

    def usage(self, handle: dict[str, Any]) -> list[ResourceUsage]:
        try:
            names = {p["metadata"]["name"] for p in self._cached_pods(handle)}
            metrics = self.api.pod_metrics(handle["namespace"], names, selector_labels(handle["server_id"]))
        except (ApiException, BackendError):
            return []
        out = []
        for item in metrics:
            cpu = memory = 0.0
            for c in item.get("containers") or []:
                use = c.get("usage") or {}
                cpu += float(parse_quantity(use.get("cpu", "0")))
                memory += float(parse_quantity(use.get("memory", "0")))
            pod = item["metadata"]["name"]
            gpu = self.gpu_metrics.of_pods(handle["namespace"], [pod]) if self.gpu_metrics else None
            out.append(ResourceUsage(time=time.time(), cpu_percent=cpu * 100.0, memory_bytes=int(memory),
                                     gpu_percent=gpu.percent if gpu else None,
                                     gpu_memory_bytes=gpu.memory_bytes if gpu else None))
        return out

    def read_logs(self, handle: dict[str, Any], tail: int = 200) -> str:
        parts = []
        try:
            pods = self._pods(handle)
        except BackendError:
            return ""
        for pod in pods:
            name = pod["metadata"]["name"]
            try:
                text = self.api.call(self.api.core.read_namespaced_pod_log, name, handle["namespace"], raw=True, tail_lines=tail)
            except (ApiException, BackendError):
                continue
            parts.append(f"===== {name} =====\n{text}")
        return "\n".join(parts)
