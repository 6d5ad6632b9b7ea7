"""LLM studio: request bodies (each problem names its field) and answers."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from jupyter_easymaker.core.schemas import (
    Description,
    Name,
    ResourceOut,
    StatusEventOut,
    StrictModel,
)

Kind = Literal["foundation", "instruction", "embedding", "safety"]


class LlmModelCreate(StrictModel):
    """Register a base model from a path (a safetensors Hugging Face folder or a .gguf file) or a Hugging Face id."""

    name: str = Name
    description: str = Description
    kind: Kind = "instruction"
    path: str | None = Field(None, min_length=1, max_length=4096)
    hf_id: str | None = Field(None, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
    revision: str | None = Field(None, max_length=100)
    token: str | None = Field(None, max_length=500)
    context_length: int | None = Field(None, ge=1, le=10_000_000)

    @model_validator(mode="after")
    def _one_source(self) -> LlmModelCreate:
        if bool(self.path) == bool(self.hf_id):
            raise ValueError("path: give either path or hf_id")
        return self


class LlmModelUpdate(StrictModel):
    description: str | None = Field(None, max_length=255)
    kind: Kind | None = None
    context_length: int | None = Field(None, ge=1, le=10_000_000)


class LoraSpec(StrictModel):
    r: int = Field(8, ge=1, le=4096)
    alpha: float = Field(16.0, gt=0)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | str = Field(default_factory=lambda: ["q_proj", "v_proj"])

    @model_validator(mode="after")
    def _targets(self) -> LoraSpec:
        targets = self.target_modules
        if isinstance(targets, str):
            if targets != "all-linear":
                raise ValueError("target_modules: a list of module names or 'all-linear'")
        elif not targets or not all(isinstance(t, str) and t.strip() for t in targets):
            raise ValueError("target_modules: name at least one module")
        return self


class TrainingSpec(StrictModel):
    epochs: float = Field(1, gt=0, le=1000)
    max_steps: int | None = Field(None, ge=1)
    learning_rate: float = Field(2e-4, gt=0, le=1)
    batch_size: int = Field(4, ge=1, le=4096)
    gradient_accumulation_steps: int = Field(1, ge=1, le=4096)
    max_seq_length: int = Field(512, ge=8, le=1_000_000)
    warmup_ratio: float = Field(0.03, ge=0, lt=1)
    lr_scheduler: Literal["cosine", "linear", "constant", "constant_with_warmup"] = "cosine"
    weight_decay: float = Field(0.0, ge=0)
    seed: int = 42
    eval_steps: int = Field(0, ge=0)
    checkpoint_steps: int = Field(50, ge=1)


class FinetuneCreate(StrictModel):
    name: str = Name
    description: str = Description
    base_model: str = Field(..., min_length=1, max_length=50)
    data_path: str = Field(..., min_length=1, max_length=4096)
    validation_path: str | None = Field(None, max_length=4096)
    validation_split: float = Field(0.1, ge=0, lt=1)
    method: Literal["lora", "qlora"] = "lora"
    lora: LoraSpec = Field(default_factory=LoraSpec)
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    instance_type: str | None = None
    backend: str | None = Field(None, description="local or kubernetes (default: the server's)")
    max_run_seconds: int | None = Field(None, ge=1)


class LoadBody(StrictModel):
    instance_type: str | None = None
    keep_alive_seconds: float | None = Field(None, ge=0, description="0: never unload")


class PromptTemplateCreate(StrictModel):
    name: str = Name
    description: str = Description
    system_prompt: str = Field("", max_length=100_000)
    template: str = Field(..., max_length=100_000)
    parameters: dict[str, Any] = Field(default_factory=dict)


class PromptTemplateUpdate(StrictModel):
    name: str | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=255)
    system_prompt: str | None = Field(None, max_length=100_000)
    template: str | None = Field(None, max_length=100_000)
    parameters: dict[str, Any] | None = None


class RenderBody(StrictModel):
    variables: dict[str, Any] = Field(default_factory=dict)


class PromptTemplateOut(BaseModel):
    id: str
    name: str
    description: str
    system_prompt: str
    template: str
    variables: list[str]
    parameters: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class LlmModelOut(ResourceOut):
    status_label_ko: str
    type: str
    kind: str
    format: str
    source: dict[str, Any]
    context_length: int | None
    parameters_label: str | None
    name_info: dict[str, Any]
    base_model: str | None
    finetune: dict[str, Any] | None
    progress: dict[str, Any] | None
    result: dict[str, Any] | None
    outputs: dict[str, Any] | None
    loaded: dict[str, Any] | None
    actions: list[str]
    backend: str
    history: list[StatusEventOut] | None = None
