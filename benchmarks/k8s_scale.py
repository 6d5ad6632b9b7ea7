"""Kubernetes backends at scale: API traffic, controller CPU and status latency
with many idle running jobs, watch-fed caches against polling.

An emulated API server (kmock, in a thread of its own) holds N running Jobs
with a pod each and S model-server Deployments with a pod each, labelled and
annotated as the backends make them. A controller loop drives them the way
the product's does (``JobReconciler``: ``JobLifecycle.in_turn`` picks the rows
and moves a changed one forward during a pass, then the job's status, a log
read and a usage sample; the serving backend's status for each server), every
``--interval`` seconds and whenever a watched object wakes it. The rows are in
memory here: no store, no REST API, so the latency is the time until the
controller's loop sees the new status (the REST API shows what the loop
records at once).

Each scenario gets an emulator of its own. Watching, it first waits for the
first looks (every job's first step: a log read and a usage sample each,
which the emulator serves one at a time) and reports how long they took and
how soon a status change made during them was seen; then it measures the
steady state over one revisit period of the unchanged jobs (at least
``--window`` seconds): API requests per second (the emulator's request log),
the controller's CPU (its thread and the informer threads, per-thread CPU
clocks) and the time from changing a Job's status in the emulator to the loop
reading it. Polling (``watch=False``) reads every job and server from the API
on every pass; the emulator scans all its objects on each request, so a
polling pass takes far longer than the product's tick and its requests per
second are the emulator's limit, not the demand: polling is measured in
requests per pass (counted over whole passes), and the rate the product's
tick would ask for is printed as that count divided by the tick, labelled so.

    python benchmarks/k8s_scale.py [--jobs 1000] [--small 100] [--poll-jobs 100] [--servers 200] [--window 10]
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
from jupyter_easymaker.backend.kubernetes.informers import DEPLOYMENTS as DEPLOYMENTS_KIND  # noqa: E402
from jupyter_easymaker.backend.kubernetes.informers import JOBS as JOBS_KIND  # noqa: E402
from jupyter_easymaker.backend.kubernetes.informers import PODS as PODS_KIND  # noqa: E402
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
                self._served = 0
                self._ready.set()
                while not self.stop.is_set():
                    self._trim()
                    try:
                        await asyncio.wait_for(self.stop.wait(), 0.25)
                    except asyncio.TimeoutError:
                        pass

        self.loop.run_until_complete(main())

    def _trim(self) -> int:
        """Count the requests kmock logged and forget them: it matches each request against
        every one logged before (an identity scan), so its cost per request would grow with
        the run (from ~10 ms to over 100 ms in a minute) and skew every later figure."""
        self._served += len(self.emulator._requests)
        self.emulator._requests.clear()
        for payload in self.emulator._payloads:
            logged = getattr(payload, "_requests", None)
            if logged is not None:
                logged.clear()
        return self._served

    def requests(self) -> int:
        """Requests served since the start."""
        async def count() -> int:
            return self._trim()
        return asyncio.run_coroutine_threadsafe(count(), self.loop).result(10)

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
        self.passes = 0  # passes finished
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
            for row in self.lifecycle.in_turn(self.rows):
                self._step(row)
                if self._stop.is_set():
                    return
            for handle in self.servers:
                self.serving.status(handle)
            self.passes += 1
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


FAIL = {"status": {"failed": 1, "active": 0, "conditions": [
    {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}}


def time_to_see(emu: Emulator, loop: ControllerLoop, handle: dict, cap: float) -> float:
    """Fail a running Job in the emulator; seconds until the loop reads it (``cap`` if never)."""
    started = time.monotonic()
    emu.change(JOBS, handle["name"], FAIL)
    while loop.seen.get(handle["job_id"]) != JobPhase.FAILED and time.monotonic() - started < cap:
        time.sleep(0.005)
    return time.monotonic() - started


def measure(*, jobs: int, servers: int, watch: bool, window: float, interval: float, latency_samples: int,
            latency_cap: float) -> dict[str, float]:
    """One scenario on an emulator of its own (see the module)."""
    emu = Emulator()
    try:
        return _measure(emu, jobs=jobs, servers=servers, watch=watch, window=window, interval=interval,
                        latency_samples=latency_samples, latency_cap=latency_cap)
    finally:
        emu.close()


def _measure(emu: Emulator, *, jobs: int, servers: int, watch: bool, window: float, interval: float,
             latency_samples: int, latency_cap: float) -> dict[str, float]:
    job_handles, server_handles = fill(emu, "w" if watch else "p", jobs, servers)
    backend = KubernetesBackend(namespace=NS, api_client=emu.client(), watch=watch, pytorchjob=False)
    serving = KubernetesServingBackend(backend)
    loop = ControllerLoop(backend, serving, job_handles, server_handles, interval)
    result: dict[str, float] = {}

    def threads() -> list[threading.Thread]:
        informers = list(backend.informers.started().values()) if backend.informers else []
        return [loop.thread] + [i._thread for i in informers if i._thread is not None]

    began = time.monotonic()
    loop.start()
    try:
        if watch:
            for kind in (JOBS_KIND, PODS_KIND, DEPLOYMENTS_KIND):
                backend.informers.informer(kind).wait_synced(120)
            result["synced_s"] = time.monotonic() - began
            # changes made while the first looks go on, each to a job not looked at yet (the last ones)
            during, n = [], 0
            while len(loop.seen) < jobs and n < 3:
                time.sleep(1.0)
                handle = job_handles[jobs - 1 - n]
                if handle["job_id"] not in loop.seen:
                    during.append(time_to_see(emu, loop, handle, latency_cap))
                n += 1
            result["during_first_looks_s"] = max(during) if during else 0.0
            result["during_first_looks_n"] = len(during)
            while len(loop.seen) < jobs:
                time.sleep(0.05)
            result["first_looks_s"] = time.monotonic() - began
            # steady state over one revisit period: every unchanged job is looked at again once in it
            span = max(window, backend.revisit_seconds())
            requests0, cpu0, t0 = emu.requests(), cpu_of(threads()), time.monotonic()
            time.sleep(span)
            requests1, cpu1, t1 = emu.requests(), cpu_of(threads()), time.monotonic()
            passes = 0
        else:
            # whole passes: from the end of the first to the end of the first one after the window
            while loop.passes < 1:
                time.sleep(0.01)
            result["first_looks_s"] = time.monotonic() - began
            requests0, cpu0, t0, p0 = emu.requests(), cpu_of(threads()), time.monotonic(), loop.passes
            while loop.passes < p0 + 1 or time.monotonic() - t0 < window:
                time.sleep(0.01)
            requests1, cpu1, t1 = emu.requests(), cpu_of(threads()), time.monotonic()
            passes = loop.passes - p0
        samples = []
        for i in range(latency_samples):  # a Job of the middle fails; how long until the loop reads it
            samples.append(time_to_see(emu, loop, job_handles[(i * 7919 + jobs // 2) % (jobs - 3)], latency_cap))
            time.sleep(0.2)
        result["revisit_s"] = backend.revisit_seconds()
    finally:
        loop.stop()
    span = t1 - t0
    samples.sort()
    result.update(rps=(requests1 - requests0) / span, cpu_pct=(cpu1 - cpu0) / span * 100.0, window_s=span,
                  latency_s=samples[len(samples) // 2], latency_max_s=samples[-1])
    if passes:
        result.update(per_pass=(requests1 - requests0) / passes, pass_s=span / passes,
                      demanded_rps=(requests1 - requests0) / passes / interval)
    return result


def ratio(a: float, b: float) -> str:
    return f"{a / b:.3g}x" if b else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100, help="the smaller job count to compare with")
    parser.add_argument("--poll-jobs", type=int, default=100,
                        help="jobs of the polling baseline (the emulator serves a polling pass of 1,000 in minutes)")
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--window", type=float, default=10.0, help="least seconds of steady state measured")
    parser.add_argument("--interval", type=float, default=0.5, help="the controller's tick (the product's default)")
    parser.add_argument("--latency-samples", type=int, default=5)
    args = parser.parse_args()
    cap = 60.0
    S = args.servers
    results = {}
    for key, jobs, watch, samples in (("watch", args.jobs, True, args.latency_samples),
                                      ("watch", args.small, True, args.latency_samples),
                                      ("poll", args.poll_jobs, False, 3)):
        r = results[key, jobs] = measure(jobs=jobs, servers=S, watch=watch, window=args.window, interval=args.interval,
                                         latency_samples=samples, latency_cap=cap)
        line = (f"{key:5} {jobs:5} jobs + {S} servers: {r['rps']:7.1f} API req/s, controller CPU {r['cpu_pct']:5.2f}% "
                f"of a core, status change seen in {r['latency_s']:.3f} s median, {r['latency_max_s']:.3f} s max "
                f"({samples} changes), steady state over {r['window_s']:.0f} s")
        if watch:
            line += (f"; caches synced in {r['synced_s']:.1f} s, first looks at every job done {r['first_looks_s']:.1f} s "
                     f"after start, " + (f"{r['during_first_looks_n']:.0f} changes made during them seen in "
                                      f"{r['during_first_looks_s']:.2f} s (max), " if r['during_first_looks_n']
                                      else "no change made during them (done within a second), ") +
                     f"unchanged job revisited every {r['revisit_s']:.1f} s")
        else:
            line += (f"; {r['per_pass']:.0f} requests per pass, a pass takes {r['pass_s']:.1f} s "
                     f"(the emulator's pace; the product ticks every {args.interval:g} s)")
        print(line, flush=True)
    big, small, poll = results["watch", args.jobs], results["watch", args.small], results["poll", args.poll_jobs]
    peer = results.get(("watch", args.poll_jobs))
    print()
    print(f"{args.jobs} vs {args.small} jobs, watching (should be ~1x: traffic follows changes, not jobs): "
          f"API req/s {ratio(big['rps'], small['rps'])}, CPU {ratio(big['cpu_pct'], small['cpu_pct'])}, "
          f"latency {ratio(big['latency_s'], small['latency_s'])} (max {ratio(big['latency_max_s'], small['latency_max_s'])})")
    if peer is not None:
        print(f"watching vs polling at {args.poll_jobs} jobs + {S} servers: API req/s {ratio(peer['rps'], poll['rps'])} "
              f"of polling's measured rate (emulator-bound), {ratio(peer['rps'], poll['demanded_rps'])} of the "
              f"{poll['demanded_rps']:.0f} req/s polling would ask for at a {args.interval:g} s tick "
              f"({poll['per_pass']:.0f} requests per pass / tick; counted, not timed); "
              f"CPU {ratio(peer['cpu_pct'], poll['cpu_pct'])}, latency {ratio(peer['latency_s'], poll['latency_s'])}")
    else:
        print(f"watching vs polling: the polling baseline ran at {args.poll_jobs} jobs, no watching run at that size")
    print(f"polling at {args.jobs} jobs was not run (the emulator scans every object per request, "
          f"so a pass would take minutes); nothing above is extrapolated to it")
    print(f"goals at {args.jobs} jobs, watching: controller CPU <= 5% of a core: {big['cpu_pct']:.1f}%; "
          f"status change visible <= 2 s: {big['latency_max_s']:.2f} s max "
          f"(during the first looks {big['during_first_looks_s']:.2f} s)")
    print("the emulator runs in this process and shares its interpreter lock: its request handling slows the "
          "controller's threads, so latencies are upper bounds; CPU is the controller's own threads' CPU clocks")


if __name__ == "__main__":
    main()
