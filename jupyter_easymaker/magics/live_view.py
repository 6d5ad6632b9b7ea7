"""The frame every live job view shares: a header (name, status badge, a
line of details) with a Stop button, the family's own parts, a notice line,
and a background thread that polls the family's watcher until the job has
ended. Imported only when a view is shown (it loads ipywidgets)."""
from __future__ import annotations

import html
import threading
import time
from typing import Any

import ipywidgets as widgets

from jupyter_easymaker.magics.widgets import badge

ERROR_STYLE = "color:#e53935"


def log_box(text: str, empty: str) -> str:
    """A scrolled log tail; column-reverse keeps the scroll at the newest line."""
    return ('<div style="max-height:240px;overflow-y:auto;display:flex;flex-direction:column-reverse;'
            'border:1px solid #e0e0e0;border-radius:4px;background:#fafafa">'
            f'<pre class="easymaker-log" style="margin:0;padding:4px 8px;font-size:11px;white-space:pre-wrap">'
            f'{html.escape(text) or empty}</pre></div>')


class LiveJobView(widgets.VBox):
    """Subclasses give ``parts`` (their widgets under the header), draw them in
    ``render()`` and ask for the stop in ``request_stop()``. The watcher has
    ``poll()``, ``done`` and ``ref``."""

    noun = "job"

    def __init__(self, client: Any, watcher: Any, parts: list[Any], *, poll: float = 1.0, start: bool = True,
                 **kwargs: Any):
        self.client = client
        self.watcher = watcher
        self.poll_seconds = poll
        self.header_html = widgets.HTML()
        self.stop_button = widgets.Button(description="Stop", icon="stop", button_style="warning",
                                          tooltip=f"Stop this {self.noun}")
        self.stop_button.on_click(self._on_stop)
        self.notice_html = widgets.HTML()
        top = widgets.HBox([self.header_html, self.stop_button],
                           layout=widgets.Layout(justify_content="space-between", align_items="center"))
        super().__init__([top, *parts, self.notice_html], **kwargs)
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"easymaker-{self.noun.replace(' ', '-')}-view",
                                        daemon=True)
        self.refresh()
        if start:
            self._thread.start()

    # -- what a family gives -----------------------------------------------------
    def render(self) -> None:
        raise NotImplementedError

    def request_stop(self) -> None:
        raise NotImplementedError

    def current(self) -> dict | None:
        """The job as last seen."""
        raise NotImplementedError

    # -- state --------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.watcher.done

    def refresh(self) -> None:
        """Poll once and redraw; errors are shown, not raised."""
        with self._lock:
            try:
                self.watcher.poll()
            except Exception as exc:  # noqa: BLE001 - a hiccup of the server must not kill the view
                self.notice_html.value = f'<span style="{ERROR_STYLE}">{html.escape(str(exc))}</span>'
                if getattr(exc, "status", None) == 404:  # deleted meanwhile: nothing more to follow
                    self._halt.set()
                return
            self.stop_button.layout.display = "none" if self.done else ""
            self.render()

    def _run(self) -> None:
        while not self.done and not self._halt.wait(self.poll_seconds):
            self.refresh()

    def wait(self, timeout: float | None = None) -> dict | None:
        """Block until the view has seen a final status; answer the job."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        elif not self.done and not self._halt.is_set():
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self.done and (deadline is None or time.monotonic() < deadline):
                time.sleep(self.poll_seconds)
                self.refresh()
        return self.current()

    def stop_updates(self) -> None:
        self._halt.set()

    def close(self) -> None:
        self._halt.set()
        super().close()

    # -- drawing ------------------------------------------------------------------
    def draw_header(self, job: dict, details: list[str]) -> None:
        """Name, badge, details joined by a dot, and the reason unless it runs or is complete."""
        status = job.get("status", "")
        reason = job.get("status_reason") or ""
        extra = (f' <span style="color:#757575;font-size:11px">{html.escape(reason)}</span>'
                 if reason and status not in ("RUNNING", "COMPLETE") else "")
        self.header_html.value = (
            f'<div style="display:flex;gap:8px;align-items:center"><b>{html.escape(job.get("name", ""))}</b> {badge(status)}'
            f'<span style="color:#616161;font-size:12px">{" · ".join(html.escape(d) for d in details)}</span>{extra}</div>'
        )

    def _on_stop(self, _button: Any) -> None:
        self.stop_button.disabled = True
        try:
            self.request_stop()
        except Exception as exc:  # noqa: BLE001 - say why, keep the view alive
            self.notice_html.value = f'<span style="{ERROR_STYLE}">stop failed: {html.escape(str(exc))}</span>'
            self.stop_button.disabled = False
            return
        self.notice_html.value = '<span style="color:#fb8c00">stop requested</span>'
        self.refresh()
