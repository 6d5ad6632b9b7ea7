"""Pipelines and pipeline runs: the guide's upload and run forms, and the answers."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from jupyter_easymaker.core.names import MAX_DESCRIPTION, NAME_PATTERN
from jupyter_easymaker.core.schemas import (
    Description,
    Name,
    ResourceOut,
    StatusEventOut,
    StrictModel,
)

MAX_NAS = 10
MAX_PARAMETERS = 1000


# -- pipelines --------------------------------------------------------------------------------
class PipelineUpload(StrictModel):
    """The JSON form of an upload (multipart/form-data takes ``file``, ``name`` and ``description``)."""

    name: str = Name
    description: str = Description
    filename: str = Field(..., min_length=1, max_length=255, description="the file's name: its suffix (.yaml, .yml, "
                                                                        ".json, .zip) says how it is read")
    content: str | None = Field(None, description="the file's text (YAML or JSON)")
    content_base64: str | None = Field(None, description="the file's bytes in base64 (a .zip)")

    @model_validator(mode="after")
    def _one_content(self) -> PipelineUpload:
        if (self.content is None) == (self.content_base64 is None):
            raise ValueError("give either content (the file's text) or content_base64 (its bytes)")
        return self


class PipelineOut(ResourceOut):
    filename: str
    source_format: str
    pipeline_name: str = Field(..., description="pipelineInfo.name of the IR")
    sdk_version: str
    schema_version: str
    inputs: list[dict] = Field(default_factory=list, description="the run parameters it takes (root.inputDefinitions)")
    summary: dict = Field(default_factory=dict, description="task count and the KFP features it uses")
    run_count: int = 0
    history: list[StatusEventOut] | None = None


class PipelineGraphOut(BaseModel):
    pipeline_id: str
    name: str
    status: str
    nodes: list[dict]
    edges: list[dict]


# -- pipeline runs ----------------------------------------------------------------------------
class PipelineNasMount(StrictModel):
    """An NHN Cloud NAS attached to the run's instance."""

    mount_dir_name: str = Field(..., min_length=1, max_length=50, pattern=NAME_PATTERN.pattern,
                                description="the directory name it is mounted as")
    nas_path: str = Field(..., min_length=1, description="nas://{NAS ID}:/{path}")

    @field_validator("nas_path")
    @classmethod
    def _nas_scheme(cls, value: str) -> str:
        if not value.startswith("nas://"):
            raise ValueError("must be nas://{NAS ID}:/{path}")
        return value


class PipelineRunFields(StrictModel):
    """What a run and a pipeline schedule's runs share (the guide's run form)."""

    pipeline_name: str = Field(..., min_length=1, description="the pipeline (name or id); it must be ACTIVE")
    experiment_id: str | None = None
    experiment_name: str | None = Field(None, min_length=1, max_length=50, pattern=NAME_PATTERN.pattern,
                                        description="created when it does not exist yet (the guide's \"add\")")
    experiment_description: str = Field("", max_length=MAX_DESCRIPTION)
    parameters: dict[str, Any] = Field(default_factory=dict, description="values of the pipeline's input parameters")
    instance_type: str | None = None
    instance_count: int = Field(1, ge=1, le=10)
    boot_storage_gb: int | None = Field(None, ge=1, le=10_240)
    nas: list[PipelineNasMount] = Field(default_factory=list)
    log_management: bool = Field(True, description="keep the run's log records (the guide's log management)")
    cache: bool = Field(True, description="reuse the outputs of tasks run before with the same inputs")
    max_run_seconds: int | None = Field(None, ge=1, le=30 * 24 * 3600)
    backend: Literal["local", "kubernetes"] | None = None

    @field_validator("parameters")
    @classmethod
    def _parameter_count(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_PARAMETERS:
            raise ValueError(f"at most {MAX_PARAMETERS} parameters")
        return value

    @field_validator("nas")
    @classmethod
    def _nas(cls, value: list[PipelineNasMount]) -> list[PipelineNasMount]:
        if len(value) > MAX_NAS:
            raise ValueError(f"at most {MAX_NAS} NAS mounts")
        names = [m.mount_dir_name for m in value]
        if len(set(names)) != len(names):
            raise ValueError("mount directory names must be unique")
        return value

    @model_validator(mode="after")
    def _experiment(self) -> PipelineRunFields:
        if not self.experiment_id and not self.experiment_name:
            raise ValueError("experiment_id or experiment_name is required")
        return self


class PipelineRunCreate(PipelineRunFields):
    name: str = Name
    description: str = Description


class PipelineRunCopy(StrictModel):
    name: str | None = Field(None, min_length=1, max_length=50, pattern=NAME_PATTERN.pattern,
                             description="the copy's name (default: <name>-copy)")
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)


class PipelineTaskCounts(BaseModel):
    total: int = 0
    by_state: dict[str, int] = Field(default_factory=dict)


class PipelineRunOut(ResourceOut):
    pipeline_id: str | None = None
    pipeline_name: str
    experiment_id: str
    experiment_name: str | None = None
    schedule_id: str | None = None
    schedule_name: str | None = None
    parameters: dict
    instance_type: str
    instance_count: int
    boot_storage_gb: int | None = None
    nas: list[dict] = Field(default_factory=list)
    log_management: bool
    cache: bool = True
    backend: str
    remote_run_id: str | None = Field(None, description="the run's id on the Kubeflow Pipelines server, when it runs there")
    result: dict = Field(default_factory=dict, description="the run's outcome and pipeline outputs (result.json)")
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    elapsed_seconds: float | None = None
    artifacts_expire_at: datetime | None = Field(None, description="when the run's artifacts are deleted (retention)")
    artifacts_purged: bool = False
    tasks: PipelineTaskCounts = Field(default_factory=PipelineTaskCounts)
    graph: dict | None = Field(None, description="the pipeline's graph (in the answer of one run)")
    history: list[StatusEventOut] | None = None


class PipelineTaskJobOut(BaseModel):
    """One attempt of a task of a local run: its job on the job lifecycle."""

    id: str
    name: str
    attempt: int
    status: str
    status_reason: str = ""
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class PipelineRunTaskOut(BaseModel):
    task_id: str
    name: str
    parent: str | None = None
    state: str
    attempt: int
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outputs: dict = Field(default_factory=dict)
    error: str | None = None
    jobs: list[PipelineTaskJobOut] = Field(default_factory=list)  # its attempts' jobs (local runs), oldest first


class PipelineRunTasksOut(BaseModel):
    run_id: str
    status: str
    counts: PipelineTaskCounts
    items: list[PipelineRunTaskOut]


class PipelineTaskLogsOut(BaseModel):
    run_id: str
    task_id: str
    lines: list[str]
    offset: int = Field(..., description="the first line's number (0-based)")
    next_offset: int | None = Field(None, description="where the next page starts; None at the end")
