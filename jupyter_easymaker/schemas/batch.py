"""Batch inference and model evaluation: the guide's create forms and the
list / detail answers."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from jupyter_easymaker.domain.batch import MAX_CLASSES
from jupyter_easymaker.schemas.common import Description, Name, ResourceOut, StatusEventOut, StrictModel

MAX_INLINE_RECORDS = 100_000
MAX_GLOBS = 20


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _globs(value: Any) -> Any:
    """A list of patterns, or one comma-separated string of them."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return value


class BatchOptions(StrictModel):
    """Where and how the records are predicted (shared by both forms)."""

    instance_type: str | None = Field(None, description="default: the server's default instance type")
    instance_count: int = Field(1, ge=1, le=10, description="instances (nodes) the pods are spread over")
    pod_count: int = Field(1, ge=1, le=64, description="worker pods; the records are split evenly between them")
    batch_size: int = Field(32, ge=1, le=10_000, description="records per predict call")
    timeout_seconds: float = Field(60.0, gt=0, le=3600, description="limit of one predict call; its records are recorded as errors past it")


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

    _format = field_validator("input_format", mode="before")(classmethod(lambda cls, v: _upper(v)))
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


class BatchProgress(BaseModel):
    records_total: int | None = None
    records_done: int = 0
    errors: int = 0
    percent: float | None = None


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


# -- model evaluation ---------------------------------------------------------------
class ModelEvaluationCreate(StrictModel):
    name: str = Name
    description: str = Description
    model_id: str = Field(..., min_length=1, description="a classification or regression model (id or name)")
    task: Literal["classification", "regression"] | None = Field(None, description="default: classification when class_names are given")
    class_names: list[str] = Field(default_factory=list, description=f"class names in class index order (at most {MAX_CLASSES})")
    instance_type: str | None = Field(None, description="instance type of the metrics computation")
    input_path: str = Field(..., min_length=1, description="a .csv / .jsonl file or a directory of them")
    input_format: Literal["CSV", "JSONL"] = "CSV"
    target_field: str = Field(..., min_length=1, max_length=255, description="the ground-truth field (column)")
    output_path: str | None = Field(None, description="output of the batch inference (default: the evaluation's own folder)")
    batch_inference: BatchOptions = Field(default_factory=BatchOptions)
    max_run_seconds: int | None = Field(None, ge=1, le=30 * 24 * 3600, description="the guide's maximum evaluation time")
    log_enabled: bool = True
    backend: Literal["local", "kubernetes"] | None = None

    _format = field_validator("input_format", mode="before")(classmethod(lambda cls, v: _upper(v)))

    @field_validator("class_names")
    @classmethod
    def _class_names(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_CLASSES:
            raise ValueError(f"at most {MAX_CLASSES} classes are supported, got {len(value)}")
        if len(set(value)) != len(value):
            raise ValueError("class names must be unique")
        if any(not v.strip() for v in value):
            raise ValueError("class names must not be empty")
        return value

    @model_validator(mode="after")
    def _task(self) -> "ModelEvaluationCreate":
        if self.task is None:
            if not self.class_names:
                raise ValueError("task is required (classification or regression) when no class_names are given")
            self.task = "classification"
        if self.task == "regression" and self.class_names:
            raise ValueError("a regression evaluation has no class_names")
        if self.task == "classification" and len(self.class_names) == 1:
            raise ValueError("give at least 2 class names")
        return self


class ModelEvaluationOut(ResourceOut):
    model_id: str
    model_name: str | None = None
    task: str
    class_names: list[str] = Field(default_factory=list)
    batch_inference_id: str | None = None
    batch_inference_status: str | None = None
    progress: BatchProgress = Field(default_factory=BatchProgress)
    spec: dict
    backend: str
    metrics: dict = Field(default_factory=dict, description="the scalar metrics (PR AUC, ROC AUC, ... or MAE, MAPE, ...)")
    started_at: datetime | None = None
    finished_at: datetime | None = None
    elapsed_seconds: float | None = None
    history: list[StatusEventOut] | None = None


class ModelEvaluationResultOut(BaseModel):
    evaluation_id: str
    name: str
    status: str
    task: str
    metrics: dict
    result: dict = Field(description="curves (<= 200 points each), confusion matrix, averages, per-class scores, notes")
