"""Pure builders of the Kubernetes objects a job becomes (no API calls).

Every function returns plain camelCase dicts exactly as they are sent to the
API server, so tests can validate them against the Kubernetes JSON schemas.

What a job becomes:

* a ``Secret`` holding the job spec as JSON (the spec can carry object-storage
  credentials and an app key, which must not sit in a Job's pod template where
  anyone allowed to read Jobs sees them); pods get it as ``EM_JOB_SPEC``;
* one node: a ``batch/v1`` Job;
* several nodes: a Kubeflow ``PyTorchJob`` (Master + Workers) when that CRD is
  installed, else an Indexed Job plus a headless Service giving every pod a
  stable DNS name ``{job}-{index}.{service}``.

Storage: ``volume_mounts`` maps a path prefix as the server sees it (say the
mount point of a NAS, ``/mnt/nas1``) to a pod volume source (``{"nfs":
{"server": ..., "path": ...}}``, ``{"persistentVolumeClaim": {"claimName":
...}}``, ...). A job path under that prefix is then mounted at the *same* path
in the pod, so the spec needs no rewriting. ``obs://`` paths need no volume
(the launcher stages them). Any other local path cannot be seen by a pod and
is refused. The job's ``work_dir`` is always a per-pod ``emptyDir``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_easymaker.backend.jobs.base import JobSpec

DEFAULT_IMAGE = "ghcr.io/jupyter-easymaker/training:latest"
LAUNCHER_COMMAND = ["python", "-m", "jupyter_easymaker.runtime.launcher"]
DEFAULT_WORK_DIR = "/easymaker/work"
MASTER_PORT = 29500
GPU_RESOURCE = "nvidia.com/gpu"
SPEC_SECRET_KEY = "job-spec.json"

MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
MANAGED_BY = "jupyter-easymaker"
APP_NAME_KEY = "app.kubernetes.io/name"
ID_LABEL = "easymaker/id"
KIND_LABEL = "easymaker/kind"
JOB_ID_ANNOTATION = "easymaker/job-id"  # exact id: the label value may have been sanitised
JOB_NAME_ANNOTATION = "easymaker/job-name"
SERVICE_ANNOTATION = "easymaker/service"
NODES_ANNOTATION = "easymaker/nodes"
STOP_ANNOTATION = "easymaker/stop-requested"

PYTORCHJOB_GROUP = "kubeflow.org"
PYTORCHJOB_VERSION = "v1"
PYTORCHJOB_PLURAL = "pytorchjobs"
PYTORCHJOB_API_VERSION = f"{PYTORCHJOB_GROUP}/{PYTORCHJOB_VERSION}"
PYTORCHJOB_CONTAINER = "pytorch"  # the training operator injects its env only into this container
PYTORCHJOB_PORT_NAME = "pytorchjob-port"  # the operator reads the master port from this port name
JOB_CONTAINER = "trainer"

# PyTorchJob pods and services are named "{name}-worker-{i}" by the operator and
# must stay DNS labels (<= 63); Indexed Job hostnames are "{name}-{index}".
MAX_NAME_LENGTH = 48

_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class ManifestError(ValueError):
    """A job cannot be expressed as Kubernetes objects; the message says why."""


@dataclass(frozen=True)
class PodOptions:
    """Backend-wide settings that shape every pod."""

    image: str = DEFAULT_IMAGE
    volume_mounts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    service_account: str | None = None
    image_pull_secrets: tuple[str, ...] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)


# -- names and labels ---------------------------------------------------------
def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def resource_name(kind: str, job_id: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """A DNS-1035 label (valid for Jobs, Services, Secrets) derived from kind
    and job id. A hash of the id is appended whenever sanitising or truncating
    lost information, so two different ids never share a name."""
    raw = f"em-{kind}-{job_id}"
    name = re.sub(r"[^a-z0-9-]+", "-", raw.lower())
    name = re.sub(r"-{2,}", "-", name).strip("-")
    if name == raw and len(name) <= max_length:
        return name
    head = name[: max_length - 9].rstrip("-")
    return f"{head}-{_short_hash(job_id)}"


def label_value(value: str) -> str:
    """``value`` as a valid label value (<= 63, alphanumeric ends)."""
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", value)
    clean = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", clean)
    if clean == value and len(clean) <= 63:
        return clean
    head = re.sub(r"[^A-Za-z0-9]+$", "", clean[:54])
    return f"{head}-{_short_hash(value)}" if head else _short_hash(value)


def _check_label(key: str, value: str) -> None:
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


def selector_labels(job_id: str) -> dict[str, str]:
    """Labels that identify the pods of one job (Service selector, pod listing)."""
    return {MANAGED_BY_KEY: MANAGED_BY, ID_LABEL: label_value(job_id)}


def job_labels(spec: JobSpec) -> dict[str, str]:
    labels: dict[str, str] = {}
    for key, value in (spec.labels or {}).items():
        _check_label(str(key), str(value))
        labels[str(key)] = str(value)
    # ours last: user labels must not break discovery or selection
    labels.update(
        {
            APP_NAME_KEY: label_value(f"easymaker-{spec.kind}"),
            KIND_LABEL: label_value(spec.kind),
            **selector_labels(spec.job_id),
        }
    )
    return labels


def _annotations(spec: JobSpec, *, service: str | None = None) -> dict[str, str]:
    annotations = {
        JOB_ID_ANNOTATION: spec.job_id,
        JOB_NAME_ANNOTATION: spec.name,
        NODES_ANNOTATION: str(max(1, spec.nodes)),
    }
    if service:
        annotations[SERVICE_ANNOTATION] = service
    return annotations


def _metadata(name: str, namespace: str, spec: JobSpec, **annotation_args: Any) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": job_labels(spec),
        "annotations": _annotations(spec, **annotation_args),
    }


def owner_reference(api_version: str, kind: str, name: str, uid: str) -> dict[str, Any]:
    """Makes the Secret/Service disappear with the job even if nobody calls release()."""
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": False,
        "blockOwnerDeletion": False,
    }


# -- storage --------------------------------------------------------------------
def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/") or "/"
    return path == prefix or path.startswith(prefix if prefix == "/" else prefix + "/")


# the images carry the built-in algorithms and job entry points here (images/README.md)
IMAGE_DIR = "/opt/easymaker"


def job_paths(spec: JobSpec) -> list[str]:
    """The storage paths a pod must see (work_dir excluded: it is scratch;
    a source directory inside the image needs no volume)."""
    paths = [
        "" if _under(posixpath.normpath(spec.source_dir or "/"), IMAGE_DIR) else spec.source_dir,
        spec.model_dir,
        spec.output_dir,
        spec.checkpoint_input_dir,
        spec.checkpoint_dir,
        spec.tensorboard_log_dir,
    ]
    paths += list((spec.datasets or {}).values())
    return [p for p in paths if p and not p.startswith("obs://")]


def storage_volumes(spec: JobSpec, volume_mounts: Mapping[str, Mapping[str, Any]]) -> tuple[list[dict], list[dict]]:
    """(volumes, volumeMounts) for the configured prefixes the job's paths use;
    raises ManifestError for a path no pod could see."""
    prefixes = sorted((p.rstrip("/") or "/" for p in volume_mounts), key=len, reverse=True)
    sources = {p.rstrip("/") or "/": src for p, src in volume_mounts.items()}
    used: list[str] = []
    for path in job_paths(spec):
        norm = posixpath.normpath(path)
        match = next((p for p in prefixes if _under(norm, p)), None)
        if match is None:
            raise ManifestError(
                f"{path} is not on storage the cluster can mount: use an obs:// path or a NAS "
                "configured in the Kubernetes backend's volume_mounts"
            )
        if match not in used:
            used.append(match)
    volumes, mounts = [], []
    for index, prefix in enumerate(sorted(used)):  # parents before children for nested mounts
        source = copy.deepcopy(dict(sources[prefix]))
        source.pop("name", None)
        volumes.append({"name": f"storage-{index}", **source})
        mounts.append({"name": f"storage-{index}", "mountPath": prefix})
    return volumes, mounts


# -- pods -------------------------------------------------------------------------
def work_dir(spec: JobSpec) -> str:
    return spec.work_dir or DEFAULT_WORK_DIR


def pod_spec_json(spec: JobSpec) -> str:
    """The EM_JOB_SPEC value: the spec as given, with the pod's work_dir."""
    data = spec.to_dict()
    data["work_dir"] = work_dir(spec)
    return json.dumps(data)


def secret_manifest(spec: JobSpec, name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(name, namespace, spec),
        "type": "Opaque",
        "stringData": {SPEC_SECRET_KEY: pod_spec_json(spec)},
    }


def resources(spec: JobSpec) -> dict[str, Any]:
    it = spec.instance_type
    amounts = {"cpu": f"{max(1, int(round(it.cpu * 1000)))}m", "memory": f"{max(1, int(it.memory_mib))}Mi"}
    limits = dict(amounts)
    if it.gpu > 0:
        limits[GPU_RESOURCE] = str(int(it.gpu))  # extended resources: requests default to limits
    return {"requests": amounts, "limits": limits}


def _env_list(spec: JobSpec, secret_name: str, options: PodOptions, fixed: Mapping[str, str]) -> list[dict[str, Any]]:
    values: dict[str, str] = {str(k): str(v) for k, v in options.extra_env.items()}
    values.update({str(k): str(v) for k, v in (spec.env or {}).items()})
    values.update(fixed)  # rendezvous and rank values must win over user env
    values.pop("EM_JOB_SPEC", None)
    env: list[dict[str, Any]] = [
        {"name": "EM_JOB_SPEC", "valueFrom": {"secretKeyRef": {"name": secret_name, "key": SPEC_SECRET_KEY}}}
    ]
    env += [{"name": k, "value": v} for k, v in values.items()]
    return env


def pod_template(
    spec: JobSpec,
    *,
    secret_name: str,
    options: PodOptions,
    env: Mapping[str, str] | None = None,
    container_name: str = JOB_CONTAINER,
    command: list[str] | None = None,
    subdomain: str | None = None,
    ports: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A PodTemplateSpec running the launcher for one node of ``spec``."""
    volumes, mounts = storage_volumes(spec, options.volume_mounts)
    scratch = work_dir(spec)
    volumes.append({"name": "work", "emptyDir": {}})
    mounts.append({"name": "work", "mountPath": scratch})
    # PyTorch DataLoader workers and NCCL need more than the default 64 MiB /dev/shm
    volumes.append(
        {
            "name": "dshm",
            "emptyDir": {"medium": "Memory", "sizeLimit": f"{max(64, spec.instance_type.memory_mib // 2)}Mi"},
        }
    )
    mounts.append({"name": "dshm", "mountPath": "/dev/shm"})
    container: dict[str, Any] = {
        "name": container_name,
        "image": spec.image or options.image,
        "command": list(command or LAUNCHER_COMMAND),
        "env": _env_list(spec, secret_name, options, env or {}),
        "resources": resources(spec),
        "volumeMounts": mounts,
        # the tail of the log becomes the termination message: status() can show why it failed
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if ports:
        container["ports"] = ports
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [container],
        "volumes": volumes,
        "enableServiceLinks": False,
    }
    if options.service_account:
        pod["serviceAccountName"] = options.service_account
    else:
        pod["automountServiceAccountToken"] = False  # user code gets no API credentials by default
    if options.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": s} for s in options.image_pull_secrets]
    if spec.instance_type.node_selector:
        pod["nodeSelector"] = dict(spec.instance_type.node_selector)
    if subdomain:
        pod["subdomain"] = subdomain
    return {"metadata": {"labels": job_labels(spec), "annotations": {JOB_ID_ANNOTATION: spec.job_id}}, "spec": pod}


def _deadline(spec: JobSpec) -> int | None:
    return int(math.ceil(spec.max_run_seconds)) if spec.max_run_seconds else None


def master_address(name: str, service: str) -> str:
    """DNS name of index 0 of an Indexed Job whose pods use ``subdomain=service``."""
    return f"{name}-0.{service}"


def job_manifest(
    spec: JobSpec, *, name: str, namespace: str, options: PodOptions, secret_name: str | None = None
) -> dict[str, Any]:
    """A batch/v1 Job: plain for one node, Indexed (+ headless Service named
    like the Job, see :func:`headless_service_manifest`) for several."""
    nodes = max(1, int(spec.nodes))
    secret_name = secret_name or name
    service = name if nodes > 1 else None
    env = {"EM_MASTER_ADDR": master_address(name, name), "EM_MASTER_PORT": str(MASTER_PORT)} if service else {}
    ports = [{"name": "rendezvous", "containerPort": MASTER_PORT}] if service else None
    job_spec: dict[str, Any] = {
        "backoffLimit": 0,
        "template": pod_template(
            spec, secret_name=secret_name, options=options, env=env, subdomain=service, ports=ports
        ),
    }
    if service:
        job_spec.update({"completionMode": "Indexed", "completions": nodes, "parallelism": nodes})
    deadline = _deadline(spec)
    if deadline:
        job_spec["activeDeadlineSeconds"] = deadline
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _metadata(name, namespace, spec, service=service),
        "spec": job_spec,
    }


def headless_service_manifest(
    spec: JobSpec, *, name: str, namespace: str, owner: dict[str, Any] | None = None
) -> dict[str, Any]:
    metadata = _metadata(name, namespace, spec)
    if owner:
        metadata["ownerReferences"] = [owner]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": {
            "clusterIP": "None",
            "selector": selector_labels(spec.job_id),
            # ranks rendezvous before any readiness: names must resolve at once
            "publishNotReadyAddresses": True,
            "ports": [{"name": "rendezvous", "port": MASTER_PORT, "targetPort": MASTER_PORT}],
        },
    }


def pytorchjob_manifest(
    spec: JobSpec, *, name: str, namespace: str, options: PodOptions, secret_name: str | None = None
) -> dict[str, Any]:
    """A Kubeflow PyTorchJob: Master (rank 0) + nodes-1 Workers. The operator
    names the master's Service ``{name}-master-0`` and sets ``RANK`` (worker i
    gets i+1); the launcher reads ``EM_NODE_RANK``, so workers export it from
    ``RANK`` in a shell wrapper."""
    nodes = max(2, int(spec.nodes))
    secret_name = secret_name or name
    env = {"EM_MASTER_ADDR": f"{name}-master-0", "EM_MASTER_PORT": str(MASTER_PORT)}
    ports = [{"name": PYTORCHJOB_PORT_NAME, "containerPort": MASTER_PORT}]
    launcher = " ".join(LAUNCHER_COMMAND)
    worker_command = ["sh", "-c", f'EM_NODE_RANK="$RANK"; export EM_NODE_RANK; exec {launcher}']

    def replica(count: int, rank_env: dict[str, str], command: list[str] | None) -> dict[str, Any]:
        template = pod_template(
            spec,
            secret_name=secret_name,
            options=options,
            env={**env, **rank_env},
            container_name=PYTORCHJOB_CONTAINER,
            command=command,
            ports=ports,
        )
        return {"replicas": count, "restartPolicy": "Never", "template": template}

    run_policy: dict[str, Any] = {"backoffLimit": 0, "cleanPodPolicy": "None"}  # pods (and logs) stay until release()
    deadline = _deadline(spec)
    if deadline:
        run_policy["activeDeadlineSeconds"] = deadline
    return {
        "apiVersion": PYTORCHJOB_API_VERSION,
        "kind": "PyTorchJob",
        "metadata": _metadata(name, namespace, spec),
        "spec": {
            "runPolicy": run_policy,
            "pytorchReplicaSpecs": {
                "Master": replica(1, {"EM_NODE_RANK": "0"}, None),
                "Worker": replica(nodes - 1, {}, worker_command),
            },
        },
    }
