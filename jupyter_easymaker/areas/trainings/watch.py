"""Following one training: its status, new log lines and metrics, polled; and
the plain-text view of it. Shared by ``%%easymaker train`` and the live
widget (``widgets.py``), so no ipywidgets here."""
from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable

from jupyter_easymaker.areas.trainings.client import FINAL_TRAINING_STATUSES
from jupyter_easymaker.magics.formatting import (
    format_elapsed,
    metric_summary,
    write_line,
)

LOG_PAGE = 1000


class TrainingWatcher:
    """Polls one training; keeps its latest state, the last log lines and metrics."""

    def __init__(self, client: Any, ref: Any, max_lines: int = 200, metrics_every: float = 2.0):
        self.client = client
        self.ref = ref["id"] if isinstance(ref, dict) else ref
        self.training: dict | None = ref if isinstance(ref, dict) else None
        self.lines: deque[str] = deque(maxlen=max_lines)
        self.after = 0
        self.metrics: list[dict] = []
        self.metrics_every = metrics_every
        self._metrics_at = 0.0

    @property
    def status(self) -> str:
        return self.training["status"] if self.training else ""

    @property
    def done(self) -> bool:
        return self.status in FINAL_TRAINING_STATUSES

    def poll(self) -> tuple[bool, list[str]]:
        """One round: ``(status changed, new log lines)``. The status is read
        before the logs, so once it is final every line has been read too."""
        before = self.status
        self.training = self.client.get_training(self.ref)
        self.ref = self.training["id"]
        new: list[str] = []
        while True:
            page = self.client.training_logs(self.ref, after=self.after, limit=LOG_PAGE)
            records = page.get("records") or []
            new.extend(str(r.get("body", "")) for r in records)
            self.after = page.get("next_after") or self.after
            if len(records) < LOG_PAGE:
                break
        self.lines.extend(new)
        now = time.monotonic()
        if new or self.done or now - self._metrics_at >= self.metrics_every:
            self.metrics = self.client.metrics(self.ref).get("metrics") or []
            self._metrics_at = now
        return self.status != before, new

    def summary(self) -> str:
        t = self.training or {}
        text = f"training {t.get('name', self.ref)}: {t.get('status', '?')}"
        if t.get("status_reason") and t.get("status") not in ("COMPLETE", "RUNNING"):
            text += f" ({t['status_reason']})"
        if t.get("elapsed_seconds") is not None:
            text += f", elapsed {format_elapsed(t['elapsed_seconds'])}"
        if self.metrics:
            text += f"; {metric_summary(self.metrics)}"
        return text


def follow_text(watcher: TrainingWatcher, poll: float = 1.0, write: Callable[[str], Any] | None = None, timeout: float | None = None) -> dict:
    """The plain-text view: status changes and log lines as they come, until the
    training ends; answers the final training."""
    write = write or write_line
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        changed, new = watcher.poll()
        if changed:
            write(f"[{format_elapsed(watcher.training.get('elapsed_seconds') or 0)}] {watcher.status}")
        for line in new:
            write(line)
        if watcher.done:
            write(watcher.summary())
            return watcher.training
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"training {watcher.training['name']!r} is still {watcher.status}")
        time.sleep(poll)
