"""The endpoint reconciler: starts and stops model servers, follows their
readiness, scales local pods, drains servers before they stop, and moves
resources, stages and endpoints through the guide's statuses.

Plugged into the controller loop (``Controller.add``); everything it needs is
in the store (statuses, server handles), so a restarted server picks up where
the last one stopped. Slow backend calls (start, stop) run as background
tasks, so one stopping server never delays another one's readiness.

A pass that found every resource, stage and endpoint settled says until when
nothing falls due (polls, usage samples and autoscaling checks fall due on
grids, so many resources' reads share a tick). The ticks before then read
nothing (``_quiet``) while no event of an endpoint, stage or stage resource
is published, no watched object changes and no start or stop is under way:
two hundred idle endpoints cost a tick a few comparisons.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from jupyter_easymaker.areas.endpoints.statuses import (
    STAGE_BUSY,
    STAGE_FAILED,
    ApiGatewayStatus,
    EndpointStatus,
    StageResourceStatus,
    StageStatus,
)
from jupyter_easymaker.areas.endpoints.tables import EndpointStage, StageResource
from jupyter_easymaker.backend.base import BackendError, changes_seen
from jupyter_easymaker.backend.serving.base import (
    ServerPhase,
    ServerState,
    ServingBackend,
)
from jupyter_easymaker.core.db import STORE_CHECK_SECONDS
from jupyter_easymaker.core.tables import utcnow

EP, ST, RS, GW = EndpointStatus, StageStatus, StageResourceStatus, ApiGatewayStatus
# statuses a pass moves on from by itself: while one is stored, every tick is a pass
STAGE_MOVING = STAGE_BUSY | {ST.DELETE_IN_PROGRESS}
RESOURCE_MOVING = frozenset({RS.CREATE_REQUESTED, RS.CREATE_IN_PROGRESS, RS.DELETE_IN_PROGRESS})
ENDPOINT_MOVING = frozenset({EP.CREATE_REQUESTED, EP.CREATE_IN_PROGRESS, EP.UPDATE_IN_PROGRESS, EP.DELETE_IN_PROGRESS})
ACTIVE_POLL_SECONDS = 1.0  # how often a running resource's pods are looked at
UNCHANGED_POLL_SECONDS = 30.0  # ... when its backend watches them and saw no change
KUBERNETES_GATEWAY_RETRY_SECONDS = 60.0
SCALE_TOLERANCE = 0.1  # like the HPA: no change while use is within 10% of the target


@dataclass
class Scaling:
    last_check: float = 0.0
    last_up: float = 0.0
    low_since: float | None = None
    draining: list[str] = field(default_factory=list)
    drain_target: int = 0
    drain_since: float = 0.0


@dataclass
class Look:
    """What a tick read of a running resource's servers in a worker thread: its state when
    a poll was due, its usage when a sample or an autoscaling check was due."""

    at: float = 0.0  # when it was read (monotonic): a sample's time, the same for the tick's others
    state: Any = None
    usages: list | None = None
    due_sample: bool = False
    due_scale: bool = False
    auto: dict[str, Any] | None = None
    error: Exception | None = None


def next_on_grid(last: float, period: float) -> float:
    """When a read made at ``last`` (monotonic seconds) is next due: the next multiple of
    ``period``, so that the reads of many resources fall due in the same tick, and the
    ticks between them have nothing to do."""
    return (math.floor(last / period) + 1.0) * period


def desired_pods(current: int, utilisation: float, threshold: float, low: int, high: int) -> int:
    """The HorizontalPodAutoscaler's rule: ceil(current x use / target), within [low, high]."""
    if current <= 0:
        return max(1, low)
    ratio = utilisation / threshold if threshold > 0 else 0.0
    want = current if abs(ratio - 1.0) <= SCALE_TOLERANCE else math.ceil(current * ratio)
    return max(low, min(high, want))


class EndpointReconciler:
    def __init__(self, platform: Any, *, log: logging.Logger | None = None):
        self.service = platform.service("endpoints")
        self.gateway = self.service.gateway
        self.settings = platform.settings
        self.options = self.service.options
        self.backends: dict[str, ServingBackend] = self.service.serving_backends
        self.log = log or logging.getLogger("jupyter_easymaker.endpoints")
        self._wake = platform.wake  # the controller's: a finished start or stop is looked at at once
        self._tasks: dict[str, asyncio.Task] = {}
        self._polled: dict[str, float] = {}
        self._marks: dict[str, Any] = {}  # the backend's change mark of a running resource at its last poll
        self._unread: set[str] = set()  # running resources whose backend saw a change since their last poll, or cannot tell
        self._sampled: dict[str, float] = {}
        self._scaling: dict[str, Scaling] = {}
        self._delete_since: dict[str, float] = {}
        self._seen: dict[str, tuple] = {}  # what the last poll of a running resource stored
        self._samples: list[tuple[str, Any]] = []  # usage samples of this tick, written together
        self._dirty = False
        self._kubernetes_gateway_at = 0.0  # when the cluster's gateway objects were last applied (or tried)
        self._kubernetes_gateway: dict[str, str] | None = None
        # the last pass left everything settled: nothing falls due before _quiet_until, unless one of
        # these moves (the event count and the watched objects' change count when that pass began)
        self._quiet_until = 0.0
        self._quiet_marks: tuple[int, int] = (-1, -1)
        self._event_kinds = (self.service.kind, self.service.stages.kind, self.service.resources.kind)

    # -- controller hooks -------------------------------------------------------------
    def recover(self) -> None:
        rows = self.service.holding_resources()
        for backend_name, handle in rows:
            backend = self.backends.get(backend_name)
            if backend is None:
                continue
            try:  # the secrets again (they are in no file), for the pods started from now on
                secret_env = self.service.server_spec_of(handle["server_id"]).secret_env
            except Exception:  # noqa: BLE001 - re-attaching to running servers must not depend on it
                self.log.exception("easymaker: the secrets of stage resource %s could not be read", handle.get("server_id"))
                secret_env = None
            backend.adopt(handle, secret_env=secret_env)
        if rows:
            self.log.info("easymaker: re-attached to the servers of %d stage resource(s)", len(rows))
        self.gateway.reload()

    async def reconcile_once(self) -> None:
        if self._quiet():
            return
        marks = self._marks_now()  # before the reads: a change after them is seen
        process = self.gateway.process
        if process.supervised and not process.alive():  # the gateway process died: started again
            try:
                await asyncio.to_thread(self.gateway.ensure)
            except Exception:  # noqa: BLE001 - tried again at the next pass
                self.log.exception("easymaker: the inference gateway could not be started again")
        if self._kubernetes_gateway is None and time.monotonic() - self._kubernetes_gateway_at > KUBERNETES_GATEWAY_RETRY_SECONDS:
            self._kubernetes_gateway_at = time.monotonic()
            try:
                self._kubernetes_gateway = await asyncio.to_thread(self.service.apply_kubernetes_gateway) or {}
            except BackendError as exc:
                self.log.warning("easymaker: the inference gateway's Kubernetes objects: %s (tried again in a minute)", exc)
        work = await asyncio.to_thread(self.service.resource_work)
        # the running resources' polls and usage reads due this tick, in one worker-thread call (not one each)
        looks = await asyncio.to_thread(self._look_all, work)
        for resource_id, status, handle, backend, spec in work:
            if resource_id in self._tasks:
                continue  # a start or stop is under way
            try:
                await self._resource(resource_id, status, handle, backend, spec, looks.get(resource_id))
            except Exception:  # noqa: BLE001 - one resource must not stall the others
                self.log.exception("easymaker: reconciling stage resource %s failed", resource_id)
        if self._samples:
            samples, self._samples = self._samples, []
            await asyncio.to_thread(self.service.record_usages, samples)
        stages_busy = await asyncio.to_thread(self._stages)
        endpoints_busy = await asyncio.to_thread(self._endpoints)
        if self._dirty:
            self._dirty = False
            await asyncio.to_thread(self.gateway.reload)
        self._settle(work, marks, busy=stages_busy or endpoints_busy)

    async def shutdown(self) -> None:
        """Let background starts / stops finish (the server is shutting down)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=15)
        self.gateway.flush()

    # -- ticks with nothing to do -------------------------------------------------------------
    def _quiet(self) -> bool:
        """Whether this tick has nothing to do: the last pass left everything settled, nothing
        it read falls due yet, no event of its kinds was published and no watched object
        changed since it began, no start or stop is under way and the gateway process lives."""
        if self._tasks or time.monotonic() >= self._quiet_until:
            return False
        if self._marks_now() != self._quiet_marks:
            return False
        process = self.gateway.process
        return not (process.supervised and not process.alive())

    def _marks_now(self) -> tuple[int, int]:
        """How many events of endpoints, stages and stage resources were published, and how many
        changes of watched objects the serving backends' caches have seen, in all."""
        return self.service.events.published_of(*self._event_kinds), changes_seen(self.backends.values())

    def _settle(self, work: list[tuple[str, str, dict[str, Any] | None, str, dict[str, Any]]], marks: tuple[int, int],
                *, busy: bool) -> None:
        """After a pass: until when the next ticks may skip (0 when something is under way)."""
        self._quiet_until = 0.0
        if busy or self._tasks or any(s.draining for s in self._scaling.values()):
            return
        now = time.monotonic()
        until = now + STORE_CHECK_SECONDS
        if self._kubernetes_gateway is None:
            until = min(until, self._kubernetes_gateway_at + KUBERNETES_GATEWAY_RETRY_SECONDS)
        for resource_id, status, handle, backend_name, spec in work:
            if status in RESOURCE_MOVING:
                return
            backend = self.backends.get(backend_name)
            if status == RS.ACTIVE and handle and backend is not None:
                until = min(until, self._next_look(resource_id, backend, spec))
        self._quiet_until, self._quiet_marks = until, marks

    def _next_look(self, resource_id: str, backend: ServingBackend, spec: dict[str, Any]) -> float:
        """When a running resource's next poll, usage sample or autoscaling check falls due."""
        polled = self._polled.get(resource_id, 0.0)
        poll = ACTIVE_POLL_SECONDS if resource_id in self._unread or resource_id not in self._marks else UNCHANGED_POLL_SECONDS
        due = min(next_on_grid(polled, poll), next_on_grid(self._sampled.get(resource_id, 0.0), self.settings.usage_sample_seconds))
        if (spec.get("pod_autoscaler") or {}).get("enabled") and not backend.autoscales_itself:
            scaling = self._scaling.get(resource_id)
            due = min(due, next_on_grid(scaling.last_check if scaling else 0.0, self.options.autoscale_interval_seconds))
        return due

    # -- helpers ------------------------------------------------------------------------------
    def _spawn(self, resource_id: str, coro) -> None:
        task = asyncio.create_task(coro, name=f"easymaker-serving-{resource_id}")
        self._tasks[resource_id] = task

        def done(t: asyncio.Task) -> None:
            self._tasks.pop(resource_id, None)
            if not t.cancelled() and t.exception() is not None:
                self.log.error("easymaker: serving task of %s failed", resource_id, exc_info=t.exception())
            self._wake()

        task.add_done_callback(done)

    async def _resource_status(self, resource_id: str, target: str | None, reason: str = "", **fields: Any) -> bool:
        return await asyncio.to_thread(self.service.record, "resource", resource_id, target, reason, **fields)

    # -- resources ------------------------------------------------------------------------------
    async def _resource(self, resource_id: str, status: str, handle: dict[str, Any] | None, backend_name: str,
                        spec: dict[str, Any], look: Look | None = None) -> None:
        backend = self.backends.get(backend_name)
        if status == RS.DELETE_IN_PROGRESS:
            await self._delete(resource_id, backend, handle)
            return
        if backend is None:
            if status in (RS.CREATE_REQUESTED, RS.CREATE_IN_PROGRESS):
                await self._resource_status(resource_id, RS.CREATE_FAILED, f"the {backend_name} backend is not configured on this server")
            return
        if status == RS.CREATE_REQUESTED:
            self._spawn(resource_id, self._start(resource_id, backend))
        elif status == RS.CREATE_IN_PROGRESS and handle:
            await self._starting(resource_id, backend, handle)
        elif status == RS.ACTIVE and handle:
            await self._running(resource_id, backend, handle, spec, look)

    async def _start(self, resource_id: str, backend: ServingBackend) -> None:
        spec = await asyncio.to_thread(self.service.server_spec_of, resource_id)
        try:
            handle = await asyncio.to_thread(backend.start, spec)
        except BackendError as exc:
            await self._resource_status(resource_id, RS.CREATE_FAILED, str(exc))
            return
        handle["requested_at"] = time.time()
        await asyncio.to_thread(self.service.resource_started, resource_id, handle, spec.pods,
                                f"servers starting on the {backend.name} backend")

    def _observed(self, state: ServerState) -> dict[str, Any]:
        return {"pods_ready": len(state.ready_pods), "pods_total": len(state.pods), "nodes": state.nodes}

    async def _starting(self, resource_id: str, backend: ServingBackend, handle: dict[str, Any]) -> None:
        state = await asyncio.to_thread(backend.status, handle)
        if state.phase == ServerPhase.READY:
            await self._resource_status(resource_id, RS.ACTIVE, "", addresses=state.addresses, started_at=utcnow(),
                                        **self._observed(state))
            self._polled[resource_id] = time.monotonic()
            self._dirty = True
            return
        waited = time.time() - float(handle.get("requested_at") or time.time())
        if state.phase in (ServerPhase.FAILED, ServerPhase.LOST, ServerPhase.STOPPED) or waited > self.options.start_timeout_seconds:
            reason = state.reason or f"the servers were not ready within {self.options.start_timeout_seconds:g} s"
            await self._resource_status(resource_id, RS.CREATE_FAILED, reason, addresses=[], **self._observed(state))
            self._spawn(resource_id, asyncio.to_thread(backend.stop, handle, self.settings.stop_grace_seconds))
            return
        await self._resource_status(resource_id, None, status_reason=state.reason or "", **self._observed(state))

    def _look_all(self, work: list[tuple[str, str, dict[str, Any] | None, str, dict[str, Any]]]) -> dict[str, Look]:
        """The reads due this tick of every running resource not being scaled down (worker thread)."""
        looks = {}
        for resource_id, status, handle, backend_name, spec in work:
            backend = self.backends.get(backend_name)
            scaling = self._scaling.get(resource_id)
            if status != RS.ACTIVE or not handle or backend is None or resource_id in self._tasks or \
                    (scaling is not None and scaling.draining):
                continue
            looks[resource_id] = self._look(resource_id, backend, handle, spec)
        return looks

    def _look(self, resource_id: str, backend: ServingBackend, handle: dict[str, Any], spec: dict[str, Any]) -> Look:
        """A running resource's state if its poll is due, its usage if a sample or an autoscaling check is."""
        now = time.monotonic()
        look = Look(at=now)
        try:
            polled = self._polled.get(resource_id, 0.0)
            # a backend that watches the servers' objects says whether they changed: unchanged, read seldom
            mark = getattr(backend, "change_mark", lambda _handle: None)(handle)
            unread = mark is None or mark != self._marks.get(resource_id)
            if now >= next_on_grid(polled, ACTIVE_POLL_SECONDS) and \
                    (unread or now >= next_on_grid(polled, UNCHANGED_POLL_SECONDS)):
                self._polled[resource_id], self._marks[resource_id] = now, mark  # also when the read fails
                look.state = backend.status(handle)
                unread = mark is None
            if unread:  # a change not read yet (its poll waits for the grid): polled within a second
                self._unread.add(resource_id)
            else:
                self._unread.discard(resource_id)
            scaling = self._scaling.get(resource_id)
            look.due_sample = now >= next_on_grid(self._sampled.get(resource_id, 0.0), self.settings.usage_sample_seconds)
            pod_autoscaler = spec.get("pod_autoscaler") or {}
            look.auto = {**pod_autoscaler, "allocation": spec.get("allocation") or {}} if pod_autoscaler.get("enabled") else None
            look.due_scale = look.auto is not None and not backend.autoscales_itself and \
                (scaling is None or not scaling.draining) and \
                now >= next_on_grid(self._scaling.setdefault(resource_id, Scaling()).last_check,
                                    self.options.autoscale_interval_seconds)
            if look.due_sample or look.due_scale:
                look.usages = backend.usage(handle)
        except Exception as exc:  # noqa: BLE001 - raised again where the resource is reconciled (and logged)
            look.error = exc
        return look

    async def _running(self, resource_id: str, backend: ServingBackend, handle: dict[str, Any], spec: dict[str, Any],
                       look: Look | None = None) -> None:
        scaling = self._scaling.get(resource_id)
        if scaling and scaling.draining:
            await self._finish_scale_down(resource_id, backend, handle, scaling)
        if look is None:  # not read with the others (being scaled down): read now
            look = await asyncio.to_thread(self._look, resource_id, backend, handle, spec)
        if look.error is not None:
            raise look.error
        if look.state is not None:
            state = look.state
            addresses = state.addresses
            if state.phase in (ServerPhase.LOST, ServerPhase.STOPPED):
                reason = state.reason or "the servers are gone"
            elif not addresses:
                reason = state.reason or "no server is ready"
            else:
                reason = ""
            seen = (addresses, self._observed(state), reason)
            previous = self._seen.get(resource_id)
            if seen != previous:  # the store is written only when something changed
                if previous is None or previous[0] != addresses:
                    # new addresses are routed before the pods show as ready: whoever reads "ready" can call them
                    moved = await asyncio.to_thread(self.service.resource_routed, resource_id, addresses)
                    if moved is None:
                        return
                    if moved:
                        await asyncio.to_thread(self.gateway.reload)
                if not await asyncio.to_thread(self.service.resource_observed, resource_id, seen[1], reason):
                    return
                self._seen[resource_id] = seen
        usages = look.usages
        if usages is None:
            return
        if look.due_sample:
            self._sampled[resource_id] = look.at
            if usages:
                gpus = [u for u in usages if u.gpu_percent is not None]
                total = type(usages[0])(time=usages[0].time, cpu_percent=sum(u.cpu_percent for u in usages),
                                        memory_bytes=sum(u.memory_bytes for u in usages),
                                        gpu_percent=sum(u.gpu_percent for u in gpus) / len(gpus) if gpus else None,
                                        gpu_memory_bytes=sum(u.gpu_memory_bytes or 0 for u in gpus) if gpus else None)
                self._samples.append((resource_id, total))  # written with the tick's others, in one transaction
        if look.due_scale:
            await self._autoscale(resource_id, backend, handle, look.auto, usages)

    async def _autoscale(self, resource_id: str, backend: ServingBackend, handle: dict[str, Any], auto: dict[str, Any],
                         usages: list) -> None:
        scaling = self._scaling.setdefault(resource_id, Scaling())
        now = time.monotonic()
        scaling.last_check = now
        current = int(handle.get("desired") or 1)
        if not usages:
            return
        alloc = auto["allocation"]
        if auto.get("metric") == "memory":
            limit = float(alloc.get("memory_mib") or 1) * 1024 * 1024
            use = sum(u.memory_bytes for u in usages) / len(usages) / limit * 100
        else:
            limit = float(alloc.get("cpu") or 1) * 100
            use = sum(u.cpu_percent for u in usages) / len(usages) / limit * 100
        want = desired_pods(current, use, float(auto.get("threshold") or 80), int(auto.get("min_pods") or 1),
                            int(auto.get("max_pods") or 1))
        if want > current:
            scaling.low_since = None
            scaling.last_up = now
            new_handle = await asyncio.to_thread(backend.scale, handle, want)
            await self._resource_status(resource_id, None, handle={**handle, **new_handle})
            self._polled[resource_id] = 0.0
            self.log.info("easymaker: %s scaled up to %d pods (%s use %.0f%% of allocation)", resource_id, want,
                          auto.get("metric"), use)
        elif want < current:
            scaling.low_since = scaling.low_since or now
            if now - max(scaling.low_since, scaling.last_up) >= self.options.scale_down_cooldown_seconds:
                scaling.draining = backend.drain_candidates(handle, want)
                scaling.drain_target, scaling.drain_since = want, now
                # no new requests to the pods about to stop (the gateway process is asked off the loop)
                await asyncio.to_thread(self.gateway.drain, scaling.draining)
                if not scaling.draining:
                    await self._finish_scale_down(resource_id, backend, handle, scaling)
        else:
            scaling.low_since = None

    async def _finish_scale_down(self, resource_id: str, backend: ServingBackend, handle: dict[str, Any],
                                 scaling: Scaling) -> None:
        waited = time.monotonic() - scaling.drain_since
        if waited < self.options.drain_timeout_seconds and \
                await asyncio.to_thread(self.gateway.in_flight, addresses=scaling.draining):
            return
        removed = list(scaling.draining)
        new_handle = await asyncio.to_thread(backend.scale, handle, scaling.drain_target)
        await asyncio.to_thread(self.service.resource_scaled_down, resource_id, {**handle, **new_handle}, removed)
        # the reload at the end of this pass no longer sees the stopped pods
        await asyncio.to_thread(self.gateway.undrain, removed)
        self.log.info("easymaker: %s scaled down to %d pods", resource_id, scaling.drain_target)
        scaling.draining, scaling.low_since = [], None
        self._polled[resource_id] = 0.0
        self._dirty = True

    async def _delete(self, resource_id: str, backend: ServingBackend | None, handle: dict[str, Any] | None) -> None:
        """Stop a resource's servers once no request is in flight on them (or
        the drain timeout passed), then remove its row."""
        now = time.monotonic()
        since = self._delete_since.setdefault(resource_id, now)
        if handle and backend is not None:
            if now - since < self.options.drain_timeout_seconds and \
                    await asyncio.to_thread(self.gateway.in_flight, resource_id=resource_id):
                return
            self._spawn(resource_id, self._stop_and_purge(resource_id, backend, handle))
            return
        await asyncio.to_thread(self._purge, resource_id)

    async def _stop_and_purge(self, resource_id: str, backend: ServingBackend, handle: dict[str, Any]) -> None:
        try:
            await asyncio.to_thread(backend.stop, handle, self.settings.stop_grace_seconds)
        except BackendError as exc:
            await self._resource_status(resource_id, None, status_reason=f"stopping the servers failed, will retry: {exc}")
            return
        await asyncio.to_thread(self._purge, resource_id)

    def _purge(self, resource_id: str) -> None:
        if self.service.purge_resource_row(resource_id) is None:
            return
        for cache in (self._polled, self._marks, self._sampled, self._scaling, self._delete_since, self._seen):
            cache.pop(resource_id, None)
        self._unread.discard(resource_id)
        self._dirty = True

    # -- stages -------------------------------------------------------------------------------------
    def _stages(self) -> bool:
        """Move the stages that are not ACTIVE; True when one is still on its way somewhere."""
        stages, resources = self.service.stage_work()
        by_stage: dict[str, list[StageResource]] = defaultdict(list)
        for resource in resources:
            by_stage[resource.stage_id].append(resource)
        for stage in stages:
            try:
                self._stage(stage, by_stage.get(stage.id, []))
            except Exception:  # noqa: BLE001
                self.log.exception("easymaker: reconciling stage %s failed", stage.id)
        return any(stage.status in STAGE_MOVING for stage in stages)

    def _stage_status(self, stage_id: str, target: str | None, reason: str = "", **fields: Any) -> bool:
        return self.service.record("stage", stage_id, target, reason, **fields)

    def _stage(self, stage: EndpointStage, resources: list[StageResource]) -> None:
        status = stage.status
        if status == ST.DELETE_IN_PROGRESS:
            if not resources:
                self.service.purge_stage_row(stage.id)
                self._dirty = True
            return
        live = [r for r in resources if r.status != RS.DELETE_IN_PROGRESS]
        failed = [r for r in live if r.status == RS.CREATE_FAILED]
        pending = [r for r in live if r.status in (RS.CREATE_REQUESTED, RS.CREATE_IN_PROGRESS)]
        leaving = [r for r in resources if r.status == RS.DELETE_IN_PROGRESS]
        reason = f"{failed[0].model_name}: {failed[0].status_reason}" if failed else ""
        if status == ST.CREATE_REQUESTED:
            if failed:
                self._stage_status(stage.id, ST.CREATE_FAILED, reason, gateway_status=GW.STAGE_DEPLOY_FAIL)
            elif any(r.status != RS.CREATE_REQUESTED for r in live):
                self._stage_status(stage.id, ST.CREATE_IN_PROGRESS, "servers starting")
        elif status == ST.CREATE_IN_PROGRESS:
            if failed:
                self._stage_status(stage.id, ST.CREATE_FAILED, reason, gateway_status=GW.STAGE_DEPLOY_FAIL)
            elif live and not pending:
                self._stage_status(stage.id, ST.DEPLOY_IN_PROGRESS, "routing the stage URL", gateway_status=GW.STAGE_DEPLOYING)
                self.gateway.reload()
                self._stage_status(stage.id, ST.ACTIVE, "", gateway_status=GW.ACTIVE)
        elif status == ST.DEPLOY_IN_PROGRESS:
            if pending or leaving:
                return
            if failed:
                serving = any(r.status == RS.ACTIVE for r in live)
                self._stage_status(stage.id, ST.DEPLOY_FAILED, reason, gateway_status=GW.ACTIVE if serving else GW.STAGE_DEPLOY_FAIL)
            else:
                self.gateway.reload()
                self._stage_status(stage.id, ST.ACTIVE, "", gateway_status=GW.ACTIVE)
            self._dirty = True

    # -- endpoints ---------------------------------------------------------------------------------------
    def _endpoint_status(self, endpoint_id: str, target: str | None, reason: str = "", **fields: Any) -> bool:
        return self.service.record("endpoint", endpoint_id, target, reason, **fields)

    def _endpoints(self) -> bool:
        """Move the endpoints after their stages; True when one is still on its way somewhere."""
        endpoints, stages = self.service.endpoint_work()
        by_endpoint: dict[str, list[EndpointStage]] = defaultdict(list)  # grouped once: not a scan per endpoint
        for stage in stages:
            by_endpoint[stage.endpoint_id].append(stage)
        for endpoint in endpoints:
            mine = by_endpoint.get(endpoint.id, [])
            default = next((s for s in mine if s.id == endpoint.default_stage_id), None)
            status = endpoint.status
            if status == EP.DELETE_IN_PROGRESS:
                if not mine:
                    self.service.purge_endpoint_row(endpoint.id)
                    self._dirty = True
                continue
            if status in (EP.CREATE_REQUESTED, EP.CREATE_IN_PROGRESS):
                if default is None:
                    continue
                if default.status in STAGE_FAILED:
                    self._endpoint_status(endpoint.id, EP.CREATE_FAILED, f"default stage {default.name}: {default.status_reason}")
                elif default.status == ST.ACTIVE:
                    if status == EP.CREATE_REQUESTED:
                        self._endpoint_status(endpoint.id, EP.CREATE_IN_PROGRESS, "")
                    self._endpoint_status(endpoint.id, EP.ACTIVE, "")
                elif status == EP.CREATE_REQUESTED and default.status != ST.CREATE_REQUESTED:
                    self._endpoint_status(endpoint.id, EP.CREATE_IN_PROGRESS, "default stage being created")
                continue
            if status == EP.CREATE_FAILED:
                continue
            busy = [s for s in mine if s.status in STAGE_BUSY or s.status == ST.DELETE_IN_PROGRESS]
            failed = [s for s in mine if s.status in STAGE_FAILED]
            if busy:
                target, reason = EP.UPDATE_IN_PROGRESS, f"stage {busy[0].name} is {busy[0].status}"
            elif failed:
                target, reason = EP.UPDATE_FAILED, f"stage {failed[0].name} is {failed[0].status}: {failed[0].status_reason}"
            else:
                target, reason = EP.ACTIVE, ""
            if target != status:
                self._endpoint_status(endpoint.id, target, reason)
        return any(endpoint.status in ENDPOINT_MOVING for endpoint in endpoints)
