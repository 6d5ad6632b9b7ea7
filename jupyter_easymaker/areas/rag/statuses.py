"""RAG: the guide's status tables (the RAG, its API gateway stage) and the
statuses of an ingestion, which runs as a job on the shared lifecycle."""
from __future__ import annotations

from jupyter_easymaker.core.jobs import job_statuses
from jupyter_easymaker.core.state_machine import _machine

# the guide's ingestion limits (수집 동기화)
MAX_TOTAL_BYTES = 100 * 1024**3
MAX_FILES = 1_000_000


class RagStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    ACTIVE = "ACTIVE"
    UPDATE_IN_PROGRESS = "UPDATE IN PROGRESS"
    DELETE_IN_PROGRESS = "DELETE IN PROGRESS"
    CREATE_FAILED = "CREATE FAILED"
    UPDATE_FAILED = "UPDATE FAILED"
    DELETE_FAILED = "DELETE FAILED"


class RagGatewayStatus:
    DEPLOYING = "DEPLOYING"
    COMPLETE = "COMPLETE"
    FAILURE = "FAILURE"


R = RagStatus

RAG_MACHINE = _machine(
    "rag",
    R.CREATE_REQUESTED,
    {
        R.CREATE_REQUESTED: {R.CREATE_IN_PROGRESS, R.CREATE_FAILED},
        R.CREATE_IN_PROGRESS: {R.ACTIVE, R.CREATE_FAILED},
        # a sync (수집 동기화) runs in UPDATE IN PROGRESS
        R.ACTIVE: {R.UPDATE_IN_PROGRESS, R.DELETE_IN_PROGRESS},
        R.UPDATE_IN_PROGRESS: {R.ACTIVE, R.UPDATE_FAILED, R.DELETE_IN_PROGRESS},
        R.UPDATE_FAILED: {R.UPDATE_IN_PROGRESS, R.DELETE_IN_PROGRESS},
        R.CREATE_FAILED: {R.DELETE_IN_PROGRESS},
        R.DELETE_FAILED: {R.DELETE_IN_PROGRESS},
        # the row is removed once everything it held is gone
        R.DELETE_IN_PROGRESS: {R.DELETE_FAILED},
    },
    # the guide: a RAG being created or deleted cannot be deleted
    deletable={R.ACTIVE, R.UPDATE_IN_PROGRESS, R.UPDATE_FAILED, R.CREATE_FAILED, R.DELETE_FAILED},
    words=RagStatus,
    settled={R.ACTIVE, R.CREATE_FAILED, R.UPDATE_FAILED, R.DELETE_FAILED},
)

# statuses in which the RAG controller has work to do (an ACTIVE RAG's servers are watched and routed)
RAG_WATCHED = frozenset({R.CREATE_REQUESTED, R.CREATE_IN_PROGRESS, R.ACTIVE, R.UPDATE_IN_PROGRESS, R.UPDATE_FAILED,
                         R.DELETE_IN_PROGRESS})
# statuses in which a sync may start
SYNCABLE = frozenset({R.ACTIVE, R.UPDATE_FAILED})


class IngestionStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    RUNNING = "RUNNING"
    STOP_IN_PROGRESS = "STOP IN PROGRESS"
    COMPLETE_IN_PROGRESS = "COMPLETE IN PROGRESS"
    COMPLETE = "COMPLETE"
    FAIL_IN_PROGRESS = "FAIL IN PROGRESS"
    FAILED = "FAILED"
    STOPPED = "STOPPED"
    CREATE_FAILED = "CREATE FAILED"


I = IngestionStatus

INGESTION_MACHINE = _machine(
    "rag ingestion",
    I.CREATE_REQUESTED,
    {
        I.CREATE_REQUESTED: {I.CREATE_IN_PROGRESS, I.CREATE_FAILED, I.STOP_IN_PROGRESS},
        # a quick sync (nothing changed) can end before the controller saw it run
        I.CREATE_IN_PROGRESS: {I.RUNNING, I.CREATE_FAILED, I.STOP_IN_PROGRESS, I.COMPLETE_IN_PROGRESS, I.FAIL_IN_PROGRESS},
        I.RUNNING: {I.COMPLETE_IN_PROGRESS, I.FAIL_IN_PROGRESS, I.STOP_IN_PROGRESS},
        I.STOP_IN_PROGRESS: {I.STOPPED, I.COMPLETE_IN_PROGRESS, I.FAIL_IN_PROGRESS},
        I.COMPLETE_IN_PROGRESS: {I.COMPLETE},
        I.FAIL_IN_PROGRESS: {I.FAILED},
        I.COMPLETE: set(),
        I.FAILED: set(),
        I.STOPPED: set(),
        I.CREATE_FAILED: set(),
    },
    deletable={I.COMPLETE, I.FAILED, I.STOPPED, I.CREATE_FAILED},
    words=IngestionStatus,
)

INGESTION_JOB = job_statuses(
    INGESTION_MACHINE,
    waiting=I.CREATE_REQUESTED, submitted=I.CREATE_IN_PROGRESS, running=I.RUNNING, stopping=I.STOP_IN_PROGRESS,
    succeeded=(I.COMPLETE_IN_PROGRESS, I.COMPLETE), failed=(I.FAIL_IN_PROGRESS, I.FAILED),
    stopped=(I.STOP_IN_PROGRESS, I.STOPPED), not_started=(I.CREATE_FAILED,), time_limit="maximum ingestion time",
)

INGESTION_ACTIVE = INGESTION_JOB.active
INGESTION_ENDED = frozenset({I.COMPLETE, I.FAILED, I.STOPPED, I.CREATE_FAILED})
