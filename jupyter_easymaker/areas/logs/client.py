"""Log search in the Python client."""
from __future__ import annotations

import time
from typing import Any, Iterator

from jupyter_easymaker.client.transport import ServerNotFound


class LogsClient:
    """Mixed into Client: needs ``_get`` and ``_sse``."""

    def search_logs(self, query: str | None = None, *, since: Any = None, until: Any = None, before: int | None = None,
                    limit: int | None = None) -> list[dict]:
        """Log records of every job, newest first, e.g.
        ``search_logs('category:"easymaker.training" AND logLevel:ERROR', since="2026-01-01")``.
        ``before`` (a record id) pages back; ``since``/``until`` are ISO 8601 times or datetimes."""
        return self.search_logs_page(query, since=since, until=until, before=before, limit=limit)["records"]

    def search_logs_page(self, query: str | None = None, *, since: Any = None, until: Any = None,
                         before: int | None = None, limit: int | None = None) -> dict:
        """``{records, next_before}``: one page of a search."""
        return self._get("logs", query=query, since=_iso(since), until=_iso(until), before=before, limit=limit)

    def tail_logs(self, query: str | None = None, *, after: int | None = None, retries: int = 3) -> Iterator[dict]:
        """Records matching ``query`` as they are written (an endless generator);
        ``after`` (a record id) starts after that record instead of at the next
        one written. A dropped stream is resumed after the last record received."""
        failures = 0
        while True:
            try:
                for event, _id, payload in self._sse("logs/tail", {"query": query, "after": after}):
                    if event == "ready" and after is None and isinstance(payload, dict):
                        after = int(payload.get("after") or 0)
                    elif event == "log" and isinstance(payload, dict):
                        after = max(after or 0, int(payload.get("id") or 0))
                        failures = 0
                        yield payload
            except (ServerNotFound, OSError):
                pass  # dropped connection: resume below
            failures += 1
            if failures > retries:
                raise ServerNotFound(f"the log tail of {query!r} kept breaking off")
            time.sleep(min(0.5 * failures, 2.0))


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value
