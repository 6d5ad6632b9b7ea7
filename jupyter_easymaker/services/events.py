"""In-process publish/subscribe of resource changes.

The controller listens to wake up at once when work arrives; the event stream
endpoint forwards changes to browsers. Publishing happens on the server's
event loop thread; subscribers get an asyncio queue each.
"""
from __future__ import annotations

import asyncio
import itertools
from typing import Any


class EventBus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue] = set()
        self._seq = itertools.count(1)

    def publish(self, kind: str, resource_id: str, **data: Any) -> None:
        event = {"seq": next(self._seq), "kind": kind, "id": resource_id, **data}
        for queue in list(self._queues):
            if queue.qsize() < 10_000:  # a stalled reader must not grow memory forever
                queue.put_nowait(event)

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self._queues.discard(queue)
