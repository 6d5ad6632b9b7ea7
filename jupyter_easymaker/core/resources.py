"""What every resource service does the same way: find, list, name checks,
status changes through the kind's state machine, and validation errors."""
from __future__ import annotations

import uuid
from datetime import datetime
from dataclasses import dataclass
from typing import Any, Iterable, Type, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from jupyter_easymaker.core.errors import Conflict, InvalidInput, NotFound
from jupyter_easymaker.core.state_machine import StateMachine
from jupyter_easymaker.core.schemas import RenameBody
from jupyter_easymaker.core.events import EventBus
from jupyter_easymaker.core.tables import StatusEvent, utcnow

M = TypeVar("M", bound=BaseModel)

SORTABLE = ("name", "status", "created_at", "updated_at")
MAX_PAGE = 1000


def new_id() -> str:
    return str(uuid.uuid4())


def field_path(loc: Iterable[Any]) -> str:
    """pydantic's ``('datasets', 0, 'path')`` -> ``datasets[0].path``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("custom", "builtin") and out.endswith("algorithm"):
            continue  # the discriminated union's tag adds nothing for a reader
        else:
            out += f".{part}" if out else str(part)
    return out


def parse(model: Type[M], body: Any) -> M:
    """Validate a request body; the first problem becomes an InvalidInput naming its field."""
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", field="body")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = field_path(err["loc"]) or "body"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "is not a known field"
        raise InvalidInput(f"{field}: {message}", field=field) from None


def elapsed_seconds(started: datetime | None, finished: datetime | None) -> float | None:
    if started is None:
        return None
    return max(0.0, ((finished or utcnow()) - started).total_seconds())


@dataclass
class ListQuery:
    offset: int = 0
    limit: int = 50
    sort: str = "-created_at"
    status: list[str] | None = None
    name: str | None = None  # substring match on name and description

    @classmethod
    def from_args(cls, args: dict[str, str]) -> "ListQuery":
        def integer(key: str, default: int, low: int, high: int) -> int:
            raw = args.get(key)
            if raw in (None, ""):
                return default
            try:
                value = int(raw)
            except ValueError:
                raise InvalidInput(f"{key} must be an integer", field=key) from None
            if not low <= value <= high:
                raise InvalidInput(f"{key} must be between {low} and {high}", field=key)
            return value

        sort = args.get("sort") or "-created_at"
        if sort.lstrip("-") not in SORTABLE:
            raise InvalidInput(f"sort must be one of {', '.join(SORTABLE)} (prefix '-' for descending)", field="sort")
        status = [s.strip() for s in args["status"].split(",") if s.strip()] if args.get("status") else None
        return cls(
            offset=integer("offset", 0, 0, 10**9),
            limit=integer("limit", 50, 1, MAX_PAGE),
            sort=sort,
            status=status,
            name=args.get("name") or args.get("q") or None,
        )

    def apply(self, table: Any, stmt: Select) -> Select:
        if self.status:
            stmt = stmt.where(table.status.in_(self.status))
        if self.name:
            pattern = f"%{self.name}%"
            stmt = stmt.where(or_(table.name.like(pattern), table.description.like(pattern)))
        return stmt

    def page(self, session: Session, table: Any, stmt: Select) -> tuple[list[Any], int]:
        stmt = self.apply(table, stmt)
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        column = getattr(table, self.sort.lstrip("-"))
        order = column.desc() if self.sort.startswith("-") else column.asc()
        rows = session.scalars(stmt.order_by(order, table.id).offset(self.offset).limit(self.limit)).all()
        return list(rows), total


class ResourceService:
    """Base of the per-kind services."""

    table: Any
    machine: StateMachine
    kind: str

    def __init__(self, platform: Any):
        self.platform = platform
        self.db = platform.db
        self.settings = platform.settings
        self.events: EventBus = platform.events

    @property
    def job_specs(self) -> Any:
        return self.platform.job_specs

    def blockers_message(self, session: Session, row: Any) -> str | None:
        """Why the row may not be deleted because other areas' rows use it, or None."""
        for label, found in self.platform.blockers(self.kind, session, row.id):
            if isinstance(found, (list, tuple)):  # names of what blocks it
                shown = ", ".join(repr(n) for n in found[:5]) + (", ..." if len(found) > 5 else "")
                return f"{self.kind} {row.name!r} still has {label} ({shown}): delete them first"
            return f"{self.kind} {row.name!r} is used by {found} {label}: delete them first"
        return None

    # -- lookups ------------------------------------------------------------
    def find(self, session: Session, ref: str, field: str = "id") -> Any:
        """By id, or by name when no id matches (names are unique per kind)."""
        row = session.get(self.table, ref) or session.scalar(select(self.table).where(self.table.name == ref))
        if row is None:
            raise NotFound(f"{self.kind} {ref!r} does not exist", field=field)
        return row

    def check_name_free(self, session: Session, name: str, *, except_id: str | None = None) -> None:
        stmt = select(self.table.id).where(self.table.name == name)
        if except_id:
            stmt = stmt.where(self.table.id != except_id)
        if session.scalar(stmt) is not None:
            raise Conflict(f"a {self.kind} named {name!r} already exists", field="name")

    def free_copy_name(self, session: Session, name: str) -> str:
        base = f"{name}-copy"[:50]
        candidate, n = base, 2
        while session.scalar(select(self.table.id).where(self.table.name == candidate)) is not None:
            suffix = f"-{n}"
            candidate, n = base[: 50 - len(suffix)] + suffix, n + 1
        return candidate

    def rename(self, session: Session, ref: str, body: Any) -> Any:
        """Apply what the guide lets users change on any resource: name and description."""
        data = parse(RenameBody, body)
        row = self.find(session, ref)
        if data.name is not None and data.name != row.name:
            self.check_name_free(session, data.name, except_id=row.id)
            row.name = data.name
        if data.description is not None:
            row.description = data.description
        row.updated_at = utcnow()
        return row

    # -- status -------------------------------------------------------------
    def set_status(self, session: Session, row: Any, status: str, reason: str = "") -> None:
        self.machine.check(row.status, status)
        self._record(session, row, status, reason)

    def _record(self, session: Session, row: Any, status: str, reason: str) -> None:
        row.status = status
        row.status_reason = reason
        row.updated_at = utcnow()
        session.add(StatusEvent(kind=self.kind, resource_id=row.id, status=status, reason=reason, at=row.updated_at))

    def initial(self, session: Session, row: Any, reason: str = "") -> None:
        self._record(session, row, self.machine.initial, reason)
        row.created_at = row.updated_at

    def history(self, session: Session, resource_id: str) -> list[StatusEvent]:
        stmt = select(StatusEvent).where(StatusEvent.resource_id == resource_id).order_by(StatusEvent.id)
        return list(session.scalars(stmt))

    def publish(self, row: Any, change: str) -> None:
        self.events.publish(self.kind, row.id, change=change, status=row.status, name=row.name)
