"""The fields of a training-shaped job (the guide's training create form):
what trainings, training templates, hyperparameter tunings and the later job
kinds built on a user's code share."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, field_validator, model_validator

from jupyter_easymaker.core.names import NAME_PATTERN
from jupyter_easymaker.core.schemas import StrictModel
from jupyter_easymaker.storage_uri import check_characters

# fields of a create body that are not part of the reusable spec of its job
IDENTITY_FIELDS = ("name", "description", "experiment_id", "experiment_name", "template_id")

MAX_HYPERPARAMETERS = 100
MAX_DATASETS = 10
MAX_SOURCE_BYTES = 20 * 1024 * 1024

HyperparameterValue = Union[str, int, float, bool]


class CustomAlgorithm(StrictModel):
    """Own code: a directory with the entry point (and optional requirements.txt)."""

    type: Literal["custom"] = "custom"
    source_dir: str | None = Field(None, description="local path, file://, nas:// or obs:// directory")
    entry_point: str = Field(..., min_length=1, max_length=255)
    # code sent inline (the magics upload the cell this way); stored by the server
    source_files: dict[str, str] | None = None

    @field_validator("entry_point")
    @classmethod
    def _entry_point_is_relative(cls, value: str) -> str:
        check_characters(value)
        if value.startswith("/") or ".." in value.split("/") or "\\" in value:
            raise ValueError("must be a file name inside the algorithm path")
        return value

    @field_validator("source_files")
    @classmethod
    def _source_files_are_safe(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        total = 0
        for name, text in value.items():
            check_characters(name)
            if not name or name.startswith("/") or ".." in name.split("/") or "\\" in name:
                raise ValueError(f"file name {name!r} must be a relative path inside the source")
            total += len(text.encode())
        if total > MAX_SOURCE_BYTES:
            raise ValueError(f"inline sources are limited to {MAX_SOURCE_BYTES // (1024 * 1024)} MB")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> "CustomAlgorithm":
        if bool(self.source_dir) == bool(self.source_files):
            raise ValueError("give either source_dir or source_files")
        if self.source_files is not None and self.entry_point not in self.source_files:
            raise ValueError(f"entry_point {self.entry_point!r} is not among source_files")
        return self


class BuiltinAlgorithm(StrictModel):
    type: Literal["builtin"]
    name: str = Field(..., min_length=1)


Algorithm = Annotated[Union[CustomAlgorithm, BuiltinAlgorithm], Field(discriminator="type")]


class Dataset(StrictModel):
    name: str = Field(..., min_length=1, max_length=50, pattern=NAME_PATTERN.pattern)
    path: str = Field(..., min_length=1)


class TrainingFields(StrictModel):
    """Every field a training and a training template share."""

    algorithm: Algorithm
    hyperparameters: dict[str, HyperparameterValue] = Field(default_factory=dict)
    image: str = ""
    instance_type: str | None = None
    nodes: int = Field(1, ge=1, le=64)
    use_torchrun: bool = False
    nproc_per_node: int = Field(1, ge=1, le=64)
    datasets: list[Dataset] = Field(default_factory=list)
    checkpoint_input_path: str | None = None
    output_path: str | None = None
    checkpoint_path: str | None = None
    data_storage_gb: int | None = Field(None, ge=1, le=10240)
    max_run_seconds: int | None = Field(None, ge=1, le=30 * 24 * 3600, description="the guide's maximum training time")
    log_enabled: bool = True
    backend: Literal["local", "kubernetes"] | None = None

    @field_validator("hyperparameters")
    @classmethod
    def _hyperparameters(cls, value: dict[str, HyperparameterValue]) -> dict[str, HyperparameterValue]:
        if len(value) > MAX_HYPERPARAMETERS:
            raise ValueError(f"at most {MAX_HYPERPARAMETERS} hyperparameters are allowed, got {len(value)}")
        for key in value:
            if not key or not all(c.isalnum() or c in "-_." for c in key):
                raise ValueError(f"key {key!r} must be letters, digits, '-', '_' or '.'")
        return value

    @field_validator("datasets", mode="before")
    @classmethod
    def _datasets_as_mapping(cls, value: Any) -> Any:
        """``{"train": "/data/train"}`` is accepted as a shorthand for the list form."""
        if isinstance(value, dict):
            return [{"name": name, "path": path} for name, path in value.items()]
        return value

    @field_validator("datasets")
    @classmethod
    def _datasets(cls, value: list[Dataset]) -> list[Dataset]:
        if len(value) > MAX_DATASETS:
            raise ValueError(f"at most {MAX_DATASETS} datasets are allowed, got {len(value)}")
        names = [d.name.upper().replace("-", "_") for d in value]
        if len(set(names)) != len(names):
            raise ValueError("dataset names must be unique (ignoring case and '-' vs '_')")
        return value


# -- a model run over records as a job (batch inference, model evaluation) ----------
def upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class BatchOptions(StrictModel):
    """Where and how the records are predicted (shared by both forms)."""

    instance_type: str | None = Field(None, description="default: the server's default instance type")
    instance_count: int = Field(1, ge=1, le=10, description="instances (nodes) the pods are spread over")
    pod_count: int = Field(1, ge=1, le=64, description="worker pods; the records are split evenly between them")
    batch_size: int = Field(32, ge=1, le=10_000, description="records per predict call")
    timeout_seconds: float = Field(60.0, gt=0, le=3600, description="limit of one predict call; its records are recorded as errors past it")


class BatchProgress(BaseModel):
    records_total: int | None = None
    records_done: int = 0
    errors: int = 0
    percent: float | None = None


def progress_out(progress: dict[str, Any] | None) -> BatchProgress:
    """Records done / total / errors, as the job's progress lines left them."""
    progress = progress or {}
    total = progress.get("records_total")
    done = int(progress.get("records_done") or 0)
    percent = round(100.0 * done / total, 1) if total else (100.0 if total == 0 else None)
    return BatchProgress(records_total=total, records_done=done, errors=int(progress.get("errors") or 0), percent=percent)
