"""How a handler module declares its routes; routes.py collects them."""
from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

LIST_PARAMS = ("offset", "limit", "sort", "status", "name")


@dataclass(frozen=True)
class Op:
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    list_of: type[BaseModel] | None = None  # paginated list of this
    params: tuple[str, ...] = ()
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Route:
    path: str  # OpenAPI style: trainings/{ref}
    handler: type
    ops: dict[str, Op] = field(default_factory=dict)
