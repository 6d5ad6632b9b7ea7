"""The dashboard: counts, top endpoints and what running jobs hold."""
from jupyter_easymaker.core.area import Area

AREA = Area(
    name="dashboard",
    capability="dashboard",
    service="service:DashboardService",
    tables=False,
)
