"""The server side's shared objects (settings, store, events, logs, job
backends) and every area's service, loaded the first time it is used.

Start-up builds this object and nothing else: an area's tables, pydantic
models and service are imported when a request, the controller or another
area first asks for its service (``platform.service("trainings")`` or
``platform.trainings``). Loading runs under a lock, so concurrent first uses
load an area once; a handler on the event loop awaits ``load()`` so that the
import happens in a worker thread.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Callable, Iterable

from jupyter_easymaker.core.area import Area
from jupyter_easymaker.core.errors import Conflict
from jupyter_easymaker.core.events import EventBus
from jupyter_easymaker.core.settings import Settings


class Platform:
    def __init__(self, settings: Settings, areas: Iterable[Area], backends: dict[str, Any] | None = None, *,
                 db: Any = None, log: logging.Logger | None = None):
        self.settings = settings
        self.areas: dict[str, Area] = {a.name: a for a in areas}
        self.backends: dict[str, Any] = dict(backends or {})
        self.events = EventBus()
        self.log = log or logging.getLogger("jupyter_easymaker")
        self._db = db
        self._logs: Any = None
        self._job_specs: Any = None
        self._services: dict[str, Any] = {}
        self._tables: set[str] = set()
        self._lock = threading.RLock()
        # called with each area once its service exists (the controller starts its reconciler)
        self.on_load: list[Callable[[Area], None]] = []
        self.wake: Callable[[], None] = lambda: None  # the controller's: look at the work now
        self.routes: list[Any] = []  # every REST route, for the OpenAPI document (set by the extension)

    # -- the store -------------------------------------------------------------
    @property
    def db(self) -> Any:
        if self._db is None:
            with self._lock:
                if self._db is None:
                    from jupyter_easymaker.core.db import Database

                    try:
                        self._db = Database(self.settings.db_url, migration_dirs=self.migration_dirs())
                    except AttributeError as exc:  # not to be taken for a missing attribute of the platform
                        raise RuntimeError(f"the store could not be opened: {exc!r}") from exc
        return self._db

    @property
    def logs(self) -> Any:
        if self._logs is None:
            with self._lock:
                if self._logs is None:
                    from jupyter_easymaker.core.logs import LogService

                    self._logs = LogService(self.db, self.settings)
        return self._logs

    @property
    def job_specs(self) -> Any:
        if self._job_specs is None:
            from jupyter_easymaker.core.job_specs import JobSpecs

            self._job_specs = JobSpecs(self.settings)
        return self._job_specs

    def migration_dirs(self) -> list[str]:
        """Areas' own Alembic revisions (``areas/<name>/migrations/``), next to the core's."""
        import importlib.util
        import os

        out = []
        for area in self.areas.values():
            spec = importlib.util.find_spec(area.package)
            folder = os.path.join(os.path.dirname(spec.origin), "migrations") if spec and spec.origin else ""
            if folder and os.path.isdir(folder):
                out.append(folder)
        return out

    def backend_names(self) -> list[str]:
        return list(self.backends)

    def server_info(self) -> dict[str, Any]:
        """The version handshake: what this server offers."""
        from jupyter_easymaker._version import __version__

        settings = self.settings
        capabilities: dict[str, Any] = {
            "areas": [a.capability for a in self.areas.values() if a.capability],
            "backends": {name: b.capabilities() for name, b in self.backends.items()},
            "default_backend": settings.default_backend,
            "instance_types": [it.to_dict() for it in settings.instance_types.values()],
            "default_instance_type": settings.default_instance_type,
            "storage": {"local_roots": settings.local_roots, "nas": sorted(settings.nas_mounts), "obs": True},
            "log_streaming": "sse",
            "events": "sse",
        }
        for area in self.areas.values():
            if area.capabilities:
                capabilities.update(area.resolve(area.capabilities)())
        return {"name": "jupyter-easymaker", "version": __version__, "api_version": "v1", "capabilities": capabilities}

    # -- areas -----------------------------------------------------------------
    def service(self, name: str) -> Any:
        """The area's service, loading the area first if needed."""
        service = self._services.get(name)
        if service is not None:
            return service
        area = self.areas.get(name)
        if area is None or area.service is None:
            raise KeyError(f"no area {name!r} with a service")
        loaded: list[Area] = []
        with self._lock:
            service = self._services.get(name)
            if service is None:
                self.load_tables(name)
                factory = area.resolve(area.service)
                service = factory(self)
                self._services[name] = service
                loaded.append(area)
        for area in loaded:
            for callback in list(self.on_load):
                callback(area)
        return service

    async def load(self, name: str) -> Any:
        """``service(name)`` from the event loop: a first load imports in a worker thread."""
        service = self._services.get(name)
        if service is not None:
            return service
        return await asyncio.get_running_loop().run_in_executor(None, self.service, name)

    def loaded(self) -> list[str]:
        return list(self._services)

    def __getattr__(self, name: str) -> Any:
        # platform.trainings == platform.service("trainings"), for area names only
        areas = self.__dict__.get("areas")
        if areas is not None and name in areas and areas[name].service is not None:
            return self.service(name)
        raise AttributeError(name)

    def load_tables(self, name: str | None = None) -> None:
        """Import the tables of an area and of the areas it requires (their foreign
        keys point there), or of every area."""
        with self._lock:
            todo = [name] if name else list(self.areas)
            while todo:
                current = todo.pop()
                if current in self._tables:
                    continue
                self._tables.add(current)
                area = self.areas[current]
                todo.extend(area.requires)
                if area.tables:
                    area.module("tables")

    # -- rules between areas ---------------------------------------------------
    def blockers(self, kind: str, session: Any, resource_id: str) -> list[tuple[str, int]]:
        """What keeps a resource of ``kind`` from being deleted: (label, count) of
        every area that declared a guard on that kind and has such rows."""
        found = []
        for area in self.areas.values():
            for guard in area.guards:
                if guard.kind == kind:
                    n = getattr(self.service(area.name), guard.count)(session, resource_id)
                    if n:
                        found.append((guard.label, n))
        return found

    def check_deletable(self, kind: str, session: Any, resource_id: str, name: str) -> None:
        for label, n in self.blockers(kind, session, resource_id):
            raise Conflict(f"{kind} {name!r} is used by {n} {label}: delete them first")

    def close(self) -> None:
        """Services that hold processes or buffers let go of them (server shutdown)."""
        for service in list(self._services.values()):
            close = getattr(service, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # noqa: BLE001 - shutting down: the others must still close
                    self.log.exception("jupyter-easymaker: closing %s failed", type(service).__name__)
        if self._db is not None:
            self._db.close()
