"""Experiments' reconciler: a new experiment gets its storage (the TensorBoard
folder of its runs), then is ACTIVE."""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from sqlalchemy import select

from jupyter_easymaker.areas.experiments.statuses import EXPERIMENT_PENDING, ExperimentStatus
from jupyter_easymaker.areas.experiments.tables import Experiment


class ExperimentReconciler:
    def __init__(self, platform: Any, log: logging.Logger | None = None):
        self.experiments = platform.service("experiments")
        self.db = platform.db

    def recover(self) -> None:
        """Nothing runs outside the server: a pending experiment is simply created again."""

    async def reconcile_once(self) -> None:
        await asyncio.to_thread(self._experiments)

    def _experiments(self) -> None:
        service = self.experiments
        with self.db.session() as session:
            pending = session.scalars(
                select(Experiment).where(Experiment.status.in_(EXPERIMENT_PENDING))
            ).all()
            for row in pending:
                if row.status == ExperimentStatus.CREATE_REQUESTED:
                    service.set_status(session, row, ExperimentStatus.CREATE_IN_PROGRESS)
                try:
                    os.makedirs(service.tensorboard_dir(row.id), exist_ok=True)
                except OSError as exc:
                    service.set_status(session, row, ExperimentStatus.CREATE_FAILED, f"could not create its storage: {exc}")
                else:
                    service.set_status(session, row, ExperimentStatus.ACTIVE)
        for row in pending:
            service.publish(row, "status")

