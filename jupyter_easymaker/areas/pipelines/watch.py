"""Following one pipeline run: its status and its tasks' states, polled; and the
plain-text view of it. Shared by ``%easymaker pipeline run`` and the live
widget (``widgets.py``), so no ipywidgets here."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from jupyter_easymaker.areas.pipelines.client import FINAL_PIPELINE_RUN_STATUSES
from jupyter_easymaker.magics.formatting import format_elapsed, write_line

# the progress graph's colours of a task state (background, text)
TASK_COLORS = {
    "PENDING": ("#eeeeee", "#616161"), "RUNNING": ("#e3f2fd", "#1565c0"), "SUCCEEDED": ("#e8f5e9", "#2e7d32"),
    "CACHED": ("#f1f8e9", "#558b2f"), "SKIPPED": ("#f5f5f5", "#9e9e9e"), "FAILED": ("#ffebee", "#c62828"),
    "CANCELED": ("#fff3e0", "#ef6c00"),
}
MAX_SHOWN = 2000  # characters of a task's outputs in one line


def outputs_text(outputs: dict | None) -> str:
    """A task's output parameters (artifacts by their names), short."""
    outputs = outputs or {}
    params = outputs.get("parameters") if isinstance(outputs.get("parameters"), dict) else None
    shown: dict[str, Any] = dict(params) if params is not None else {k: v for k, v in outputs.items() if k != "artifacts"}
    artifacts = outputs.get("artifacts")
    if isinstance(artifacts, dict) and artifacts:
        shown.update({name: "<artifact>" for name in artifacts})
    if not shown:
        return ""
    text = json.dumps(shown, default=str)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def depth(task: dict) -> int:
    return task["task_id"].count("/")


class RunWatcher:
    """Polls one run and its tasks; says which tasks changed since the last poll."""

    def __init__(self, client: Any, ref: Any):
        self.client = client
        self.ref = ref["id"] if isinstance(ref, dict) else ref
        self.run: dict | None = ref if isinstance(ref, dict) else None
        self.tasks: list[dict] = []
        self._states: dict[str, tuple[str, int]] = {}

    @property
    def status(self) -> str:
        return self.run["status"] if self.run else ""

    @property
    def done(self) -> bool:
        return self.status in FINAL_PIPELINE_RUN_STATUSES

    def poll(self) -> tuple[bool, list[dict]]:
        """One round: ``(status changed, tasks whose state changed)``. The run is read
        before its tasks, so once it is final every task state has been read too."""
        before = self.status
        self.run = self.client.get_pipeline_run(self.ref)
        self.ref = self.run["id"]
        self.tasks = self.client.pipeline_run_tasks(self.ref)
        changed = []
        for task in self.tasks:
            key = (task["state"], task["attempt"])
            if self._states.get(task["task_id"]) != key:
                self._states[task["task_id"]] = key
                changed.append(task)
        return self.status != before, changed

    def summary(self) -> str:
        run = self.run or {}
        counts = (run.get("tasks") or {}).get("by_state") or {}
        text = f"pipeline run {run.get('name', self.ref)}: {run.get('status', '?')}"
        if run.get("status_reason") and run.get("status") not in ("COMPLETE", "RUNNING"):
            text += f" ({run['status_reason']})"
        if counts:
            text += "; tasks " + ", ".join(f"{n} {state.lower()}" for state, n in sorted(counts.items()))
        if run.get("elapsed_seconds") is not None:
            text += f", elapsed {format_elapsed(run['elapsed_seconds'])}"
        return text


def task_line(task: dict) -> str:
    line = f"  task {task['task_id']}: {task['state']}"
    if task.get("attempt", 1) > 1:
        line += f" (attempt {task['attempt']})"
    shown = outputs_text(task.get("outputs"))
    if shown and task["state"] in ("SUCCEEDED", "CACHED"):
        line += f" -> {shown}"
    if task.get("error") and task["state"] == "FAILED":
        line += f": {task['error'].strip().splitlines()[-1] if task['error'].strip() else ''}"
    return line


def follow_text(watcher: RunWatcher, poll: float = 0.5, write: Callable[[str], Any] | None = None,
                timeout: float | None = None) -> dict:
    """The plain-text view: status changes and task state changes as they come, until the
    run ends; answers the final run."""
    write = write or write_line
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        changed, tasks = watcher.poll()
        if changed:
            write(f"[{format_elapsed(watcher.run.get('elapsed_seconds') or 0)}] {watcher.status}")
        for task in tasks:
            write(task_line(task))
        if watcher.done:
            write(watcher.summary())
            return watcher.run
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"pipeline run {watcher.run['name']!r} is still {watcher.status}")
        time.sleep(poll)
