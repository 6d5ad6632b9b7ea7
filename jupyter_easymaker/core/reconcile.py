"""The reconcile loop: makes stored intent true on the backends.

Each area with long-running work has a reconciler (``recover()`` once, then
``async reconcile_once()`` every pass, ``async shutdown()`` optionally when
the server stops). The controller drives each area's reconciler in a loop of its own on
one asyncio loop: every tick, and at once when a service publishes a change.
One loop per area, so that an area waiting on something slow (a model server
that takes seconds to stop) holds up no other area's work. It keeps no state of its own
beyond caches: everything is in the store (statuses, backend handles, log
offsets), so a server killed at any moment finds every job again.

Areas load lazily. At start the controller asks the store, without loading
any area, which areas have unfinished rows (each area's ``Work``), and starts
those areas' reconcilers; an area loaded later (a request used it) gets its
reconciler then. Loading and ``recover()`` run in a worker thread.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from jupyter_easymaker.core.area import Area
from jupyter_easymaker.core.log_index import Keeper

RETENTION_CHECK_SECONDS = 3600.0
LOG_INDEX_SECONDS = 2.0  # how often the log search's indexes catch up (a search catches up first anyway)
LOG_INDEX_GRACE = 6.0  # how long the index stays behind unmoved before this server indexes (core/log_index.py Keeper)
SLOW_PASS_SECONDS = 10.0


class Controller:
    def __init__(self, platform: Any, *, log: logging.Logger | None = None):
        self.platform = platform
        self.log = log or logging.getLogger("jupyter_easymaker.controller")
        self.reconcilers: dict[str, Any] = {}  # area name -> its reconciler
        self._waiting: list[Area] = []  # loaded areas whose reconciler is not started yet
        self._wake = asyncio.Event()  # the supervisor's: areas to start, retention
        self._area_wakes: dict[str, asyncio.Event] = {}
        self._area_tasks: dict[str, asyncio.Task] = {}
        self._task: asyncio.Task | None = None
        self._events_task: asyncio.Task | None = None
        self._index_task: asyncio.Task | None = None
        self.log_index: Keeper | None = None  # made at start
        self._last_purge = 0.0
        self._running = False
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        platform.wake = self.wake
        platform.on_load.append(self._area_loaded)

    # -- lifecycle ------------------------------------------------------------
    async def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._event_loop, self._loop_thread = asyncio.get_running_loop(), threading.get_ident()
        self._events_task = asyncio.create_task(self._listen(), name="easymaker-controller-events")
        for backend in self.platform.backends.values():  # backends that watch their objects wake the areas on a change
            watch_changes = getattr(backend, "watch_changes", None)
            if watch_changes is not None:
                watch_changes(self.wake)
        busy = await asyncio.to_thread(self._areas_with_work)
        for name in busy:
            await self.platform.load(name)  # its reconciler follows through _area_loaded
        await self._start_waiting()
        self._task = asyncio.create_task(self._loop(), name="easymaker-controller")
        self._index_task = asyncio.create_task(self._index_logs(), name="easymaker-log-index")

    async def stop(self) -> None:
        self._running = False
        self._wake_all()
        for task in (self._task, self._events_task, self._index_task, *self._area_tasks.values()):
            if task is not None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                    pass
        for backend in self.platform.backends.values():
            stop_watching = getattr(backend, "stop_watching", None)
            if stop_watching is not None:
                await asyncio.to_thread(stop_watching)
        for reconciler in list(self.reconcilers.values()):
            shutdown = getattr(reconciler, "shutdown", None)
            if shutdown is not None:
                try:
                    await shutdown()
                except Exception:  # noqa: BLE001 - shutting down: the others must still stop
                    self.log.exception("easymaker: stopping %s failed", type(reconciler).__name__)

    def wake(self) -> None:
        """Look at the work now; callable from any thread (a job's exit is noticed in one)."""
        loop = self._event_loop
        if loop is None or threading.get_ident() == self._loop_thread:
            self._wake_all()
            return
        try:
            loop.call_soon_threadsafe(self._wake_all)
        except RuntimeError:
            pass  # the loop has closed: the server is shutting down

    def _wake_all(self) -> None:
        self._wake.set()
        for event in self._area_wakes.values():
            event.set()

    # -- which areas run -------------------------------------------------------
    def _areas_with_work(self) -> list[str]:
        """Areas with unfinished rows, read with plain SQL (no area is imported but
        for its status words)."""
        from sqlalchemy import bindparam, inspect, text

        engine = self.platform.db.engine
        busy = []
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            for area in self.platform.areas.values():
                if area.reconciler is None:
                    continue
                if area.always:
                    busy.append(area.name)
                    continue
                for work in area.work:
                    if work.table not in tables:
                        continue
                    if work.active is None:
                        found = conn.execute(text(f"SELECT 1 FROM {work.table} LIMIT 1")).first()
                    else:
                        statuses = sorted(area.resolve(work.active))
                        query = text(f"SELECT 1 FROM {work.table} WHERE status IN :statuses LIMIT 1").bindparams(
                            bindparam("statuses", expanding=True))
                        found = conn.execute(query, {"statuses": statuses}).first()
                    if found is not None:
                        busy.append(area.name)
                        break
        return busy

    def _area_loaded(self, area: Area) -> None:
        # any thread: the loop starts the reconciler on its next turn
        if area.reconciler is not None and area.name not in self.reconcilers:
            self._waiting.append(area)
            self.wake()

    async def _start_waiting(self) -> None:
        while self._waiting:
            area = self._waiting.pop(0)
            if area.name in self.reconcilers:
                continue
            try:
                reconciler = await asyncio.to_thread(self._make, area)
            except Exception:  # noqa: BLE001 - one area's failure must not stop the others
                self.log.exception("easymaker: starting the %s reconciler failed", area.name)
                continue
            self.reconcilers[area.name] = reconciler

    def _make(self, area: Area) -> Any:
        reconciler = area.resolve(area.reconciler)(self.platform)
        reconciler.recover()
        return reconciler

    # -- the loop ---------------------------------------------------------------
    async def _listen(self) -> None:
        queue = self.platform.events.subscribe()
        try:
            while True:
                event = await queue.get()
                if event.get("change") in ("created", "status"):
                    self._wake_all()
        finally:
            self.platform.events.unsubscribe(queue)

    async def _loop(self) -> None:
        """The supervisor: starts the loop of each area whose reconciler is made, and
        purges what is past retention."""
        while self._running:
            self._wake.clear()
            try:
                await self._supervise()
            except Exception:  # noqa: BLE001 - one bad tick must not end the loop
                self.log.exception("easymaker controller tick failed")
            await self._sleep(self._wake)

    async def _supervise(self) -> None:
        await self._start_waiting()
        for name, reconciler in self.reconcilers.items():
            if name not in self._area_tasks:
                self._area_wakes[name] = asyncio.Event()
                self._area_tasks[name] = asyncio.create_task(self._area_loop(name, reconciler),
                                                             name=f"easymaker-controller-{name}")
        if time.monotonic() - self._last_purge > RETENTION_CHECK_SECONDS:
            self._last_purge = time.monotonic()
            removed = await asyncio.to_thread(self.platform.logs.purge_older_than_retention)
            if removed:
                self.log.info("easymaker: removed %d log records, metric points and TensorBoard event files past the "
                              "%d-day retention", removed, self.platform.settings.retention_days)

    async def _index_logs(self) -> None:
        """Keeps the log search's indexes near the newest record (core/log_index.py), so that
        a search has little left to index before it runs."""
        if self.log_index is None:
            self.log_index = Keeper(self.platform.logs.index, grace=LOG_INDEX_GRACE)
        while self._running:
            try:
                await asyncio.to_thread(self.log_index.tick)
            except Exception:  # noqa: BLE001 - the store busy for long: the next tick tries again
                self.log.exception("easymaker: indexing log records failed")
            await asyncio.sleep(LOG_INDEX_SECONDS)

    async def _area_loop(self, name: str, reconciler: Any) -> None:
        wake = self._area_wakes[name]
        while self._running:
            wake.clear()
            started = time.monotonic()
            try:
                await reconciler.reconcile_once()
            except Exception:  # noqa: BLE001 - one bad pass must not end the area's loop
                self.log.exception("easymaker: the %s reconciler failed", name)
            took = time.monotonic() - started
            if took >= SLOW_PASS_SECONDS:  # the area's statuses lagged this long: worth an operator's look
                self.log.warning("easymaker: a pass of the %s reconciler took %.1f s", name, took)
            await self._sleep(wake)

    async def _sleep(self, wake: asyncio.Event) -> None:
        """Until woken, or for one tick."""
        try:
            await asyncio.wait_for(wake.wait(), timeout=self.platform.settings.controller_interval)
        except asyncio.TimeoutError:
            pass
