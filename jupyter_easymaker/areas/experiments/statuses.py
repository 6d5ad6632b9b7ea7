"""The guide's status words and the transitions between them, per kind."""
from __future__ import annotations

from jupyter_easymaker.core.state_machine import _machine


class ExperimentStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    CREATE_FAILED = "CREATE FAILED"
    ACTIVE = "ACTIVE"


E = ExperimentStatus


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
    words=ExperimentStatus,
    settled={E.ACTIVE, E.CREATE_FAILED},
)

# statuses in which the controller still has work to do (create its storage)
EXPERIMENT_PENDING = frozenset({E.CREATE_REQUESTED, E.CREATE_IN_PROGRESS})
