"""What every resource service does the same way: find, list, name checks,
status changes through the kind's state machine, and validation errors."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jupyter_easymaker.core.errors import Conflict, NotFound
from jupyter_easymaker.core.events import EventBus
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.schemas import RenameBody
from jupyter_easymaker.core.state_machine import StateMachine
from jupyter_easymaker.core.tables import StatusEvent, utcnow
from jupyter_easymaker.core.validation import parse

# what handlers and services import from here (their home is light, for start-up)
__all__ = ["ListQuery", "ResourceService", "elapsed_seconds", "new_id", "parse"]


def new_id() -> str:
    return str(uuid.uuid4())


def elapsed_seconds(started: datetime | None, finished: datetime | None) -> float | None:
    if started is None:
        return None
    return max(0.0, ((finished or utcnow()) - started).total_seconds())


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
