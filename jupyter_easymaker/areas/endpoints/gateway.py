"""The inference gateway's decisions: routes, API keys, in-flight counts,
statistics and inference logs. They are made in the gateway process
(``gateway_process.py``; its HTTP server is ``gateway_http.py``); the
Jupyter server asks them over its control channel (``gateway_supervisor.py``).

Routes are an in-memory table rebuilt from the store whenever something that
changes routing is committed (a stage becomes ACTIVE, pods come and go, the
default stage changes, a stage or endpoint is deleted). Rebuilding swaps one
reference, so every request sees either the old table or the new one: that
is the atomic switch of a default-stage change.

URL layout below ``{base_url}easymaker/inference/``::

    {endpoint}/{stage}/{model}/{model server path}   a stage URL
    {endpoint}/{model}/{model server path}           the default stage URL

A first segment naming a stage of the endpoint selects that stage (stage and
model names are kept apart when they are created, so this is never ambiguous).
"""
from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import select

from jupyter_easymaker.areas.endpoints.routes import (
    EndpointRoute,
    GatewayError,
    ModelRoute,
    StageRoute,
    Target,
    Upstream,
)
from jupyter_easymaker.areas.endpoints.statuses import (
    EndpointStatus,
    StageResourceStatus,
    StageStatus,
)
from jupyter_easymaker.areas.endpoints.tables import (
    Endpoint,
    EndpointStage,
    StageResource,
)
from jupyter_easymaker.backend.serving.base import ServingOptions
from jupyter_easymaker.core import log_batches
from jupyter_easymaker.core.api_keys import ApiKeyService, VerifiedKey
from jupyter_easymaker.core.api_stats import ApiStats
from jupyter_easymaker.core.log_buffer import LogBuffer
from jupyter_easymaker.core.logs import LOG_TYPE

INFERENCE_CATEGORY = "easymaker.inference"
ACTION = "Endpoint.Model"  # the guide's action field of endpoint logs
MAX_HEADERS = 1000


def _batch_header(endpoint_id: str, stage_id: str, model: str, key_id: str | None, path_prefix: str, *,
                  log_type: str) -> dict[str, Any]:
    """What the inference log records of one model of a stage, called with one key, share
    (core/log_batches.py): their ``fields`` JSON text is written from its parts, no dict between."""
    return log_batches.header(
        category=INFERENCE_CATEGORY, log_type=log_type, resource_id=stage_id, path_prefix=path_prefix,
        fields_head=f'{{"endpointId": {json.dumps(endpoint_id)}, "endpointStageId": {json.dumps(stage_id)}, "inferenceId": ',
        fields_tail=f', "action": {json.dumps(ACTION)}, "modelName": {json.dumps(model)}, "status": ',
        fields_end=f', "apiKeyId": {json.dumps(key_id)}}}' if key_id else "}")


class Gateway:
    def __init__(self, db, keys: ApiKeyService, stats: ApiStats, options: ServingOptions | None = None, *,
                 log_type: str = LOG_TYPE):
        self.db = db
        self.log_type = log_type
        self.keys = keys
        self.stats = stats
        self.options = options or ServingOptions()
        self._routes: dict[str, EndpointRoute] = {}  # by endpoint name and id
        self._draining: set[str] = set()  # addresses taken out of rotation before their pod stops
        self._in_flight_resource: Counter[str] = Counter()
        self._in_flight_address: Counter[str] = Counter()
        self.logs = LogBuffer(db, category=INFERENCE_CATEGORY, log_type=log_type, most=self.options.inference_log_max_per_flush,
                              source="gateway", what="inference log records", action=ACTION)
        self._headers: dict[tuple, dict[str, Any]] = {}  # _log_rows()'s
        self._flush_lock = threading.Lock()
        self._last_flush = time.monotonic()
        self.loaded = False
        self.dirty = False  # something to write at the next flush

    # -- the routing table ------------------------------------------------------------
    def reload(self) -> None:
        with self.db.session() as session:
            endpoints = session.scalars(select(Endpoint).where(Endpoint.status != EndpointStatus.DELETE_IN_PROGRESS)).all()
            stages = session.scalars(select(EndpointStage).where(EndpointStage.status != StageStatus.DELETE_IN_PROGRESS)).all()
            resources = session.execute(select(StageResource.id, StageResource.stage_id, StageResource.model_name,
                                               StageResource.addresses)
                                        .where(StageResource.status == StageResourceStatus.ACTIVE)
                                        .order_by(StageResource.created_at, StageResource.id)).all()
        old = self._routes
        by_stage: dict[str, StageRoute] = {}
        table: dict[str, EndpointRoute] = {}
        for e in endpoints:
            route = EndpointRoute(e.id, e.name, e.default_stage_id)
            table[e.id] = table[e.name] = route
        for s in stages:
            endpoint = table.get(s.endpoint_id)
            if endpoint is not None:
                endpoint.stages[s.name] = by_stage[s.id] = StageRoute(s.id, s.name, s.status)
        for resource_id, stage_id, model_name, addresses in resources:
            stage = by_stage.get(stage_id)
            if stage is None:
                continue
            model = stage.models.setdefault(model_name, ModelRoute(model_name, []))
            model.upstreams += [Upstream(resource_id, a) for a in addresses or [] if a not in self._draining]
        # keep each model's round-robin position across reloads
        for route in table.values():
            previous = old.get(route.endpoint_id)
            for stage in route.stages.values():
                before = previous.stages.get(stage.name) if previous else None
                for model in stage.models.values():
                    if before and model.name in before.models:
                        model.turn = before.models[model.name].turn
        self._routes = table
        self.loaded = True

    def describe(self, endpoint_id: str, stage_id: str) -> dict[str, Any]:
        """What the gateway routes for a stage (the guide's "API Gateway settings")."""
        route = self._routes.get(endpoint_id)
        stage = next((s for s in route.stages.values() if s.stage_id == stage_id), None) if route else None
        if stage is None:
            return {"routable": False, "default": False, "models": {}}
        return {
            "routable": stage.routable,
            "default": route.default_stage_id == stage_id,
            "models": {m.name: [u.address for u in m.upstreams] for m in stage.models.values()},
            "in_flight": {m.name: sum(self._in_flight_address[u.address] for u in m.upstreams) for m in stage.models.values()},
        }

    # -- a request ------------------------------------------------------------------------
    def resolve(self, endpoint_ref: str, rest: str) -> Target:
        route = self._routes.get(endpoint_ref)
        if route is None:
            raise GatewayError(404, f"endpoint {endpoint_ref!r} does not exist")
        parts = rest.split("/") if rest else []
        stage = route.stages.get(parts[0]) if parts else None
        if stage is not None:
            parts = parts[1:]
        else:
            stage = route.default_stage
            if stage is None:
                raise GatewayError(503, f"endpoint {route.name!r} has no default stage ready")
        target = Target(route, stage, parts[0] if parts else "", "/".join(parts[1:]))
        if not stage.routable:
            raise GatewayError(503, f"stage {stage.name!r} of endpoint {route.name!r} is {stage.status}", target=target)
        return target

    def authenticate(self, target: Target, key: str | None) -> VerifiedKey:
        if not key:
            raise GatewayError(401, "an API key is required: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
                               target=target)
        verified = self.keys.verify(target.endpoint.endpoint_id, key)
        if verified is None:
            raise GatewayError(401, f"the API key is not a valid key of endpoint {target.endpoint.name!r} (or it was revoked)",
                               target=target)
        return verified

    def models(self, target: Target) -> list[str]:
        return sorted(m for m, r in target.stage.models.items() if r.upstreams)

    def pick(self, target: Target, tried: set[str] | frozenset[str] = frozenset()) -> Upstream:
        """The next server of the target's model (round-robin over every pod of
        every resource serving it), counted in flight until release()."""
        model = target.stage.models.get(target.model)
        if model is None or not target.model:
            known = ", ".join(self.models(target)) or "none"
            raise GatewayError(404, f"model {target.model!r} is not deployed on stage {target.stage.name!r} "
                                    f"(models: {known})", target=target)
        candidates = [u for u in model.upstreams if u.address not in tried and u.address not in self._draining]
        if not candidates:
            raise GatewayError(503 if not tried else 502, f"no server of model {target.model!r} is ready", target=target)
        upstream = candidates[model.turn % len(candidates)]
        model.turn += 1
        self._in_flight_resource[upstream.resource_id] += 1
        self._in_flight_address[upstream.address] += 1
        return upstream

    def release(self, upstream: Upstream) -> None:
        for counter, key in ((self._in_flight_resource, upstream.resource_id), (self._in_flight_address, upstream.address)):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]

    def record(self, target: Target | None, *, inference_id: str, method: str, status: int, latency_ms: float,
               key_id: str | None = None) -> None:
        """Statistics and an inference log record of one finished request."""
        if target is None:
            return  # no stage to count it for (unknown endpoint)
        ok = status < 400
        self.dirty = True
        endpoint_id, stage_id = target.endpoint.endpoint_id, target.stage.stage_id
        self.stats.record(endpoint_id, stage_id, ok, latency_ms)
        if ok and random.random() >= self.options.inference_log_sample_rate:
            return
        path = f"/{target.model}/{target.path}" if target.model else "/"
        self._log_rows(endpoint_id, stage_id, target.model, key_id,
                       [[inference_id, method, path, status, latency_ms, time.time()]])

    def record_handed(self, who: dict[str, Any], failures: int, latencies: list[float]) -> None:
        """Statistics of requests a model server answered on a connection handed to it (gateway_handoff.py)."""
        if not latencies:
            return
        self.dirty = True
        self.stats.record_many(who["endpoint_id"], who["stage_id"], failures, latencies)
        if who.get("key_id"):
            self.keys.touch(who["key_id"])

    def log_handed(self, who: dict[str, Any], rows: list[list]) -> None:
        """Inference log records of them (sampled there as here): ``[inference id, method, path in the
        model server, status, latency ms, epoch seconds]`` each."""
        self._log_rows(who["endpoint_id"], who["stage_id"], who["model"], who.get("key_id"), rows,
                       path_prefix=f"/{who['model']}")

    def _log_rows(self, endpoint_id: str, stage_id: str, model: str, key_id: str | None, rows: list, *,
                  path_prefix: str = "") -> None:
        """Inference log records, ``[inference id, method, path, status, latency ms, epoch seconds]``
        each (the body shows ``path_prefix`` + path), kept for the next flush, which stores them as
        they are: they are made records later, out of the way of the requests (core/log_batches.py)."""
        ident = (endpoint_id, stage_id, model, key_id, path_prefix)
        header = self._headers.get(ident)
        if header is None:
            if len(self._headers) >= MAX_HEADERS:
                self._headers.clear()
            header = self._headers[ident] = _batch_header(*ident, log_type=self.log_type)
        self.logs.stage(ident, header, rows)
        self.dirty = True

    def dropped_logs(self, count: int) -> None:
        """Records a model server could not keep (no gateway linked for a long while)."""
        if count:
            self.logs.drop(count)
            self.dirty = True

    # -- draining ---------------------------------------------------------------------------
    def drain(self, addresses: list[str]) -> None:
        """Take servers out of rotation (before a scale-down stops them)."""
        if addresses:
            self._draining.update(addresses)
            self.reload()

    @property
    def draining(self) -> set[str]:
        return set(self._draining)

    def undrain(self, addresses: list[str]) -> None:
        self._draining.difference_update(addresses)

    def in_flight(self, *, resource_id: str | None = None, addresses: list[str] | None = None) -> int:
        if resource_id is not None:
            return self._in_flight_resource.get(resource_id, 0)
        return sum(self._in_flight_address.get(a, 0) for a in addresses or [])

    # -- persistence ----------------------------------------------------------------------
    def flush(self) -> None:
        # one flush at a time (the controller's runs in a thread): two would insert the same minute's row
        with self._flush_lock:
            self._flush()

    def _flush(self) -> None:
        self.dirty = False
        # logs first, in transactions of their own: the store's write lock is held per transaction,
        # so that the Jupyter server's own transactions never wait long behind them
        self.logs.write()
        with self.db.write() as session:  # taken out of memory: never a read's refused write
            self.stats.flush_in(session)
            self.keys.flush_usage(session)
        self._last_flush = time.monotonic()

    def flush_due(self) -> bool:
        return time.monotonic() - self._last_flush >= self.options.stats_flush_seconds
