"""The Kubernetes API as the job and the serving backends both use it: one
client, calls answered as raw JSON, failures as BackendError, and what both
read from the objects they get back.

Responses are read as raw JSON (``_preload_content=False``) instead of the
client's models: the code works on the same camelCase shapes the manifests
use, and tolerates partial objects. Imports the ``kubernetes`` client (the
``[k8s]`` extra): import this module only when the Kubernetes backend is
configured.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import urllib3
from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException

from jupyter_easymaker.backend.base import BackendError, CapacityUnavailable
from jupyter_easymaker.backend.kubernetes.labels import MANAGED_BY, MANAGED_BY_KEY, selector
from jupyter_easymaker.catalogs.kube_calls import api_client, call_json

MERGE_PATCH = "application/merge-patch+json"  # the one patch type both built-ins and CRDs accept
CRD_CACHE_SECONDS = 300.0
POD_METRICS_MAX_AGE_SECONDS = 5.0  # metrics-server samples every 15 s or so: older answers are as good


# -- reading objects (pure, tested without a server) ----------------------------------
def labels_match(obj: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def true_condition(obj: Mapping[str, Any], types: tuple[str, ...]) -> dict | None:
    """The first condition of one of ``types`` whose status is True."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") in types and str(cond.get("status")) == "True":
            return cond
    return None


def api_message(exc: ApiException) -> str:
    try:
        body = json.loads(exc.body or "")
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"])
    except ValueError:
        pass
    return str(exc.reason or exc.body or exc.status)


def load_client(kubeconfig: str | None, in_cluster: bool | None = None) -> Any:
    """An ApiClient from the pod's service account or a kubeconfig file (the default
    one when None); ``in_cluster`` None finds out which (see ``catalogs.kube_calls.api_client``)."""
    try:
        return api_client(kubeconfig or None, in_cluster)
    except Exception as exc:  # noqa: BLE001 - any config problem is reported the same way
        where = ("the in-cluster service account" if in_cluster else kubeconfig
                 or ("the default kubeconfig" if in_cluster is False else "the service account or the default kubeconfig"))
        raise BackendError(f"cannot configure the Kubernetes client from {where}: {exc}") from exc


# -- calling the API ---------------------------------------------------------------------
class KubernetesApi:
    """One ApiClient and the API groups the backends use, with the calling
    conventions they share."""

    def __init__(self, api_client: Any, request_timeout: float = 30.0):
        self.api_client = api_client
        self.timeout = request_timeout
        self.core = k8s_client.CoreV1Api(api_client)
        self.batch = k8s_client.BatchV1Api(api_client)
        self.apps = k8s_client.AppsV1Api(api_client)
        self.autoscaling = k8s_client.AutoscalingV2Api(api_client)
        self.custom = k8s_client.CustomObjectsApi(api_client)
        self.informers: Any = None  # the watch-fed caches, when the job backend keeps them (informers.Informers)
        self._metrics_lock = threading.Lock()
        self._metrics: dict[str, tuple[float, dict[str, dict]]] = {}  # namespace -> (when, pod name -> metrics)

    def call(self, fn: Callable[..., Any], *args: Any, raw: bool = False, **kwargs: Any) -> Any:
        """Call the API; JSON dict back (text when raw). ApiException passes
        through for the caller to judge; transport failures become BackendError."""
        try:
            return call_json(fn, *args, raw=raw, _request_timeout=self.timeout, **kwargs)
        except ApiException:
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise BackendError(
                f"cannot reach the Kubernetes API at {self.api_client.configuration.host}: {exc}"
            ) from exc
        except ValueError as exc:
            raise BackendError(f"the Kubernetes API answered something that is not JSON: {exc}") from exc

    def error(self, what: str, exc: ApiException) -> BackendError:
        """The BackendError for a refused call (CapacityUnavailable when a quota is exhausted)."""
        message = api_message(exc)
        if exc.status == 403 and "exceeded quota" in message:
            return CapacityUnavailable(f"{what}: namespace quota exhausted ({message})")
        return BackendError(f"{what}: Kubernetes answered {exc.status}: {message}")

    def create(self, fn: Callable[..., Any], *args: Any, what: str) -> dict | None:
        """Create an object; None when it already exists (409)."""
        try:
            return self.call(fn, *args)
        except ApiException as exc:
            if exc.status == 409:
                return None
            raise self.error(what, exc) from exc

    def ignore_missing(self, fn: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:
        """Call (a delete or a patch); None when the object is gone (404)."""
        try:
            return self.call(fn, *args, **kwargs)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise self.error(what, exc) from exc

    def pods(self, namespace: str, wanted: Mapping[str, str], *, what: str) -> list[dict]:
        """The pods carrying all of ``wanted``'s labels."""
        try:
            items = self.call(self.core.list_namespaced_pod, namespace, label_selector=selector(wanted)).get("items") or []
        except ApiException as exc:
            raise self.error(what, exc) from exc
        return [p for p in items if labels_match(p, wanted)]  # also filter here: selectors may be ignored


    def pod_metrics(self, namespace: str, names: set[str] | frozenset[str], wanted: Mapping[str, str],
                    max_age: float = POD_METRICS_MAX_AGE_SECONDS) -> list[dict]:
        """The metrics.k8s.io samples of the pods ``names``. While the watch-fed caches run,
        from one LIST of all the product's pods that every job and server shares for
        ``max_age`` seconds (one call a pass, not one per object); otherwise from a LIST of
        the pods carrying ``wanted``'s labels. ApiException and BackendError pass through."""
        if self.informers is None or not self.informers.running:
            answer = self.call(self.custom.list_namespaced_custom_object, "metrics.k8s.io", "v1beta1", namespace,
                               "pods", label_selector=selector(wanted))
            items = answer.get("items") or []
            return [i for i in items if (i.get("metadata") or {}).get("name") in names]
        with self._metrics_lock:
            when, by_name = self._metrics.get(namespace, (0.0, {}))
            if time.monotonic() - when > max_age:
                answer = self.call(self.custom.list_namespaced_custom_object, "metrics.k8s.io", "v1beta1", namespace,
                                   "pods", label_selector=selector({MANAGED_BY_KEY: MANAGED_BY}))
                by_name = {str((i.get("metadata") or {}).get("name")): i for i in answer.get("items") or []}
                self._metrics[namespace] = (time.monotonic(), by_name)
        return [by_name[n] for n in names if n in by_name]


class CustomResourceCheck:
    """Whether a custom resource (a CRD's kind) is served in a namespace; the
    answer is kept for ``CRD_CACHE_SECONDS``. A namespaced list needs no
    cluster-wide rights (unlike reading the CRD)."""

    def __init__(self, api: KubernetesApi, namespace: str, group: str, version: str, plural: str, kind: str):
        self.api = api
        self.where = (group, version, namespace, plural)
        self.kind = kind
        self._lock = threading.Lock()
        self._cache: tuple[float, bool] | None = None

    def available(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if self._cache and now - self._cache[0] < CRD_CACHE_SECONDS:
                return self._cache[1]
            try:
                self.api.call(self.api.custom.list_namespaced_custom_object, *self.where, limit=1)
                present = True
            except ApiException as exc:
                if exc.status not in (403, 404):
                    raise self.api.error(f"checking for the {self.kind} CRD failed", exc) from exc
                present = False  # absent, or not usable with our rights
            self._cache = (now, present)
            return present
