"""The pipelines' long-running work: uploaded pipelines are drawn and become
ACTIVE; runs go through the shared job lifecycle (their executor job), or are
submitted to and mirrored from a Kubeflow Pipelines server when one is
configured; run folders past the retention period are purged hourly."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from jupyter_easymaker.core.job_service import JobReconciler

PURGE_EVERY_SECONDS = 3600.0


class PipelinesReconciler:
    def __init__(self, platform: Any, *, log: logging.Logger | None = None):
        self.service = platform.service("pipelines")
        self.runs = self.service.runs
        self.log = log or logging.getLogger("jupyter_easymaker.pipelines")
        self.jobs = JobReconciler(platform, self.runs, log=self.log)
        self._purged_at = 0.0

    def recover(self) -> None:
        self.jobs.recover()

    async def reconcile_once(self) -> None:
        try:
            await asyncio.to_thread(self.service.draw_pending)
        except Exception:
            self.log.exception("easymaker: drawing pending pipelines failed")
        await self.jobs.reconcile_once()
        for row in await asyncio.to_thread(self.runs.remote_rows):
            try:
                await asyncio.to_thread(self.runs.remote_step, row)
            except Exception:
                self.log.exception("easymaker: mirroring pipeline run %s from Kubeflow Pipelines failed", row.id)
        if time.monotonic() - self._purged_at >= PURGE_EVERY_SECONDS:
            self._purged_at = time.monotonic()
            try:
                purged = await asyncio.to_thread(self.runs.purge_expired_artifacts)
            except Exception:
                self.log.exception("easymaker: purging expired pipeline artifacts failed")
            else:
                if purged:
                    self.log.info("easymaker: deleted the artifacts of %d pipeline run(s) past retention", purged)
