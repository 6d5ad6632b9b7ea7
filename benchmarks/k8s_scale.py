"""Kubernetes backends at scale: API traffic, controller CPU and status latency
with many idle running jobs, watch-fed caches against polling.

An emulated API server (kmock, in a process of its own, as an API server is)
holds N running Jobs with a pod each and S model-server Deployments with a pod
each, labelled and annotated as the backends make them. A controller loop drives them the way
the product's does, every ``--interval`` seconds and whenever a watched object
wakes it: the product's ``JobReconciler`` and ``EndpointReconciler`` over a
store (SQLite, as by default) with a RUNNING training row per job and an ACTIVE
endpoint (default stage, one model) per server, on the product's
``JobLifecycle``: each due job's status, new log lines stored, a usage sample
now and then (none while every row is settled); each server's status every
second and a usage sample every 5 s. The latency is the time from changing a
Job in the emulator until its training's stored status moves, which is what
the REST API answers.

Each scenario gets an emulator of its own. Watching, it first waits for the
first looks (every job's first step: a log read and a usage sample each,
which the emulator serves one at a time) and reports how long they took and
how soon a status change made during them was seen; then it measures the
steady state over whole revisit periods of the unchanged jobs (at least two,
and at least ``--window`` seconds, long enough that a batch of looks cut by
the window's start or end moves the rate little): API requests per second (the emulator's request log),
the controller's CPU (its process: the loop, the informers, the API client and
the store) and the time from changing a Job's status in the emulator to its
stored status moving. Polling (``watch=False``) reads every job and server from the API
on every pass; the emulator scans all its objects on each request, so a
polling pass takes far longer than the product's tick and its requests per
second are the emulator's limit, not the demand: polling is measured in
requests per pass (counted over whole passes), and the rate the product's
tick would ask for is printed as that count divided by the tick, labelled so.

    python benchmarks/k8s_scale.py [--jobs 1000] [--small 100] [--poll-jobs 100] [--servers 200] [--window 30]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from typing import Any

import kmock
from kubernetes import client as k8s_client
from sqlalchemy import func, or_, select

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from jupyter_easymaker.areas import AREAS  # noqa: E402
from jupyter_easymaker.areas.endpoints.reconciler import EndpointReconciler  # noqa: E402
from jupyter_easymaker.areas.endpoints.statuses import EndpointStatus, StageResourceStatus, StageStatus  # noqa: E402
from jupyter_easymaker.areas.endpoints.tables import Endpoint, EndpointStage, StageResource  # noqa: E402
from jupyter_easymaker.areas.experiments.tables import Experiment  # noqa: E402
from jupyter_easymaker.areas.trainings.statuses import TrainingStatus  # noqa: E402
from jupyter_easymaker.areas.trainings.tables import Training  # noqa: E402
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
from jupyter_easymaker.core.job_service import JobReconciler  # noqa: E402
from jupyter_easymaker.core.jobs import LOOK_GRID_STEPS  # noqa: E402
from jupyter_easymaker.core.platform import Platform  # noqa: E402
from jupyter_easymaker.core.settings import Settings  # noqa: E402

NS = "default"
JOBS, PODS, DEPLOYMENTS = "batch/v1/jobs", "v1/pods", "apps/v1/deployments"
METRICS = "metrics.k8s.io/v1beta1/pods"


class EmulatorThread:
    """kmock serving from a thread and loop of its own (in the emulator's process)."""

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

    def url(self) -> str:
        return str(self.server.url).rstrip("/")

    def put(self, resource: str, name: str, obj: dict) -> None:
        self.emulator.objects[resource, NS, name] = obj

    def change(self, resource: str, name: str, patch: dict) -> None:
        """Patch an object and stream the change to the watchers, as the API server does."""
        async def apply() -> None:
            obj = self.emulator.objects[resource, NS, name]
            obj.patch(patch)
            await self.emulator._buses[kmock.resource(resource)].put({"type": "MODIFIED", "object": obj.raw})
        asyncio.run_coroutine_threadsafe(apply(), self.loop).result(5)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self._thread.join(10)


def serve_emulator(conn: Any) -> None:
    """The emulator's process: answers the benchmark's calls over ``conn`` until told to close."""
    emu = EmulatorThread()
    while True:
        method, args = conn.recv()
        try:
            if method == "put_many":
                for resource, name, obj in args[0]:
                    emu.put(resource, name, obj)
                value = None
            else:
                value = getattr(emu, method)(*args)
        except Exception as exc:  # noqa: BLE001 - reported to the caller
            conn.send((False, f"{type(exc).__name__}: {exc}"))
            continue
        conn.send((True, value))
        if method == "close":
            return


class Emulator:
    """kmock in a process of its own, as an API server is: its request handling neither
    shares the controller's interpreter lock nor counts in the controller's CPU."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=serve_emulator, args=(child,), daemon=True)
        self._process.start()
        self.url = self._call("url")

    def _call(self, method: str, *args: Any) -> Any:
        self._conn.send((method, args))
        ok, value = self._conn.recv()
        if not ok:
            raise RuntimeError(f"the emulator's {method} failed: {value}")
        return value

    def put_many(self, objects: list[tuple[str, str, dict]]) -> None:
        self._call("put_many", objects)

    def change(self, resource: str, name: str, patch: dict) -> None:
        self._call("change", resource, name, patch)

    def requests(self) -> int:
        return self._call("requests")

    def client(self) -> k8s_client.ApiClient:
        configuration = k8s_client.Configuration()
        configuration.host = self.url
        return k8s_client.ApiClient(configuration)

    def close(self) -> None:
        try:
            self._call("close")
        finally:
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()


def fill(emu: Emulator, prefix: str, jobs: int, servers: int) -> tuple[list[dict], list[dict]]:
    """Running Jobs with a running pod each, and ready Deployments with a ready pod each."""
    job_handles, server_handles = [], []
    objects: list[tuple[str, str, dict]] = []
    for i in range(jobs):
        job_id = f"{prefix}-job-{i:05d}"
        name = resource_name("training", job_id)
        labels = {MANAGED_BY_KEY: MANAGED_BY, ID_LABEL: job_id}
        objects.append((JOBS, name, {"apiVersion": "batch/v1", "kind": "Job",
                             "metadata": {"name": name, "namespace": NS, "labels": labels,
                                          "annotations": {JOB_ID_ANNOTATION: job_id}},
                             "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": []}}},
                             "status": {"active": 1, "ready": 1, "startTime": "2030-01-01T00:00:01Z"}}))
        objects.append((PODS, f"{name}-p", {"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": f"{name}-p", "namespace": NS, "labels": labels},
                                   "status": {"phase": "Running", "containerStatuses": [
                                       {"name": "c", "state": {"running": {"startedAt": "2030-01-01T00:00:05Z"}}}]}}))
        objects.append((METRICS, f"{name}-p", {"metadata": {"name": f"{name}-p", "namespace": NS, "labels": labels},
                                      "containers": [{"name": "c", "usage": {"cpu": "500m", "memory": "1Gi"}}]}))
        job_handles.append({"backend": "kubernetes", "namespace": NS, "name": name, "kind": "Job", "service": None,
                            "job_id": job_id, "nodes": 1})
    for i in range(servers):
        server_id = f"{prefix}-srv-{i:05d}"
        name = resource_name("serve", server_id)
        labels = {MANAGED_BY_KEY: MANAGED_BY, ID_LABEL: server_id, APP_NAME_KEY: "model-server"}
        objects.append((DEPLOYMENTS, name, {"apiVersion": "apps/v1", "kind": "Deployment",
                                    "metadata": {"name": name, "namespace": NS, "labels": labels,
                                                 "annotations": {SERVER_ID_ANNOTATION: server_id}},
                                    "spec": {"replicas": 1},
                                    "status": {"replicas": 1, "readyReplicas": 1}}))
        objects.append((PODS, f"{name}-p", {"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": f"{name}-p", "namespace": NS, "labels": labels},
                                   "status": {"phase": "Running", "podIP": "10.0.0.1",
                                              "conditions": [{"type": "Ready", "status": "True"}]}}))
        objects.append((METRICS, f"{name}-p", {"metadata": {"name": f"{name}-p", "namespace": NS, "labels": labels},
                                      "containers": [{"name": "c", "usage": {"cpu": "250m", "memory": "512Mi"}}]}))
        server_handles.append({"backend": "kubernetes", "namespace": NS, "name": name, "kind": "Deployment",
                               "server_id": server_id, "service": name, "hpa": False, "desired": 1, "address": ""})
    emu.put_many(objects)
    return job_handles, server_handles


def training_store(directory: str, job_handles: list[dict], server_handles: list[dict],
                   backend: KubernetesBackend) -> tuple[Platform, Any]:
    """A store (SQLite, as by default) holding a RUNNING training row for each job and an ACTIVE
    endpoint (its default stage, one model on it) for each server; the trainings' service."""
    # the gateway's own Deployment is not part of this simulation
    settings = Settings(data_dir=os.path.join(directory, "data"), local_roots=[directory],
                        area_options={"endpoints": {"kubernetes_gateway": False}})
    platform = Platform(settings, AREAS, {"kubernetes": backend})
    service = platform.service("trainings")
    with platform.db.session() as session:
        session.add(Experiment(id="bench", name="bench", status="ACTIVE"))
    with platform.db.session() as session:
        for h in job_handles:
            session.add(Training(id=h["job_id"], name=h["job_id"], experiment_id="bench", status=TrainingStatus.RUNNING,
                                 backend="kubernetes", handle=h,
                                 spec={"instance_type": "m2.c4m8", "entry_point": "train.py", "nodes": 1,
                                       "hyperparameters": {"learning_rate": 0.01, "epochs": 10}},
                                 paths={"model": f"/data/models/{h['job_id']}", "tensorboard": f"/data/tb/{h['job_id']}"}))
    with platform.db.session() as session:
        for i, h in enumerate(server_handles):
            session.add(Endpoint(id=f"ep-{i}", name=f"ep-{i}", status=EndpointStatus.ACTIVE, backend="kubernetes",
                                 default_stage_id=f"st-{i}"))
            session.add(EndpointStage(id=f"st-{i}", endpoint_id=f"ep-{i}", name="default", status=StageStatus.ACTIVE,
                                      gateway_status="ACTIVE", spec={"instance_type": "m2.c4m8", "instance_count": 1}))
            session.add(StageResource(id=h["server_id"], endpoint_id=f"ep-{i}", stage_id=f"st-{i}", model_id=f"model-{i}",
                                      model_name=f"model-{i}", status=StageResourceStatus.ACTIVE, backend="kubernetes",
                                      spec={"allocation": {"cpu": 1, "memory_mib": 1024}, "pods": 1}, handle=h,
                                      pods_ready=1, pods_total=1, nodes=1))
    return platform, service


def read_cost(service: Any, repeat: int = 10) -> tuple[float, float]:
    """CPU ms of one pass's row read: ``job_rows`` (what changed, read whole) and, as the
    baseline, every active row read whole (what a pass read before)."""
    def whole() -> list[Any]:
        with service.db.session() as session:
            return list(session.scalars(select(Training).where(Training.status.in_(service.statuses.active))))
    costs = []
    for read in (service.job_rows, whole):
        started = time.process_time()
        for _ in range(repeat):
            read()
        costs.append((time.process_time() - started) / repeat * 1e3)
    return costs[0], costs[1]


class ControllerLoop:
    """The reconcile passes of the trainings and endpoints areas (see the module): the
    product's ``JobReconciler`` and ``EndpointReconciler`` over the store, as the controller
    runs them, every tick and whenever a watched object changes."""

    def __init__(self, backend: KubernetesBackend, reconcilers: list[Any], interval: float):
        self.backend, self.reconcilers, self.interval = backend, reconcilers, interval
        self.passes = 0  # passes finished
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="bench-controller")

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        # the controller's loop is asyncio (rows stepped in worker threads); this thread runs one of its own
        events = asyncio.new_event_loop()
        try:
            while not self._stop.is_set():
                self._wake.clear()
                for reconciler in self.reconcilers:
                    events.run_until_complete(reconciler.reconcile_once())
                self.passes += 1
                self._wake.wait(self.interval)
        finally:
            events.close()

    def start(self) -> None:
        self.backend.watch_changes(self.wake)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.thread.join(60)
        self.backend.stop_watching()


FAIL = {"status": {"failed": 1, "active": 0, "conditions": [
    {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}}


def stored_status(trainings: Any, job_id: str) -> str:
    """The training's status as the REST API reads it."""
    with trainings.db.session() as session:
        return session.scalar(select(Training.status).where(Training.id == job_id))


def looked_at(trainings: Any) -> int:
    """How many trainings have had their first look (their log read and stored), or ended."""
    with trainings.db.session() as session:
        return session.scalar(select(func.count()).select_from(Training).where(
            or_(Training.log_offset > 0, Training.status != TrainingStatus.RUNNING)))


def time_to_see(emu: Emulator, trainings: Any, handle: dict, cap: float) -> float:
    """Fail a running Job in the emulator; seconds until its training's stored status moves (``cap`` if never)."""
    started = time.monotonic()
    emu.change(JOBS, handle["name"], FAIL)
    while stored_status(trainings, handle["job_id"]) == TrainingStatus.RUNNING and time.monotonic() - started < cap:
        time.sleep(0.005)
    return time.monotonic() - started


def measure(*, jobs: int, servers: int, watch: bool, window: float, interval: float, latency_samples: int,
            latency_cap: float) -> dict[str, float]:
    """One scenario on an emulator of its own (see the module)."""
    emu = Emulator()
    try:
        with tempfile.TemporaryDirectory() as directory:
            return _measure(emu, directory, jobs=jobs, servers=servers, watch=watch, window=window, interval=interval,
                            latency_samples=latency_samples, latency_cap=latency_cap)
    finally:
        emu.close()


def _measure(emu: Emulator, directory: str, *, jobs: int, servers: int, watch: bool, window: float, interval: float,
             latency_samples: int, latency_cap: float) -> dict[str, float]:
    job_handles, server_handles = fill(emu, "w" if watch else "p", jobs, servers)
    backend = KubernetesBackend(namespace=NS, api_client=emu.client(), watch=watch, pytorchjob=False)
    platform, trainings = training_store(directory, job_handles, server_handles, backend)
    loop = ControllerLoop(backend, [JobReconciler(platform, trainings), EndpointReconciler(platform)], interval)
    result: dict[str, float] = {}

    began = time.monotonic()
    loop.start()
    try:
        if watch:
            for kind in (JOBS_KIND, PODS_KIND, DEPLOYMENTS_KIND):
                backend.informers.informer(kind).wait_synced(120)
            result["synced_s"] = time.monotonic() - began
            # changes made while the first looks go on, each to a job not looked at yet (the last ones)
            during, n = [], 0
            while looked_at(trainings) < jobs and n < 3:
                time.sleep(1.0)
                handle = job_handles[jobs - 1 - n]
                with trainings.db.session() as session:
                    fresh = session.scalar(select(Training.log_offset).where(Training.id == handle["job_id"])) == 0
                if fresh:
                    during.append(time_to_see(emu, trainings, handle, latency_cap))
                n += 1
            result["during_first_looks_s"] = max(during) if during else 0.0
            result["during_first_looks_n"] = len(during)
            while looked_at(trainings) < jobs:
                time.sleep(0.05)
            result["first_looks_s"] = time.monotonic() - began
            # steady state over whole revisit periods, at least two: every unchanged job is looked at again once in
            # each (the looks fall due in batches on a grid of revisit / LOOK_GRID_STEPS: the window starts between two)
            span = backend.revisit_seconds() * max(2, math.ceil(window / backend.revisit_seconds()))
            grid = backend.revisit_seconds() / LOOK_GRID_STEPS  # it starts between two batches, half a grid step after one
            time.sleep(max(0.0, (math.floor(time.monotonic() / grid) + 1.5) * grid - time.monotonic()))
            requests0, cpu0, t0 = emu.requests(), time.process_time(), time.monotonic()
            time.sleep(span)
            requests1, cpu1, t1 = emu.requests(), time.process_time(), time.monotonic()
            passes = 0
        else:
            # whole passes: from the end of the first to the end of the first one after the window
            while loop.passes < 1:
                time.sleep(0.01)
            result["first_looks_s"] = time.monotonic() - began
            requests0, cpu0, t0, p0 = emu.requests(), time.process_time(), time.monotonic(), loop.passes
            while loop.passes < p0 + 1 or time.monotonic() - t0 < window:
                time.sleep(0.01)
            requests1, cpu1, t1 = emu.requests(), time.process_time(), time.monotonic()
            passes = loop.passes - p0
        samples = []
        for i in range(latency_samples):  # a Job of the middle fails; how long until the loop reads it
            samples.append(time_to_see(emu, trainings, job_handles[(i * 7919 + jobs // 2) % (jobs - 3)], latency_cap))
            time.sleep(0.2)
        result["revisit_s"] = backend.revisit_seconds()
    finally:
        loop.stop()
    result["read_ms"], result["read_whole_ms"] = read_cost(trainings)
    platform.service("endpoints").gateway.process.stop()  # the inference gateway the endpoints area started
    platform.db.close()
    span = t1 - t0
    samples.sort()
    result.update(rps=(requests1 - requests0) / span, cpu_pct=(cpu1 - cpu0) / span * 100.0, window_s=span,
                  latency_s=samples[len(samples) // 2], latency_max_s=samples[-1])
    if passes:
        result.update(per_pass=(requests1 - requests0) / passes, pass_s=span / passes,
                      demanded_rps=(requests1 - requests0) / passes / interval)
    return result


def idle_penalty(pause: float, repeat: int = 15) -> tuple[float, float]:
    """CPU ms of the same small pure-Python task (JSON of 200 records) run back to back and
    run after sleeping ``pause`` s, as a controller tick does: on a machine that slows a
    thread down after it idles, every tick's work costs that factor more."""
    records = [{"id": i, "name": str(i) * 3, "values": [i] * 5} for i in range(200)]
    costs = []
    for wait in (0.0, pause):
        total = 0.0
        for _ in range(repeat):
            time.sleep(wait)
            started = time.thread_time()
            for record in records:
                json.dumps(record)
            total += time.thread_time() - started
        costs.append(total / repeat * 1e3)
    return costs[0], costs[1]


def ratio(a: float, b: float) -> str:
    return f"{a / b:.3g}x" if b else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100, help="the smaller job count to compare with")
    parser.add_argument("--poll-jobs", type=int, default=100,
                        help="jobs of the polling baseline (the emulator serves a polling pass of 1,000 in minutes)")
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--window", type=float, default=30.0, help="least seconds of steady state measured")
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
        line += (f"; the store's rows read per pass in {r['read_ms']:.1f} ms CPU "
                 f"({ratio(r['read_ms'], r['read_whole_ms'])} of reading every row whole, {r['read_whole_ms']:.1f} ms)")
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
    print("the emulator runs in a process of its own; CPU is the controller process's (loop, informers, API client, store)")
    warm, after_idle = idle_penalty(args.interval)
    print(f"this machine's idle penalty: a small task costs {warm:.2f} ms CPU back to back and {after_idle:.2f} ms after "
          f"{args.interval:g} s asleep ({ratio(after_idle, warm)}), as each controller tick is")


if __name__ == "__main__":
    main()
