"""The guide's status words and the transitions between them, per kind."""
from __future__ import annotations

from jupyter_easymaker.core.jobs import job_statuses
from jupyter_easymaker.core.state_machine import _machine


# -- hyperparameter tuning (the guide's tables, Katib's words) -----------------------
class HyperparameterTuningStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_IN_PROGRESS = "CREATE IN PROGRESS"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    COMPLETE = "COMPLETE"
    STOP_IN_PROGRESS = "STOP IN PROGRESS"
    FAIL_HYPERPARAMETER_TUNING = "FAIL HYPERPARAMETER TUNING"
    CREATE_FAILED = "CREATE FAILED"
    # cleanup: the tuning's running trials are being ended
    FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS = "FAIL HYPERPARAMETER TUNING IN PROGRESS"
    COMPLETE_IN_PROGRESS = "COMPLETE IN PROGRESS"


class HyperparameterTuningDetail:
    """Why a tuning is COMPLETE (shown in parentheses after the status)."""

    GOAL_REACHED = "GoalReached"
    MAX_TRIALS_REACHED = "MaxTrialsReached"
    SUGGESTION_END_REACHED = "SuggestionEndReached"


class TrialStatus:
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    KILLED = "KILLED"
    FAILED = "FAILED"
    METRICS_UNAVAILABLE = "METRICS_UNAVAILABLE"
    EARLY_STOPPED = "EARLY_STOPPED"


H, TR = HyperparameterTuningStatus, TrialStatus


HYPERPARAMETER_TUNING_MACHINE = _machine(
    "hyperparameter tuning",
    H.CREATE_REQUESTED,
    {
        H.CREATE_REQUESTED: {H.CREATE_IN_PROGRESS, H.CREATE_FAILED, H.STOP_IN_PROGRESS},
        H.CREATE_IN_PROGRESS: {H.RUNNING, H.CREATE_FAILED, H.STOP_IN_PROGRESS},
        H.RUNNING: {H.COMPLETE_IN_PROGRESS, H.FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS, H.STOP_IN_PROGRESS},
        H.STOP_IN_PROGRESS: {H.STOPPED},
        H.COMPLETE_IN_PROGRESS: {H.COMPLETE},
        H.FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS: {H.FAIL_HYPERPARAMETER_TUNING},
        H.STOPPED: set(),
        H.COMPLETE: set(),
        H.FAIL_HYPERPARAMETER_TUNING: set(),
        H.CREATE_FAILED: set(),
    },
    deletable={H.STOPPED, H.COMPLETE, H.FAIL_HYPERPARAMETER_TUNING, H.CREATE_FAILED},
    words=HyperparameterTuningStatus,
)


TRIAL_MACHINE = _machine(
    "trial",
    TR.CREATED,
    {
        # a short job can end before the controller saw it run
        TR.CREATED: {TR.RUNNING, TR.SUCCEEDED, TR.FAILED, TR.METRICS_UNAVAILABLE, TR.KILLED, TR.EARLY_STOPPED},
        TR.RUNNING: {TR.SUCCEEDED, TR.FAILED, TR.METRICS_UNAVAILABLE, TR.KILLED, TR.EARLY_STOPPED},
        TR.SUCCEEDED: set(),
        TR.KILLED: set(),
        TR.FAILED: set(),
        TR.METRICS_UNAVAILABLE: set(),
        TR.EARLY_STOPPED: set(),
    },
    deletable={TR.SUCCEEDED, TR.KILLED, TR.FAILED, TR.METRICS_UNAVAILABLE, TR.EARLY_STOPPED},
    words=TrialStatus,
)


# statuses in which the controller still has work to do on a tuning
HYPERPARAMETER_TUNING_ACTIVE = frozenset(
    {H.CREATE_REQUESTED, H.CREATE_IN_PROGRESS, H.RUNNING, H.STOP_IN_PROGRESS, H.COMPLETE_IN_PROGRESS,
     H.FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS}
)


TRIAL_ACTIVE = frozenset({TR.CREATED, TR.RUNNING})


# failed trials in the sense of the guide's "max failed trials"
TRIAL_FAILED = frozenset({TR.FAILED, TR.METRICS_UNAVAILABLE})

# a trial in the job lifecycle: a stop is its row's stop_as (what it becomes), not a status
TRIAL_JOB = job_statuses(
    TRIAL_MACHINE,
    waiting=TR.CREATED, submitted=TR.CREATED, running=TR.RUNNING, stopping=None,
    succeeded=(TR.SUCCEEDED,), failed=(TR.FAILED,), stopped=(TR.KILLED,), not_started=(TR.FAILED,),
    time_limit="maximum training time",
)
