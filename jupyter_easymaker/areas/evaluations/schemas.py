"""Batch inference and model evaluation: the guide's create forms and the
list / detail answers."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from jupyter_easymaker.catalogs.evaluation import MAX_CLASSES
from jupyter_easymaker.core.job_fields import BatchOptions, BatchProgress, upper
from jupyter_easymaker.core.schemas import (
    Description,
    Name,
    ResourceOut,
    StatusEventOut,
    StrictModel,
)


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

    _format = field_validator("input_format", mode="before")(classmethod(lambda cls, v: upper(v)))

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
