"""Batch inference: the guide's create form and the list / detail answers."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from jupyter_easymaker.core.job_fields import BatchOptions, BatchProgress, upper
from jupyter_easymaker.core.schemas import (
    Description,
    Name,
    ResourceOut,
    StatusEventOut,
)

MAX_INLINE_RECORDS = 100_000


MAX_GLOBS = 20


def _globs(value: Any) -> Any:
    """A list of patterns, or one comma-separated string of them."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return value


class BatchInferenceFields(BatchOptions):
    model_id: str = Field(..., min_length=1, description="the model (id or name); it must be ACTIVE")
    input_path: str | None = Field(None, description="file or directory: local path, file://, nas://{id}:/{path} or obs://")
    input_records: list[Any] | None = Field(None, description="records sent inline instead of input_path (stored by the server as JSONL)")
    input_format: Literal["JSON", "JSONL"] = Field("JSONL", description="JSON: each file is one JSON value; JSONL: one record per line")
    include_glob: list[str] = Field(default_factory=list, description="files to take (glob; all files when empty)")
    exclude_glob: list[str] = Field(default_factory=list, description="files to leave out (glob); wins over include_glob")
    output_path: str | None = Field(None, description="where {input file}.out and summary.json go (default: the batch inference's own folder)")
    data_storage_gb: int | None = Field(None, ge=1, le=10_240, description="instance data storage (used with obs:// data)")
    max_run_seconds: int | None = Field(None, ge=1, le=30 * 24 * 3600, description="the guide's maximum batch inference time")
    log_enabled: bool = True
    backend: Literal["local", "kubernetes"] | None = None

    _format = field_validator("input_format", mode="before")(classmethod(lambda cls, v: upper(v)))
    _include = field_validator("include_glob", "exclude_glob", mode="before")(classmethod(lambda cls, v: _globs(v)))

    @field_validator("include_glob", "exclude_glob")
    @classmethod
    def _glob_count(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_GLOBS:
            raise ValueError(f"at most {MAX_GLOBS} patterns")
        return value

    @field_validator("input_records")
    @classmethod
    def _records(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None and not 1 <= len(value) <= MAX_INLINE_RECORDS:
            raise ValueError(f"give between 1 and {MAX_INLINE_RECORDS} records")
        return value

    @model_validator(mode="after")
    def _one_input(self) -> "BatchInferenceFields":
        if bool(self.input_path) == (self.input_records is not None):
            raise ValueError("give either input_path or input_records")
        return self


class BatchInferenceCreate(BatchInferenceFields):
    name: str = Name
    description: str = Description


class BatchInferenceOut(ResourceOut):
    model_id: str
    model_name: str | None = None
    evaluation_id: str | None = Field(None, description="the model evaluation that created this batch inference")
    spec: dict
    backend: str
    input_path: str = Field("", description="resolved input path")
    output_path: str = Field("", description="resolved output path")
    progress: BatchProgress
    result: dict = Field(default_factory=dict, description="summary.json of a COMPLETE batch inference (counts per file)")
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    elapsed_seconds: float | None = None
    history: list[StatusEventOut] | None = None


class BatchOutputsOut(BaseModel):
    batch_inference_id: str
    file: str
    offset: int
    lines: list[dict]
    next_offset: int | None
