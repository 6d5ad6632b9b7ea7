"""In-process publish/subscribe of resource changes.

The controller listens to wake up at once when work arrives; the event stream
endpoint forwards changes to browsers. Subscribers get an asyncio queue each,
on the server's event loop; publishing is allowed from any thread (services
run in worker threads), and an event published off the loop reaches the
queues through the loop.
"""
from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

MAX_QUEUED = 10_000  # a stalled reader must not grow memory forever


class EventBus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue] = set()
        self._seq = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def publish(self, kind: str, resource_id: str, **data: Any) -> None:
        event = {"seq": next(self._seq), "kind": kind, "id": resource_id, **data}
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            self._deliver(event)
            return
        try:
            loop.call_soon_threadsafe(self._deliver, event)
        except RuntimeError:
            pass  # the loop has closed: the server is shutting down

    def _deliver(self, event: dict[str, Any]) -> None:
        for queue in list(self._queues):
            if queue.qsize() < MAX_QUEUED:
                queue.put_nowait(event)

    def subscribe(self) -> asyncio.Queue:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
        queue: asyncio.Queue = asyncio.Queue()
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self._queues.discard(queue)
