"""The hyperparameter tuning spec (every field of the guide's create form) and its answers."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Union

from pydantic import BaseModel, Field, field_validator

from jupyter_easymaker.core.job_fields import TrainingFields
from jupyter_easymaker.core.names import NAME_PATTERN
from jupyter_easymaker.core.schemas import (
    Description,
    Name,
    ResourceOut,
    StatusEventOut,
    StrictModel,
)

# Katib's default metrics-collector filter: group 1 is the name, group 2 the value
KATIB_METRIC_FORMAT = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"
STRATEGIES = ("Random", "Grid", "Bayesian", "TPE")
MAX_TRIALS = 10_000
MAX_PARALLEL = 100


class ParameterSpec(StrictModel):
    """One tuned hyperparameter: int / double with a range, or categorical values."""

    name: str = Field(..., min_length=1, max_length=100)
    type: Literal["int", "double", "categorical"]
    min: float | None = None
    max: float | None = None
    step: float | None = Field(None, description="the Grid strategy's increment")
    log: bool = Field(False, description="sample on a log scale (Random, Bayesian, TPE)")
    values: Union[list[Union[str, int, float, bool]], str, None] = Field(
        None, description="categorical values, as a list or comma-separated (sgd, adam)"
    )

    @field_validator("type", mode="before")
    @classmethod
    def _type_alias(cls, value: Any) -> Any:
        aliases = {"float": "double", "integer": "int", "discrete": "categorical", "choice": "categorical"}
        return aliases.get(value.lower(), value.lower()) if isinstance(value, str) else value


class MetricSpec(StrictModel):
    """A metric scraped from each trial's stdout with a regular expression."""

    name: str = Field(..., min_length=1, max_length=128)
    format: str = Field(KATIB_METRIC_FORMAT, min_length=1, max_length=1000)


class EarlyStopping(StrictModel):
    """The median stopping rule: a trial whose objective at a step is worse than
    the median of the completed trials at that step is stopped (Optuna's MedianPruner)."""

    algorithm: Literal["median"] = "median"
    min_trials: int = Field(3, ge=1, le=1000, description="completed trials needed before any trial is stopped")
    start_step: int = Field(4, ge=0, le=1_000_000, description="steps a trial reports before it can be stopped")

    @field_validator("algorithm", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class HyperparameterTuningFields(TrainingFields):
    """The tuning part of the form; the job part is a training's (TrainingFields),
    whose ``hyperparameters`` are the fixed ones every trial gets."""

    strategy: Literal["Random", "Grid", "Bayesian", "TPE"] = "Random"
    random_seed: int | None = Field(None, ge=0, le=2**32 - 1)
    parameters: list[ParameterSpec] = Field(..., min_length=1)
    metrics: list[MetricSpec] = Field(default_factory=list)
    objective_metric: str = Field(..., min_length=1, max_length=128)
    goal: Literal["minimize", "maximize"] = "minimize"
    target_value: float | None = None
    # Katib's metric strategy: which reported value of the objective is the trial's result
    # (default: the best one in the goal's direction, as Katib does)
    objective_strategy: Literal["min", "max", "latest"] | None = None
    max_trials: int | None = Field(None, ge=1, le=MAX_TRIALS, description="default: the grid's size for Grid, else 10")
    max_failed_trials: int = Field(3, ge=1, le=MAX_TRIALS)
    parallel_trials: int = Field(1, ge=1, le=MAX_PARALLEL)
    early_stopping: EarlyStopping | None = None

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy_case(cls, value: Any) -> Any:
        if isinstance(value, str):
            for known in STRATEGIES:
                if value.lower() == known.lower():
                    return known
        return value

    @field_validator("goal", mode="before")
    @classmethod
    def _goal_case(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class HyperparameterTuningCreate(HyperparameterTuningFields):
    name: str = Name
    description: str = Description
    experiment_id: str | None = None
    experiment_name: str | None = Field(None, min_length=1, max_length=50, pattern=NAME_PATTERN.pattern)
    template_id: str | None = None


class TrialCounts(BaseModel):
    total: int = 0
    completed: int = 0  # SUCCEEDED
    running: int = 0  # CREATED + RUNNING
    failed: int = 0  # FAILED + METRICS_UNAVAILABLE (the ones max_failed_trials counts)
    early_stopped: int = 0
    killed: int = 0


class TrialOut(BaseModel):
    id: str
    tuning_id: str
    number: int
    name: str
    status: str
    status_reason: str
    parameters: dict[str, Any]
    objective_value: float | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    is_best: bool = False
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    elapsed_seconds: float | None = None
    exit_code: int | None = None
    model_dir: str = ""
    tensorboard_log_dir: str = ""
    history: list[StatusEventOut] | None = None


class BestTrialOut(BaseModel):
    """What a model is created from: the best trial's artifacts and parameters."""

    trial_id: str
    number: int
    name: str
    objective_metric: str
    objective_value: float
    parameters: dict[str, Any]
    hyperparameters: dict[str, str]  # everything the trial's job got (fixed + tuned)
    metrics: dict[str, Any] = Field(default_factory=dict)
    model_dir: str
    checkpoint_dir: str = ""


class HyperparameterTuningOut(ResourceOut):
    status_detail: str = ""
    experiment_id: str
    experiment_name: str | None = None
    template_id: str | None = None
    spec: dict
    backend: str
    strategy: str
    sampler: str = ""  # the Optuna sampler the strategy runs on
    objective_metric: str
    goal: str
    target_value: float | None = None
    max_trials: int
    parallel_trials: int
    instance_count: int  # the guide's "distributed nodes x parallel trials"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    elapsed_seconds: float | None = None
    trials: TrialCounts
    best_trial: TrialOut | None = None
    tensorboard_log_dir: str = ""
    history: list[StatusEventOut] | None = None


class TrialSeries(BaseModel):
    trial_id: str
    number: int
    status: str
    parameters: dict[str, Any]
    objective_value: float | None = None
    steps: list[int]
    values: list[float]


class TuningMetricsOut(BaseModel):
    """Everything the HPO panel's charts need in one answer."""

    tuning_id: str
    objective_metric: str
    goal: str
    target_value: float | None = None
    parameters: list[dict]
    best_trial_id: str | None = None
    trials: list[TrialSeries]
