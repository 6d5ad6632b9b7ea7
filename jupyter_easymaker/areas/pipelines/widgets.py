"""The live ipywidgets view of one pipeline run: its status, each task as a
coloured row of the progress graph (nested DAGs indented under their group),
a task's log on click, and a Stop button. Imported only when a widget is
shown, so ``%load_ext jupyter_easymaker`` and the line magics stay fast."""
from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from jupyter_easymaker.areas.pipelines.watch import (
    TASK_COLORS,
    RunWatcher,
    outputs_text,
)
from jupyter_easymaker.magics.formatting import format_elapsed
from jupyter_easymaker.magics.live_view import LiveJobView, log_box

LOG_TAIL = 200


def task_chip(state: str) -> str:
    bg, fg = TASK_COLORS.get(state, ("#eeeeee", "#424242"))
    return (f'<span style="background:{bg};color:{fg};padding:0 6px;border-radius:8px;font-size:11px;'
            f'font-weight:600">{html.escape(state)}</span>')


class PipelineRunView(LiveJobView):
    """Refreshed by a background thread every ``poll`` seconds until the run has ended."""

    noun = "pipeline run"

    def __init__(self, client: Any, ref: Any, *, poll: float = 1.0, start: bool = True, **kwargs: Any):
        self.tasks_html = widgets.HTML()
        self.task_picker = widgets.Dropdown(description="Task log", options=[], layout=widgets.Layout(width="60%"))
        self.task_picker.observe(self._on_pick, names="value")
        self.log_html = widgets.HTML()
        super().__init__(client, RunWatcher(client, ref), [self.tasks_html, self.task_picker, self.log_html],
                         poll=poll, start=start, **kwargs)

    @property
    def run(self) -> dict | None:
        return self.watcher.run

    def current(self) -> dict | None:
        return self.run

    def request_stop(self) -> None:
        self.client.stop_pipeline_run(self.watcher.ref)

    # -- drawing ------------------------------------------------------------------
    def render(self) -> None:
        run = self.watcher.run or {}
        self.draw_header(run, [f"pipeline {run.get('pipeline_name') or ''}",
                               f"elapsed {format_elapsed(run.get('elapsed_seconds'))}",
                               f"experiment {run.get('experiment_name') or ''}"])
        rows = []
        for task in sorted(self.watcher.tasks, key=lambda t: t["task_id"]):
            indent = 16 * task["task_id"].count("/")
            shown = outputs_text(task.get("outputs")) if task["state"] in ("SUCCEEDED", "CACHED") else ""
            error = (task.get("error") or "").strip().splitlines()[-1:] if task["state"] == "FAILED" else []
            detail = html.escape(shown or (error[0] if error else ""))
            rows.append(
                f'<tr><td style="padding:1px 12px 1px {indent}px"><code>{html.escape(task["name"])}</code></td>'
                f'<td style="padding-right:12px">{task_chip(task["state"])}</td>'
                f'<td style="color:#616161;font-size:11px;max-width:480px;overflow:hidden;text-overflow:ellipsis;'
                f'white-space:nowrap">{detail}</td></tr>')
        self.tasks_html.value = (f'<table style="font-size:12px">{"".join(rows)}</table>' if rows
                                 else '<span style="color:#9e9e9e;font-size:12px">(no task has started yet)</span>')
        ids = [t["task_id"] for t in self.watcher.tasks]
        if ids != [value for _label, value in self.task_picker.options if value]:
            keep = self.task_picker.value
            self.task_picker.options = [("", ""), *[(i, i) for i in ids]]
            self.task_picker.value = keep if keep in ids else ""
        if self.task_picker.value:
            self._show_log(self.task_picker.value)

    def _on_pick(self, change: dict) -> None:
        if change.get("new"):
            self._show_log(change["new"])
        else:
            self.log_html.value = ""

    def _show_log(self, task_id: str) -> None:
        try:
            answer = self.client.pipeline_task_logs(self.watcher.ref, task_id, limit=10_000)
        except Exception as exc:  # noqa: BLE001 - show it, keep the view
            self.log_html.value = f'<span style="color:#e53935">{html.escape(str(exc))}</span>'
            return
        self.log_html.value = log_box("\n".join(answer[-LOG_TAIL:]), "(no log lines)")
