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

import copy
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


def pod_settings(options: PodOptions, node_selector: Mapping[str, str] | None) -> dict[str, Any]:
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
    return out


def container_resources(cpu: float, memory_mib: float, gpu: float) -> dict[str, Any]:
    """Requests and limits of one container: CPU and memory as asked, GPUs as a limit
    (extended resources: requests default to limits)."""
    amounts = {"cpu": f"{max(1, int(round(cpu * 1000)))}m", "memory": f"{max(1, int(memory_mib))}Mi"}
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
