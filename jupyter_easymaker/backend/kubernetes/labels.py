"""Names, labels and annotations of the objects the Kubernetes backends create,
for jobs and model servers alike.

Every object carries ``app.kubernetes.io/managed-by=jupyter-easymaker`` and
the id of the job or server it belongs to (``easymaker/id``, sanitised into a
label value; the exact id is in an annotation), so that a restarted server
finds its objects and selectors pick exactly one job's or server's pods.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from jupyter_easymaker.backend.kubernetes.pods import ManifestError

MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
MANAGED_BY = "jupyter-easymaker"
APP_NAME_KEY = "app.kubernetes.io/name"
ID_LABEL = "easymaker/id"
KIND_LABEL = "easymaker/kind"

# jobs
JOB_ID_ANNOTATION = "easymaker/job-id"  # exact id: the label value may have been sanitised
JOB_NAME_ANNOTATION = "easymaker/job-name"
SERVICE_ANNOTATION = "easymaker/service"
NODES_ANNOTATION = "easymaker/nodes"
STOP_ANNOTATION = "easymaker/stop-requested"

# model servers
SERVER_ID_ANNOTATION = "easymaker/server-id"
SERVER_NAME_ANNOTATION = "easymaker/server-name"
NODE_AUTOSCALER_ANNOTATION = "easymaker/node-autoscaler"
ENDPOINT_LABEL = "easymaker/endpoint-id"
STAGE_LABEL = "easymaker/stage-id"

# PyTorchJob pods and services are named "{name}-worker-{i}" by the operator and
# must stay DNS labels (<= 63); Indexed Job hostnames are "{name}-{index}".
MAX_NAME_LENGTH = 48

_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def resource_name(kind: str, resource_id: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """A DNS-1035 label (valid for Jobs, Services, Secrets, Deployments) derived
    from kind and id. A hash of the id is appended whenever sanitising or
    truncating lost information, so two different ids never share a name."""
    raw = f"em-{kind}-{resource_id}"
    name = re.sub(r"[^a-z0-9-]+", "-", raw.lower())
    name = re.sub(r"-{2,}", "-", name).strip("-")
    if name == raw and len(name) <= max_length:
        return name
    head = name[: max_length - 9].rstrip("-")
    return f"{head}-{_short_hash(resource_id)}"


def label_value(value: str) -> str:
    """``value`` as a valid label value (<= 63, alphanumeric ends)."""
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", value)
    clean = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", clean)
    if clean == value and len(clean) <= 63:
        return clean
    head = re.sub(r"[^A-Za-z0-9]+$", "", clean[:54])
    return f"{head}-{_short_hash(value)}" if head else _short_hash(value)


def check_label(key: str, value: str) -> None:
    """ManifestError unless ``key=value`` is a valid Kubernetes label."""
    prefix, _, name = key.rpartition("/")
    ok = (
        0 < len(name) <= 63
        and bool(_LABEL_NAME.match(name))
        and (not prefix or (len(prefix) <= 253 and bool(_DNS_SUBDOMAIN.match(prefix))))
        and len(value) <= 63
        and bool(_LABEL_NAME.match(value))
    )
    if not ok:
        raise ManifestError(f"label {key}={value!r} is not a valid Kubernetes label")


def user_labels(labels: Mapping[str, Any] | None) -> dict[str, str]:
    """The labels a user gave a job or a server, checked. Callers add their own
    after these: user labels must not break discovery or selection."""
    out: dict[str, str] = {}
    for key, value in (labels or {}).items():
        check_label(str(key), str(value))
        out[str(key)] = str(value)
    return out


def selector_labels(resource_id: str) -> dict[str, str]:
    """Labels that pick the pods of one job or server (Service selector, pod listing)."""
    return {MANAGED_BY_KEY: MANAGED_BY, ID_LABEL: label_value(resource_id)}


def selector(labels: Mapping[str, str]) -> str:
    """A label selector matching all of ``labels``."""
    return ",".join(f"{k}={v}" for k, v in labels.items())


def owner_reference(api_version: str, kind: str, name: str, uid: str) -> dict[str, Any]:
    """Makes an object disappear with its owner even if nobody deletes it."""
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": False,
        "blockOwnerDeletion": False,
    }
