"""What the pods of jobs and of model servers have in common: the backend-wide
:class:`PodOptions`, the resources an instance type asks for, and the
configured storage a pod can mount.

Storage: ``volume_mounts`` maps a path prefix as the server sees it (say the
mount point of a NAS, ``/mnt/nas1``) to a pod volume source (``{"nfs":
{"server": ..., "path": ...}}``, ``{"persistentVolumeClaim": {"claimName":
...}}``, ...). A path under that prefix is mounted at the *same* path in the
pod, so specs need no rewriting.
"""
from __future__ import annotations

import base64
import copy
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GPU_RESOURCE = "nvidia.com/gpu"


class ManifestError(ValueError):
    """A job or a model server cannot be expressed as Kubernetes objects; the message says why."""


@dataclass(frozen=True)
class PodOptions:
    """Backend-wide settings that shape every pod."""

    image: str
    volume_mounts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    service_account: str | None = None
    image_pull_secrets: tuple[str, ...] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)


def pod_settings(options: PodOptions, node_selector: Mapping[str, str] | None,
                 tolerations: list[Mapping[str, Any]] | tuple[Mapping[str, Any], ...] = ()) -> dict[str, Any]:
    """The PodSpec fields every pod takes from the backend's options and its instance type."""
    out: dict[str, Any] = {}
    if options.service_account:
        out["serviceAccountName"] = options.service_account
    else:
        out["automountServiceAccountToken"] = False  # user code gets no API credentials by default
    if options.image_pull_secrets:
        out["imagePullSecrets"] = [{"name": s} for s in options.image_pull_secrets]
    if node_selector:
        out["nodeSelector"] = dict(node_selector)
    if tolerations:
        out["tolerations"] = [dict(t) for t in tolerations]
    return out


def registry_secret_manifest(name: str, namespace: str, login: Mapping[str, str], labels: Mapping[str, str]) -> dict[str, Any]:
    """A ``kubernetes.io/dockerconfigjson`` Secret holding one registry login
    (``server``, ``username``, ``password``), which pods name in ``imagePullSecrets``."""
    auth = base64.b64encode(f"{login['username']}:{login['password']}".encode()).decode()
    config = {"auths": {login["server"]: {"username": login["username"], "password": login["password"], "auth": auth}}}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


def add_pull_secrets(pod: dict[str, Any], names: list[str] | tuple[str, ...]) -> None:
    """Name more pull secrets in a PodSpec, after the backend's own, each once."""
    if not names:
        return
    known = [s["name"] for s in pod.get("imagePullSecrets") or []]
    pod["imagePullSecrets"] = [{"name": n} for n in dict.fromkeys([*known, *names])]


def container_resources(cpu: float, memory_mib: float, gpu: float, ephemeral_gb: float | None = None) -> dict[str, Any]:
    """Requests and limits of one container: CPU and memory as asked, GPUs as a limit
    (extended resources: requests default to limits), and its ephemeral storage (its data
    storage: the kubelet evicts a pod that writes past it)."""
    amounts = {"cpu": f"{max(1, int(round(cpu * 1000)))}m", "memory": f"{max(1, int(memory_mib))}Mi"}
    if ephemeral_gb:
        amounts["ephemeral-storage"] = f"{max(1, int(round(ephemeral_gb * 1024)))}Mi"
    limits = dict(amounts)
    if gpu > 0:
        limits[GPU_RESOURCE] = str(int(gpu))
    return {"requests": amounts, "limits": limits}


def under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or inside it (both normalised)."""
    prefix = prefix.rstrip("/") or "/"
    return path == prefix or path.startswith(prefix if prefix == "/" else prefix + "/")


def mount_prefix(path: str, volume_mounts: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The longest configured prefix ``path`` lies under; None when no pod can see it."""
    norm = posixpath.normpath(path)
    prefixes = sorted((p.rstrip("/") or "/" for p in volume_mounts), key=len, reverse=True)
    return next((p for p in prefixes if under(norm, p)), None)


def volume_source(prefix: str, volume_mounts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A copy of the volume source configured for ``prefix`` (as :func:`mount_prefix`
    returns it), without a name: the manifests name their volumes themselves."""
    source = copy.deepcopy(dict(next(v for k, v in volume_mounts.items() if (k.rstrip("/") or "/") == prefix)))
    source.pop("name", None)
    return source
