"""The pipeline schedule methods of :class:`jupyter_easymaker.client.Client` (a
mixin: standard library only, like the client)."""
from __future__ import annotations

import datetime as _dt
from typing import Any

from jupyter_easymaker.areas.pipeline_schedules.statuses import PIPELINE_SCHEDULE_MACHINE
from jupyter_easymaker.client.common import Page, _experiment_fields, _params_body, _ref, settled

__all__ = ["PipelineSchedulesClient", "FINAL_PIPELINE_SCHEDULE_STATUSES"]

# a schedule stays in these until someone acts (ENABLED keeps starting runs, but its status holds)
FINAL_PIPELINE_SCHEDULE_STATUSES = settled(PIPELINE_SCHEDULE_MACHINE)
UNITS = ("minutes", "hours", "days", "weeks")


def parse_every(text: str) -> dict[str, Any]:
    """'5 minutes' / '1 hour' / '2d' / '30m' -> an interval trigger."""
    raw = text.strip().lower().replace(" ", "")
    digits = "".join(c for c in raw if c.isdigit())
    unit = raw[len(digits):]
    if not digits or not raw.startswith(digits):
        raise ValueError(f"an interval is a number and a unit ({', '.join(UNITS)}), got {text!r}")
    for full in UNITS:
        if unit and (full.startswith(unit) or full.rstrip("s") == unit):
            return {"type": "interval", "every": int(digits), "unit": full}
    raise ValueError(f"an interval is a number and a unit ({', '.join(UNITS)}), got {text!r}")


def schedule_body(body: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A create body from keyword arguments: ``pipeline=`` (name, id or dict), ``experiment=``
    (an id, or a name created when missing), ``every=`` ('5 minutes', or a number with
    ``unit=``), ``cron=`` (6 fields, seconds first), ``start_at`` / ``end_at`` as datetimes."""
    out = {**(body or {}), **fields}
    if "pipeline" in out:
        pipeline = out.pop("pipeline")
        out["pipeline_name"] = pipeline.get("name") if isinstance(pipeline, dict) else str(pipeline)
    if "every" in out:
        every, unit = out.pop("every"), out.pop("unit", None)
        out["trigger"] = parse_every(every) if isinstance(every, str) and unit is None else \
            {"type": "interval", "every": every, "unit": unit or "minutes"}
    if "cron" in out:
        out["trigger"] = {"type": "cron", "expression": out.pop("cron")}
    for key in ("start_at", "end_at"):
        value = out.get(key)
        if isinstance(value, _dt.datetime):
            out[key] = (value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)).isoformat()
    return _experiment_fields(out)


class PipelineSchedulesClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page`` and ``_wait``."""

    def create_pipeline_schedule(self, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Create a schedule. Fields are those of ``PipelineScheduleCreate``: ``name``,
        ``pipeline_name``, ``experiment_name`` / ``experiment_id``, ``parameters``, the run's
        instance fields, ``trigger`` ({"type": "interval", "every", "unit"} or {"type": "cron",
        "expression"}), ``max_concurrency``, ``start_at``, ``end_at``, ``catch_up``; the
        shorthands ``pipeline=``, ``experiment=``, ``every=`` and ``cron=`` (see :func:`schedule_body`)."""
        return self.request("POST", "pipeline-schedules", schedule_body(body, **fields))

    def list_pipeline_schedules(self, *, pipeline: str | None = None, status: str | list[str] | None = None,
                                name: str | None = None, sort: str | None = None, offset: int = 0, limit: int = 50) -> Page:
        return self._page("pipeline-schedules", pipeline_name=pipeline, status=status, name=name, sort=sort,
                          offset=offset, limit=limit)

    def get_pipeline_schedule(self, ref: Any) -> dict:
        return self._get(f"pipeline-schedules/{_ref(ref)}")

    def update_pipeline_schedule(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        return self.request("PATCH", f"pipeline-schedules/{_ref(ref)}", _params_body(name=name, description=description))

    def enable_pipeline_schedule(self, ref: Any) -> dict:
        """Start a disabled schedule (missed periods are caught up when its catch-up is on)."""
        return self.request("POST", f"pipeline-schedules/{_ref(ref)}/enable")

    def disable_pipeline_schedule(self, ref: Any) -> dict:
        return self.request("POST", f"pipeline-schedules/{_ref(ref)}/disable")

    def copy_pipeline_schedule(self, ref: Any, name: str | None = None, description: str | None = None) -> dict:
        """A new schedule with this one's settings (``name`` defaults to <name>-copy)."""
        return self.request("POST", f"pipeline-schedules/{_ref(ref)}/copy", _params_body(name=name, description=description))

    def delete_pipeline_schedule(self, ref: Any) -> None:
        """Refused (409) while one of its runs is in progress."""
        self.request("DELETE", f"pipeline-schedules/{_ref(ref)}")

    def pipeline_schedule_runs(self, ref: Any, limit: int | None = None) -> list[dict]:
        """The runs the schedule started, newest first."""
        return self._get(f"pipeline-schedules/{_ref(ref)}/runs", limit=limit)["items"]

    def wait_pipeline_schedule(self, ref: Any, timeout: float | None = 60.0, poll: float = 0.2) -> dict:
        """Block until the schedule is created (ENABLED, or CREATE FAILED); answer it."""
        return self._wait(f"pipeline-schedules/{_ref(ref)}", FINAL_PIPELINE_SCHEDULE_STATUSES, "pipeline schedule",
                          timeout, poll)
