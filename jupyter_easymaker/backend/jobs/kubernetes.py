"""Kubernetes execution backend: every job becomes standard cluster objects.

The objects are built by :mod:`jupyter_easymaker.backend.kubernetes.job_manifests`
(see there for what a job becomes and how ``volume_mounts`` exposes NAS paths
to pods) and sent through :mod:`jupyter_easymaker.backend.kubernetes.api`,
whose client the serving backend shares. Import this module only when the
Kubernetes backend is configured: it imports the ``kubernetes`` client (the
``[k8s]`` extra).

Handles look like ``{"backend": "kubernetes", "namespace", "name", "kind":
"Job" | "PyTorchJob", "service", "job_id", "nodes"}``; ``stop()`` adds
``"stop_requested": True`` to the handle it is given (the controller should
store the handle afterwards) and annotates the Job, so that a job that ends
because it was stopped reads STOPPED rather than FAILED or LOST.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException
from kubernetes.utils import parse_quantity

from jupyter_easymaker.backend.base import BackendError, LogChunk, ResourceUsage
from jupyter_easymaker.backend.jobs.base import JobPhase, JobSpec, JobState
from jupyter_easymaker.backend.kubernetes import job_manifests as m
from jupyter_easymaker.backend.kubernetes.api import (
    MERGE_PATCH,
    CustomResourceCheck,
    KubernetesApi,
    labels_match,
    load_client,
    true_condition,
)
from jupyter_easymaker.backend.kubernetes.gpu_metrics import GpuMetrics
from jupyter_easymaker.backend.kubernetes.informers import (
    DEFAULT_RESYNC_SECONDS,
    JOBS,
    PODS,
    PYTORCHJOBS,
    Informers,
)
from jupyter_easymaker.backend.kubernetes.labels import (
    ID_LABEL,
    JOB_ID_ANNOTATION,
    MANAGED_BY,
    MANAGED_BY_KEY,
    NODES_ANNOTATION,
    SERVICE_ANNOTATION,
    STOP_ANNOTATION,
    label_value,
    owner_reference,
    resource_name,
    selector,
    selector_labels,
)
from jupyter_easymaker.backend.kubernetes.pods import (
    GPU_RESOURCE,
    ManifestError,
    PodOptions,
    registry_secret_manifest,
)

JOB_KIND = "Job"
PYTORCHJOB_KIND = "PyTorchJob"
COMPLETION_INDEX_KEY = "batch.kubernetes.io/job-completion-index"
REPLICA_TYPE_LABEL = "training.kubeflow.org/replica-type"
REPLICA_INDEX_LABEL = "training.kubeflow.org/replica-index"


# -- pure helpers (tested without a server) ------------------------------------------
def _epoch(value: Any) -> float | None:
    if not value:
        return None
    try:
        return _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def pod_rank(pod: Mapping[str, Any]) -> int:
    """Node rank of a pod of an Indexed Job, a PyTorchJob or a plain Job."""
    meta = pod.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    try:
        index = annotations.get(COMPLETION_INDEX_KEY) or labels.get(COMPLETION_INDEX_KEY)
        if index is not None:
            return int(index)
        if str(labels.get(REPLICA_TYPE_LABEL, "")).lower() == "worker":
            return int(labels.get(REPLICA_INDEX_LABEL, 0)) + 1
    except ValueError:
        pass
    return 0


def order_pods(pods: list[dict]) -> list[dict]:
    return sorted(
        pods,
        key=lambda p: (
            pod_rank(p),
            str((p.get("metadata") or {}).get("creationTimestamp") or ""),
            str((p.get("metadata") or {}).get("name")),
        ),
    )


def pod_finished(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def assemble_logs(pods: list[dict], fetch: Callable[[dict], str], *, multi_node: bool) -> str:
    """The job's log text, append-only across calls.

    Pods are taken in rank order and the text stops after the first pod that
    may still write (or that does not exist yet): a later rank's log is only
    shown once every earlier rank has finished, so text already returned never
    moves and an offset into it stays valid. On a running multi-node job that
    means rank 0's log.
    """
    parts: list[str] = []
    next_rank = 0
    for pod in order_pods(pods):
        rank = pod_rank(pod)
        if multi_node and rank > next_rank:
            break  # an earlier rank's pod is missing: it would land before this text later
        next_rank = max(next_rank, rank + 1)
        if multi_node:
            parts.append(f"===== node {pod_rank(pod)} ({pod['metadata'].get('name')}) =====\n")
        text = fetch(pod)
        parts.append(text)
        if not pod_finished(pod):
            break
        if multi_node and text and not text.endswith("\n"):
            parts.append("\n")
    return "".join(parts)


def _container_states(pod: Mapping[str, Any]) -> list[dict]:
    return [cs.get("state") or {} for cs in (pod.get("status") or {}).get("containerStatuses") or []]


def _started_at(pods: list[dict], job: Mapping[str, Any]) -> float | None:
    times = [
        _epoch((state.get("running") or state.get("terminated") or {}).get("startedAt"))
        for pod in pods
        for state in _container_states(pod)
    ]
    times = [t for t in times if t is not None]
    return min(times) if times else _epoch((job.get("status") or {}).get("startTime"))


def _failure_from_pods(pods: list[dict], memory: str = "") -> tuple[int | None, str]:
    """(exit code, reason) of the first failed container in rank order."""
    for pod in order_pods(pods):
        for state in _container_states(pod):
            term = state.get("terminated") or {}
            code = term.get("exitCode")
            if code is None or int(code) == 0:
                continue
            if term.get("reason") == "OOMKilled":
                limit = f" of {memory}" if memory else ""
                return int(code), f"out of memory: the container exceeded its memory limit{limit} (OOMKilled)"
            reason = f"user code exited with {int(code)}"
            last = [line for line in str(term.get("message") or "").splitlines() if line.strip()]
            return int(code), f"{reason}: {last[-1].strip()}" if last else reason
    return None, ""


def _pending_state(pods: list[dict]) -> JobState | None:
    """None for RUNNING, else QUEUED / STARTING (FAILED for a permanent start
    error) from the pods of a job that has no terminal condition yet."""

    def ran(pod: dict) -> bool:  # running now, or finished while the Job controller catches up
        states = _container_states(pod)
        return pod_finished(pod) or (
            (pod.get("status") or {}).get("phase") == "Running" and any("running" in s for s in states)
        )

    if any(ran(p) for p in pods):
        return None
    for pod in pods:
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in ("InvalidImageName", "ErrImageNeverPull"):
                return JobState(
                    JobPhase.FAILED, reason=f"{waiting['reason']}: {waiting.get('message', '')}".rstrip(": ")
                )
            if waiting.get("reason") in ("ErrImagePull", "ImagePullBackOff", "CreateContainerConfigError"):
                return JobState(
                    JobPhase.STARTING, reason=f"{waiting['reason']}: {waiting.get('message', '')}".rstrip(": ")
                )
        for cond in (pod.get("status") or {}).get("conditions") or []:
            if (
                cond.get("type") == "PodScheduled"
                and str(cond.get("status")) == "False"
                and cond.get("reason") == "Unschedulable"
            ):
                return JobState(
                    JobPhase.QUEUED, reason=f"waiting for resources: {cond.get('message', '')}".rstrip(": ")
                )
    return JobState(JobPhase.STARTING)


def job_state(
    obj: Mapping[str, Any] | None, pods: list[dict], *, kind: str = JOB_KIND, stop_requested: bool = False
) -> JobState:
    """Map a Job or PyTorchJob (None when gone) and its pods to a JobState."""
    if obj is None:
        if stop_requested:
            return JobState(JobPhase.STOPPED, reason="stopped by request", finished_at=time.time())
        return JobState(JobPhase.LOST, reason="the job no longer exists in the cluster")
    meta = obj.get("metadata") or {}
    stop_requested = stop_requested or (meta.get("annotations") or {}).get(STOP_ANNOTATION) == "true"
    status = obj.get("status") or {}
    done_types = ("Complete",) if kind == JOB_KIND else ("Succeeded",)
    started = _started_at(pods, obj)
    done = true_condition(obj, done_types)
    if done:
        finished = _epoch(status.get("completionTime")) or _epoch(done.get("lastTransitionTime"))
        return JobState(JobPhase.SUCCEEDED, exit_code=0, started_at=started, finished_at=finished)
    failed = true_condition(obj, ("Failed",))
    if failed:
        finished = _epoch(failed.get("lastTransitionTime")) or _epoch(status.get("completionTime"))
        if stop_requested:
            return JobState(JobPhase.STOPPED, reason="stopped by request", started_at=started, finished_at=finished)
        reason_code = str(failed.get("reason") or "")
        message = str(failed.get("message") or "")
        if "DeadlineExceeded" in reason_code or "deadline" in message.lower():
            code, _ = _failure_from_pods(pods)
            return JobState(
                JobPhase.FAILED,
                reason="maximum run time exceeded",
                exit_code=code,
                started_at=started,
                finished_at=finished,
            )
        memory = _memory_limit(obj)
        code, reason = _failure_from_pods(pods, memory)
        return JobState(
            JobPhase.FAILED,
            reason=reason or message or reason_code or "the job failed",
            exit_code=code,
            started_at=started,
            finished_at=finished,
        )
    if true_condition(obj, ("Suspended",)) or (obj.get("spec") or {}).get("suspend") is True:
        return JobState(JobPhase.QUEUED, reason="the job is suspended (waiting in a cluster queue)")
    if stop_requested and meta.get("deletionTimestamp") and not pods:
        return JobState(JobPhase.STOPPED, reason="stopped by request", started_at=started, finished_at=time.time())
    pending = _pending_state(pods)
    if pending is None:
        return JobState(JobPhase.RUNNING, reason="stopping" if stop_requested else "", started_at=started)
    return pending


def _memory_limit(obj: Mapping[str, Any]) -> str:
    spec = obj.get("spec") or {}
    templates = [spec.get("template")] + [r.get("template") for r in (spec.get("pytorchReplicaSpecs") or {}).values()]
    for template in templates:
        for container in ((template or {}).get("spec") or {}).get("containers") or []:
            limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
            if limit:
                return str(limit)
    return ""


def handle_from_object(obj: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """Rebuild a job's handle from what is stored on its object (discover)."""
    meta = obj.get("metadata") or {}
    annotations, labels = meta.get("annotations") or {}, meta.get("labels") or {}
    handle = {
        "backend": "kubernetes",
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "kind": kind,
        "service": annotations.get(SERVICE_ANNOTATION) or None,
        "job_id": annotations.get(JOB_ID_ANNOTATION) or labels.get(ID_LABEL),
        "nodes": int(annotations.get(NODES_ANNOTATION) or 1),
    }
    if annotations.get(STOP_ANNOTATION) == "true":
        handle["stop_requested"] = True
    return handle


# -- the backend ------------------------------------------------------------------------
class KubernetesBackend:
    """Runs jobs as Jobs / Indexed Jobs / PyTorchJobs in one namespace.

    ``volume_mounts``: local path prefix -> pod volume source (e.g.
    ``{"/mnt/nas1": {"nfs": {"server": "10.0.0.5", "path": "/export"}}}`` or
    ``{"persistentVolumeClaim": {"claimName": "x"}}``); job paths under a
    prefix are mounted at the same path in the pod. ``pytorchjob``: None
    detects the Kubeflow CRD, True/False forces or forbids its use.
    ``in_cluster``: None uses the pod's service account when the server runs
    in a cluster and no ``kubeconfig`` is named, else the kubeconfig. Its
    ``api`` (:class:`~jupyter_easymaker.backend.kubernetes.api.KubernetesApi`)
    is shared with the serving backend built on it.

    ``watch`` (on by default) keeps the Jobs, PyTorchJobs and pods it reads in
    watch-fed caches (:mod:`~jupyter_easymaker.backend.kubernetes.informers`,
    relisted every ``resync_seconds``), which the serving and notebook backends
    share; ``status()`` then reads no API. Off, every status read is a GET and a
    LIST. With the caches, the controller looks at a job when its objects
    change, and otherwise every ``revisit_seconds()``: ``log_poll_seconds``, or
    longer when there are so many jobs that their log reads and usage samples
    would exceed ``job_reads_per_second``.
    """

    name = "kubernetes"

    def __init__(
        self,
        namespace: str = "default",
        image: str = m.DEFAULT_IMAGE,
        api_client: Any = None,
        kubeconfig: str | None = None,
        in_cluster: bool | None = None,
        volume_mounts: dict[str, dict] | None = None,
        service_account: str | None = None,
        image_pull_secrets: list[str] | None = None,
        extra_env: dict | None = None,
        pytorchjob: bool | None = None,
        request_timeout: float = 30.0,
        gpu_metrics_url: str | None = None,
        watch: bool = True,
        resync_seconds: float = DEFAULT_RESYNC_SECONDS,
        log_poll_seconds: float = 2.0,
        job_reads_per_second: float = 20.0,
    ):
        self.namespace = namespace
        self.options = PodOptions(
            image=image or m.DEFAULT_IMAGE,  # the server passes "" when no default image is configured
            volume_mounts=dict(volume_mounts or {}),
            service_account=service_account,
            image_pull_secrets=tuple(image_pull_secrets or ()),
            extra_env={str(k): str(v) for k, v in (extra_env or {}).items()},
        )
        self.api = KubernetesApi(api_client if api_client is not None else load_client(kubeconfig, in_cluster), request_timeout)
        # GPU usage of pods (DCGM exporter series in Prometheus); without it, GPU usage is unknown
        self.gpu_metrics = GpuMetrics(gpu_metrics_url) if gpu_metrics_url else None
        self._pytorchjob_forced = pytorchjob
        self._pytorchjob = CustomResourceCheck(self.api, namespace, m.PYTORCHJOB_GROUP, m.PYTORCHJOB_VERSION,
                                               m.PYTORCHJOB_PLURAL, "PyTorchJob")
        self.log_poll_seconds = max(0.0, float(log_poll_seconds))
        self.job_reads_per_second = max(0.1, float(job_reads_per_second))
        self._changes: dict[str, int] = {}  # easymaker/id label -> changes seen of its objects
        self._changes_total = 0  # of every watched object
        self._wake: Callable[[], None] | None = None
        # kept on the API object: the serving and notebook backends read through the same caches
        self.api.informers = (Informers(self.api, namespace, resync_seconds=resync_seconds, on_change=self._changed)
                              if watch else None)

    @property
    def informers(self) -> Informers | None:
        """The watch-fed caches this backend keeps (None with ``watch`` off)."""
        return self.api.informers

    # -- watching -------------------------------------------------------------------
    def watch_changes(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` (the controller's) whenever a watched object changes; start the caches of jobs and pods."""
        self._wake = wake
        if self.informers is not None:
            self.informers.start()
            self.informers.informer(JOBS)
            self.informers.informer(PODS)

    def stop_watching(self) -> None:
        self._wake = None
        if self.informers is not None:
            self.informers.stop()

    def _changed(self, kind: str, obj: dict) -> None:
        key = str(((obj.get("metadata") or {}).get("labels") or {}).get(ID_LABEL) or "")
        self._changes[key] = self._changes.get(key, 0) + 1
        self._changes_total += 1
        wake = self._wake
        if wake is not None:
            wake()

    def change_mark(self, handle: Mapping[str, Any]) -> int | None:
        """How many changes of this job's object and pods the caches have seen; None when
        they are off or not synced (then only a look tells whether it changed)."""
        if not handle.get("job_id"):
            return None
        return self.changes_of(str(handle["job_id"]), (PYTORCHJOBS if handle.get("kind") == PYTORCHJOB_KIND else JOBS, PODS))

    def changes_of(self, resource_id: str, kinds: tuple[str, ...]) -> int | None:
        """How many changes the caches have seen of the objects labelled with this job's or
        server's id; None unless the caches of ``kinds`` run and have listed."""
        if self.informers is None or any(self.informers.synced(kind) is None for kind in kinds):
            return None
        return self._changes.get(label_value(resource_id), 0)

    def changes_seen(self) -> int:
        """How many changes of watched objects the caches have seen in all (a pass looks
        whether it moved before it scans its rows' :meth:`change_mark`)."""
        return self._changes_total

    def revisit_seconds(self) -> float:
        """How long an unchanged job may go unlooked at (its logs, usage and time limit);
        0 without the caches (every pass looks)."""
        if self.informers is None:
            return 0.0
        jobs = self.informers.synced(JOBS)
        running = len(jobs.items()) if jobs is not None else 0
        return max(self.log_poll_seconds, running / self.job_reads_per_second)

    # -- API plumbing -------------------------------------------------------------
    def _ignore_missing(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.api.ignore_missing(fn, *args, what="cleaning up the job failed", **kwargs)

    def _cached_job(self, handle: Mapping[str, Any]) -> dict | None:
        """The job's object from the cache; a direct read when the cache is off, not synced,
        or has not seen it (yet: a Job created a moment ago)."""
        if self.informers is not None and handle["namespace"] == self.namespace:
            informer = self.informers.synced(PYTORCHJOBS if handle.get("kind") == PYTORCHJOB_KIND else JOBS)
            found = informer.get(handle["name"]) if informer is not None else None
            if found is not None:
                return found
        return self._read_job(handle)

    def _cached_pods(self, handle: Mapping[str, Any]) -> list[dict]:
        """The job's pods from the cache once it is synced; else listed."""
        informer = self.informers.synced(PODS) if self.informers is not None else None
        if informer is None or handle["namespace"] != self.namespace:
            return self._pods(handle)
        wanted = handle.get("pod_labels") or selector_labels(handle["job_id"])  # see _pods
        candidates = informer.with_id(wanted[ID_LABEL]) if ID_LABEL in wanted else informer.items()
        return [p for p in candidates if labels_match(p, wanted)]

    def _read_job(self, handle: Mapping[str, Any]) -> dict | None:
        ns, name = handle["namespace"], handle["name"]
        try:
            if handle.get("kind") == PYTORCHJOB_KIND:
                return self.api.call(
                    self.api.custom.get_namespaced_custom_object,
                    m.PYTORCHJOB_GROUP,
                    m.PYTORCHJOB_VERSION,
                    ns,
                    m.PYTORCHJOB_PLURAL,
                    name,
                )
            return self.api.call(self.api.batch.read_namespaced_job, name, ns)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise self.api.error(f"reading job {name} failed", exc) from exc

    def _pods(self, handle: Mapping[str, Any]) -> list[dict]:
        # a Job a CronJob started shares its template's id label with every other one: its pods go by its name
        wanted = handle.get("pod_labels") or selector_labels(handle["job_id"])
        return self.api.pods(handle["namespace"], wanted, what="listing the job's pods failed")

    def _check_handle(self, handle: Mapping[str, Any]) -> None:
        if not isinstance(handle, Mapping) or not all(handle.get(k) for k in ("namespace", "name", "job_id")):
            raise BackendError(f"not a Kubernetes job handle: {handle!r}")

    # -- facts ----------------------------------------------------------------------
    def pytorchjob_available(self) -> bool:
        """Whether the Kubeflow PyTorchJob CRD is served here (cached)."""
        if self._pytorchjob_forced is not None:
            return self._pytorchjob_forced
        return self._pytorchjob.available()

    def capabilities(self) -> dict[str, Any]:
        try:
            pytorchjob = self.pytorchjob_available()
        except BackendError:
            pytorchjob = False
        return {
            "name": self.name,
            "namespace": self.namespace,
            "image": self.options.image,
            "pytorchjob": pytorchjob,
            "multi_node": "PyTorchJob" if pytorchjob else "Indexed Job",
            "gpu_resource": GPU_RESOURCE,
            "volume_mounts": sorted(self.options.volume_mounts),
        }

    def pipeline_task_template(self, spec: JobSpec) -> dict[str, Any]:
        """The Job each task of the pipeline run ``spec`` becomes (its executor fills in
        the task); a BackendError when the run's storage cannot be mounted in a pod."""
        try:
            return m.pipeline_task_job_template(spec, namespace=self.namespace, options=self.options)
        except ManifestError as exc:
            raise BackendError(str(exc)) from exc

    def _put_registry_secrets(self, spec: JobSpec) -> None:
        """Each registry login the job's image is pulled with, as its dockerconfigjson Secret
        (shared by every job of that account: created, or its login overwritten so a changed password
        reaches the next pull)."""
        ns = self.namespace
        for name, login in sorted((spec.registry_credentials or {}).items()):
            body = registry_secret_manifest(name, ns, login, {MANAGED_BY_KEY: MANAGED_BY})
            if self.api.create(self.api.core.create_namespaced_secret, ns, body, what=f"creating pull secret {name}") is None:
                try:
                    self.api.call(self.api.core.patch_namespaced_secret, name, ns, {"data": body["data"]},
                                  _content_type=MERGE_PATCH)
                except ApiException as exc:
                    raise self.api.error(f"updating pull secret {name}", exc) from exc

    # -- pipeline schedules as CronJobs ---------------------------------------------------
    def put_schedule(self, spec: JobSpec, schedule: Mapping[str, Any]) -> str:
        """Create or update the CronJob of a pipeline schedule (and the Secret holding its runs'
        job spec), both named after ``spec``; its name. ``schedule``: ``schedule_id``, ``cron``
        (5 fields, UTC), ``suspend``, ``concurrency_policy``, ``starting_deadline_seconds``."""
        name = resource_name("schedule", spec.job_id, max_length=m.CRONJOB_MAX_NAME)
        ns = self.namespace
        try:
            cron = m.pipeline_schedule_cronjob_manifest(spec, name=name, namespace=ns, options=self.options, **schedule)
            secret = m.secret_manifest(spec, name, ns)
        except ManifestError as exc:
            raise BackendError(str(exc)) from exc
        self._put_registry_secrets(spec)
        if self.api.create(self.api.core.create_namespaced_secret, ns, secret, what="creating the schedule's spec secret") is None:
            try:
                self.api.call(self.api.core.patch_namespaced_secret, name, ns, {"stringData": secret["stringData"]},
                              _content_type=MERGE_PATCH)
            except ApiException as exc:
                raise self.api.error(f"updating the spec secret of CronJob {name}", exc) from exc
        if self.api.create(self.api.batch.create_namespaced_cron_job, ns, cron, what=f"creating CronJob {name}") is None:
            # null removes a field a merge patch would otherwise keep
            patch = {"metadata": {"labels": cron["metadata"]["labels"], "annotations": cron["metadata"]["annotations"]},
                     "spec": {"startingDeadlineSeconds": None, **cron["spec"]}}
            try:
                self.api.call(self.api.batch.patch_namespaced_cron_job, name, ns, patch, _content_type=MERGE_PATCH)
            except ApiException as exc:
                raise self.api.error(f"updating CronJob {name}", exc) from exc
        return name

    def suspend_schedule(self, name: str, suspend: bool) -> bool:
        """Suspend or resume a schedule's CronJob; False when it is not there."""
        patch = {"spec": {"suspend": bool(suspend)}}
        done = self.api.ignore_missing(self.api.batch.patch_namespaced_cron_job, name, self.namespace, patch,
                                       _content_type=MERGE_PATCH, what=f"suspending CronJob {name}")
        return done is not None

    def delete_schedule(self, name: str) -> None:
        """The CronJob and its Secret; Jobs it started and nobody recorded go with it."""
        ns = self.namespace
        self._ignore_missing(self.api.batch.delete_namespaced_cron_job, name, ns, propagation_policy="Background")
        self._ignore_missing(self.api.core.delete_namespaced_secret, name, ns)

    def fired_jobs(self) -> list[dict[str, Any]]:
        """The Jobs the schedules' CronJobs started that are still in the cluster:
        ``{"schedule_id", "name", "uid", "scheduled_at" (ISO), "finished", "handle"}`` each
        (the handle's ``job_id`` is left for the caller: the run that records it)."""
        wanted = {MANAGED_BY_KEY: MANAGED_BY}
        try:
            jobs = self.api.call(self.api.batch.list_namespaced_job, self.namespace,
                                 label_selector=f"{selector(wanted)},{m.SCHEDULE_LABEL}").get("items") or []
        except ApiException as exc:
            raise self.api.error("listing the Jobs of pipeline schedules failed", exc) from exc
        found = []
        for job in jobs:
            meta = job.get("metadata") or {}
            annotations, labels = meta.get("annotations") or {}, meta.get("labels") or {}
            schedule_id = annotations.get(m.SCHEDULE_ID_ANNOTATION) or labels.get(m.SCHEDULE_LABEL)
            if not schedule_id or not labels_match(job, wanted) or meta.get("deletionTimestamp"):
                continue
            handle = {"backend": "kubernetes", "namespace": meta.get("namespace") or self.namespace,
                      "name": meta.get("name"), "kind": JOB_KIND, "service": None, "nodes": 1,
                      "pod_labels": {m.JOB_NAME_LABEL: meta.get("name")}}
            found.append({
                "schedule_id": schedule_id, "name": meta.get("name"), "uid": meta.get("uid") or meta.get("name"),
                "scheduled_at": annotations.get(m.SCHEDULED_TIMESTAMP_ANNOTATION) or meta.get("creationTimestamp"),
                "finished": bool(true_condition(job, ("Complete", "Failed"))), "handle": handle,
            })
        return found

    # -- lifecycle --------------------------------------------------------------------
    def submit(self, spec: JobSpec) -> dict[str, Any]:
        name = resource_name(spec.kind, spec.job_id)
        ns = self.namespace
        use_pytorchjob = spec.nodes > 1 and self.pytorchjob_available()
        try:
            if use_pytorchjob:
                job = m.pytorchjob_manifest(spec, name=name, namespace=ns, options=self.options)
            else:
                job = m.job_manifest(spec, name=name, namespace=ns, options=self.options)
            secret = m.secret_manifest(spec, name, ns)
        except ManifestError as exc:
            raise BackendError(str(exc)) from exc
        service = (job["metadata"].get("annotations") or {}).get(SERVICE_ANNOTATION)
        handle = {
            "backend": "kubernetes",
            "namespace": ns,
            "name": name,
            "kind": PYTORCHJOB_KIND if use_pytorchjob else JOB_KIND,
            "service": service,
            "job_id": spec.job_id,
            "nodes": max(1, int(spec.nodes)),
        }
        create = self.api.create
        self._put_registry_secrets(spec)
        secret_created = create(self.api.core.create_namespaced_secret, ns, secret, what="creating the job's spec secret")
        try:
            if use_pytorchjob:
                created = create(
                    self.api.custom.create_namespaced_custom_object,
                    m.PYTORCHJOB_GROUP,
                    m.PYTORCHJOB_VERSION,
                    ns,
                    m.PYTORCHJOB_PLURAL,
                    job,
                    what=f"creating PyTorchJob {name}",
                )
            else:
                created = create(self.api.batch.create_namespaced_job, ns, job, what=f"creating Job {name}")
        except BackendError:
            if secret_created is not None:
                self._ignore_missing(self.api.core.delete_namespaced_secret, name, ns)
            raise
        if created is None:  # already there: a retry after a crash; make sure it is ours
            existing = self._read_job(handle)
            annotations = ((existing or {}).get("metadata") or {}).get("annotations") or {}
            if existing is not None and annotations.get(JOB_ID_ANNOTATION) != spec.job_id:
                raise BackendError(
                    f"{handle['kind']} {name} already exists in namespace {ns} and belongs to another job"
                )
            created = existing or {}
        uid = (created.get("metadata") or {}).get("uid")
        owner = owner_reference(job["apiVersion"], job["kind"], name, uid) if uid else None
        if owner:  # only garbage-collection help: release() deletes the secret anyway
            with contextlib.suppress(ApiException):
                patch = {"metadata": {"ownerReferences": [owner]}}
                self.api.call(self.api.core.patch_namespaced_secret, name, ns, patch, _content_type=MERGE_PATCH)
        if service:
            svc = m.headless_service_manifest(spec, name=service, namespace=ns, owner=owner)
            create(self.api.core.create_namespaced_service, ns, svc, what=f"creating headless Service {service}")
        return handle

    def status(self, handle: dict[str, Any]) -> JobState:
        self._check_handle(handle)
        obj = self._cached_job(handle)
        pods = self._cached_pods(handle) if obj is not None else []
        return job_state(
            obj, pods, kind=handle.get("kind") or JOB_KIND, stop_requested=bool(handle.get("stop_requested"))
        )

    def _pod_log(self, pod: dict) -> str:
        meta = pod.get("metadata") or {}
        try:
            return self.api.call(
                self.api.core.read_namespaced_pod_log, meta["name"], meta.get("namespace") or self.namespace, raw=True
            )
        except ApiException as exc:
            if exc.status in (400, 404):  # container not started yet, or pod just deleted
                return ""
            raise self.api.error(f"reading the log of pod {meta.get('name')} failed", exc) from exc

    def read_logs(self, handle: dict[str, Any], offset: int = 0, limit: int = 1 << 20) -> LogChunk:
        """Logs of the job's pods in rank order, see :func:`assemble_logs`.
        Logs live with the pods: after release() there is nothing to read."""
        self._check_handle(handle)
        multi_node = int(handle.get("nodes") or 1) > 1
        # a multi-node job's ranks are read in order up to the first unfinished pod: a pod cache a moment
        # behind could cut the last ranks off its final read, so those pods are listed
        pods = self._pods(handle) if multi_node else self._cached_pods(handle)
        text = assemble_logs(pods, self._pod_log, multi_node=multi_node)
        offset = max(0, int(offset))
        if offset >= len(text):
            return LogChunk(text="", offset=offset)
        chunk = text[offset : offset + max(0, int(limit))]
        return LogChunk(text=chunk, offset=offset + len(chunk))

    def stop(self, handle: dict[str, Any], grace_seconds: float = 10.0) -> None:
        """Mark the stop (handle flag + Job annotation), delete the job with
        Foreground propagation, and delete its pods with the given grace so
        they get SIGTERM (the launcher forwards it) and are killed after it."""
        self._check_handle(handle)
        handle["stop_requested"] = True
        ns, name = handle["namespace"], handle["name"]
        grace = max(0, int(math.ceil(grace_seconds)))
        annotate = {"metadata": {"annotations": {STOP_ANNOTATION: "true"}}}
        if handle.get("kind") == PYTORCHJOB_KIND:
            args = (m.PYTORCHJOB_GROUP, m.PYTORCHJOB_VERSION, ns, m.PYTORCHJOB_PLURAL, name)
            self._ignore_missing(self.api.custom.patch_namespaced_custom_object, *args, annotate, _content_type=MERGE_PATCH)
            self._ignore_missing(
                self.api.custom.delete_namespaced_custom_object,
                *args,
                grace_period_seconds=grace,
                propagation_policy="Foreground",
            )
        else:
            self._ignore_missing(self.api.batch.patch_namespaced_job, name, ns, annotate, _content_type=MERGE_PATCH)
            self._ignore_missing(
                self.api.batch.delete_namespaced_job, name, ns, grace_period_seconds=grace, propagation_policy="Foreground"
            )
        for pod in self._pods(handle):
            self._ignore_missing(
                self.api.core.delete_namespaced_pod, pod["metadata"]["name"], ns, grace_period_seconds=grace
            )
        if handle.get("service"):
            self._ignore_missing(self.api.core.delete_namespaced_service, handle["service"], ns)

    def usage(self, handle: dict[str, Any]) -> ResourceUsage | None:
        """CPU and memory summed over the job's pods from metrics.k8s.io, and the
        mean utilisation and memory of their GPUs where ``gpu_metrics_url`` is set;
        None without a metrics server or before the first sample."""
        self._check_handle(handle)
        try:
            names = {p["metadata"]["name"] for p in self._cached_pods(handle)}
            metrics = self.api.pod_metrics(handle["namespace"], names,
                                           handle.get("pod_labels") or selector_labels(handle["job_id"]))
        except (ApiException, BackendError):
            return None
        cpu = memory = 0.0
        seen = False
        for item in metrics:
            for container in item.get("containers") or []:
                use = container.get("usage") or {}
                cpu += float(parse_quantity(use.get("cpu", "0")))
                memory += float(parse_quantity(use.get("memory", "0")))
                seen = True
        if not seen:
            return None
        gpu = self.gpu_metrics.of_pods(handle["namespace"], names) if self.gpu_metrics else None
        return ResourceUsage(time=time.time(), cpu_percent=cpu * 100.0, memory_bytes=int(memory),
                             gpu_percent=gpu.percent if gpu else None, gpu_memory_bytes=gpu.memory_bytes if gpu else None)

    def release(self, handle: dict[str, Any]) -> None:
        """Delete whatever is left of the job (idempotent)."""
        self._check_handle(handle)
        ns, name = handle["namespace"], handle["name"]
        if handle.get("kind") == PYTORCHJOB_KIND:
            self._ignore_missing(
                self.api.custom.delete_namespaced_custom_object,
                m.PYTORCHJOB_GROUP,
                m.PYTORCHJOB_VERSION,
                ns,
                m.PYTORCHJOB_PLURAL,
                name,
                propagation_policy="Background",
            )
        else:
            self._ignore_missing(self.api.batch.delete_namespaced_job, name, ns, propagation_policy="Background")
        if handle.get("service"):
            self._ignore_missing(self.api.core.delete_namespaced_service, handle["service"], ns)
        self._ignore_missing(self.api.core.delete_namespaced_secret, name, ns)

    def adopt(self, handle: dict[str, Any]) -> None:
        """Nothing to do: the cluster does its own capacity accounting."""

    def discover(self) -> list[dict[str, Any]]:
        """Handles of every job this backend created in its namespace, so a
        restarted server can re-attach to them (see handle_from_object)."""
        wanted = {MANAGED_BY_KEY: MANAGED_BY}
        try:
            jobs = (
                self.api.call(self.api.batch.list_namespaced_job, self.namespace, label_selector=selector(wanted)).get("items")
                or []
            )
            found = [handle_from_object(j, JOB_KIND) for j in jobs if labels_match(j, wanted)]
            if self.pytorchjob_available():
                ptjs = (
                    self.api.call(
                        self.api.custom.list_namespaced_custom_object,
                        m.PYTORCHJOB_GROUP,
                        m.PYTORCHJOB_VERSION,
                        self.namespace,
                        m.PYTORCHJOB_PLURAL,
                        label_selector=selector(wanted),
                    ).get("items")
                    or []
                )
                found += [handle_from_object(p, PYTORCHJOB_KIND) for p in ptjs if labels_match(p, wanted)]
        except ApiException as exc:
            raise self.api.error("listing the jobs in the cluster failed", exc) from exc
        return [h for h in found if h["job_id"]]
