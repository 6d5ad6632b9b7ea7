"""Experiments' reconciler: a new experiment gets its storage (the TensorBoard
folder of its runs), then is ACTIVE."""
from __future__ import annotations

import asyncio
import logging
from typing import Any


class ExperimentReconciler:
    def __init__(self, platform: Any, log: logging.Logger | None = None):
        self.experiments = platform.service("experiments")

    def recover(self) -> None:
        """Nothing runs outside the server: a pending experiment is simply created again."""

    async def reconcile_once(self) -> None:
        await asyncio.to_thread(self.experiments.create_pending)
