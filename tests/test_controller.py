"""The controller: each area's reconciler in a loop of its own, so an area
waiting on something slow holds up no other area's work."""
from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from jupyter_easymaker.core.area import Area
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.reconcile import Controller
from jupyter_easymaker.core.settings import Settings


class SlowReconciler:
    """Each pass waits two seconds in a worker thread (a model server stopping)."""

    def __init__(self, platform: Any):
        self.passes = 0

    def recover(self) -> None:
        pass

    async def reconcile_once(self) -> None:
        self.passes += 1
        await asyncio.to_thread(time.sleep, 2.0)


class CountingReconciler:
    def __init__(self, platform: Any):
        self.passes = 0

    def recover(self) -> None:
        pass

    async def reconcile_once(self) -> None:
        self.passes += 1


class FailingReconciler(CountingReconciler):
    async def reconcile_once(self) -> None:
        self.passes += 1
        raise RuntimeError("this pass failed")


@dataclasses.dataclass(frozen=True)
class LocalArea(Area):
    """An area whose reconciler is a class of this module."""

    factory: Any = None

    def resolve(self, ref: str) -> Any:
        return self.factory


def areas() -> list[Area]:
    return [LocalArea(name=name, reconciler="reconciler:make", tables=False, handlers=False,
                      factory=factory)
            for name, factory in (("slow", SlowReconciler), ("fast", CountingReconciler),
                                  ("failing", FailingReconciler))]


async def test_a_slow_area_holds_up_no_other(tmp_path):
    settings = Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)], controller_interval=0.05)
    platform = Platform(settings, areas())
    controller = Controller(platform)
    for area in platform.areas.values():
        controller._area_loaded(area)
    await controller.start()
    try:
        deadline = time.monotonic() + 10
        while len(controller.reconcilers) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.0)
        slow, fast, failing = (controller.reconcilers[n] for n in ("slow", "fast", "failing"))
        # the slow area is still in its first pass; the others went on every tick
        assert slow.passes == 1
        assert fast.passes >= 8, fast.passes
        # an area whose pass fails is tried again on the next one
        assert failing.passes >= 8, failing.passes

        # a wake reaches every area at once, not after the tick
        platform.settings.controller_interval = 30.0
        await asyncio.sleep(0.2)  # the loops are now asleep for a whole (long) tick
        before = fast.passes
        platform.wake()
        await asyncio.sleep(0.1)
        assert fast.passes == before + 1
    finally:
        await asyncio.wait_for(controller.stop(), timeout=5)
    # stopped: no loop goes on
    after = fast.passes
    await asyncio.sleep(0.2)
    assert fast.passes == after
