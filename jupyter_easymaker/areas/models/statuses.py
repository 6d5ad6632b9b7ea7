"""Models: the guide's status table and its transitions.

A model whose artifact is on this host (local path, NAS) is validated while
it is created, and a broken one is refused with a 4xx; its history still
records CREATE REQUESTED -> CREATE IN PROGRESS -> ACTIVE. One that must be
fetched first (obs://, a Hugging Face Hub id) is stored CREATE REQUESTED and
the controller fetches and validates it (-> ACTIVE or CREATE FAILED).
"""
from __future__ import annotations

from jupyter_easymaker.core.state_machine import _machine


class ModelStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    DELETE_IN_PROGRESS = "DELETE IN PROGRESS"
    ACTIVE = "ACTIVE"
    CREATE_FAILED = "CREATE FAILED"
    DELETE_FAILED = "DELETE FAILED"


M = ModelStatus

MODEL_MACHINE = _machine(
    "model",
    M.CREATE_REQUESTED,
    {
        M.CREATE_REQUESTED: {M.CREATE_IN_PROGRESS, M.CREATE_FAILED},
        # a server restart during a fetch starts it again
        M.CREATE_IN_PROGRESS: {M.ACTIVE, M.CREATE_FAILED, M.CREATE_REQUESTED},
        M.ACTIVE: {M.DELETE_IN_PROGRESS},
        M.CREATE_FAILED: {M.DELETE_IN_PROGRESS},
        M.DELETE_IN_PROGRESS: {M.DELETE_FAILED},  # success removes the model
        M.DELETE_FAILED: {M.DELETE_IN_PROGRESS},
    },
    deletable={M.ACTIVE, M.CREATE_FAILED, M.DELETE_FAILED},
    words=ModelStatus,
    settled={M.ACTIVE, M.CREATE_FAILED, M.DELETE_FAILED},
)

# statuses in which the controller still has work to do (fetch and check the artifact)
MODEL_PENDING = frozenset({M.CREATE_REQUESTED, M.CREATE_IN_PROGRESS})
