"""Pipeline schedules: the guide's status table (파이프라인 일정 목록) and the
transitions between its words."""
from __future__ import annotations

from jupyter_easymaker.core.state_machine import _machine


class PipelineScheduleStatus:
    CREATE_REQUESTED = "CREATE REQUESTED"
    CREATE_FAILED = "CREATE FAILED"
    ENABLED = "ENABLED"
    ENABLED_EXPIRED = "ENABLED(EXPIRED)"
    DISABLED = "DISABLED"


S = PipelineScheduleStatus

PIPELINE_SCHEDULE_MACHINE = _machine(
    "pipeline schedule",
    S.CREATE_REQUESTED,
    {
        S.CREATE_REQUESTED: {S.ENABLED, S.CREATE_FAILED},
        S.CREATE_FAILED: set(),
        # enabling a schedule whose end time has passed makes it ENABLED, then the controller EXPIRED
        S.ENABLED: {S.ENABLED_EXPIRED, S.DISABLED},
        S.ENABLED_EXPIRED: {S.DISABLED},
        S.DISABLED: {S.ENABLED},
    },
    deletable={S.CREATE_REQUESTED, S.CREATE_FAILED, S.ENABLED, S.ENABLED_EXPIRED, S.DISABLED},
    words=PipelineScheduleStatus,
    settled={S.CREATE_FAILED, S.ENABLED, S.ENABLED_EXPIRED, S.DISABLED},
)

# statuses in which the controller has work on a schedule: create it, or start its runs
PIPELINE_SCHEDULE_ACTIVE = frozenset({S.CREATE_REQUESTED, S.ENABLED})
# statuses from which "enable" / "disable" are accepted
ENABLEABLE = frozenset({S.DISABLED})
DISABLEABLE = frozenset({S.ENABLED, S.ENABLED_EXPIRED})
