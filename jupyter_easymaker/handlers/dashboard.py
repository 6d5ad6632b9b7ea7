"""The dashboard panel's one request."""
from __future__ import annotations

from jupyter_easymaker.handlers.base import EasyMakerHandler, api
from jupyter_easymaker.handlers.routing import Op, Route
from jupyter_easymaker.schemas.dashboard import DashboardOut
from jupyter_easymaker.services.dashboard import DashboardService


class DashboardHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        # "active notebooks" are this server's running kernels
        kernels = len(self.kernel_manager.list_kernel_ids())
        self.reply(DashboardService(self.services, self.easymaker.backends).summary(active_notebooks=kernels))


ROUTES = [
    Route("dashboard", DashboardHandler, {"get": Op("Counts, top endpoints and resource usage", response=DashboardOut)}),
]
