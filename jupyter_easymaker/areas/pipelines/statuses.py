"""Pipelines and pipeline runs: the guide's status tables (파이프라인 목록,
파이프라인 실행 목록), the transitions between them, a run's view in the job
lifecycle, the jobs of a local run's tasks, and the states of one task of a run."""
from __future__ import annotations

from jupyter_easymaker.core.jobs import job_statuses
from jupyter_easymaker.core.state_machine import _machine


class PipelineStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    CREATE_FAILED = "CREATE FAILED"
    ACTIVE = "ACTIVE"


P = PipelineStatus

PIPELINE_MACHINE = _machine(
    "pipeline",
    P.CREATE_REQUESTED,
    {
        P.CREATE_REQUESTED: {P.CREATE_IN_PROGRESS, P.CREATE_FAILED},
        P.CREATE_IN_PROGRESS: {P.ACTIVE, P.CREATE_FAILED},
        P.CREATE_FAILED: set(),
        P.ACTIVE: set(),
    },
    deletable={P.CREATE_FAILED, P.ACTIVE},
    words=PipelineStatus,
)

# pipelines the controller still has to store and draw
PIPELINE_PENDING = frozenset({P.CREATE_REQUESTED, P.CREATE_IN_PROGRESS})


class PipelineRunStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    CREATE_FAILED = "CREATE FAILED"
    RUNNING = "RUNNING"
    COMPLETE_IN_PROGRESS = "COMPLETE IN PROGRESS"
    COMPLETE = "COMPLETE"
    STOP_IN_PROGRESS = "STOP IN PROGRESS"
    STOPPED = "STOPPED"
    FAIL_PIPELINE_RUN_IN_PROGRESS = "FAIL PIPELINE RUN IN PROGRESS"
    FAIL_PIPELINE_RUN = "FAIL PIPELINE RUN"


R = PipelineRunStatus

PIPELINE_RUN_MACHINE = _machine(
    "pipeline run",
    R.CREATE_REQUESTED,
    {
        R.CREATE_REQUESTED: {R.CREATE_IN_PROGRESS, R.CREATE_FAILED, R.STOP_IN_PROGRESS},
        # a short run can end before the controller saw it running
        R.CREATE_IN_PROGRESS: {R.RUNNING, R.CREATE_FAILED, R.STOP_IN_PROGRESS, R.COMPLETE_IN_PROGRESS,
                               R.FAIL_PIPELINE_RUN_IN_PROGRESS},
        R.RUNNING: {R.COMPLETE_IN_PROGRESS, R.FAIL_PIPELINE_RUN_IN_PROGRESS, R.STOP_IN_PROGRESS},
        # a run may end on its own while its stop is on the way
        R.STOP_IN_PROGRESS: {R.STOPPED, R.COMPLETE_IN_PROGRESS, R.FAIL_PIPELINE_RUN_IN_PROGRESS},
        R.COMPLETE_IN_PROGRESS: {R.COMPLETE},
        R.FAIL_PIPELINE_RUN_IN_PROGRESS: {R.FAIL_PIPELINE_RUN},
        R.CREATE_FAILED: set(),
        R.COMPLETE: set(),
        R.STOPPED: set(),
        R.FAIL_PIPELINE_RUN: set(),
    },
    deletable={R.CREATE_FAILED, R.COMPLETE, R.STOPPED, R.FAIL_PIPELINE_RUN},
    words=PipelineRunStatus,
)

# the pipeline run's statuses in the job lifecycle
PIPELINE_RUN_JOB = job_statuses(
    PIPELINE_RUN_MACHINE,
    waiting=R.CREATE_REQUESTED, submitted=R.CREATE_IN_PROGRESS, running=R.RUNNING, stopping=R.STOP_IN_PROGRESS,
    succeeded=(R.COMPLETE_IN_PROGRESS, R.COMPLETE), failed=(R.FAIL_PIPELINE_RUN_IN_PROGRESS, R.FAIL_PIPELINE_RUN),
    stopped=(R.STOP_IN_PROGRESS, R.STOPPED), not_started=(R.CREATE_FAILED,), time_limit="maximum pipeline run time",
)

# statuses in which the controller still has work on a run
PIPELINE_RUN_ACTIVE = PIPELINE_RUN_JOB.active


class PipelineTaskJobStatus:
    """One attempt of one container task of a local run: a job of its own."""

    PENDING = "PENDING"  # asked for by the run's executor, waiting for capacity
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    STOPPING = "STOPPING"
    CANCELED = "CANCELED"


J = PipelineTaskJobStatus

PIPELINE_TASK_JOB_MACHINE = _machine(
    "pipeline task",
    J.PENDING,
    {
        J.PENDING: {J.STARTING, J.FAILED, J.STOPPING},
        J.STARTING: {J.RUNNING, J.SUCCEEDED, J.FAILED, J.STOPPING},
        J.RUNNING: {J.SUCCEEDED, J.FAILED, J.STOPPING},
        J.STOPPING: {J.CANCELED, J.SUCCEEDED, J.FAILED},
        J.SUCCEEDED: set(),
        J.FAILED: set(),
        J.CANCELED: set(),
    },
    deletable={J.SUCCEEDED, J.FAILED, J.CANCELED},
    words=PipelineTaskJobStatus,
)

PIPELINE_TASK_JOB = job_statuses(
    PIPELINE_TASK_JOB_MACHINE,
    waiting=J.PENDING, submitted=J.STARTING, running=J.RUNNING, stopping=J.STOPPING,
    succeeded=(J.SUCCEEDED,), failed=(J.FAILED,), stopped=(J.STOPPING, J.CANCELED), not_started=(J.FAILED,),
    time_limit="maximum pipeline run time",
)
PIPELINE_TASK_JOB_ACTIVE = PIPELINE_TASK_JOB.active


class TaskState:
    """One task of a run, as the executor (or Kubeflow Pipelines) reports it."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # its condition was false, or an upstream task failed
    CACHED = "CACHED"  # its outputs came from the cache
    CANCELED = "CANCELED"  # the run was stopped


TASK_STATES = tuple(v for k, v in vars(TaskState).items() if not k.startswith("_") and isinstance(v, str))
TASK_FINAL_STATES = frozenset({TaskState.SUCCEEDED, TaskState.FAILED, TaskState.SKIPPED, TaskState.CACHED,
                               TaskState.CANCELED})
