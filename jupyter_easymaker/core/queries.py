"""Query arguments read into values, with errors that name the argument:
integers in a range, ISO 8601 times, and the query of a list request (page,
sort, status filter, name search). The HTTP base checks every argument's size
and characters first (``EasyMakerHandler.query_args``). SQLAlchemy is imported
when a page is read, not here: handlers import this at start-up."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from jupyter_easymaker.core.errors import InvalidInput

SORTABLE = ("name", "status", "created_at", "updated_at")
MAX_PAGE = 1000
_INTEGER = re.compile(r"-?[0-9]{1,19}")  # ASCII digits; up to what the store's integers hold


def int_arg(args: dict[str, str], key: str, default: int, high: int, low: int = 0) -> int:
    """An integer query argument between ``low`` and ``high``, or a 4xx naming it."""
    raw = args.get(key)
    if raw in (None, ""):
        return default
    text = raw.strip()
    if not _INTEGER.fullmatch(text) or not low <= int(text) <= high:
        raise InvalidInput(f"{key} must be an integer between {low} and {high}", field=key)
    return int(text)


def time_arg(args: dict[str, str], key: str) -> datetime | None:
    """An ISO 8601 time query argument (UTC when it names no zone), or a 4xx naming it."""
    raw = args.get(key)
    if not raw:
        return None
    try:
        # an unencoded '+' of the UTC offset arrives as a space
        value = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError:
        raise InvalidInput(f"{key} must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z", field=key) from None
    if not value.tzinfo:
        return value.replace(tzinfo=timezone.utc)
    try:  # in UTC, as the store compares times
        return value.astimezone(timezone.utc)
    except OverflowError:  # a time at the ends of the calendar has none
        raise InvalidInput(f"{key} is out of range: in UTC it falls outside the years 1 to 9999", field=key) from None


@dataclass
class ListQuery:
    offset: int = 0
    limit: int = 50
    sort: str = "-created_at"
    status: list[str] | None = None
    name: str | None = None  # substring match on name and description

    @classmethod
    def from_args(cls, args: dict[str, str]) -> "ListQuery":
        sort = args.get("sort") or "-created_at"
        if sort.lstrip("-") not in SORTABLE:
            raise InvalidInput(f"sort must be one of {', '.join(SORTABLE)} (prefix '-' for descending)", field="sort")
        status = [s.strip() for s in args["status"].split(",") if s.strip()] if args.get("status") else None
        return cls(
            offset=int_arg(args, "offset", 0, 10**9),
            limit=int_arg(args, "limit", 50, MAX_PAGE, low=1),
            sort=sort,
            status=status,
            name=args.get("name") or args.get("q") or None,
        )

    def apply(self, table: Any, stmt: Any) -> Any:
        from sqlalchemy import or_

        if self.status:
            stmt = stmt.where(table.status.in_(self.status))
        if self.name:
            pattern = f"%{self.name}%"
            stmt = stmt.where(or_(table.name.like(pattern), table.description.like(pattern)))
        return stmt

    def page(self, session: Any, table: Any, stmt: Any) -> tuple[list[Any], int]:
        from sqlalchemy import func, select

        stmt = self.apply(table, stmt)
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        column = getattr(table, self.sort.lstrip("-"))
        order = column.desc() if self.sort.startswith("-") else column.asc()
        rows = session.scalars(stmt.order_by(order, table.id).offset(self.offset).limit(self.limit)).all()
        return list(rows), total
