"""Pure builders of the inference gateway's Kubernetes objects: on a cluster
the gateway process (``python -m jupyter_easymaker.areas.endpoints.gateway_process``)
is a Deployment of its own behind a Service, beside the stage resources'
model servers, instead of a process next to the Jupyter server.

* a ``Secret`` with its config file (the store's URL carries credentials)
  and the control channel's secret;
* a ``Deployment`` (the serving image; the config mounted read-only; with a
  SQLite store, the volume that holds it, at the server's path);
* a ``Service`` (ClusterIP unless asked otherwise, port 80) in front of it.

The config is the one the local supervisor writes, with ``reload_seconds``:
nobody on the cluster tells the gateway when routes change, so it reads them
from the store on its own.
"""
from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from typing import Any

from jupyter_easymaker.backend.kubernetes.labels import (
    APP_NAME_KEY,
    KIND_LABEL,
    MANAGED_BY,
    MANAGED_BY_KEY,
)
from jupyter_easymaker.backend.kubernetes.pods import PodOptions, mount_prefix, pod_settings, volume_source

GATEWAY_NAME = "easymaker-gateway"
GATEWAY_MODULE = "jupyter_easymaker.areas.endpoints.gateway_process"
GATEWAY_PORT = 8080
SERVICE_PORT = 80
CONFIG_DIR = "/etc/easymaker-gateway"


def gateway_labels() -> dict[str, str]:
    return {APP_NAME_KEY: "jupyter-easymaker", MANAGED_BY_KEY: MANAGED_BY, KIND_LABEL: "inference-gateway"}


def _metadata(name: str, namespace: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": gateway_labels()}


def gateway_config(*, db_url: str, log_type: str, options: dict[str, Any], reload_seconds: float = 5.0) -> dict[str, Any]:
    return {"db_url": db_url, "host": "0.0.0.0", "port": GATEWAY_PORT, "secret_file": f"{CONFIG_DIR}/secret",
            "state_file": None, "log_type": log_type, "options": options, "listeners": list(options.get("gateway_listeners") or []),
            "reload_seconds": reload_seconds}


def gateway_secret_manifest(config: dict[str, Any], secret: str, *, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(GATEWAY_NAME, namespace),
        "type": "Opaque",
        "stringData": {"config.json": json.dumps(config, sort_keys=True), "secret": secret},
    }


def store_volumes(store_file: str | None, volume_mounts: Mapping[str, Mapping[str, Any]]) -> tuple[list[dict], list[dict]]:
    """The volume the gateway's pods need to read a SQLite store file at the server's
    path (none for a database server: ``store_file`` None). A store on no configured
    volume is refused: the gateway would start and answer nothing."""
    if not store_file:
        return [], []
    prefix = mount_prefix(posixpath.dirname(store_file), volume_mounts)
    if prefix is None:
        raise ValueError(f"the inference gateway's pods cannot read the store {store_file}: it lies on no volume in "
                         "the Kubernetes backend's volume_mounts; set serving.kubernetes_gateway_db_url to a "
                         "PostgreSQL URL, or mount the store's folder")
    return ([{"name": "store", **volume_source(prefix, volume_mounts)}], [{"name": "store", "mountPath": prefix}])


def gateway_deployment_manifest(*, namespace: str, options: PodOptions, replicas: int = 1,
                                cpu: str = "1", memory: str = "512Mi", node_selector: Mapping[str, str] | None = None,
                                tolerations: list[Mapping[str, Any]] | tuple = (),
                                store: tuple[list[dict], list[dict]] = ([], [])) -> dict[str, Any]:
    probe = {"tcpSocket": {"port": GATEWAY_PORT}, "periodSeconds": 5, "timeoutSeconds": 2}
    container = {
        "name": "gateway",
        "image": options.image,
        "command": ["python", "-m", GATEWAY_MODULE],
        "args": ["--config", f"{CONFIG_DIR}/config.json"],
        "ports": [{"name": "http", "containerPort": GATEWAY_PORT, "protocol": "TCP"}],
        "env": [{"name": str(k), "value": str(v)} for k, v in options.extra_env.items()],
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}},
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}, *store[1]],
        "readinessProbe": {**probe, "failureThreshold": 2},
        "livenessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 3},
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    pod = {
        "containers": [container],
        "volumes": [{"name": "config", "secret": {"secretName": GATEWAY_NAME, "defaultMode": 0o400}}, *store[0]],
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 30,  # requests in flight finish; statistics are written on SIGTERM
        **pod_settings(options, node_selector, tolerations),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(GATEWAY_NAME, namespace),
        "spec": {
            "replicas": max(1, int(replicas)),
            "selector": {"matchLabels": gateway_labels()},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {"metadata": {"labels": gateway_labels()}, "spec": pod},
        },
    }


def gateway_service_manifest(*, namespace: str, service_type: str = "ClusterIP") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(GATEWAY_NAME, namespace),
        "spec": {
            "type": service_type,
            "selector": gateway_labels(),
            "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }
