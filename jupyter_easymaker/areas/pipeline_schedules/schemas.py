"""Pipeline schedules: the guide's create form (the run form's fields plus the
trigger, max concurrency, start / end time and catch-up) and the answers."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from jupyter_easymaker.areas.pipeline_schedules.timing import UNITS, TriggerError, check_cron
from jupyter_easymaker.core.names import MAX_DESCRIPTION, NAME_PATTERN
from jupyter_easymaker.core.schemas import Description, ResourceOut, StatusEventOut, StrictModel

# a run is named <schedule>-<yyyymmddhhmmss>; with the 50 characters of any name that leaves 35
RUN_STAMP = "%Y%m%d%H%M%S"
MAX_SCHEDULE_NAME = 50 - 1 - 14
MAX_CONCURRENCY = 10
MAX_NAS = 10
MAX_PARAMETERS = 1000

ScheduleName = Field(..., min_length=1, max_length=MAX_SCHEDULE_NAME, pattern=NAME_PATTERN.pattern,
                     description=f"letters, digits, '-' and '_'; at most {MAX_SCHEDULE_NAME} characters, since its "
                                 "runs are named <name>-<yyyymmddhhmmss> (the scheduled time, UTC)")


class IntervalTrigger(StrictModel):
    """The guide's 시간 주기: a run every ``every`` ``unit``."""

    type: Literal["interval"]
    every: int = Field(..., ge=1, le=1_000_000)
    unit: Literal["minutes", "hours", "days", "weeks"] = Field(..., description=", ".join(UNITS))


class CronTrigger(StrictModel):
    """The guide's Cron 표현식: 6 fields, seconds first (robfig/cron), in UTC."""

    type: Literal["cron"]
    expression: str = Field(..., max_length=200, description="seconds minutes hours day-of-month month day-of-week, "
                                                             "e.g. '0 */5 * * * *'")

    @field_validator("expression")
    @classmethod
    def _six_fields(cls, value: str) -> str:
        try:
            return check_cron(value)
        except TriggerError as exc:
            raise ValueError(str(exc)) from None


Trigger = Annotated[Union[IntervalTrigger, CronTrigger], Field(discriminator="type")]


class NasMount(StrictModel):
    """An NHN Cloud NAS attached to each run's instance."""

    mount_dir_name: str = Field(..., min_length=1, max_length=50, pattern=NAME_PATTERN.pattern)
    nas_path: str = Field(..., min_length=1, description="nas://{NAS ID}:/{path}")

    @field_validator("nas_path")
    @classmethod
    def _nas_scheme(cls, value: str) -> str:
        if not value.startswith("nas://"):
            raise ValueError("must be nas://{NAS ID}:/{path}")
        return value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class PipelineScheduleFields(StrictModel):
    """What every run of the schedule gets (the run form) and when runs start."""

    pipeline_name: str = Field(..., min_length=1, description="the pipeline (name or id)")
    experiment_id: str | None = None
    experiment_name: str | None = Field(None, min_length=1, max_length=50, pattern=NAME_PATTERN.pattern,
                                        description="created when it does not exist yet (the guide's \"add\")")
    experiment_description: str = Field("", max_length=MAX_DESCRIPTION)
    parameters: dict[str, Any] = Field(default_factory=dict, description="values of the pipeline's input parameters")
    instance_type: str | None = None
    instance_count: int = Field(1, ge=1, le=10)
    boot_storage_gb: int | None = Field(None, ge=1, le=10_240)
    nas: list[NasMount] = Field(default_factory=list)
    log_management: bool = True
    cache: bool = True
    max_run_seconds: int | None = Field(None, ge=1, le=30 * 24 * 3600)
    backend: Literal["local", "kubernetes"] | None = None
    trigger: Trigger
    max_concurrency: int = Field(1, ge=1, le=MAX_CONCURRENCY, description="runs of this schedule at the same time")
    start_at: datetime | None = Field(None, description="ISO time (UTC when it has no offset); periods count from "
                                                        "here, or from the creation when empty")
    end_at: datetime | None = Field(None, description="ISO time; no run is started for a later period")
    catch_up: bool = Field(True, description="start the runs of missed periods (off: only the latest one)")

    _start = field_validator("start_at")(classmethod(lambda cls, v: _utc(v)))

    @field_validator("end_at")
    @classmethod
    def _end_after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        value, start = _utc(value), info.data.get("start_at")
        if value is not None and start is not None and value <= start:
            raise ValueError(f"must be after start_at ({start.isoformat()})")
        return value

    @field_validator("parameters")
    @classmethod
    def _parameter_count(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_PARAMETERS:
            raise ValueError(f"at most {MAX_PARAMETERS} parameters")
        return value

    @field_validator("nas")
    @classmethod
    def _nas(cls, value: list[NasMount]) -> list[NasMount]:
        if len(value) > MAX_NAS:
            raise ValueError(f"at most {MAX_NAS} NAS mounts")
        names = [m.mount_dir_name for m in value]
        if len(set(names)) != len(names):
            raise ValueError("mount directory names must be unique")
        return value

    @model_validator(mode="after")
    def _rules(self) -> "PipelineScheduleFields":
        if not self.experiment_id and not self.experiment_name:
            raise ValueError("experiment_id or experiment_name is required")
        return self


class PipelineScheduleCreate(PipelineScheduleFields):
    name: str = ScheduleName
    description: str = Description


class PipelineScheduleCopy(StrictModel):
    """A new schedule with this one's settings; any create field given here wins."""

    name: str | None = Field(None, min_length=1, max_length=MAX_SCHEDULE_NAME, pattern=NAME_PATTERN.pattern,
                             description="the copy's name (default: <name>-copy)")
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)


class PipelineScheduleOut(ResourceOut):
    pipeline_id: str
    pipeline_name: str
    experiment_id: str
    experiment_name: str | None = None
    trigger: dict
    trigger_text: str = Field(..., description="the trigger in words: 'every 5 minutes', \"cron '0 0 * * * *'\"")
    max_concurrency: int
    catch_up: bool
    start_at: datetime | None = None
    end_at: datetime | None = None
    parameters: dict
    instance_type: str
    instance_count: int
    boot_storage_gb: int | None = None
    nas: list[dict] = Field(default_factory=list)
    log_management: bool
    cache: bool
    max_run_seconds: int | None = None
    backend: str | None = None
    last_scheduled_at: datetime | None = Field(None, description="the last period a run was started for")
    last_run_name: str | None = None
    next_run_at: datetime | None = Field(None, description="the next period a run starts for (None: disabled, or no "
                                                           "period before the end time)")
    run_count: int = Field(0, description="runs the schedule started")
    active_runs: int = Field(0, description="its runs that have not ended")
    skipped_count: int = Field(0, description="missed periods left out because catch-up is off")
    last_error: str | None = Field(None, description="why the last period's run could not be created")
    fired_by: str = Field("the server's timer", description="who starts its runs: the server's timer, or its CronJob "
                          "on a Kubernetes backend (which fires while the server is down)")
    history: list[StatusEventOut] | None = None


class PipelineScheduleRunsOut(BaseModel):
    schedule_id: str
    name: str
    items: list[dict]
    total: int
