"""The training spec (every field of the guide's create form) and its answers."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from jupyter_easymaker.core.job_fields import (
    BuiltinAlgorithm,
    CustomAlgorithm,
    Dataset,
    TrainingFields,
)
from jupyter_easymaker.core.names import NAME_PATTERN
from jupyter_easymaker.core.schemas import (
    Description,
    Name,
    ResourceOut,
    StatusEventOut,
)

__all__ = ["BuiltinAlgorithm", "CustomAlgorithm", "Dataset", "TrainingCreate", "TrainingFields", "TrainingOut", "MetricsOut"]

class TrainingCreate(TrainingFields):
    name: str = Name
    description: str = Description
    experiment_id: str | None = None
    # name of an experiment, created when it does not exist yet (the guide's "add")
    experiment_name: str | None = Field(None, min_length=1, max_length=50, pattern=NAME_PATTERN.pattern)
    template_id: str | None = None

    @model_validator(mode="after")
    def _experiment(self) -> "TrainingCreate":
        if not self.experiment_id and not self.experiment_name:
            raise ValueError("experiment_id or experiment_name is required")
        return self


class TrainingOut(ResourceOut):
    experiment_id: str
    experiment_name: str | None = None
    template_id: str | None = None
    spec: dict
    backend: str
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    elapsed_seconds: float | None = None
    model_dir: str = ""
    tensorboard_log_dir: str = ""
    history: list[StatusEventOut] | None = None


class MetricSeries(BaseModel):
    name: str
    steps: list[int]
    values: list[float]
    last: float | None = None


class MetricsOut(BaseModel):
    training_id: str
    metrics: list[MetricSeries]
    usage: list[dict] = Field(default_factory=list)
