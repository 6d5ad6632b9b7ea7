"""The REST API of every area, from the one list of areas: the route table,
the pages outside it, the OpenAPI document, and every area's tables (for
schema checks and tools). Server side only: it imports the handler modules."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.areas import AREAS


def routes() -> list[Any]:
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
