"""The question gateway's table: which query server answers for each RAG
(by name), and what it counts on the way: API keys, statistics and
inference logs. The reconciler keeps the addresses current; a request reads
one immutable entry, so it sees the old servers or the new, never half."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from jupyter_easymaker.core.api_keys import ApiKeyService, VerifiedKey
from jupyter_easymaker.core.api_stats import ApiStats
from jupyter_easymaker.core.log_buffer import LogBuffer, level_of
from jupyter_easymaker.core.logs import LOG_TYPE

QUERY_CATEGORY = "easymaker.rag"
ACTION = "RAG.Query"
MAX_LOGS_PER_FLUSH = 5000


class QueryError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param = status, message, param


@dataclass(frozen=True)
class RagRoute:
    rag_id: str
    name: str
    addresses: tuple[str, ...]
    status: str
    log_enabled: bool


class QueryRoutes:
    def __init__(self, db: Any, keys: ApiKeyService, stats: ApiStats, *, flush_seconds: float = 2.0):
        self.db = db
        self.keys = keys
        self.stats = stats
        self.flush_seconds = flush_seconds
        self._routes: dict[str, RagRoute] = {}  # by name
        self._turn = 0
        self.logs = LogBuffer(db, category=QUERY_CATEGORY, log_type=LOG_TYPE, most=MAX_LOGS_PER_FLUSH, source="rag-gateway",
                              what="query log records", action=ACTION)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._last_flush = time.monotonic()

    # -- the table ------------------------------------------------------------------
    def set(self, route: RagRoute) -> None:
        with self._lock:
            for name, old in list(self._routes.items()):
                if old.rag_id == route.rag_id and name != route.name:
                    del self._routes[name]
            self._routes[route.name] = route

    def remove(self, rag_id: str) -> None:
        with self._lock:
            for name, old in list(self._routes.items()):
                if old.rag_id == rag_id:
                    del self._routes[name]

    def current(self, rag_id: str) -> RagRoute | None:
        return next((r for r in self._routes.values() if r.rag_id == rag_id), None)

    def addresses(self, rag_id: str) -> tuple[str, ...]:
        route = self.current(rag_id)
        return route.addresses if route is not None else ()

    def route(self, name: Any) -> RagRoute:
        if not isinstance(name, str) or not name:
            raise QueryError(400, "model must be the name of a RAG", "model")
        route = self._routes.get(name)
        if route is None:
            raise QueryError(404, f"no RAG named {name!r} answers questions here", "model")
        if not route.addresses:
            raise QueryError(503, f"RAG {name!r} has no query server ready ({route.status})", "model")
        return route

    def pick(self, route: RagRoute) -> str:
        self._turn += 1
        return route.addresses[self._turn % len(route.addresses)]

    def authenticate(self, route: RagRoute, key: str | None) -> VerifiedKey:
        verified = self.keys.verify(route.rag_id, key)
        if verified is None:
            raise QueryError(401, "a valid API key of this RAG is required (x-nhn-apikey or Authorization: Bearer)")
        return verified

    # -- what each question leaves --------------------------------------------------
    def record(self, route: RagRoute | None, *, request_id: str, status: int, latency_ms: float, stream: bool,
               key_id: str | None = None) -> None:
        if route is None:
            return
        ok = status < 400
        self.stats.record(route.rag_id, route.rag_id, ok, latency_ms)
        if not route.log_enabled and ok:
            return
        fields = {"ragId": route.rag_id, "ragName": route.name, "inferenceId": request_id, "action": ACTION,
                  "status": status, "latencyMs": round(latency_ms, 3), "stream": stream, **({"apiKeyId": key_id} if key_id else {})}
        self.logs.add([(time.time(), level_of(status), f"POST /rag/v1/query {status} {latency_ms:.1f} ms{' (stream)' if stream else ''}",
                        route.rag_id, json.dumps(fields))])

    def flush_due(self) -> bool:
        return time.monotonic() - self._last_flush >= self.flush_seconds

    def flush(self) -> None:
        with self._flush_lock:
            self.logs.write()
            with self.db.write() as session:  # also when a GET asks for it (taken out of memory)
                self.stats.flush_in(session)
                self.keys.flush_usage(session)
            self._last_flush = time.monotonic()
