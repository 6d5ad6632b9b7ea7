"""The dashboard panel's one request."""
from __future__ import annotations

from jupyter_easymaker.core.http import EasyMakerHandler, api
from jupyter_easymaker.core.routing import Op, Route


class DashboardHandler(EasyMakerHandler):
    area = "dashboard"

    @api
    def get(self) -> None:
        # "active notebooks" are this server's running kernels
        kernels = len(self.kernel_manager.list_kernel_ids())
        self.reply(self.service.summary(active_notebooks=kernels))


ROUTES = [
    Route("dashboard", DashboardHandler, {"get": Op("Counts, top endpoints and resource usage", response="DashboardOut")}),
]
