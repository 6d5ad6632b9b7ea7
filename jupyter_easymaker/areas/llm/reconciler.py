"""Makes the LLM studio's statuses true: fine-tunings run on the shared job
lifecycle; a loaded model (RUNNING) gets a model server on the serving
backends (its address recorded once ready, ERROR with the reason if it
fails), is unloaded (TRAINED) when idle past its keep-alive, and any server
of a model no longer RUNNING is stopped."""
from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select

from jupyter_easymaker.areas.llm.statuses import LlmModelStatus
from jupyter_easymaker.areas.llm.tables import LlmModel
from jupyter_easymaker.backend.base import BackendError
from jupyter_easymaker.backend.serving.base import ServerPhase
from jupyter_easymaker.core.errors import DomainError
from jupyter_easymaker.core.job_service import JobReconciler

S = LlmModelStatus


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class LlmReconciler:
    def __init__(self, platform: Any, *, log: logging.Logger | None = None):
        self.service = platform.service("llm")
        self.log = log or logging.getLogger("jupyter_easymaker.llm")
        self.jobs = JobReconciler(platform, self.service.finetunes, log=self.log)

    def recover(self) -> None:
        self.jobs.recover()
        for row in self.rows():
            backend = self.service.serving_backends.get(row.backend)
            if backend is not None and row.server_handle:
                backend.adopt(row.server_handle, {})

    async def reconcile_once(self) -> None:
        await self.jobs.reconcile_once()
        for row in await asyncio.to_thread(self.rows):
            try:
                await asyncio.to_thread(self.step, row)
            except Exception:
                self.log.exception("easymaker: reconciling llm model %s failed", row.id)

    async def shutdown(self) -> None:
        return None

    def rows(self) -> list[LlmModel]:
        with self.service.db.session() as session:
            return list(session.scalars(select(LlmModel).where(or_(LlmModel.status == S.RUNNING,
                                                                   LlmModel.server_handle.is_not(None)))))

    def record(self, row: LlmModel, target: str | None, reason: str = "", **fields: Any) -> bool:
        """Write ``fields`` (and ``target``) unless the row changed status since it was read."""
        with self.service.db.session() as session:
            stored = session.get(LlmModel, row.id)
            if stored is None or stored.status != row.status:
                return False
            if target is not None and stored.status != target:
                self.service.set_status(session, stored, target, reason)
            for key, value in fields.items():
                setattr(stored, key, value)
        self.service.publish(stored, "status")
        return True

    def step(self, row: LlmModel) -> None:
        backend = self.service.serving_backends.get(row.backend)
        if row.status != S.RUNNING:  # unloaded, or failed: its server goes
            if backend is not None and row.server_handle:
                backend.stop(row.server_handle, grace_seconds=min(self.service.serving.drain_timeout_seconds, 5.0))
            self.record(row, None, server_handle=None, loaded=None)
            return
        if backend is None:
            self.record(row, S.ERROR, f"the {row.backend} serving backend is not configured", loaded=None)
            return
        loaded = dict(row.loaded or {})
        if not row.server_handle:
            try:
                handle = backend.start(self.service.server_spec(row.id))
            except (BackendError, DomainError, OSError) as exc:
                self.record(row, S.ERROR, f"the model server could not start: {getattr(exc, 'message', None) or exc}",
                            loaded=None)
                return
            self.record(row, None, server_handle=handle)
            return
        try:
            state = backend.status(row.server_handle)
        except BackendError as exc:
            self.log.warning("easymaker: llm model %s: the server's status is unknown: %s", row.id, exc)
            return
        if state.phase == ServerPhase.FAILED:
            backend.stop(row.server_handle, grace_seconds=1.0)
            self.record(row, S.ERROR, f"the model server failed: {state.reason}", server_handle=None, loaded=None)
            return
        addresses = list(state.addresses)
        if addresses and loaded.get("address") != addresses[0]:
            now = datetime.now(UTC).isoformat()
            loaded.update(address=addresses[0], loaded_at=loaded.get("loaded_at") or now, last_used_at=now)
            self.record(row, None, "loaded", loaded=loaded)
            with self.service.db.session() as session:
                stored = session.get(LlmModel, row.id)
                if stored is not None and stored.status == S.RUNNING:
                    stored.status_reason = "loaded: the model server is ready"
            return
        self.keep_alive(row, loaded)

    def keep_alive(self, row: LlmModel, loaded: dict[str, Any]) -> None:
        seconds = float(loaded.get("keep_alive_seconds") or 0)
        last = parse_time(loaded.get("last_used_at"))
        if seconds <= 0 or last is None or not loaded.get("address"):
            return
        idle = (datetime.now(UTC) - last).total_seconds()
        if idle > seconds:
            self.record(row, S.TRAINED, f"unloaded after {idle:.0f} s idle (keep-alive {seconds:g} s)")
