"""The record of one area (resource family): what the server, the client and
the magics take from it, named by module so that reading the list of areas
imports none of their code.

An area is the package ``jupyter_easymaker.areas.<name>``. Its modules, each
optional: ``statuses.py`` (status words and state machines), ``tables.py``
(SQLAlchemy tables), ``schemas.py`` (pydantic request/response models),
``service.py`` (the rules), ``handlers.py`` (``ROUTES``, and ``URL_SPECS``
for routes outside the REST API), ``reconciler.py`` (long-running work),
``client.py`` (a mixin of :class:`jupyter_easymaker.client.Client`),
``magics.py`` (``%easymaker`` commands) and ``migrations/`` (its Alembic
revisions).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Guard:
    """Rows of this area that keep a resource of another kind from being deleted."""

    kind: str  # the kind whose deletion they block, e.g. "experiment"
    label: str  # what they are called in the refusal, e.g. "trainings"
    count: str  # method of this area's service: (session, resource_id) -> int


@dataclass(frozen=True)
class Work:
    """Rows of this area that the controller still has work on (read without
    loading the area, to decide at start-up whether its reconciler must run)."""

    table: str
    active: str | None = None  # "module:NAME" of the set of status words that mean work; None: any row


@dataclass(frozen=True)
class Area:
    name: str  # the package under jupyter_easymaker.areas, and the service's name on the platform
    capability: str | None = None  # its name in the version handshake's capabilities.areas (the panel)
    service: str | None = None  # "module:factory" called with the platform
    reconciler: str | None = None  # "module:factory" called with the platform
    client: str | None = None  # "module:Mixin" composed into jupyter_easymaker.Client
    magics: bool = False  # magics.py registers %easymaker commands
    tables: bool = True
    handlers: bool = True
    requires: tuple[str, ...] = ()  # areas whose services this one calls (loaded before it)
    guards: tuple[Guard, ...] = ()
    work: tuple[Work, ...] = ()
    always: bool = False  # its reconciler runs from the start (it has work outside the store)
    machines: tuple[str, ...] = ()  # "statuses:NAME" of each state machine of its kinds
    capabilities: str | None = None  # "module:function" whose dict joins the handshake's capabilities
    # the dashboard's questions, each a method of this area's service:
    counts: str | None = None  # () -> {count name: int}: the guide's service-usage counts it owns
    holds: str | None = None  # () -> list[core.holding.Held]: what its running work holds

    @property
    def package(self) -> str:
        return f"jupyter_easymaker.areas.{self.name}"

    def module(self, name: str) -> Any:
        return importlib.import_module(f"{self.package}.{name}")

    def resolve(self, ref: str) -> Any:
        """``"module:attr"`` inside the area's package."""
        module, _, attr = ref.partition(":")
        return getattr(self.module(module), attr)
