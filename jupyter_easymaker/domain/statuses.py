"""The guide's status words and the transitions between them, per kind."""
from __future__ import annotations

from jupyter_easymaker.domain.state_machine import _machine


class ExperimentStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    CREATE_FAILED = "CREATE FAILED"
    ACTIVE = "ACTIVE"


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


class TemplateStatus:
    ACTIVE = "ACTIVE"


E, T = ExperimentStatus, TrainingStatus

EXPERIMENT_MACHINE = _machine(
    "experiment",
    E.CREATE_REQUESTED,
    {
        E.CREATE_REQUESTED: {E.CREATE_IN_PROGRESS, E.CREATE_FAILED},
        E.CREATE_IN_PROGRESS: {E.ACTIVE, E.CREATE_FAILED},
        E.CREATE_FAILED: {E.CREATE_REQUESTED},  # the guide's "retry"
        E.ACTIVE: set(),
    },
    deletable={E.ACTIVE, E.CREATE_FAILED},
)

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
)

TEMPLATE_MACHINE = _machine("training template", TemplateStatus.ACTIVE, {TemplateStatus.ACTIVE: set()}, {TemplateStatus.ACTIVE})

# statuses in which a training holds (or is about to hold) backend resources
TRAINING_ACTIVE = frozenset(
    {T.CREATE_REQUESTED, T.CREATE_IN_PROGRESS, T.RUNNING, T.STOP_IN_PROGRESS, T.COMPLETE_IN_PROGRESS, T.FAIL_TRAIN_IN_PROGRESS}
)
