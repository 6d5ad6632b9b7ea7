"""The rules of a log search: limits, the time window, paging and following."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from jupyter_easymaker.core.errors import InvalidInput

MAX_LIMIT = 1000  # records of one page
DEFAULT_LIMIT = 100
TAIL_BATCH = 500  # records sent at once while following


class LogSearchService:
    def __init__(self, platform: Any):
        self.logs = platform.logs

    def search(self, query: str | None, *, since: datetime | None = None, until: datetime | None = None,
               before: int | None = None, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
        """A page of matching records, newest first; ``next_before`` continues
        with older ones (None: there are none)."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be an integer between 1 and {MAX_LIMIT}", field="limit")
        if since is not None and until is not None and since > until:
            raise InvalidInput("until: is before since", field="until")
        records = self.logs.search(query, since=since, until=until, before=before, limit=limit)
        next_before = records[-1]["id"] if len(records) == limit else None
        return {"records": records, "next_before": next_before}

    def newest_id(self) -> int:
        """Where a tail that wants only new records starts."""
        records = self.logs.search(None, limit=1)
        return records[0]["id"] if records else 0

    def check(self, query: str | None) -> None:
        """Refuse a query not in the language before a tail starts streaming."""
        self.logs.condition(query)

    def following(self, query: str | None, after: int, *, since: datetime | None = None,
                  until: datetime | None = None) -> list[dict[str, Any]]:
        """Matching records stored after the id ``after``, oldest first."""
        return self.logs.search(query, since=since, until=until, after=after, limit=TAIL_BATCH, newest_first=False)
