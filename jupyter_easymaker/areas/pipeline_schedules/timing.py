"""When a pipeline schedule fires: pure functions of its trigger, its anchor
(the start time, or its creation), the last period it started and "now".

Every time is an aware UTC datetime; there is no daylight saving in UTC, so a
period of one day is always 24 hours. A schedule fires at the times strictly
after its anchor: an interval trigger at ``anchor + k * every`` (k >= 1), a
cron trigger at the expression's matches (seconds first, as robfig/cron and
Kubeflow Pipelines read it). A period at exactly ``end_at`` still runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

UNITS: dict[str, timedelta] = {
    "minutes": timedelta(minutes=1),
    "hours": timedelta(hours=1),
    "days": timedelta(days=1),
    "weeks": timedelta(weeks=1),
}
CRON_FIELDS = ("seconds", "minutes", "hours", "day-of-month", "month", "day-of-week")
# robfig/cron's predefined schedules (croniter reads them too)
CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
FIVE_FIELD_HINT = "add the seconds field first, e.g. '0 */5 * * * *'"


class TriggerError(ValueError):
    """A trigger that cannot fire; the message says why (for the field that holds it)."""


# -- triggers -----------------------------------------------------------------------------
def check_cron(expression: str) -> str:
    """The expression, normalised (single spaces), or TriggerError naming what is wrong."""
    text = " ".join(expression.split())
    if not text:
        raise TriggerError("a cron expression is required")
    if text.startswith("@"):
        if text.lower() not in CRON_DESCRIPTORS:
            raise TriggerError(f"{text!r} is not one of {', '.join(CRON_DESCRIPTORS)}")
        text = text.lower()
    else:
        count = len(text.split(" "))
        if count == 5:
            raise TriggerError(f"{text!r} has 5 fields; a pipeline schedule's cron expression has 6 "
                               f"({' '.join(CRON_FIELDS)}): {FIVE_FIELD_HINT}")
        if count != 6:
            raise TriggerError(f"{text!r} has {count} fields; a cron expression has 6 separated by spaces "
                               f"({', '.join(CRON_FIELDS)})")
    from croniter import croniter
    from croniter.croniter import CroniterError

    try:
        croniter(text, datetime(2000, 1, 1, tzinfo=timezone.utc), second_at_beginning=True).get_next(datetime)
    except CroniterError as exc:
        reason = str(exc).split("]", 1)[-1].strip(" ,") if str(exc).startswith("[") else str(exc)
        if "failed to find" in reason:
            reason = "it never matches a date"
        raise TriggerError(f"{text!r} is not a valid cron expression: {reason}") from None
    except (ValueError, KeyError, IndexError) as exc:
        raise TriggerError(f"{text!r} is not a valid cron expression: {exc}") from None
    return text


def interval_step(trigger: Mapping[str, Any]) -> timedelta:
    every, unit = trigger.get("every"), trigger.get("unit")
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise TriggerError(f"every must be a whole number of at least 1, got {every!r}")
    if unit not in UNITS:
        raise TriggerError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
    return every * UNITS[unit]


def describe(trigger: Mapping[str, Any]) -> str:
    """'every 5 minutes' / "cron '0 0 * * * *'" (list views)."""
    if trigger.get("type") == "interval":
        every, unit = trigger["every"], trigger["unit"]
        return f"every {every} {unit[:-1] if every == 1 else unit}"
    return f"cron {trigger.get('expression')!r}"


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _cron(trigger: Mapping[str, Any], start: datetime) -> Any:
    from croniter import croniter

    return croniter(trigger["expression"], start, second_at_beginning=True)


def _cron_next(iterator: Any) -> datetime | None:
    from croniter.croniter import CroniterBadDateError

    try:
        return _utc(iterator.get_next(datetime))
    except CroniterBadDateError:  # no match within croniter's search window: the trigger is done
        return None


# -- fire times -----------------------------------------------------------------------------
def next_fire(trigger: Mapping[str, Any], anchor: datetime, after: datetime | None = None) -> datetime | None:
    """The first fire time strictly after ``after`` (and after the anchor)."""
    anchor = _utc(anchor)
    after = max(anchor, _utc(after)) if after is not None else anchor
    if trigger["type"] == "interval":
        step = interval_step(trigger)
        return anchor + ((after - anchor) // step + 1) * step
    return _cron_next(_cron(trigger, after))


def fire_times(trigger: Mapping[str, Any], anchor: datetime, after: datetime | None, until: datetime,
               limit: int) -> list[datetime]:
    """Fire times t with after < t <= until (and anchor < t), oldest first, at most ``limit``."""
    anchor, until = _utc(anchor), _utc(until)
    after = max(anchor, _utc(after)) if after is not None else anchor
    out: list[datetime] = []
    if limit <= 0 or until <= after:
        return out
    if trigger["type"] == "interval":
        step = interval_step(trigger)
        t = anchor + ((after - anchor) // step + 1) * step
        while t <= until and len(out) < limit:
            out.append(t)
            t += step
        return out
    iterator = _cron(trigger, after)
    while len(out) < limit:
        t = _cron_next(iterator)
        if t is None or t > until:
            break
        out.append(t)
    return out


def latest_fire(trigger: Mapping[str, Any], anchor: datetime, until: datetime) -> datetime | None:
    """The last fire time t with anchor < t <= until, or None."""
    anchor, until = _utc(anchor), _utc(until)
    if until <= anchor:
        return None
    if trigger["type"] == "interval":
        step = interval_step(trigger)
        k = (until - anchor) // step
        return anchor + k * step if k >= 1 else None
    from croniter.croniter import CroniterBadDateError

    # matches are whole seconds: the latest one before the next whole second is the latest one <= until
    ceiling = until.replace(microsecond=0) + timedelta(seconds=1)
    try:
        t = _utc(_cron(trigger, ceiling).get_prev(datetime))
    except CroniterBadDateError:
        return None
    return t if anchor < t <= until else None


def count_between(trigger: Mapping[str, Any], anchor: datetime, after: datetime | None, before: datetime,
                  cap: int = 1000) -> int:
    """How many fire times lie strictly between ``after`` and ``before``: the periods a schedule
    without catch-up leaves out (a cron trigger's are counted up to ``cap``)."""
    anchor, before = _utc(anchor), _utc(before)
    after = max(anchor, _utc(after)) if after is not None else anchor
    if before <= after:
        return 0
    if trigger["type"] == "interval":
        step = interval_step(trigger)
        first = (after - anchor) // step + 1  # index of the first fire time after `after`
        last = (before - anchor - timedelta(microseconds=1)) // step  # index of the last one before `before`
        return max(0, last - first + 1)
    return len(fire_times(trigger, anchor, after, before - timedelta(microseconds=1), cap))


# -- what one pass of the controller does --------------------------------------------------
@dataclass(frozen=True)
class Plan:
    due: tuple[datetime, ...]  # the periods to start now, oldest first
    skipped: int  # missed periods left out (catch-up off), up to the cap of count_between
    expired: bool  # the end time has passed and no period up to it is left to start
    next_at: datetime | None  # the period after the last one started (None: none before the end time)


def plan(trigger: Mapping[str, Any], *, anchor: datetime, last: datetime | None, now: datetime,
         end_at: datetime | None, catch_up: bool, slots: int) -> Plan:
    """The periods a schedule starts now.

    ``last``: the last period started (None: none yet); ``slots``: runs it may still start
    (max_concurrency minus its active runs). Catch-up on: every period since ``last`` up to now
    (but not after ``end_at``), oldest first, at most ``slots`` (the rest wait for a later pass).
    Catch-up off: only the latest such period; the earlier ones are skipped."""
    now = _utc(now)
    end = _utc(end_at) if end_at is not None else None
    horizon = min(now, end) if end is not None else now
    after = max(_utc(anchor), _utc(last)) if last is not None else _utc(anchor)
    skipped = 0
    if catch_up:
        due = fire_times(trigger, anchor, after, horizon, max(0, slots))
    else:
        latest = latest_fire(trigger, anchor, horizon)
        due = [latest] if latest is not None and latest > after and slots > 0 else []
        if due:
            skipped = count_between(trigger, anchor, after, latest)
    started = due[-1] if due else after
    upcoming = next_fire(trigger, anchor, started)
    if end is not None and upcoming is not None and upcoming > end:
        upcoming = None
    # after the end time, a period that is due but waits for a slot keeps the schedule going
    expired = end is not None and now >= end and upcoming is None
    return Plan(tuple(due), skipped, expired, upcoming)


# -- the 5-field cron of a Kubernetes CronJob -------------------------------------------------
class ClusterTriggerError(TriggerError):
    """A trigger a Kubernetes CronJob cannot express; ``field`` names the part at fault."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def cronjob_schedule(trigger: Mapping[str, Any], anchor: datetime) -> str:
    """The trigger as a CronJob's 5-field schedule, read in UTC.

    A cron trigger drops its seconds field, which must be ``0`` (a CronJob fires on whole
    minutes). An interval trigger fires on the anchor's minute (its seconds dropped):
    every N minutes with N dividing 60, every N hours with N dividing 24, every day
    or every week; other intervals cannot be written as a cron and are refused."""
    if trigger.get("type") == "cron":
        text = " ".join(str(trigger.get("expression") or "").split())
        if text.startswith("@"):
            return text.lower()
        seconds, *rest = text.split(" ")
        if seconds not in ("0", "00"):
            raise ClusterTriggerError(
                f"{text!r} fires at second {seconds!r}: on Kubernetes a schedule is a CronJob, which fires on whole "
                "minutes; use 0 as the seconds field", "trigger.expression")
        return " ".join(rest)
    step, anchor = interval_step(trigger), _utc(anchor)
    every, unit = trigger["every"], trigger["unit"]
    minute, hour = anchor.minute, anchor.hour
    if unit == "minutes" and 60 % every == 0:
        return "* * * * *" if every == 1 else f"{minute % every}/{every} * * * *"
    if unit == "hours" and 24 % every == 0:
        return f"{minute} * * * *" if every == 1 else f"{minute} {hour % every}/{every} * * *"
    if step == timedelta(days=1):
        return f"{minute} {hour} * * *"
    if step == timedelta(weeks=1):
        return f"{minute} {hour} * * {(anchor.weekday() + 1) % 7}"
    raise ClusterTriggerError(
        f"every {every} {unit} cannot be written as a cron schedule: on Kubernetes a schedule is a CronJob; use a "
        "number of minutes that divides 60, of hours that divides 24, 1 day, 1 week, or a cron trigger",
        "trigger.every")
