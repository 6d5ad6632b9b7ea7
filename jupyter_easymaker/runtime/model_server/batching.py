"""Micro-batching: requests that arrive while the model is busy (or within
``max_latency_ms``) are merged into one call of the model.

There is no fixed wait by default: a lone request runs at once, and the
requests that queue up behind a running batch form the next one, so batches
grow with the load and latency does not grow without it. Cheap models run
on the event loop itself (a thread hop would cost more than the model);
slower ones run in a worker thread so the server keeps answering.
"""
from __future__ import annotations

import asyncio
import time
from concurrent.futures import Executor
from typing import Any, Callable

INLINE_BELOW_SECONDS = 0.0005


class MicroBatcher:
    def __init__(
        self,
        fn: Callable[[list[Any]], list[Any]],
        *,
        max_batch_size: int = 64,
        max_latency_ms: float = 0.0,
        size: Callable[[Any], int] = len,
        executor: Executor | None = None,
    ):
        self.fn = fn
        self.max_batch_size = max(1, max_batch_size)
        self.max_latency = max(0.0, max_latency_ms) / 1000.0
        self.size = size
        self.executor = executor
        self._queue: list[tuple[Any, asyncio.Future, int]] = []
        self._running = False
        self._cost = 1.0  # seconds per call, smoothed; starts high so the first call runs in a thread
        self.batches = 0
        self.items = 0

    async def submit(self, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        try:
            rows = self.size(item)
        except TypeError:
            rows = 1
        self._queue.append((item, future, rows))
        if not self._running:
            self._running = True
            loop.create_task(self._drain())  # starts after the requests already read this turn
        return await future

    def _take(self) -> list[tuple[Any, asyncio.Future, int]]:
        batch, rows = [], 0
        while self._queue and (not batch or rows + self._queue[0][2] <= self.max_batch_size):
            entry = self._queue.pop(0)
            batch.append(entry)
            rows += entry[2]
        return batch

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                if self.max_latency and sum(e[2] for e in self._queue) < self.max_batch_size:
                    await asyncio.sleep(self.max_latency)
                batch = self._take()
                items = [e[0] for e in batch]
                start = time.perf_counter()
                try:
                    if self._cost < INLINE_BELOW_SECONDS:
                        results = self.fn(items)
                    else:
                        results = await loop.run_in_executor(self.executor, self.fn, items)
                    if len(results) != len(items):
                        raise RuntimeError(f"the model returned {len(results)} results for {len(items)} requests")
                except Exception as exc:  # noqa: BLE001 - answered per request below
                    if len(items) == 1:
                        self._settle(batch[0][1], error=exc)
                        continue
                    # one bad request must not fail the others: run them one by one
                    for item, future, _rows in batch:
                        try:
                            result = (await loop.run_in_executor(self.executor, self.fn, [item]))[0]
                        except Exception as single:  # noqa: BLE001
                            self._settle(future, error=single)
                        else:
                            self._settle(future, result=result)
                    continue
                finally:
                    elapsed = time.perf_counter() - start
                    self._cost = 0.8 * self._cost + 0.2 * elapsed if self.batches else elapsed
                    self.batches += 1
                    self.items += len(items)
                for (_item, future, _rows), result in zip(batch, results):
                    self._settle(future, result=result)
                await asyncio.sleep(0)  # let the requests that came meanwhile queue up
        finally:
            self._running = False

    @staticmethod
    def _settle(future: asyncio.Future, *, result: Any = None, error: BaseException | None = None) -> None:
        if future.done():  # the client went away
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
