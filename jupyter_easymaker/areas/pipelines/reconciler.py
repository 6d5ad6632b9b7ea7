"""The pipelines' long-running work: uploaded pipelines are drawn and become
ACTIVE; runs go through the shared job lifecycle (their executor job), or are
submitted to and mirrored from a Kubeflow Pipelines server when one is
configured; the task attempts a local run's executor asks for become jobs of
their own (a watcher thread wakes the controller the moment a request file
appears); run folders past the retention period are purged hourly."""
from __future__ import annotations

import asyncio
import logging
import os
import threading
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
        self.task_jobs = JobReconciler(platform, self.service.task_jobs, log=self.log)
        self.requests = RequestWatcher(platform.wake)
        self._purged_at = 0.0

    def recover(self) -> None:
        self.jobs.recover()
        self.task_jobs.recover()

    async def shutdown(self) -> None:
        self.requests.close()

    async def reconcile_once(self) -> None:
        try:
            await asyncio.to_thread(self.service.draw_pending)
        except Exception:
            self.log.exception("easymaker: drawing pending pipelines failed")
        # the tasks first: a run's executor waits on them, between two of its tasks
        try:
            self.requests.watch(dict(await asyncio.to_thread(self.service.task_jobs.asking_runs)))
            await asyncio.to_thread(self.service.task_jobs.take_requests)
        except Exception:
            self.log.exception("easymaker: taking the task requests of pipeline runs failed")
        await self.task_jobs.reconcile_once()
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


class RequestWatcher:
    """Wakes the controller when a file appears in a watched task-jobs folder (a
    request or a stop from a run's executor), instead of at the next tick."""

    INTERVAL_SECONDS = 0.01

    def __init__(self, wake: Any):
        self.wake = wake
        self._folders: dict[str, str] = {}
        self._seen: dict[str, int] = {}
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, folders: dict[str, str]) -> None:
        """The folders to watch (run id -> folder): those of the runs in progress."""
        self._folders = dict(folders)
        if folders and self._thread is None and self.wake is not None:
            self._thread = threading.Thread(target=self._loop, name="easymaker-pipeline-requests", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._closed.set()

    def _loop(self) -> None:
        while not self._closed.wait(self.INTERVAL_SECONDS):
            changed = False
            for folder in list(self._folders.values()):
                try:
                    count = len(os.listdir(folder))
                except OSError:
                    continue
                if self._seen.get(folder) != count:
                    self._seen[folder] = count
                    changed = True
            if changed:
                self.wake()
