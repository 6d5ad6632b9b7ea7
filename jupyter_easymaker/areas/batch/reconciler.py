"""Batch inferences run on the shared job lifecycle (see
:mod:`jupyter_easymaker.core.jobs`); their service reads the progress lines
and the summary the job writes."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.core.job_service import JobReconciler


def BatchInferenceReconciler(platform: Any) -> JobReconciler:  # noqa: N802 - the factory the area names
    return JobReconciler(platform, platform.service("batch"))
