"""The guide's status words and the transitions between them, per kind."""
from __future__ import annotations

from jupyter_easymaker.core.jobs import job_statuses
from jupyter_easymaker.core.state_machine import _machine


class TrainingStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    COMPLETE = "COMPLETE"
    STOP_IN_PROGRESS = "STOP IN PROGRESS"
    FAIL_TRAIN = "FAIL TRAIN"
    CREATE_FAILED = "CREATE FAILED"
    FAIL_TRAIN_IN_PROGRESS = "FAIL TRAIN IN PROGRESS"
    COMPLETE_IN_PROGRESS = "COMPLETE IN PROGRESS"


T = TrainingStatus


TRAINING_MACHINE = _machine(
    "training",
    T.CREATE_REQUESTED,
    {
        T.CREATE_REQUESTED: {T.CREATE_IN_PROGRESS, T.CREATE_FAILED, T.STOP_IN_PROGRESS},
        T.CREATE_IN_PROGRESS: {
            T.RUNNING,
            T.CREATE_FAILED,
            T.STOP_IN_PROGRESS,
            # a job can end before the controller saw it run
            T.COMPLETE_IN_PROGRESS,
            T.FAIL_TRAIN_IN_PROGRESS,
        },
        T.RUNNING: {T.COMPLETE_IN_PROGRESS, T.FAIL_TRAIN_IN_PROGRESS, T.STOP_IN_PROGRESS},
        # a job may finish on its own while its stop is on the way
        T.STOP_IN_PROGRESS: {T.STOPPED, T.COMPLETE_IN_PROGRESS, T.FAIL_TRAIN_IN_PROGRESS},
        T.COMPLETE_IN_PROGRESS: {T.COMPLETE},
        T.FAIL_TRAIN_IN_PROGRESS: {T.FAIL_TRAIN},
        T.STOPPED: set(),
        T.COMPLETE: set(),
        T.FAIL_TRAIN: set(),
        T.CREATE_FAILED: set(),
    },
    deletable={T.STOPPED, T.COMPLETE, T.FAIL_TRAIN, T.CREATE_FAILED},
    words=TrainingStatus,
)


# the training's statuses in the job lifecycle
TRAINING_JOB = job_statuses(
    TRAINING_MACHINE,
    waiting=T.CREATE_REQUESTED, submitted=T.CREATE_IN_PROGRESS, running=T.RUNNING, stopping=T.STOP_IN_PROGRESS,
    succeeded=(T.COMPLETE_IN_PROGRESS, T.COMPLETE), failed=(T.FAIL_TRAIN_IN_PROGRESS, T.FAIL_TRAIN),
    stopped=(T.STOP_IN_PROGRESS, T.STOPPED), not_started=(T.CREATE_FAILED,), time_limit="maximum training time",
)

# statuses in which a training holds (or is about to hold) backend resources
TRAINING_ACTIVE = TRAINING_JOB.active
