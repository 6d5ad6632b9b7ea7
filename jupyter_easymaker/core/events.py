"""In-process publish/subscribe of resource changes.

The controller listens to wake up at once when work arrives; the event stream
endpoint forwards changes to browsers. Subscribers get an asyncio queue each,
on the server's event loop. Publishing is allowed from any thread (services
run in worker threads): events enter one FIFO in the order they are
published and reach the queues in that order, whichever thread published them.
"""
from __future__ import annotations

import asyncio
import collections
import itertools
import threading
from typing import Any

MAX_QUEUED = 10_000  # a stalled reader must not grow memory forever


class EventBus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue] = set()
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: collections.deque[dict[str, Any]] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self.published = 0  # events published so far (a reader can tell cheaply whether anything changed)
        self._published_of: collections.Counter[str] = collections.Counter()  # ... by kind

    def publish(self, kind: str, resource_id: str, **data: Any) -> None:
        with self._lock:
            self._pending.append({"seq": next(self._seq), "kind": kind, "id": resource_id, **data})
            self.published += 1
            self._published_of[kind] += 1
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            self._drain()
            return
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:
            pass  # the loop has closed: the server is shutting down

    def published_of(self, *kinds: str) -> int:
        """Events of these kinds published so far: a reconciler tells whether its own kinds
        changed, undisturbed by the log events of a thousand running jobs."""
        with self._lock:
            return sum(self._published_of[kind] for kind in kinds)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    return
                event = self._pending.popleft()
            for queue in list(self._queues):
                if queue.qsize() < MAX_QUEUED:
                    queue.put_nowait(event)

    def subscribe(self) -> asyncio.Queue:
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop (a script or a test): events are delivered where they are published
                pass
            else:
                self._loop_thread = threading.get_ident()
        queue: asyncio.Queue = asyncio.Queue()
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self._queues.discard(queue)
