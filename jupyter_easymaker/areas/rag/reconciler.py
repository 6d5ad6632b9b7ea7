"""Makes each RAG's status true: ingestions run on the shared job lifecycle;
once the first one is complete the query server starts (gateway DEPLOYING),
and the RAG is ACTIVE when a server answers ready (gateway COMPLETE). A sync
ends in ACTIVE or UPDATE FAILED while the servers keep answering from the
generation that was live. Deletion stops the ingestion and the servers,
empties the vector store, then removes the rows."""
from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import select

from jupyter_easymaker.areas.rag.statuses import (
    INGESTION_ACTIVE,
    RAG_WATCHED,
    IngestionStatus,
    RagGatewayStatus,
    RagStatus,
)
from jupyter_easymaker.areas.rag.tables import Rag, RagIngestion
from jupyter_easymaker.backend.base import BackendError
from jupyter_easymaker.backend.serving.base import ServerPhase
from jupyter_easymaker.core.errors import DomainError
from jupyter_easymaker.core.job_service import JobReconciler

R, I, GW = RagStatus, IngestionStatus, RagGatewayStatus
USAGE_SAMPLE_SECONDS = 10.0
DESTROY_TIMEOUT_SECONDS = 300.0
DESTROY_MODULE = "jupyter_easymaker.runtime.rag.destroy"


class RagReconciler:
    def __init__(self, platform: Any, *, log: logging.Logger | None = None):
        self.service = platform.service("rag")
        self.log = log or logging.getLogger("jupyter_easymaker.rag")
        self.jobs = JobReconciler(platform, self.service.ingestions, log=self.log)
        self._sampled: dict[str, float] = {}
        self._llm_written: dict[str, tuple[str, ...]] = {}  # the LLM pods each RAG's server settings name

    # -- the controller's calls ----------------------------------------------------------
    def recover(self) -> None:
        self.jobs.recover()
        for row in self.rows():
            backend = self.service.serving_backends.get(row.backend)
            if backend is None:
                continue
            if row.server_handle:
                backend.adopt(row.server_handle, self.service.secret_env(row))
            if row.llm_server_handle:
                backend.adopt(row.llm_server_handle, self.service.llm_server_spec(row.id).secret_env)

    async def reconcile_once(self) -> None:
        await self.jobs.reconcile_once()
        for row in await asyncio.to_thread(self.rows):
            try:
                await asyncio.to_thread(self.step, row)
            except Exception:
                self.log.exception("easymaker: reconciling rag %s failed", row.id)
        if self.service.routes.flush_due():
            await asyncio.to_thread(self.service.routes.flush)

    async def shutdown(self) -> None:
        await asyncio.to_thread(self.service.routes.flush)

    # -- one RAG -----------------------------------------------------------------------------
    def rows(self) -> list[Rag]:
        with self.service.db.session() as session:
            return list(session.scalars(select(Rag).where(Rag.status.in_(RAG_WATCHED)).order_by(Rag.created_at)))

    def latest(self, rag_id: str) -> RagIngestion | None:
        with self.service.db.session() as session:
            return self.service.ingestions.latest(session, rag_id)

    def status(self, row: Rag, target: str | None, reason: str = "", **fields: Any) -> None:
        with self.service.db.session() as session:
            stored = session.get(Rag, row.id)
            if stored is None:
                return
            if target is not None and stored.status != target:
                self.service.set_status(session, stored, target, reason)
            for key, value in fields.items():
                setattr(stored, key, value)
        self.service.publish(stored, "status")
        for key, value in {"status": stored.status, **fields}.items():
            setattr(row, key, value)

    def step(self, row: Rag) -> None:
        if row.status == R.DELETE_IN_PROGRESS:
            return self.delete(row)
        if row.status == R.CREATE_REQUESTED:
            self.status(row, R.CREATE_IN_PROGRESS, "ingesting the documents")
        ingestion = self.latest(row.id)
        if row.status == R.CREATE_IN_PROGRESS and ingestion is not None and ingestion.status in (I.FAILED, I.STOPPED, I.CREATE_FAILED):
            return self.status(row, R.CREATE_FAILED, f"the first ingestion {ingestion.status.lower()}: {ingestion.status_reason}")
        if row.status == R.UPDATE_IN_PROGRESS and ingestion is not None and ingestion.status in (I.FAILED, I.STOPPED, I.CREATE_FAILED):
            reason = f"the ingestion sync {ingestion.status.lower()}: {ingestion.status_reason}; the previous index keeps answering"
            return self.status(row, R.UPDATE_FAILED, reason)
        complete = ingestion is not None and ingestion.status == I.COMPLETE
        if complete and row.status in (R.CREATE_IN_PROGRESS, R.UPDATE_IN_PROGRESS):
            self.take_result(row, ingestion)
        if row.status == R.CREATE_IN_PROGRESS and not complete:
            return
        self.observe_servers(row, ingestion)

    def take_result(self, row: Rag, ingestion: RagIngestion) -> None:
        result = ingestion.result or {}
        fields = {"files": int(result.get("files_indexed") or 0), "chunks": int(result.get("chunks_total") or 0),
                  "live_generation": result.get("generation")}
        if row.status == R.UPDATE_IN_PROGRESS:
            self.status(row, R.ACTIVE, f"ingestion sync complete: {ingestion.status_reason}", **fields)
        else:
            self.status(row, None, **fields)

    def observe_servers(self, row: Rag, ingestion: RagIngestion | None) -> None:
        backend = self.service.serving_backends.get(row.backend)
        if backend is None:
            return self.status(row, R.CREATE_FAILED if row.status == R.CREATE_IN_PROGRESS else None,
                               f"the {row.backend} serving backend is not configured", gateway_status=GW.FAILURE)
        if row.spec["llm"]["type"] == "model" and self.observe_llm(row, backend) is None:
            return  # the RAG's own LLM is not serving (yet)
        if not row.server_handle:
            try:
                handle = backend.start(self.service.server_spec(row.id))
            except BackendError as exc:
                return self.status(row, R.CREATE_FAILED if row.status == R.CREATE_IN_PROGRESS else None,
                                   f"the query server could not start: {exc}", gateway_status=GW.FAILURE)
            return self.status(row, None, server_handle=handle, gateway_status=GW.DEPLOYING)
        try:
            state = backend.status(row.server_handle)
        except BackendError as exc:
            self.log.warning("easymaker: rag %s: the query servers' status is unknown: %s", row.id, exc)
            return
        addresses = tuple(state.addresses)
        self.service.refresh_route(row.id, addresses)
        if state.phase == ServerPhase.FAILED:
            if row.status == R.CREATE_IN_PROGRESS:
                self.stop_servers(row, backend)
                return self.status(row, R.CREATE_FAILED, f"the query server failed: {state.reason}", gateway_status=GW.FAILURE,
                                   server_handle=None, llm_server_handle=None)
            if row.gateway_status != GW.FAILURE:
                self.status(row, None, gateway_status=GW.FAILURE)
            return
        if addresses:
            if row.status == R.CREATE_IN_PROGRESS:
                self.status(row, R.ACTIVE, f"{row.files} file(s), {row.chunks} chunk(s) ingested; the query server is ready",
                            gateway_status=GW.COMPLETE)
            elif row.gateway_status != GW.COMPLETE:
                self.status(row, None, gateway_status=GW.COMPLETE)
            self.sample(row, backend)
        elif row.gateway_status == GW.COMPLETE:
            self.status(row, None, gateway_status=GW.DEPLOYING)

    def observe_llm(self, row: Rag, backend: Any) -> tuple[str, ...] | None:
        """The pods of the LLM the RAG serves itself, once ready (the query server's settings
        follow them); None while it starts or after it failed."""
        creating = row.status == R.CREATE_IN_PROGRESS
        if not row.llm_server_handle:
            try:
                handle = backend.start(self.service.llm_server_spec(row.id))
            except (BackendError, DomainError) as exc:
                self.status(row, R.CREATE_FAILED if creating else None, f"the LLM server could not start: {exc}",
                            gateway_status=GW.FAILURE)
                return None
            self.status(row, None, llm_server_handle=handle, gateway_status=GW.DEPLOYING)
            return None
        try:
            state = backend.status(row.llm_server_handle)
        except BackendError as exc:
            self.log.warning("easymaker: rag %s: the LLM servers' status is unknown: %s", row.id, exc)
            return None
        if state.phase == ServerPhase.FAILED:
            if creating:
                backend.stop(row.llm_server_handle, grace_seconds=1.0)
                self.status(row, R.CREATE_FAILED, f"the LLM server failed: {state.reason}", gateway_status=GW.FAILURE,
                            llm_server_handle=None)
            elif row.gateway_status != GW.FAILURE:
                self.status(row, None, gateway_status=GW.FAILURE)
            return None
        addresses = tuple(state.addresses)
        if not addresses:
            return None
        if self._llm_written.get(row.id) != addresses:
            self.service.write_server_config(row.id, addresses)
            self._llm_written[row.id] = addresses
        return addresses

    def sample(self, row: Rag, backend: Any) -> None:
        now = time.monotonic()
        if now - self._sampled.get(row.id, 0.0) < USAGE_SAMPLE_SECONDS:
            return
        self._sampled[row.id] = now
        try:
            usages = backend.usage(row.server_handle)
        except BackendError:
            return
        if usages:
            with self.service.db.session() as session:
                for usage in usages:
                    self.service.platform.logs.add_sample(session, row.id, usage)

    def stop_servers(self, row: Rag, backend: Any) -> None:
        for handle in (row.server_handle, row.llm_server_handle):
            if handle:
                backend.stop(handle, grace_seconds=self.service.serving.drain_timeout_seconds)

    # -- deletion ---------------------------------------------------------------------------
    def delete(self, row: Rag) -> None:
        with self.service.db.session() as session:
            busy = session.scalar(select(RagIngestion.id).where(RagIngestion.rag_id == row.id,
                                                                RagIngestion.status.in_(INGESTION_ACTIVE)))
        if busy is not None:
            return  # the job lifecycle is stopping it
        self.service.routes.remove(row.id)
        try:
            backend = self.service.serving_backends.get(row.backend)
            if backend is not None:
                self.stop_servers(row, backend)
            self.destroy_store(row)
        except Exception as exc:  # noqa: BLE001 - the guide's DELETE FAILED, retried by deleting again
            self.log.warning("easymaker: deleting rag %s failed: %s", row.id, exc)
            return self.status(row, R.DELETE_FAILED, f"deletion failed: {exc}")
        self._sampled.pop(row.id, None)
        self._llm_written.pop(row.id, None)
        self.service.purge(row.id)

    def destroy_store(self, row: Rag) -> None:
        """Empty the vector store in a process of its own: the server side never loads faiss or psycopg."""
        store = self.service.store_config(row)
        root = os.path.join(row.paths["rag_dir"], "store")
        if store["type"] == "faiss" and not os.path.isdir(root):
            return
        env = {**os.environ, **self.service.secret_env(row)}
        done = subprocess.run([sys.executable, "-m", DESTROY_MODULE, "--type", store["type"], "--namespace", store["namespace"],
                               "--root", root], env=env, capture_output=True, text=True, timeout=DESTROY_TIMEOUT_SECONDS)
        if done.returncode != 0:
            raise RuntimeError((done.stderr.strip().splitlines() or ["the vector store could not be emptied"])[-1])
