"""On a cluster, each task attempt a ``batch/v1`` Job of its own, created by the
run's executor in the run's pod: the Job template the server put in the run's
environment (``PIPELINE_TASK_JOBS_ENV``: the run's storage mounted at the same
paths, the run's instance type as the default resources, its namespace) with
the task's image, command, environment, working dir and the IR's resources.
The executor polls each Job to its end, copies its pod's log into the task's
log, then deletes it; a stop deletes the running ones (their pods get SIGTERM).

The component's command runs as compiled, KFP's ``pip install`` step included:
the task's image is the component's, which need not hold kfp."""
from __future__ import annotations

import asyncio
import copy
import hashlib
import re
import secrets
from typing import Any

from jupyter_easymaker.catalogs.kube_calls import api_client, call_json
from jupyter_easymaker.runtime.pipelines import kube_platform
from jupyter_easymaker.runtime.pipelines.launch import (
    Launch,
    Slots,
    Stopped,
    TaskFailed,
)
from jupyter_easymaker.runtime.pipelines.spec import SpecError

POLL_SECONDS = 0.5
TASK_JOB_LABEL = "easymaker/task-job"  # picks the pods of one task's Job (real clusters add job-name too)
TASK_ANNOTATION = "easymaker/pipeline-task"
# a container waiting for one of these will not start without someone's help
STUCK_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
                           "CreateContainerError"})
GPU_RESOURCE = "nvidia.com/gpu"


class KubernetesJobs(Slots):
    def __init__(self, parallelism: int, template: dict[str, Any], run_id: str, apis: tuple[Any, Any] | None = None):
        super().__init__(parallelism)
        self.template = template
        self.namespace = str((template.get("metadata") or {}).get("namespace") or "default")
        self.prefix = "em-task-" + (re.sub(r"[^a-z0-9]", "", run_id.lower())[:8] or "run")
        self.batch, self.core = apis if apis is not None else _apis()

    def command(self, command: list[Any]) -> tuple[list[Any], list[str]]:
        return list(command), []

    def describe(self, launch: Launch) -> list[str]:
        lines = [f"image {launch.image} runs as a Kubernetes Job in namespace {self.namespace}"]
        skipped = kube_platform.not_applied(launch.kubernetes)
        if skipped:
            lines.append("WARNING: these Kubernetes settings of the task are not applied: " + ", ".join(skipped))
        return lines

    async def run(self, launch: Launch) -> int:
        async with self.slots:
            if self.stopping:
                raise Stopped()
            name = f"{self.prefix}-{hashlib.sha1(launch.task_id.encode()).hexdigest()[:8]}-{launch.attempt}-{secrets.token_hex(2)}"
            body = task_job(self.template, name, launch)
            try:
                kube_platform.apply(body, launch.kubernetes, launch.parameters)
            except (SpecError, KeyError, TypeError, ValueError) as exc:
                raise TaskFailed(f"its Kubernetes settings cannot be applied: {exc}") from None
            try:
                await asyncio.to_thread(self.batch.create_namespaced_job, self.namespace, body)
            except Exception as exc:  # noqa: BLE001 - the API's refusal is the task's failure, said as it is
                raise TaskFailed(f"the Kubernetes API refused the task's Job: {_api_error(exc)}") from None
            launch.started({"k8s_job": name, "namespace": self.namespace})
            try:
                code = await self._wait(name)
            finally:
                await asyncio.to_thread(self._copy_logs, name, launch.log_path)
                await asyncio.to_thread(self._delete, name)
        if self.stopping:
            raise Stopped()
        return code

    async def _wait(self, name: str) -> int:
        """The exit code once the Job ended; TaskFailed for a pod that cannot start or ended for a reason."""
        while not self.stopping:
            job = await asyncio.to_thread(call_json, self.batch.read_namespaced_job_status, name, self.namespace)
            pods = await asyncio.to_thread(self._pods, name)
            for pod in pods:
                waiting = _container_state(pod, "waiting")
                if waiting.get("reason") in STUCK_REASONS:
                    raise TaskFailed(f"its pod cannot start: {waiting['reason']}: {waiting.get('message') or ''}".rstrip(": "))
            status = job.get("status") or {}
            if (status.get("succeeded") or 0) > 0:
                return 0
            failed = next((c for c in status.get("conditions") or []
                           if c.get("type") == "Failed" and c.get("status") == "True"), None)
            if failed is not None or (status.get("failed") or 0) > 0:
                ended = next((t for t in (_container_state(p, "terminated") for p in pods) if t), {})
                code = int(ended.get("exitCode") or 1)
                reason = ended.get("reason") if ended.get("reason") not in (None, "Error", "Completed") else None
                if reason is None and failed is not None and failed.get("reason") != "BackoffLimitExceeded":
                    reason = failed.get("reason")
                if reason:
                    raise TaskFailed(f"its pod ended with exit code {code} ({reason})")
                return code
            try:
                await asyncio.wait_for(self.stopped.wait(), timeout=POLL_SECONDS)
            except TimeoutError:
                pass
        return 143

    def _pods(self, name: str) -> list[dict[str, Any]]:
        found = call_json(self.core.list_namespaced_pod, self.namespace, label_selector=f"{TASK_JOB_LABEL}={name}")
        # selectors may be ignored: filter here too
        return [p for p in found.get("items") or [] if ((p.get("metadata") or {}).get("labels") or {}).get(TASK_JOB_LABEL) == name]

    def _copy_logs(self, name: str, log_path: str) -> None:
        try:
            pods = self._pods(name)
        except Exception as exc:  # noqa: BLE001 - the task's end stands without its log
            _append(log_path, f"[easymaker] the task's pods could not be listed: {_api_error(exc)}\n")
            return
        for pod in pods:
            pod_name = pod["metadata"]["name"]
            try:
                text = call_json(self.core.read_namespaced_pod_log, pod_name, self.namespace, raw=True)
            except Exception as exc:  # noqa: BLE001 - e.g. a pod that never started has no log
                text = f"[easymaker] no log of pod {pod_name}: {_api_error(exc)}\n"
            _append(log_path, text if text.endswith("\n") or not text else text + "\n")

    def _delete(self, name: str) -> None:
        try:
            self.batch.delete_namespaced_job(name, self.namespace, propagation_policy="Background")
        except Exception:  # noqa: BLE001, S110 - gone already (404), or else the Job's TTL removes it
            pass

    def stop(self) -> None:
        # each waiting task wakes, and its Job is deleted on the way out
        self.mark_stopped()

    def end_leftovers(self, left_running: dict[str, dict[str, Any]]) -> list[str]:
        ended = []
        for task_id, record in left_running.items():
            name = record.get("k8s_job")
            if name:
                self._delete(str(name))
                ended.append(task_id)
        return ended


def task_job(template: dict[str, Any], name: str, launch: Launch) -> dict[str, Any]:
    """The Job of one task attempt: the run's template with the task's own fields."""
    job = copy.deepcopy(template)
    meta = job.setdefault("metadata", {})
    meta["name"] = name
    meta.setdefault("labels", {})[TASK_JOB_LABEL] = name
    meta.setdefault("annotations", {})[TASK_ANNOTATION] = launch.task_id
    pod = job["spec"]["template"]
    pod.setdefault("metadata", {}).setdefault("labels", {})[TASK_JOB_LABEL] = name
    container = pod["spec"]["containers"][0]
    if launch.image and launch.image != "?":
        container["image"] = launch.image
    container["command"] = [str(a) for a in launch.argv]
    container["workingDir"] = launch.cwd
    env = {"_KFP_RUNTIME": "true", "PYTHONUNBUFFERED": "1", **launch.env}
    container["env"] = [e for e in container.get("env") or [] if e.get("name") not in env]
    container["env"] += [{"name": k, "value": str(v)} for k, v in env.items()]
    container["resources"] = task_resources(container.get("resources") or {}, launch.resources)
    return job


def task_resources(default: dict[str, Any], ir: dict[str, Any]) -> dict[str, Any]:
    """The run's default resources with what the component asked for (``set_cpu_limit``,
    ``set_memory_request``, ``set_accelerator_type`` ...), requests never above limits."""
    requests = dict(default.get("requests") or {})
    limits = dict(default.get("limits") or {})
    asked = {
        ("cpu", "limits"): ir.get("resourceCpuLimit") or _cpu(ir.get("cpuLimit")),
        ("cpu", "requests"): ir.get("resourceCpuRequest") or _cpu(ir.get("cpuRequest")),
        ("memory", "limits"): ir.get("resourceMemoryLimit") or _memory(ir.get("memoryLimit")),
        ("memory", "requests"): ir.get("resourceMemoryRequest") or _memory(ir.get("memoryRequest")),
    }
    for kind in ("cpu", "memory"):
        limit, request = asked[kind, "limits"], asked[kind, "requests"]
        if limit:
            limits[kind] = str(limit)
            requests[kind] = str(request or limit)
        elif request:
            requests[kind] = str(request)
            limits.pop(kind, None)  # the run's limit may be below what the task asks for
    accelerator = ir.get("accelerator") or {}
    count = accelerator.get("resourceCount") or accelerator.get("count")
    kind = str(accelerator.get("resourceType") or accelerator.get("type") or "")
    if count and kind:
        limits[kind if "/" in kind else GPU_RESOURCE] = str(count)
    out: dict[str, Any] = {}
    if requests:
        out["requests"] = requests
    if limits:
        out["limits"] = limits
    return out


def _cpu(value: Any) -> str | None:
    return f"{max(1, round(float(value) * 1000))}m" if value else None


def _memory(value: Any) -> str | None:
    return str(round(float(value) * 1e9)) if value else None  # KFP's numeric memory fields are in GB


def _container_state(pod: dict[str, Any], which: str) -> dict[str, Any]:
    """The first container's ``which`` state (waiting, running, terminated), or {}."""
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        state = (status.get("state") or {}).get(which)
        if state is not None:
            return state
    return {}


def _api_error(exc: Exception) -> str:
    status, reason, body = getattr(exc, "status", None), getattr(exc, "reason", None), getattr(exc, "body", None)
    if status is None:
        return f"{type(exc).__name__}: {exc}"
    return f"{status} {reason or ''}: {str(body or '')[:300]}".strip()


def _append(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def _apis() -> tuple[Any, Any]:
    """The API clients of the run's pod (its service account), else the kubeconfig."""
    # the cluster's client, imported only where a run uses it
    from kubernetes import client

    made = api_client()
    return client.BatchV1Api(made), client.CoreV1Api(made)
