"""Fetches models whose artifact is not on this host (obs://, a Hugging Face
Hub id) into the data dir and checks that they load: CREATE REQUESTED ->
CREATE IN PROGRESS -> ACTIVE or CREATE FAILED. Runs on the controller's loop;
the blocking work happens in worker threads, one fetch per model at a time."""
from __future__ import annotations

import asyncio
import logging
from typing import Any


class ModelReconciler:
    def __init__(self, platform: Any, log: logging.Logger | None = None):
        self.models = platform.service("models")
        self.log = log or logging.getLogger("jupyter_easymaker.models")
        self._running: dict[str, asyncio.Future] = {}

    def recover(self) -> None:
        """A fetch cut short by a restart simply runs again (reconcile_once finds it)."""

    async def reconcile_once(self) -> None:
        loop = asyncio.get_running_loop()
        for model_id in await asyncio.to_thread(self.models.pending):
            if model_id in self._running:
                continue
            job = await asyncio.to_thread(self.models.begin_fetch, model_id)
            if job is None:
                continue
            self._running[model_id] = loop.run_in_executor(None, self._fetch, job)
            self._running[model_id].add_done_callback(lambda _f, mid=model_id: self._running.pop(mid, None))

    def _fetch(self, job: dict[str, Any]) -> None:
        try:
            model_dir, info = self.models.fetch(job)
        except Exception as exc:  # noqa: BLE001 - the reason is the model's status reason
            reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            self.log.warning("model %s could not be fetched: %s", job["name"], reason)
            self.models.finish_fetch(job["id"], error=f"the artifact could not be fetched or loaded: {reason}")
        else:
            self.models.finish_fetch(job["id"], model_dir=model_dir, info=info)
