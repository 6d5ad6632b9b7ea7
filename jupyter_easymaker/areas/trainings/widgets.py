"""The live ipywidgets view of one training. Imported only when a widget is
shown, so ``%load_ext jupyter_easymaker`` and the line magics stay fast."""
from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from jupyter_easymaker.areas.trainings.watch import TrainingWatcher
from jupyter_easymaker.magics.formatting import format_elapsed, format_value, sparkline
from jupyter_easymaker.magics.live_view import LiveJobView, log_box


class TrainingView(LiveJobView):
    """Name, status badge, elapsed time, latest metrics (with sparklines), a
    log tail and a Stop button; refreshed by a background thread every
    ``poll`` seconds until the training reaches a final status."""

    noun = "training"

    def __init__(self, client: Any, ref: Any, *, poll: float = 1.0, max_lines: int = 200, start: bool = True, **kwargs: Any):
        self.metrics_html = widgets.HTML()
        self.logs_html = widgets.HTML()
        super().__init__(client, TrainingWatcher(client, ref, max_lines=max_lines), [self.metrics_html, self.logs_html],
                         poll=poll, start=start, **kwargs)

    @property
    def training(self) -> dict | None:
        return self.watcher.training

    def current(self) -> dict | None:
        return self.training

    def request_stop(self) -> None:
        self.client.stop_training(self.watcher.ref)

    def render(self) -> None:
        t = self.watcher.training or {}
        self.draw_header(t, [f"elapsed {format_elapsed(t.get('elapsed_seconds'))}",
                             f"experiment {t.get('experiment_name') or t.get('experiment_id') or ''}"])
        rows = "".join(
            f'<tr><td style="padding-right:12px"><code>{html.escape(m["name"])}</code></td>'
            f'<td style="padding-right:12px;text-align:right">{html.escape(format_value(m.get("last")))}</td>'
            f'<td style="font-family:monospace;color:#1e88e5">{sparkline(m.get("values") or [])}</td>'
            f'<td style="color:#9e9e9e;padding-left:8px">{len(m.get("values") or [])} pts</td></tr>'
            for m in self.watcher.metrics
        )
        self.metrics_html.value = f'<table style="font-size:12px">{rows}</table>' if rows else ""
        self.logs_html.value = log_box("\n".join(self.watcher.lines), "(no log lines yet)")
