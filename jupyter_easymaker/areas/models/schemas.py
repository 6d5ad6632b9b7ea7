"""Models: the guide's create form and list/detail fields."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from jupyter_easymaker.core.schemas import (
    Description,
    Name,
    ResourceOut,
    StatusEventOut,
    StrictModel,
)

MAX_PARAMETERS = 100
ParameterValue = str | int | float | bool


class ModelFields(StrictModel):
    framework: str = Field(..., min_length=1, max_length=32, description="scikit-learn, pytorch, huggingface, onnx, tensorflow, or a Triton layout (tensorflow-triton, pytorch-triton, onnx-triton)")
    framework_version: str = Field("", max_length=64, description="default: the version found when the artifact is loaded")
    artifact_path: str = Field("", max_length=2048, description="local path, file://, nas://{id}:/{path} or obs://{endpoint}/{container}/{path}")
    huggingface_model_id: str = Field("", max_length=255, description="a Hugging Face Hub model id (huggingface framework)")
    huggingface_token: str | None = Field(None, max_length=512, description="for gated models; stored encrypted, never returned")
    parameters: dict[str, ParameterValue] = Field(default_factory=dict, description="passed to the model server as arguments and SCREAMING_SNAKE env vars; compile=false serves a scikit-learn model with scikit-learn instead of ONNX Runtime")
    validate_artifact: bool = Field(True, description="load the artifact before creating the model (turn off when only the serving image has the framework)")

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_PARAMETERS:
            raise ValueError(f"at most {MAX_PARAMETERS} parameters")
        return value


class ModelCreate(ModelFields):
    name: str = Name
    description: str = Description
    training_id: str | None = Field(None, description="a COMPLETE training (id or name): its model directory is the artifact")
    hyperparameter_tuning_id: str | None = Field(None, description="a tuning (id or name): its best trial's model directory is the artifact")

    @model_validator(mode="after")
    def _one_source(self) -> "ModelCreate":
        sources = [bool(self.training_id), bool(self.hyperparameter_tuning_id), bool(self.artifact_path)]
        if sum(sources) > 1:
            raise ValueError("give one of artifact_path, training_id or hyperparameter_tuning_id")
        if not any(sources) and not self.huggingface_model_id:
            raise ValueError("give artifact_path, training_id, hyperparameter_tuning_id or huggingface_model_id")
        return self


class ModelFromSource(ModelFields):
    """``POST trainings/{ref}/model`` (the artifact is the training's)."""

    name: str = Name
    description: str = Description


class ModelOut(ResourceOut):
    framework: str
    framework_version: str
    artifact_path: str
    model_dir: str
    huggingface_model_id: str
    huggingface_token: str | None = Field(None, description="masked")
    parameters: dict[str, Any]
    training_id: str | None = None
    training_name: str | None = None
    hyperparameter_tuning_id: str | None = None
    trial_id: str | None = None
    artifact_info: dict[str, Any] = Field(default_factory=dict)
    history: list[StatusEventOut] | None = None


class FrameworkOut(BaseModel):
    name: str
    runtime: str
    available: bool
    reason: str = ""
    tasks: list[str] = Field(default_factory=list)
