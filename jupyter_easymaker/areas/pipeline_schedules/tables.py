"""The pipeline schedules table (revision 0010)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, ResourceColumns, UTCDateTime


class PipelineSchedule(ResourceColumns, Base):
    """A trigger that starts runs of one pipeline; the runs are the pipelines area's
    (``pipeline_runs.schedule_id`` points back here)."""

    __tablename__ = "pipeline_schedules"

    # the pipeline cannot be deleted while a schedule uses it (a Guard), so no ON DELETE here
    pipeline_id: Mapped[str] = mapped_column(ForeignKey("pipelines.id"), index=True)
    pipeline_name: Mapped[str] = mapped_column(String(50), default="")
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id"), index=True)
    # what each run gets: parameters, instance fields, NAS, log management, cache, backend
    run_spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"type": "interval", "every", "unit"} or {"type": "cron", "expression"}
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    max_concurrency: Mapped[int] = mapped_column(Integer, default=1)
    catch_up: Mapped[bool] = mapped_column(Boolean, default=True)
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # periods are counted from here: start_at, or the schedule's clock when it was created
    anchor_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the last period a run was started for, committed with that run (restart-safe)
    last_scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_run_name: Mapped[str | None] = mapped_column(String(50), nullable=True)
    run_count: Mapped[int] = mapped_column(Integer, default=0)  # runs it started
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)  # missed periods left out (catch-up off)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)  # why the last period's run was not created
