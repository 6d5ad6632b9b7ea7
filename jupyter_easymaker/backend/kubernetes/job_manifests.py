"""Pure builders of the Kubernetes objects a job becomes (no API calls).

Every function returns plain camelCase dicts exactly as they are sent to the
API server, so tests can validate them against the Kubernetes JSON schemas.

What a job becomes:

* a ``Secret`` holding the job spec as JSON (the spec can carry object-storage
  credentials and an app key, which must not sit in a Job's pod template where
  anyone allowed to read Jobs sees them); pods get it as ``EM_JOB_SPEC``, and
  each of the spec's ``secret_env`` variables (a model's Hugging Face token)
  from a key of the same Secret (``secretKeyRef``);
* one node: a ``batch/v1`` Job;
* several nodes: a Kubeflow ``PyTorchJob`` (Master + Workers) when that CRD is
  installed, else an Indexed Job plus a headless Service giving every pod a
  stable DNS name ``{job}-{index}.{service}``.

Storage: a job path under a configured ``volume_mounts`` prefix is mounted at
the same path in the pod (see :mod:`.pods`); ``obs://`` paths need no volume
(the launcher stages them). Any other local path cannot be seen by a pod and
is refused. The job's ``work_dir`` is always a per-pod ``emptyDir``. Names,
labels and annotations: :mod:`.labels`.
"""

from __future__ import annotations

import json
import math
import posixpath
from collections.abc import Mapping
from typing import Any

from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.backend.kubernetes.labels import (
    APP_NAME_KEY,
    JOB_ID_ANNOTATION,
    JOB_NAME_ANNOTATION,
    KIND_LABEL,
    NODES_ANNOTATION,
    SERVICE_ANNOTATION,
    MANAGED_BY,
    MANAGED_BY_KEY,
    label_value,
    selector_labels,
    user_labels,
)
from jupyter_easymaker.backend.kubernetes.pods import (
    ManifestError,
    PodOptions,
    add_pull_secrets,
    container_resources,
    mount_prefix,
    pod_settings,
    under,
    volume_source,
)
from jupyter_easymaker.catalogs.jobs import FIRED_JOB_NAME_ENV, IMAGE_DIR, LAUNCHER_MODULE

DEFAULT_IMAGE = "ghcr.io/jupyter-easymaker/training:latest"
LAUNCHER_COMMAND = ["python", "-m", LAUNCHER_MODULE]
DEFAULT_WORK_DIR = "/easymaker/work"
MASTER_PORT = 29500
SPEC_SECRET_KEY = "job-spec.json"
SECRET_ENV_KEY_PREFIX = "env."  # + the variable's name: a key of the job's Secret

PYTORCHJOB_GROUP = "kubeflow.org"
PYTORCHJOB_VERSION = "v1"
PYTORCHJOB_PLURAL = "pytorchjobs"
PYTORCHJOB_API_VERSION = f"{PYTORCHJOB_GROUP}/{PYTORCHJOB_VERSION}"
PYTORCHJOB_CONTAINER = "pytorch"  # the training operator injects its env only into this container
PYTORCHJOB_PORT_NAME = "pytorchjob-port"  # the operator reads the master port from this port name
JOB_CONTAINER = "trainer"


# -- labels and annotations -----------------------------------------------------
def job_labels(spec: JobSpec) -> dict[str, str]:
    labels = user_labels(spec.labels)
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


# -- storage --------------------------------------------------------------------
def job_paths(spec: JobSpec) -> list[str]:
    """The storage paths a pod must see (work_dir excluded: it is scratch;
    a source directory inside the image needs no volume)."""
    paths = [
        "" if under(posixpath.normpath(spec.source_dir or "/"), IMAGE_DIR) else spec.source_dir,
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
    used: list[str] = []
    for path in job_paths(spec):
        match = mount_prefix(path, volume_mounts)
        if match is None:
            raise ManifestError(
                f"{path} is not on storage the cluster can mount: use an obs:// path or a NAS "
                "configured in the Kubernetes backend's volume_mounts"
            )
        if match not in used:
            used.append(match)
    volumes, mounts = [], []
    for index, prefix in enumerate(sorted(used)):  # parents before children for nested mounts
        volumes.append({"name": f"storage-{index}", **volume_source(prefix, volume_mounts)})
        mounts.append({"name": f"storage-{index}", "mountPath": prefix})
    return volumes, mounts


# -- pods -------------------------------------------------------------------------
def work_dir(spec: JobSpec) -> str:
    return spec.work_dir or DEFAULT_WORK_DIR


def pod_spec_json(spec: JobSpec) -> str:
    """The EM_JOB_SPEC value: the spec as given, with the pod's work_dir."""
    data = spec.to_dict()
    data["work_dir"] = work_dir(spec)
    data["python"] = ""  # a local backend's interpreter: a pod runs its image's own
    return json.dumps(data)


def secret_env_key(name: str) -> str:
    """The Secret key holding the secret variable ``name`` (keys and variables share one alphabet)."""
    return f"{SECRET_ENV_KEY_PREFIX}{name}"


def secret_manifest(spec: JobSpec, name: str, namespace: str) -> dict[str, Any]:
    data = {secret_env_key(k): str(v) for k, v in (spec.secret_env or {}).items()}
    data[SPEC_SECRET_KEY] = pod_spec_json(spec)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(name, namespace, spec),
        "type": "Opaque",
        "stringData": data,
    }


def _env_list(spec: JobSpec, secret_name: str, options: PodOptions, fixed: Mapping[str, str]) -> list[dict[str, Any]]:
    values: dict[str, str] = {str(k): str(v) for k, v in options.extra_env.items()}
    values.update({str(k): str(v) for k, v in (spec.env or {}).items()})
    values.update(fixed)  # rendezvous and rank values must win over user env
    secret = [str(k) for k in (spec.secret_env or {}) if str(k) not in fixed]
    for key in ("EM_JOB_SPEC", *secret):
        values.pop(key, None)
    env: list[dict[str, Any]] = [
        {"name": "EM_JOB_SPEC", "valueFrom": {"secretKeyRef": {"name": secret_name, "key": SPEC_SECRET_KEY}}}
    ]
    env += [{"name": k, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": secret_env_key(k)}}} for k in secret]
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
        "resources": container_resources(spec.instance_type.cpu, spec.instance_type.memory_mib, spec.instance_type.gpu,
                                         spec.data_storage_gb),
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
        **pod_settings(options, spec.instance_type.node_selector, spec.instance_type.tolerations),
    }
    add_pull_secrets(pod, sorted(spec.registry_credentials or {}))  # the image's registry account
    if spec.service_account:  # this job's own identity (a pipeline run's executor creates its tasks' Jobs)
        pod.pop("automountServiceAccountToken", None)
        pod["serviceAccountName"] = spec.service_account
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


# -- the tasks of a pipeline run --------------------------------------------------------
PIPELINE_TASK_KIND = "pipeline-task"
PIPELINE_RUN_LABEL = "easymaker/pipeline-run"
TASK_CONTAINER = "main"
# a backstop: the run's executor deletes each task's Job once it has read its end
TASK_JOB_TTL_SECONDS = 3600


def pipeline_task_job_template(spec: JobSpec, *, namespace: str, options: PodOptions) -> dict[str, Any]:
    """The Job every task of the pipeline run ``spec`` becomes, less what each task
    sets itself (name, image, command, env, working dir, its own resources): the
    run's storage mounted at the same paths (the tasks pass parameters and
    artifacts through the run's folder), the run's instance type as the default
    resources. Its labels are not the run's selector labels, so the run's pods
    stay the run's alone; task pods get no API credentials."""
    volumes, mounts = storage_volumes(spec, options.volume_mounts)
    labels = {
        **user_labels(spec.labels),
        MANAGED_BY_KEY: MANAGED_BY,
        APP_NAME_KEY: label_value(f"easymaker-{PIPELINE_TASK_KIND}"),
        KIND_LABEL: PIPELINE_TASK_KIND,
        PIPELINE_RUN_LABEL: label_value(spec.job_id),
    }
    resources = container_resources(spec.instance_type.cpu, spec.instance_type.memory_mib, spec.instance_type.gpu)
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [
            {
                "name": TASK_CONTAINER,
                "image": options.image,
                "env": [{"name": k, "value": v} for k, v in options.extra_env.items()],
                "resources": resources,
                "volumeMounts": mounts,
                "terminationMessagePolicy": "FallbackToLogsOnError",
            }
        ],
        "volumes": volumes,
        "enableServiceLinks": False,
        **pod_settings(PodOptions(image=options.image, image_pull_secrets=options.image_pull_secrets),
                       spec.instance_type.node_selector, spec.instance_type.tolerations),
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"namespace": namespace, "labels": labels, "annotations": {JOB_ID_ANNOTATION: spec.job_id}},
        "spec": {
            "backoffLimit": 0,  # retries are the pipeline's (retryPolicy), counted by the executor
            "ttlSecondsAfterFinished": TASK_JOB_TTL_SECONDS,
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod},
        },
    }


# -- pipeline schedules: a CronJob that starts the runs itself ------------------------------
SCHEDULE_LABEL = "easymaker/pipeline-schedule"
SCHEDULE_ID_ANNOTATION = "easymaker/pipeline-schedule-id"
# the label the job controller puts on the pods of a Job (Kubernetes 1.27 and later)
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
# the time the CronJob controller meant to start a Job for (on each Job it creates, 1.28 and later)
SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
# finished Jobs the CronJob keeps until the server picks them up (it deletes each it recorded)
FIRED_JOBS_KEPT = 100
# a CronJob's name is at most 52 characters: its Jobs add 11
CRONJOB_MAX_NAME = 52


def pipeline_schedule_cronjob_manifest(
    spec: JobSpec, *, name: str, namespace: str, options: PodOptions, schedule_id: str, cron: str,
    suspend: bool, concurrency_policy: str, starting_deadline_seconds: int | None,
) -> dict[str, Any]:
    """A ``batch/v1`` CronJob whose Jobs are the pipeline run Job of ``spec`` (same
    image, service account, storage and Secret ``name``), each Job and pod labelled with
    the schedule; a pod learns its Job's name from the downward API (its run's folder is
    named after it). ``cron``: 5 fields, read in UTC."""
    job = job_manifest(spec, name=name, namespace=namespace, options=options, secret_name=name)
    labels = {**job["metadata"]["labels"], SCHEDULE_LABEL: label_value(schedule_id)}
    annotations = {**job["metadata"]["annotations"], SCHEDULE_ID_ANNOTATION: schedule_id}
    template = job["spec"]["template"]
    template["metadata"]["labels"] = {**template["metadata"]["labels"], SCHEDULE_LABEL: label_value(schedule_id)}
    container = template["spec"]["containers"][0]
    container["env"].append({"name": FIRED_JOB_NAME_ENV,
                             "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{JOB_NAME_LABEL}']"}}})
    cron_spec: dict[str, Any] = {
        "schedule": cron,
        "timeZone": "Etc/UTC",
        "suspend": suspend,
        "concurrencyPolicy": concurrency_policy,
        "successfulJobsHistoryLimit": FIRED_JOBS_KEPT,
        "failedJobsHistoryLimit": FIRED_JOBS_KEPT,
        "jobTemplate": {"metadata": {"labels": labels, "annotations": annotations}, "spec": job["spec"]},
    }
    if starting_deadline_seconds is not None:
        cron_spec["startingDeadlineSeconds"] = starting_deadline_seconds
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": annotations},
        "spec": cron_spec,
    }
