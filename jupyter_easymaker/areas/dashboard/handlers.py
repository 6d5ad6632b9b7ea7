"""The dashboard panel's one request."""
from __future__ import annotations

from jupyter_easymaker.core.http import EasyMakerHandler, api
from jupyter_easymaker.core.routing import Op, Route


class DashboardHandler(EasyMakerHandler):
    area = "dashboard"

    @api
    def get(self) -> None:
        self.reply(self.service.summary())


ROUTES = [
    Route("dashboard", DashboardHandler, {"get": Op("Counts, top endpoints and resource usage", response="DashboardOut")}),
]
