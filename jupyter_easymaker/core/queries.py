"""The query of a list request (page, sort, status filter, name search),
read from query arguments with errors that name the argument. SQLAlchemy is
imported when a page is read, not here: handlers import this at start-up."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jupyter_easymaker.core.errors import InvalidInput

SORTABLE = ("name", "status", "created_at", "updated_at")
MAX_PAGE = 1000


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
