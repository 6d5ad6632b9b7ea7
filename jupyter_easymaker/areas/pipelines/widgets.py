"""The live ipywidgets view of one pipeline run: its status, each task as a
coloured row of the progress graph (nested DAGs indented under their group),
a task's log on click, and a Stop button. Imported only when a widget is
shown, so ``%load_ext jupyter_easymaker`` and the line magics stay fast."""
from __future__ import annotations

import html
import threading
import time
from typing import Any

import ipywidgets as widgets

from jupyter_easymaker.areas.pipelines.watch import (
    TASK_COLORS,
    RunWatcher,
    outputs_text,
)
from jupyter_easymaker.magics.formatting import format_elapsed
from jupyter_easymaker.magics.widgets import badge

LOG_TAIL = 200


def task_chip(state: str) -> str:
    bg, fg = TASK_COLORS.get(state, ("#eeeeee", "#424242"))
    return (f'<span style="background:{bg};color:{fg};padding:0 6px;border-radius:8px;font-size:11px;'
            f'font-weight:600">{html.escape(state)}</span>')


class PipelineRunView(widgets.VBox):
    """Refreshed by a background thread every ``poll`` seconds until the run has ended."""

    def __init__(self, client: Any, ref: Any, *, poll: float = 1.0, start: bool = True, **kwargs: Any):
        self.watcher = RunWatcher(client, ref)
        self.client = client
        self.poll_seconds = poll
        self.header_html = widgets.HTML()
        self.stop_button = widgets.Button(description="Stop", icon="stop", button_style="warning", tooltip="Stop this pipeline run")
        self.stop_button.on_click(self._on_stop)
        self.tasks_html = widgets.HTML()
        self.task_picker = widgets.Dropdown(description="Task log", options=[], layout=widgets.Layout(width="60%"))
        self.task_picker.observe(self._on_pick, names="value")
        self.log_html = widgets.HTML()
        self.notice_html = widgets.HTML()
        top = widgets.HBox([self.header_html, self.stop_button],
                           layout=widgets.Layout(justify_content="space-between", align_items="center"))
        super().__init__([top, self.tasks_html, self.task_picker, self.log_html, self.notice_html], **kwargs)
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="easymaker-pipeline-run-view", daemon=True)
        self.refresh()
        if start:
            self._thread.start()

    @property
    def run(self) -> dict | None:
        return self.watcher.run

    @property
    def done(self) -> bool:
        return self.watcher.done

    def refresh(self) -> None:
        """Poll once and redraw; errors are shown, not raised."""
        with self._lock:
            try:
                self.watcher.poll()
            except Exception as exc:  # noqa: BLE001 - a hiccup of the server must not kill the view
                self.notice_html.value = f'<span style="color:#e53935">{html.escape(str(exc))}</span>'
                if getattr(exc, "status", None) == 404:  # deleted meanwhile
                    self._halt.set()
                return
            self._render()
            if self.task_picker.value:
                self._show_log(self.task_picker.value)

    def _run(self) -> None:
        while not self.done and not self._halt.wait(self.poll_seconds):
            self.refresh()

    def wait(self, timeout: float | None = None) -> dict | None:
        """Block until the view has seen a final status; answer the run."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        elif not self.done and not self._halt.is_set():
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self.done and (deadline is None or time.monotonic() < deadline):
                time.sleep(self.poll_seconds)
                self.refresh()
        return self.run

    def close(self) -> None:
        self._halt.set()
        super().close()

    # -- drawing ------------------------------------------------------------------
    def _render(self) -> None:
        run = self.watcher.run or {}
        status = run.get("status", "")
        reason = run.get("status_reason") or ""
        extra = (f' <span style="color:#757575;font-size:11px">{html.escape(reason)}</span>'
                 if reason and status not in ("RUNNING", "COMPLETE") else "")
        self.header_html.value = (
            f'<div style="display:flex;gap:8px;align-items:center"><b>{html.escape(run.get("name", ""))}</b> {badge(status)}'
            f'<span style="color:#616161;font-size:12px">pipeline {html.escape(str(run.get("pipeline_name") or ""))}'
            f' · elapsed {format_elapsed(run.get("elapsed_seconds"))}'
            f' · experiment {html.escape(str(run.get("experiment_name") or ""))}</span>{extra}</div>'
        )
        self.stop_button.layout.display = "none" if self.done else ""
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
        text = html.escape("\n".join(answer[-LOG_TAIL:]))
        self.log_html.value = (
            '<div style="max-height:240px;overflow-y:auto;display:flex;flex-direction:column-reverse;'
            'border:1px solid #e0e0e0;border-radius:4px;background:#fafafa">'
            f'<pre style="margin:0;padding:4px 8px;font-size:11px;white-space:pre-wrap">{text or "(no log lines)"}</pre></div>')

    def _on_stop(self, _button: Any) -> None:
        self.stop_button.disabled = True
        try:
            self.client.stop_pipeline_run(self.watcher.ref)
        except Exception as exc:  # noqa: BLE001 - say why, keep the view alive
            self.notice_html.value = f'<span style="color:#e53935">stop failed: {html.escape(str(exc))}</span>'
            self.stop_button.disabled = False
            return
        self.notice_html.value = '<span style="color:#fb8c00">stop requested</span>'
        self.refresh()
