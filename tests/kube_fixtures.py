"""A Kubernetes API server emulated by kmock, for the Kubernetes backend tests.

The emulator stores what the backend creates and serves it back; tests play
the cluster's controllers (job controller, kubelet, training operator,
metrics-server) by writing pods, statuses, logs and metrics into it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import threading
from collections.abc import Iterator
from typing import Any

import kmock
import kubernetes_validate
import kubernetes_validate.utils
import pytest_asyncio
from kubernetes import client as k8s_client

NAMESPACE = "default"
K8S_VERSION = "1.37.0"
JOBS = "batch/v1/jobs"
PODS = "v1/pods"
SERVICES = "v1/services"
SECRETS = "v1/secrets"
PYTORCHJOBS = "kubeflow.org/v1/pytorchjobs"
POD_METRICS = "metrics.k8s.io/v1beta1/pods"
_LOG_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/log$")

# kubernetes_validate re-reads its multi-megabyte definitions file on every
# call; the files never change, so read each once (keeps the suite fast).
if not hasattr(kubernetes_validate.utils.schema_contents, "cache_info"):
    kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(
        kubernetes_validate.utils.schema_contents
    )


def validate_manifest(doc: dict[str, Any]) -> None:
    """Strict schema validation; a PyTorchJob (no schema: it is a CRD) has
    each replica's pod template validated as a v1 PodTemplate instead."""
    if doc.get("kind") == "PyTorchJob":
        for role, replica in doc["spec"]["pytorchReplicaSpecs"].items():
            wrapper = {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": f"{doc['metadata']['name']}-{role.lower()}"},
                "template": replica["template"],
            }
            kubernetes_validate.validate(wrapper, K8S_VERSION, strict=True)
        return
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


class FakeCluster:
    """The emulator plus helpers that act as the cluster's own controllers."""

    def __init__(self, emulator: kmock.KubernetesEmulator, server: kmock.Server):
        self.emulator = emulator
        self.server = server
        self.logs: dict[str, str] = {}
        self.loop = asyncio.get_running_loop()  # the emulator's: its watch streams live there
        emulator["get", _LOG_PATH] << self._serve_log

    def api_client(self) -> k8s_client.ApiClient:
        configuration = k8s_client.Configuration()
        configuration.host = str(self.server.url).rstrip("/")
        return k8s_client.ApiClient(configuration)

    def _serve_log(self, request: kmock.Request) -> Any:
        match = _LOG_PATH.match(request.url.path)
        pod = match.group(2) if match else ""
        if not self.exists(PODS, pod):
            return kmock.KubernetesObjectNotFoundError()
        if pod not in self.logs:  # what the API server says for a container that has not started
            return kmock.KubernetesError(
                status=400, reason="BadRequest", message=f'container "c" in pod "{pod}" is waiting to start'
            )
        return kmock.Response(status=200, headers={"Content-Type": "text/plain"}, payload=self.logs[pod].encode())

    # -- reading what the backend did ---------------------------------------------
    def exists(self, resource: str, name: str) -> bool:
        # ObjectsArray has no __contains__; its keys compare equal to the string form
        return any(key == (resource, NAMESPACE, name) and not obj.deleted for key, obj in self.emulator.objects.items())

    def get(self, resource: str, name: str) -> dict[str, Any]:
        assert self.exists(resource, name), f"{resource} {name} does not exist"
        return self.emulator.objects[resource, NAMESPACE, name].raw

    def names(self, resource: str) -> list[str]:
        return sorted(
            name for (res, ns, name), obj in self.emulator.objects.items() if res == resource and not obj.deleted
        )

    def created_bodies(self) -> list[dict[str, Any]]:
        """Every object body the client POSTed (what the backend produced)."""
        return [
            request.data
            for request in self.emulator
            if request.action == kmock.action.CREATE and isinstance(request.data, dict)
        ]

    def requests(self, method: str, path_pattern: str) -> list[kmock.Request]:
        pattern = re.compile(path_pattern)
        return [
            r for r in self.emulator if str(r.method.value).upper() == method.upper() and pattern.search(r.url.path)
        ]

    # -- acting as the cluster --------------------------------------------------------
    def publish(self, resource: str, event_type: str, name: str) -> None:
        """Tell the emulator's watchers about a change made here (the helpers write the
        emulator's store directly, which streams nothing by itself), as the API server would."""
        obj = self.emulator.objects[resource, NAMESPACE, name]
        raw = obj.last.raw if event_type == "DELETED" else obj.raw
        bus = self.emulator._buses[kmock.resource(resource)]  # kmock keeps one event bus per resource
        put = bus.put({"type": event_type, "object": raw})
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.loop.create_task(put)  # streamed once the test awaits
        else:  # the emulator serves from a thread of its own
            asyncio.run_coroutine_threadsafe(put, self.loop).result(5)

    async def end_watches(self) -> None:
        """End the watch streams still open: kmock's stream ends only when cancelled (it notices a
        client that went away only when it next writes), and the server's shutdown waits for it.
        Call on the emulator's loop, before leaving the server."""
        me = asyncio.current_task()
        for task in asyncio.all_tasks():
            if task is not me:
                task.cancel()
        await asyncio.sleep(0)

    def set_status(self, resource: str, name: str, status: dict[str, Any]) -> None:
        self.emulator.objects[resource, NAMESPACE, name].patch({"status": status})
        self.publish(resource, "MODIFIED", name)

    def delete(self, resource: str, name: str) -> None:
        """The object is gone (a controller or a person deleted it)."""
        self.emulator.objects[resource, NAMESPACE, name].delete()
        self.publish(resource, "DELETED", name)

    def add_pod(
        self,
        name: str,
        owner: dict[str, Any],
        *,
        phase: str = "Running",
        rank: int | None = None,
        extra_labels: dict[str, str] | None = None,
        container_state: dict[str, Any] | None = None,
        conditions: list[dict[str, Any]] | None = None,
        created: str = "2030-01-01T00:00:00Z",
    ) -> None:
        """A pod as the job controller would create it from ``owner``'s template."""
        template = (
            owner["spec"]["template"]
            if "template" in owner["spec"]
            else owner["spec"]["pytorchReplicaSpecs"]["Master"]["template"]
        )
        labels = dict(template["metadata"]["labels"], **(extra_labels or {}))
        annotations = {}
        if rank is not None:
            annotations["batch.kubernetes.io/job-completion-index"] = str(rank)
        if container_state is None:
            container_state = (
                {"running": {"startedAt": "2030-01-01T00:00:05Z"}}
                if phase == "Running"
                else {"waiting": {"reason": "ContainerCreating"}}
            )
        self.emulator.objects[PODS, NAMESPACE, name] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": NAMESPACE,
                "labels": labels,
                "annotations": annotations,
                "creationTimestamp": created,
            },
            "spec": template["spec"],
            "status": {
                "phase": phase,
                "conditions": conditions or [],
                "containerStatuses": [{"name": "c", "state": container_state}],
            },
        }
        self.publish(PODS, "MODIFIED", name)

    def validate_created(self) -> int:
        count = 0
        for body in self.created_bodies():
            if body.get("kind") in ("Job", "CronJob", "Service", "Secret", "PyTorchJob"):
                validate_manifest(body)
                count += 1
        return count


@pytest_asyncio.fixture()
async def cluster():
    async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:
        for resource in (JOBS, PODS, SERVICES, SECRETS):
            emulator.resources[resource] = {}  # served by every real cluster, even when empty
        fake = FakeCluster(emulator, server)
        yield fake
        # whatever a test did, every object the backend sent must be schema-valid
        fake.validate_created()


@contextlib.contextmanager
def cluster_in_a_thread(resources: list[str]) -> Iterator[FakeCluster]:
    """kmock serving from a thread of its own (so that it answers while a Jupyter server's loop
    runs the test), serving ``resources`` even while empty."""
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def serve() -> None:
        loop = asyncio.new_event_loop()

        async def main() -> None:
            async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:
                for resource in resources:
                    emulator.resources[resource] = {}
                holder["cluster"], holder["stop"], holder["loop"] = FakeCluster(emulator, server), asyncio.Event(), loop
                ready.set()
                await holder["stop"].wait()
                await holder["cluster"].end_watches()

        loop.run_until_complete(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10), "the emulated API server did not start"
    try:
        yield holder["cluster"]
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(10)
