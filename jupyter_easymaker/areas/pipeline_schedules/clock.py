"""The schedules' clock: the real UTC time, or the time written in the file
the area's ``clock_file`` option names (read at every call, so a test, or an
operator replaying a window, moves time by rewriting one file)."""
from __future__ import annotations

from datetime import datetime, timezone


class ClockError(RuntimeError):
    """The clock file cannot be read as an ISO time."""


def parse_utc(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime (a time without an offset is UTC)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def now(clock_file: str | None) -> datetime:
    if not clock_file:
        return datetime.now(timezone.utc)
    try:
        with open(clock_file, encoding="utf-8") as fh:
            return parse_utc(fh.read())
    except (OSError, ValueError) as exc:
        raise ClockError(f"the pipeline schedules' clock file {clock_file} does not hold an ISO time: {exc}") from exc
