"""Shapes shared by every resource's API."""
from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from jupyter_easymaker.core.names import MAX_DESCRIPTION, NAME_PATTERN

Name = Field(..., min_length=1, max_length=50, pattern=NAME_PATTERN.pattern, description="letters, digits, '-' and '_'")
Description = Field("", max_length=MAX_DESCRIPTION)


class StrictModel(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class StatusEventOut(BaseModel):
    status: str
    reason: str
    at: datetime


class ResourceOut(BaseModel):
    id: str
    name: str
    description: str
    status: str
    status_reason: str
    created_at: datetime
    updated_at: datetime


class RenameBody(StrictModel):
    """What the guide lets users change on an existing experiment or training."""

    name: str | None = Field(None, min_length=1, max_length=50, pattern=NAME_PATTERN.pattern)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class ErrorOut(BaseModel):
    error: str
    reason: str
    field: str | None = None


class ServerInfo(BaseModel):
    name: str = "jupyter-easymaker"
    version: str
    api_version: str = "v1"
    capabilities: dict
