"""The areas of the product, in the guide's order: the one list the server
extension, the route table and OpenAPI document, table registration, the
client and the magics iterate over. Adding an area is adding its package and
one line here."""
from __future__ import annotations

from jupyter_easymaker.areas.batch import AREA as batch
from jupyter_easymaker.areas.dashboard import AREA as dashboard
from jupyter_easymaker.areas.endpoints import AREA as endpoints
from jupyter_easymaker.areas.evaluations import AREA as evaluations
from jupyter_easymaker.areas.experiments import AREA as experiments
from jupyter_easymaker.areas.models import AREA as models
from jupyter_easymaker.areas.templates import AREA as templates
from jupyter_easymaker.areas.tensorboard import AREA as tensorboard
from jupyter_easymaker.areas.trainings import AREA as trainings
from jupyter_easymaker.areas.tuning import AREA as tuning
from jupyter_easymaker.core.area import Area

AREAS: tuple[Area, ...] = (
    dashboard, experiments, trainings, templates, tuning, models, endpoints, batch, evaluations, tensorboard,
)


def routes() -> list:
    """Every REST route: the server-wide ones, then each area's, in the list's order."""
    from jupyter_easymaker.core import server_handlers

    out = list(server_handlers.ROUTES)
    for area in AREAS:
        if area.handlers:
            out.extend(area.module("handlers").ROUTES)
    return out


def pages() -> list[tuple[str, type]]:
    """URL specs outside the REST API (the inference gateway, the TensorBoard proxy)."""
    out: list[tuple[str, type]] = []
    for area in AREAS:
        if area.handlers:
            out.extend(getattr(area.module("handlers"), "URL_SPECS", ()))
    return out


def openapi_document(base_url: str = "/") -> dict:
    from jupyter_easymaker._version import __version__
    from jupyter_easymaker.core.routing import openapi_document as build

    return build(routes(), __version__, base_url)


def load_tables() -> None:
    """Register every area's tables on the store's metadata (schema checks, tools)."""
    for area in AREAS:
        if area.tables:
            area.module("tables")
