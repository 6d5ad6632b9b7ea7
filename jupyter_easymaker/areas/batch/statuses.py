"""Batch inference and model evaluation: the guide's status tables, the
transitions between them and the limits the guide sets."""
from __future__ import annotations

from jupyter_easymaker.core.jobs import job_statuses
from jupyter_easymaker.core.state_machine import _machine



class BatchInferenceStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    COMPLETE = "COMPLETE"
    STOP_IN_PROGRESS = "STOP IN PROGRESS"
    FAIL_BATCH_INFERENCE = "FAIL BATCH INFERENCE"
    CREATE_FAILED = "CREATE FAILED"
    FAIL_BATCH_INFERENCE_IN_PROGRESS = "FAIL BATCH INFERENCE IN PROGRESS"
    COMPLETE_IN_PROGRESS = "COMPLETE IN PROGRESS"


B = BatchInferenceStatus


BATCH_INFERENCE_MACHINE = _machine(
    "batch inference",
    B.CREATE_REQUESTED,
    {
        B.CREATE_REQUESTED: {B.CREATE_IN_PROGRESS, B.CREATE_FAILED, B.STOP_IN_PROGRESS},
        # a short job can end before the controller saw it run
        B.CREATE_IN_PROGRESS: {B.RUNNING, B.CREATE_FAILED, B.STOP_IN_PROGRESS, B.COMPLETE_IN_PROGRESS, B.FAIL_BATCH_INFERENCE_IN_PROGRESS},
        B.RUNNING: {B.COMPLETE_IN_PROGRESS, B.FAIL_BATCH_INFERENCE_IN_PROGRESS, B.STOP_IN_PROGRESS},
        # a job may finish on its own while its stop is on the way
        B.STOP_IN_PROGRESS: {B.STOPPED, B.COMPLETE_IN_PROGRESS, B.FAIL_BATCH_INFERENCE_IN_PROGRESS},
        B.COMPLETE_IN_PROGRESS: {B.COMPLETE},
        B.FAIL_BATCH_INFERENCE_IN_PROGRESS: {B.FAIL_BATCH_INFERENCE},
        B.STOPPED: set(),
        B.COMPLETE: set(),
        B.FAIL_BATCH_INFERENCE: set(),
        B.CREATE_FAILED: set(),
    },
    deletable={B.STOPPED, B.COMPLETE, B.FAIL_BATCH_INFERENCE, B.CREATE_FAILED},
    words=BatchInferenceStatus,
)


# the batch inference's statuses in the job lifecycle
BATCH_INFERENCE_JOB = job_statuses(
    BATCH_INFERENCE_MACHINE,
    waiting=B.CREATE_REQUESTED, submitted=B.CREATE_IN_PROGRESS, running=B.RUNNING, stopping=B.STOP_IN_PROGRESS,
    succeeded=(B.COMPLETE_IN_PROGRESS, B.COMPLETE), failed=(B.FAIL_BATCH_INFERENCE_IN_PROGRESS, B.FAIL_BATCH_INFERENCE),
    stopped=(B.STOP_IN_PROGRESS, B.STOPPED), not_started=(B.CREATE_FAILED,), time_limit="maximum batch inference time",
)

# statuses in which the controller still has work to do
BATCH_INFERENCE_ACTIVE = BATCH_INFERENCE_JOB.active
