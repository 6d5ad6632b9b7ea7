"""TensorBoard servers started for a training, an experiment or a hyperparameter tuning."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from jupyter_easymaker.core.schemas import StrictModel


class TensorBoardCreate(StrictModel):
    """Exactly one of training_id, experiment_id and hyperparameter_tuning_id."""

    training_id: str | None = Field(None, min_length=1, description="id or name of a training")
    experiment_id: str | None = Field(None, min_length=1, description="id or name of an experiment (all its runs)")
    hyperparameter_tuning_id: str | None = Field(None, min_length=1, description="id or name of a hyperparameter tuning (every trial a run)")
    wait: bool = Field(True, description="answer once the server answers; false answers at once with status starting")


class TensorBoardOut(BaseModel):
    id: str
    logdir: str
    url: str = Field(..., description="proxied URL under the server's base URL, ending with /")
    status: Literal["starting", "running"]
    started_at: str
    last_access: str
    training_id: str | None = None
    experiment_id: str | None = None
    hyperparameter_tuning_id: str | None = None
    reused: bool = False
