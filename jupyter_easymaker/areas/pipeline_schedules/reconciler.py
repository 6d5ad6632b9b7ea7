"""Pipeline schedules' reconciler: every controller pass, each ENABLED schedule
starts the runs of its due periods (the pipelines area's reconciler then runs
them) and a new schedule becomes ENABLED once its pipeline is ACTIVE."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from jupyter_easymaker.areas.pipeline_schedules.clock import ClockError


class PipelineScheduleReconciler:
    def __init__(self, platform: Any, log: logging.Logger | None = None):
        self.schedules = platform.service("pipeline_schedules")
        self.log = log or logging.getLogger("jupyter_easymaker.pipeline_schedules")
        self._clock_problem: str | None = None

    def recover(self) -> None:
        """Nothing runs outside the store: ``last_scheduled_at`` says where each schedule was, and the
        next pass starts what came due while the server was down."""

    async def reconcile_once(self) -> None:
        try:
            await asyncio.to_thread(self.schedules.tick)
        except ClockError as exc:
            if str(exc) != self._clock_problem:  # once, not every pass
                self._clock_problem = str(exc)
                self.log.error("easymaker: %s; no pipeline schedule runs until it does", exc)
            return
        self._clock_problem = None
