"""Batch inference and model evaluation: the guide's status tables, the
transitions between them and the limits the guide sets."""
from __future__ import annotations

from jupyter_easymaker.core.jobs import job_statuses
from jupyter_easymaker.core.state_machine import _machine

MAX_EVALUATION_INPUT_BYTES = 20 * 1024**3  # the guide: evaluation input of at most 20 GB


MAX_COMPARE = 10


EVALUATION_FORMATS = ("CSV", "JSONL")  # model evaluation (the guide)


EVALUATION_TASKS = ("classification", "regression")


class ModelEvaluationStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    CREATE_FAILED = "CREATE FAILED"
    RUNNING = "RUNNING"
    COMPLETE_IN_PROGRESS = "COMPLETE IN PROGRESS"
    FAIL_MODEL_EVALUATION_IN_PROGRESS = "FAIL MODEL EVALUATION IN PROGRESS"
    COMPLETE = "COMPLETE"
    STOP_IN_PROGRESS = "STOP IN PROGRESS"
    STOPPED = "STOPPED"
    FAIL_MODEL_EVALUATION = "FAIL MODEL EVALUATION"
    DELETE_IN_PROGRESS = "DELETE IN PROGRESS"


E = ModelEvaluationStatus


MODEL_EVALUATION_MACHINE = _machine(
    "model evaluation",
    E.CREATE_REQUESTED,
    {
        E.CREATE_REQUESTED: {E.CREATE_IN_PROGRESS, E.CREATE_FAILED, E.STOP_IN_PROGRESS},
        E.CREATE_IN_PROGRESS: {E.RUNNING, E.CREATE_FAILED, E.STOP_IN_PROGRESS, E.FAIL_MODEL_EVALUATION_IN_PROGRESS},
        E.RUNNING: {E.COMPLETE_IN_PROGRESS, E.FAIL_MODEL_EVALUATION_IN_PROGRESS, E.STOP_IN_PROGRESS},
        E.STOP_IN_PROGRESS: {E.STOPPED, E.COMPLETE_IN_PROGRESS, E.FAIL_MODEL_EVALUATION_IN_PROGRESS},
        E.COMPLETE_IN_PROGRESS: {E.COMPLETE},
        E.FAIL_MODEL_EVALUATION_IN_PROGRESS: {E.FAIL_MODEL_EVALUATION},
        # ended evaluations are deleted through DELETE IN PROGRESS (the row is then removed)
        E.COMPLETE: {E.DELETE_IN_PROGRESS},
        E.STOPPED: {E.DELETE_IN_PROGRESS},
        E.FAIL_MODEL_EVALUATION: {E.DELETE_IN_PROGRESS},
        E.CREATE_FAILED: {E.DELETE_IN_PROGRESS},
        E.DELETE_IN_PROGRESS: set(),
    },
    deletable={E.COMPLETE, E.STOPPED, E.FAIL_MODEL_EVALUATION, E.CREATE_FAILED},
    words=ModelEvaluationStatus,
    settled={E.COMPLETE, E.STOPPED, E.FAIL_MODEL_EVALUATION, E.CREATE_FAILED},
)


MODEL_EVALUATION_ACTIVE = frozenset(
    {E.CREATE_REQUESTED, E.CREATE_IN_PROGRESS, E.RUNNING, E.STOP_IN_PROGRESS, E.COMPLETE_IN_PROGRESS, E.FAIL_MODEL_EVALUATION_IN_PROGRESS}
)



# the metrics job in the job lifecycle: it starts once the evaluation's batch
# inference is complete, so the evaluation is RUNNING while it waits and runs
METRICS_JOB = job_statuses(
    MODEL_EVALUATION_MACHINE,
    waiting=E.RUNNING, submitted=E.RUNNING, running=E.RUNNING, stopping=E.STOP_IN_PROGRESS,
    succeeded=(E.COMPLETE_IN_PROGRESS, E.COMPLETE),
    failed=(E.FAIL_MODEL_EVALUATION_IN_PROGRESS, E.FAIL_MODEL_EVALUATION),
    stopped=(E.STOP_IN_PROGRESS, E.STOPPED),
    not_started=(E.FAIL_MODEL_EVALUATION_IN_PROGRESS, E.FAIL_MODEL_EVALUATION),
    time_limit="maximum evaluation time",
)
