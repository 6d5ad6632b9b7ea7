"""Tables of pipelines, pipeline runs and the tasks of a run (revision 0009), and the
jobs of a local run's tasks (revision 0011)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import (
    Base,
    JobColumns,
    ResourceColumns,
    UTCDateTime,
)


class Pipeline(ResourceColumns, Base):
    """An uploaded KFP v2 pipeline (its IR), with what the controller drew from it."""

    __tablename__ = "pipelines"

    filename: Mapped[str] = mapped_column(String(255), default="")
    source_format: Mapped[str] = mapped_column(String(8), default="yaml")  # yaml | json | zip
    pipeline_name: Mapped[str] = mapped_column(String(255), default="")  # pipelineInfo.name
    sdk_version: Mapped[str] = mapped_column(String(64), default="")
    schema_version: Mapped[str] = mapped_column(String(32), default="")
    spec_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    platform_spec_json: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # drawn by the controller (CREATE IN PROGRESS): empty until the pipeline is ACTIVE
    inputs_json: Mapped[list[Any]] = mapped_column(JSON, default=list)
    graph_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PipelineRun(JobColumns, ResourceColumns, Base):
    """One run of a pipeline: one job of kind ``pipeline-run`` (or a run on a
    Kubeflow Pipelines server, mirrored)."""

    __tablename__ = "pipeline_runs"

    # the pipeline may be deleted later: the run keeps its own copy of the spec in its folder
    pipeline_id: Mapped[str | None] = mapped_column(ForeignKey("pipelines.id", ondelete="SET NULL"), nullable=True,
                                                    index=True)
    pipeline_name: Mapped[str] = mapped_column(String(50), default="")
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id"), index=True)
    # set for runs a pipeline schedule created (no foreign key: the schedules are another area's)
    schedule_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    schedule_name: Mapped[str | None] = mapped_column(String(50), nullable=True)
    parameters_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    instance_type: Mapped[str] = mapped_column(String(64), default="")
    instance_count: Mapped[int] = mapped_column(Integer, default=1)
    boot_storage_gb: Mapped[int | None] = mapped_column(Integer, nullable=True)
    nas: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{mount_dir_name, nas_path}]
    log_management: Mapped[bool] = mapped_column(Boolean, default=True)
    remote_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the run on a KFP server
    result_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # result.json of an ended run
    artifacts_expire_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    artifacts_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PipelineRunTask(Base):
    """The latest state of one task of a run (the progress graph's node)."""

    __tablename__ = "pipeline_run_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("pipeline_runs.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(512))  # the graph node's path, with .N for a loop iteration
    name: Mapped[str] = mapped_column(String(255), default="")
    parent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outputs_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (UniqueConstraint("run_id", "task_id", name="uq_pipeline_run_tasks_run_task"),)


class PipelineTaskJob(JobColumns, ResourceColumns, Base):
    """One attempt of one container task of a local run, as a job of its own on the
    job lifecycle: what the run's executor asked for (its request file) and the
    backend job that runs it."""

    __tablename__ = "pipeline_task_jobs"

    run_id: Mapped[str] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"), index=True)
    request: Mapped[str] = mapped_column(String(600))  # the request file's name (one per executor and attempt)
    task_id: Mapped[str] = mapped_column(String(512))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    request_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # argv, env, cwd, log, image

    __table_args__ = (UniqueConstraint("run_id", "request", name="uq_pipeline_task_jobs_request"),)
