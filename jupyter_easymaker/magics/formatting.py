"""What the commands' text output shares: tables, times, metric values and
sparklines, and results shown as one line. Standard library only."""
from __future__ import annotations

import sys
from typing import Any

SPARK = "▁▂▃▄▅▆▇█"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


def created(value: Any) -> str:
    """A resource's ``created_at`` as ``YYYY-mm-dd HH:MM:SS``."""
    return str(value or "")[:19].replace("T", " ")


def format_elapsed(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def sparkline(values: list[float], width: int = 24) -> str:
    values = [v for v in values[-width:] if v == v]  # drop NaN
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARK[3] * len(values)
    return "".join(SPARK[int((v - low) / (high - low) * (len(SPARK) - 1))] for v in values)


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def metric_summary(metrics: list[dict]) -> str:
    """'loss=0.25 acc=0.9' from the metrics answer's series."""
    return " ".join(f"{m['name']}={format_value(m.get('last') if m.get('last') is not None else (m.get('values') or [None])[-1])}" for m in metrics)


def write_line(text: str) -> None:
    """Print one line of a follower's output at once (a job's log must not wait in a buffer)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class OneLine(dict):
    """A resource dict that the notebook shows as the one line of ``summary()``
    instead of the whole spec."""

    def summary(self) -> str:
        raise NotImplementedError

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.summary())
