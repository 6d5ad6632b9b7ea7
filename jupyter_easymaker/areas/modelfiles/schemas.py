"""Model files: Open WebUI's ``ModelForm`` (create), the edit, hide and import
bodies, and the answers. ``params`` and ``meta`` are free-form as in Open
WebUI; their known keys are checked by ``openwebui.py``."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jupyter_easymaker.areas.modelfiles.openwebui import MAX_ID, MAX_NAME, id_problem
from jupyter_easymaker.core.schemas import StrictModel


def _model_id(value: str) -> str:
    problem = id_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class ModelFileCreate(StrictModel):
    """Open WebUI 0.12.4's ``ModelForm``."""

    id: str = Field(..., min_length=1, max_length=MAX_ID, description="the model id used in chat requests (no whitespace)")
    base_model_id: str | None = Field(None, max_length=MAX_ID, description="an LLM studio model name; null: this model file "
                                                                          "overrides the LLM studio model named like its id")
    name: str = Field(..., min_length=1, max_length=MAX_NAME)
    params: dict[str, Any] | None = Field(None, description="system, temperature, top_p, max_tokens, stop, seed, num_ctx, ...")
    meta: dict[str, Any] | None = Field(None, description="profile_image_url, description, capabilities, suggestion_prompts, "
                                                          "knowledge (RAG links), toolIds, tags, hidden, ...")
    access_control: dict[str, Any] | None = Field(None, description="Open WebUI <= 0.6 access (kept as given)")
    access_grants: list[dict[str, Any]] | None = Field(None, description="Open WebUI 0.12 access grants (kept as given)")
    is_active: bool = True
    commit_message: str | None = Field(None, max_length=1000, description="accepted for Open WebUI compatibility, not stored")

    _id = field_validator("id")(classmethod(lambda cls, v: _model_id(v)))


class ModelFileUpdate(StrictModel):
    """What an edit changes. ``params`` and ``meta`` are merged one level deep into the
    stored ones (a key set to null is removed); the other fields replace theirs."""

    id: str | None = Field(None, max_length=MAX_ID, description="if given, must be the model file's id (ids do not change)")
    base_model_id: str | None = Field(None, max_length=MAX_ID)
    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    params: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    access_control: dict[str, Any] | None = None
    access_grants: list[dict[str, Any]] | None = None
    is_active: bool | None = None
    commit_message: str | None = Field(None, max_length=1000)


class HideBody(StrictModel):
    hidden: bool = Field(True, description="true hides the model file from the model picker (meta.hidden)")


class ModelFileOut(BaseModel):
    """The Open WebUI record (every key it has, e.g. access_control, user, version_id)
    and whether it can answer here."""

    model_config = ConfigDict(extra="allow")

    id: str
    user_id: str
    base_model_id: str | None
    name: str
    params: dict[str, Any]
    meta: dict[str, Any]
    is_active: bool
    created_at: int = Field(..., description="epoch seconds")
    updated_at: int = Field(..., description="epoch seconds")
    available: bool = Field(..., description="its base model is an LLM studio model (else it cannot chat)")
    unavailable_reason: str | None = None
    loaded: bool = Field(..., description="its base model is loaded (RUNNING): it can chat now")


class ImportErrorOut(BaseModel):
    index: int
    id: str | None
    field: str
    reason: str


class ImportedOut(BaseModel):
    index: int
    id: str
    action: str = Field(..., description="created or updated")
    available: bool
    unavailable_reason: str | None = None


class ImportOut(BaseModel):
    imported: int = Field(..., description="model files created")
    updated: int = Field(..., description="existing ids replaced")
    errors: list[ImportErrorOut]
    models: list[ImportedOut]
