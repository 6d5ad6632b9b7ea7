"""Kubernetes backends at scale: API traffic, controller CPU and status latency
with many idle running jobs, watch-fed caches against polling.

An emulated API server (kmock, in a thread of its own) holds N running Jobs
with a pod each and S model-server Deployments with a pod each, labelled and
annotated as the backends make them. A controller loop drives them the way
the product's does (``JobReconciler``: ``JobLifecycle.due`` picks the rows,
then the job's status, a log read and a usage sample; the serving backend's
status for each server), every ``--interval`` seconds and whenever a watched
object wakes it. The rows are in memory here: no store, no REST API, so the
latency is the time until the controller's loop sees the new status (the REST
API shows what the loop records at once).

At steady state it measures API requests per second (the emulator's request
log), the controller's CPU seconds per minute (its thread and the informer
threads), and the time from changing a Job's status in the emulator to the
loop reading it. Each figure is printed against its baselines from the same
run: watching vs polling (``watch=False``), and 1,000 jobs vs 100.

    python benchmarks/k8s_scale.py [--jobs 1000] [--small 100] [--servers 200] [--window 10] [--interval 0.5]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from types import SimpleNamespace

import kmock
from kubernetes import client as k8s_client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from jupyter_easymaker.backend.jobs.base import JobPhase  # noqa: E402
from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend  # noqa: E402
from jupyter_easymaker.backend.kubernetes.labels import (  # noqa: E402
    APP_NAME_KEY,
    ID_LABEL,
    JOB_ID_ANNOTATION,
    MANAGED_BY,
    MANAGED_BY_KEY,
    SERVER_ID_ANNOTATION,
    resource_name,
)
from jupyter_easymaker.backend.serving.kubernetes import KubernetesServingBackend  # noqa: E402
from jupyter_easymaker.core.jobs import JobLifecycle  # noqa: E402

NS = "default"
JOBS, PODS, DEPLOYMENTS = "batch/v1/jobs", "v1/pods", "apps/v1/deployments"
METRICS = "metrics.k8s.io/v1beta1/pods"


class Emulator:
    """kmock serving from its own thread and loop."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _serve(self) -> None:
        self.loop = asyncio.new_event_loop()

        async def main() -> None:
            async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:
                for resource in (JOBS, PODS, DEPLOYMENTS, METRICS, "v1/services", "v1/secrets"):
                    emulator.resources[resource] = {}
                emulator["get", r"^/api/v1/namespaces/[^/]+/pods/[^/]+/log$"] << (
                    lambda request: kmock.Response(status=200, headers={"Content-Type": "text/plain"},
                                                   payload=b"step=1 loss=0.5\n"))
                self.emulator, self.server = emulator, server
                self.stop = asyncio.Event()
                self._ready.set()
                await self.stop.wait()

        self.loop.run_until_complete(main())

    def requests(self) -> int:
        return len(list(self.emulator))

    def client(self) -> k8s_client.ApiClient:
        configuration = k8s_client.Configuration()
        configuration.host = str(self.server.url).rstrip("/")
        return k8s_client.ApiClient(configuration)

    def put(self, resource: str, name: str, obj: dict) -> None:
        self.emulator.objects[resource, NS, name] = obj

    def change(self, resource: str, name: str, patch: dict) -> None:
        """Patch an object and stream the change to the watchers, as the API server does."""
        obj = self.emulator.objects[resource, NS, name]
        obj.patch(patch)
        event = {"type": "MODIFIED", "object": obj.raw}
        asyncio.run_coroutine_threadsafe(self.emulator._buses[kmock.resource(resource)].put(event), self.loop).result(5)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)


def fill(emu: Emulator, prefix: str, jobs: int, servers: int) -> tuple[list[dict], list[dict]]:
    """Running Jobs with a running pod each, and ready Deployments with a ready pod each."""
    job_handles, server_handles = [], []
    for i in range(jobs):
        job_id = f"{prefix}-job-{i:05d}"
        name = resource_name("training", job_id)
        labels = {MANAGED_BY_KEY: MANAGED_BY, ID_LABEL: job_id}
        emu.put(JOBS, name, {"apiVersion": "batch/v1", "kind": "Job",
                             "metadata": {"name": name, "namespace": NS, "labels": labels,
                                          "annotations": {JOB_ID_ANNOTATION: job_id}},
                             "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": []}}},
                             "status": {"active": 1, "ready": 1, "startTime": "2030-01-01T00:00:01Z"}})
        emu.put(PODS, f"{name}-p", {"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": f"{name}-p", "namespace": NS, "labels": labels},
                                   "status": {"phase": "Running", "containerStatuses": [
                                       {"name": "c", "state": {"running": {"startedAt": "2030-01-01T00:00:05Z"}}}]}})
        emu.put(METRICS, f"{name}-p", {"metadata": {"name": f"{name}-p", "namespace": NS, "labels": labels},
                                      "containers": [{"name": "c", "usage": {"cpu": "500m", "memory": "1Gi"}}]})
        job_handles.append({"backend": "kubernetes", "namespace": NS, "name": name, "kind": "Job", "service": None,
                            "job_id": job_id, "nodes": 1})
    for i in range(servers):
        server_id = f"{prefix}-srv-{i:05d}"
        name = resource_name("serve", server_id)
        labels = {MANAGED_BY_KEY: MANAGED_BY, ID_LABEL: server_id, APP_NAME_KEY: "model-server"}
        emu.put(DEPLOYMENTS, name, {"apiVersion": "apps/v1", "kind": "Deployment",
                                    "metadata": {"name": name, "namespace": NS, "labels": labels,
                                                 "annotations": {SERVER_ID_ANNOTATION: server_id}},
                                    "spec": {"replicas": 1},
                                    "status": {"replicas": 1, "readyReplicas": 1}})
        emu.put(PODS, f"{name}-p", {"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": f"{name}-p", "namespace": NS, "labels": labels},
                                   "status": {"phase": "Running",
                                              "conditions": [{"type": "Ready", "status": "True"}]}})
        server_handles.append({"backend": "kubernetes", "namespace": NS, "name": name, "kind": "Deployment",
                               "server_id": server_id, "service": name, "hpa": False, "desired": 1, "address": ""})
    return job_handles, server_handles


class ControllerLoop:
    """The reconcile passes of the jobs and endpoints areas over in-memory rows (see the module)."""

    def __init__(self, backend: KubernetesBackend, serving: KubernetesServingBackend, jobs: list[dict],
                 servers: list[dict], interval: float):
        self.backend, self.serving, self.interval = backend, serving, interval
        self.lifecycle = JobLifecycle({"kubernetes": backend}, SimpleNamespace(usage_sample_seconds=5.0,
                                                                              stop_grace_seconds=1.0))
        self.rows = [SimpleNamespace(id=h["job_id"], backend="kubernetes", handle=h, status="RUNNING", updated_at=None,
                                     log_offset=0) for h in jobs]
        self.servers = servers
        self.seen: dict[str, JobPhase] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_usage: dict[str, float] = {}
        self.thread = threading.Thread(target=self._run, daemon=True, name="bench-controller")

    def wake(self) -> None:
        self._wake.set()

    def _step(self, row: SimpleNamespace) -> None:
        # what JobLifecycle.advance does on a running job: status, new log lines, a usage sample now and then
        mark = self.backend.change_mark(row.handle)
        state = self.backend.status(dict(row.handle))
        self.seen[row.id] = state.phase
        chunk = self.backend.read_logs(dict(row.handle), row.log_offset)
        row.log_offset = chunk.offset if chunk.text else row.log_offset
        now = time.monotonic()
        if now - self._last_usage.get(row.id, 0.0) >= 5.0:
            self._last_usage[row.id] = now
            self.backend.usage(dict(row.handle))
        if mark is not None:  # as JobLifecycle.step_if_due notes it
            self.lifecycle._looked[row.id] = ((mark, row.status, None), now + self.backend.revisit_seconds())

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            for row in self.lifecycle.due_rows(self.rows):
                self._step(row)
            for handle in self.servers:
                self.serving.status(handle)
            self._wake.wait(self.interval)

    def start(self) -> None:
        self.backend.watch_changes(self.wake)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.thread.join(30)
        self.backend.stop_watching()


def cpu_of(threads: list[threading.Thread]) -> float:
    total = 0.0
    for t in threads:
        if t.ident is not None and t.is_alive():
            try:
                total += time.clock_gettime(time.pthread_getcpuclockid(t.ident))
            except (OSError, ProcessLookupError):
                pass
    return total


def measure(emu: Emulator, *, jobs: int, servers: int, watch: bool, window: float, interval: float,
            latency_samples: int, latency_cap: float = 20.0) -> dict[str, float]:
    prefix = f"{'w' if watch else 'p'}{jobs}"
    job_handles, server_handles = fill(emu, prefix, jobs, servers)
    backend = KubernetesBackend(namespace=NS, api_client=emu.client(), watch=watch, pytorchjob=False)
    serving = KubernetesServingBackend(backend)
    loop = ControllerLoop(backend, serving, job_handles, server_handles, interval)
    loop.start()
    if watch:
        from jupyter_easymaker.backend.kubernetes.informers import DEPLOYMENTS as DEP, JOBS as JK, PODS as PK
        for kind in (JK, PK, DEP):
            backend.informers.informer(kind).wait_synced(60)
    # warm up: every row looked at once (and, watching, past the first revisit)
    deadline = time.monotonic() + 60
    while len(loop.seen) < jobs and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(min(5.0, backend.revisit_seconds() + 1) if watch else 2 * interval)

    def threads() -> list[threading.Thread]:
        informers = list(backend.informers.started().values()) if backend.informers else []
        return [loop.thread] + [i._thread for i in informers if i._thread is not None]

    requests0, cpu0, t0 = emu.requests(), cpu_of(threads()), time.monotonic()
    time.sleep(window)
    requests1, cpu1, t1 = emu.requests(), cpu_of(threads()), time.monotonic()

    latencies = []
    for i in range(latency_samples):  # a Job of the middle fails; how long until the loop reads it
        handle = job_handles[(i * 7919 + jobs // 2) % jobs]
        started = time.monotonic()
        emu.change(JOBS, handle["name"], {"status": {"failed": 1, "active": 0, "conditions": [
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}})
        while loop.seen.get(handle["job_id"]) != JobPhase.FAILED and time.monotonic() - started < latency_cap:
            time.sleep(0.005)
        latencies.append(time.monotonic() - started)
    revisit = backend.revisit_seconds()
    loop.stop()
    for h in job_handles:  # clear the emulator for the next scenario
        for resource, name in ((JOBS, h["name"]), (PODS, f"{h['name']}-p"), (METRICS, f"{h['name']}-p")):
            emu.emulator.objects[resource, NS, name].delete()
    for h in server_handles:
        for resource, name in ((DEPLOYMENTS, h["name"]), (PODS, f"{h['name']}-p")):
            emu.emulator.objects[resource, NS, name].delete()
    span = t1 - t0
    return {"rps": (requests1 - requests0) / span, "cpu_s_per_min": (cpu1 - cpu0) / span * 60.0,
            "latency_s": sorted(latencies)[len(latencies) // 2], "latency_max_s": max(latencies),
            "revisit_s": revisit}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.3g}x" if b else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100, help="the smaller job count to compare with")
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--window", type=float, default=10.0, help="seconds of steady state measured")
    parser.add_argument("--interval", type=float, default=0.5, help="the controller's tick (the product's default)")
    parser.add_argument("--latency-samples", type=int, default=5)
    args = parser.parse_args()
    emu = Emulator()
    results = {}
    try:
        for watch in (True, False):
            for jobs in (args.small, args.jobs):
                key = ("watch" if watch else "poll", jobs)
                results[key] = measure(emu, jobs=jobs, servers=args.servers, watch=watch, window=args.window,
                                       interval=args.interval,
                                       latency_samples=args.latency_samples if watch else 1)  # polling: seconds each
                r = results[key]
                print(f"{key[0]:5} {jobs:5} jobs + {args.servers} servers: {r['rps']:8.1f} API req/s, "
                      f"controller CPU {r['cpu_s_per_min']:6.2f} s/min ({r['cpu_s_per_min'] / 60 * 100:5.1f}% of a core), "
                      f"status change seen in {r['latency_s']:.3f} s (max {r['latency_max_s']:.3f} s), "
                      f"unchanged job revisited every {r['revisit_s']:.1f} s", flush=True)
    finally:
        emu.close()
    w_big, w_small = results[("watch", args.jobs)], results[("watch", args.small)]
    p_big, p_small = results[("poll", args.jobs)], results[("poll", args.small)]
    print()
    print(f"watch vs poll at {args.jobs} jobs: API req/s {ratio(w_big['rps'], p_big['rps'])}, "
          f"CPU {ratio(w_big['cpu_s_per_min'], p_big['cpu_s_per_min'])}, "
          f"latency {ratio(w_big['latency_s'], p_big['latency_s'])}")
    print(f"{args.jobs} vs {args.small} jobs, watching: API req/s {ratio(w_big['rps'], w_small['rps'])}, "
          f"CPU {ratio(w_big['cpu_s_per_min'], w_small['cpu_s_per_min'])}, "
          f"latency {ratio(w_big['latency_s'], w_small['latency_s'])}")
    print(f"{args.jobs} vs {args.small} jobs, polling: API req/s {ratio(p_big['rps'], p_small['rps'])}, "
          f"CPU {ratio(p_big['cpu_s_per_min'], p_small['cpu_s_per_min'])}, "
          f"latency {ratio(p_big['latency_s'], p_small['latency_s'])}")
    print(f"goals at {args.jobs} jobs, watching: controller CPU <= 5% of a core: "
          f"{w_big['cpu_s_per_min'] / 60 * 100:.1f}%; status change visible <= 2 s: {w_big['latency_max_s']:.2f} s")


if __name__ == "__main__":
    main()
