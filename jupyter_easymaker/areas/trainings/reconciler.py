"""Trainings run on the shared job lifecycle as they are: submit, run, end
(see :mod:`jupyter_easymaker.core.jobs`)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.core.job_service import JobReconciler


def TrainingReconciler(platform: Any) -> JobReconciler:  # noqa: N802 - the factory the area names
    return JobReconciler(platform, platform.service("trainings"))
