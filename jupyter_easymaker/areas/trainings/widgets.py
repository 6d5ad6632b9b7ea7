"""The live ipywidgets view of one training. Imported only when a widget is
shown, so ``%load_ext jupyter_easymaker`` and the line magics stay fast."""
from __future__ import annotations

import html
import threading
import time
from typing import Any

import ipywidgets as widgets

from jupyter_easymaker.areas.trainings.watch import TrainingWatcher
from jupyter_easymaker.magics.formatting import format_elapsed, format_value, sparkline
from jupyter_easymaker.magics.widgets import badge


class TrainingView(widgets.VBox):
    """Name, status badge, elapsed time, latest metrics (with sparklines), a
    log tail and a Stop button; refreshed by a background thread every
    ``poll`` seconds until the training reaches a final status."""

    def __init__(self, client: Any, ref: Any, *, poll: float = 1.0, max_lines: int = 200, start: bool = True, **kwargs: Any):
        self.watcher = TrainingWatcher(client, ref, max_lines=max_lines)
        self.client = client
        self.poll_seconds = poll
        self.header_html = widgets.HTML()
        self.stop_button = widgets.Button(description="Stop", icon="stop", button_style="warning", tooltip="Stop this training")
        self.stop_button.on_click(self._on_stop)
        self.metrics_html = widgets.HTML()
        self.logs_html = widgets.HTML()
        self.notice_html = widgets.HTML()
        top = widgets.HBox([self.header_html, self.stop_button], layout=widgets.Layout(justify_content="space-between", align_items="center"))
        super().__init__([top, self.metrics_html, self.logs_html, self.notice_html], **kwargs)
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="easymaker-training-view", daemon=True)
        self.refresh()
        if start:
            self._thread.start()

    # -- state --------------------------------------------------------------------
    @property
    def training(self) -> dict | None:
        return self.watcher.training

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
                if getattr(exc, "status", None) == 404:  # deleted meanwhile: nothing more to follow
                    self._halt.set()
                return
            self._render()

    def _run(self) -> None:
        while not self.done and not self._halt.wait(self.poll_seconds):
            self.refresh()

    def wait(self, timeout: float | None = None) -> dict | None:
        """Block until the view has seen a final status; answer the training."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        elif not self.done and not self._halt.is_set():
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self.done and (deadline is None or time.monotonic() < deadline):
                time.sleep(self.poll_seconds)
                self.refresh()
        return self.training

    def stop_updates(self) -> None:
        self._halt.set()

    def close(self) -> None:
        self._halt.set()
        super().close()

    # -- drawing ------------------------------------------------------------------
    def _render(self) -> None:
        t = self.watcher.training or {}
        status = t.get("status", "")
        reason = t.get("status_reason") or ""
        extra = f' <span style="color:#757575;font-size:11px">{html.escape(reason)}</span>' if reason and status not in ("RUNNING", "COMPLETE") else ""
        self.header_html.value = (
            f'<div style="display:flex;gap:8px;align-items:center"><b>{html.escape(t.get("name", ""))}</b> {badge(status)}'
            f'<span style="color:#616161;font-size:12px">elapsed {format_elapsed(t.get("elapsed_seconds"))}'
            f' · experiment {html.escape(str(t.get("experiment_name") or t.get("experiment_id") or ""))}</span>{extra}</div>'
        )
        self.stop_button.layout.display = "none" if self.done else ""
        rows = "".join(
            f'<tr><td style="padding-right:12px"><code>{html.escape(m["name"])}</code></td>'
            f'<td style="padding-right:12px;text-align:right">{html.escape(format_value(m.get("last")))}</td>'
            f'<td style="font-family:monospace;color:#1e88e5">{sparkline(m.get("values") or [])}</td>'
            f'<td style="color:#9e9e9e;padding-left:8px">{len(m.get("values") or [])} pts</td></tr>'
            for m in self.watcher.metrics
        )
        self.metrics_html.value = f'<table style="font-size:12px">{rows}</table>' if rows else ""
        text = html.escape("\n".join(self.watcher.lines))
        # column-reverse keeps the scroll position at the newest line
        self.logs_html.value = (
            '<div style="max-height:240px;overflow-y:auto;display:flex;flex-direction:column-reverse;'
            'border:1px solid #e0e0e0;border-radius:4px;background:#fafafa">'
            f'<pre class="easymaker-log" style="margin:0;padding:4px 8px;font-size:11px;white-space:pre-wrap">{text or "(no log lines yet)"}</pre></div>'
        )

    def _on_stop(self, _button: Any) -> None:
        self.stop_button.disabled = True
        try:
            self.client.stop_training(self.watcher.ref)
        except Exception as exc:  # noqa: BLE001 - say why, keep the view alive
            self.notice_html.value = f'<span style="color:#e53935">stop failed: {html.escape(str(exc))}</span>'
            self.stop_button.disabled = False
            return
        self.notice_html.value = '<span style="color:#fb8c00">stop requested</span>'
        self.refresh()
