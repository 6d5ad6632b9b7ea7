"""What the families' live views share: the status badge in the panels'
colours. The views themselves (``TrainingView``, the tuning and batch views)
are their families' own and load ipywidgets only when one is shown."""
from __future__ import annotations

import html

from jupyter_easymaker.status_colors import DEFAULT_COLOR, STATUS_COLORS


def badge(status: str) -> str:
    color = STATUS_COLORS.get(status, DEFAULT_COLOR)
    return (
        f'<span class="easymaker-status" data-status="{html.escape(status)}" style="background:{color["bg"]};color:{color["fg"]};'
        f'padding:1px 8px;border-radius:10px;font-size:11px;font-weight:600;white-space:nowrap">{html.escape(status)}</span>'
    )
