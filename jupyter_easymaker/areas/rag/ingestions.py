"""Ingestions: each run of the ingestion job (the first at creation, then
every sync) is a row on the shared job lifecycle. The job's progress lines
update the files / chunks counts; its summary and per-file outcomes are
stored when it ends."""
from __future__ import annotations

import json
import os
import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.rag.schemas import IngestionOut, IngestionProgressOut
from jupyter_easymaker.areas.rag.statuses import INGESTION_JOB, INGESTION_MACHINE
from jupyter_easymaker.areas.rag.tables import RagIngestion, RagIngestionFile
from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.catalogs.jobs import (
    ERROR_LINE,
    IMAGE_JOBS_DIR,
    RAG_INGESTION_ENTRY,
    jobs_source_dir,
)
from jupyter_easymaker.core.job_service import JobService
from jupyter_easymaker.core.jobs import Outcome
from jupyter_easymaker.core.resources import elapsed_seconds
from jupyter_easymaker.core.tables import LogRecord, ResourceSample, StatusEvent

PROGRESS_LINE = re.compile(r"^\[easymaker\] progress files=(\d+)/(\d+) chunks=(\d+) embedded=(\d+)")
MAX_FILE_ROWS = 1_000_000  # the guide's file limit: every outcome of one ingestion fits


def progress_out(progress: dict[str, Any] | None) -> IngestionProgressOut:
    progress = progress or {}
    total = progress.get("files_total")
    done = int(progress.get("files_done") or 0)
    percent = round(100.0 * done / total, 1) if total else (100.0 if total == 0 else None)
    return IngestionProgressOut(files_done=done, files_total=total, chunks=int(progress.get("chunks") or 0),
                                chunks_embedded=int(progress.get("chunks_embedded") or 0), percent=percent)


class IngestionJobs(JobService):
    table = RagIngestion
    machine = INGESTION_MACHINE
    kind = "rag ingestion"
    statuses = INGESTION_JOB
    log_category = "easymaker.rag"
    scrape_metrics = False

    def __init__(self, platform: Any, rags: Any):
        super().__init__(platform)
        self.rags = rags  # the RAG service: the job's settings and secrets are the RAG's

    def publish(self, row: RagIngestion, change: str) -> None:
        # with its RAG's id: an open RAG view refreshes for its own ingestions only
        self.events.publish(self.kind, row.id, change=change, status=row.status, name=row.name, rag_id=row.rag_id)

    @staticmethod
    def out(row: RagIngestion) -> IngestionOut:
        return IngestionOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, rag_id=row.rag_id, trigger=row.trigger,
            requested_by=row.requested_by, started_at=row.started_at, finished_at=row.finished_at,
            elapsed_seconds=elapsed_seconds(row.started_at, row.finished_at), progress=progress_out(row.progress),
            result=dict(row.result or {}), backend=row.backend,
        )

    # -- the job ------------------------------------------------------------------------------
    def job_spec(self, row: RagIngestion) -> JobSpec:
        rag = self.rags.job_settings(row.rag_id)
        paths = row.paths
        job_paths = {
            "source_dir": jobs_source_dir(), "entry_point": RAG_INGESTION_ENTRY, "datasets": {"documents": rag["data_path"]},
            "model_dir": "", "output_dir": paths["output_dir"], "checkpoint_dir": "", "tensorboard_log_dir": "",
            "work_dir": paths["work_dir"],
        }
        job = self.job_specs.build_job_spec(
            job_id=row.id, name=row.name, kind="rag-ingestion", spec=dict(row.spec), paths=job_paths, backend=row.backend,
            labels={"easymaker/rag-id": row.rag_id},
        )
        if row.backend != "local":
            job.source_dir = IMAGE_JOBS_DIR
        config_path = os.path.join(paths["work_dir"], "ingest.json")
        os.makedirs(paths["work_dir"], exist_ok=True)
        with open(config_path, "w", encoding="utf-8") as fh:
            json.dump({**rag["config"], "output_dir": paths["output_dir"], "data_path": rag["data_path"]}, fh)
        job.env = {"EM_RAG_CONFIG": config_path}
        job.secret_env = dict(rag["secret_env"])
        return job

    def on_log_line(self, row: RagIngestion, line: str) -> None:
        match = PROGRESS_LINE.match(line)
        if match:
            row.progress = {"files_done": int(match.group(1)), "files_total": int(match.group(2)),
                            "chunks": int(match.group(3)), "chunks_embedded": int(match.group(4))}
            return
        match = ERROR_LINE.match(line)
        if match:
            row.progress = {**(row.progress or {}), "error": match.group(1)[:2000]}

    def finished(self, row: RagIngestion, state: Any, outcome: Outcome) -> tuple[Outcome, str | None, dict[str, Any]]:
        """A complete job's summary becomes the result and its per-file outcomes are stored."""
        if outcome != Outcome.SUCCEEDED:
            return outcome, (row.progress or {}).get("error") or None, {}
        output = row.paths["output_dir"]
        try:
            with open(os.path.join(output, "summary.json"), encoding="utf-8") as fh:
                summary = json.load(fh)
            self.store_files(row.id, os.path.join(output, "files.jsonl"))
        except (OSError, ValueError) as exc:
            return Outcome.FAILED, f"the ingestion's results could not be read: {exc}", {}
        progress = {"files_done": summary.get("files_total", 0), "files_total": summary.get("files_total", 0),
                    "chunks": summary.get("chunks_total", 0), "chunks_embedded": summary.get("chunks_embedded", 0)}
        reason = (f"{summary.get('files_added', 0)} added, {summary.get('files_changed', 0)} changed, "
                  f"{summary.get('files_deleted', 0)} deleted, {summary.get('files_failed', 0)} failed; "
                  f"{summary.get('chunks_embedded', 0)} chunk(s) embedded")
        return outcome, reason, {"result": summary, "progress": progress}

    def store_files(self, ingestion_id: str, path: str) -> None:
        rows: list[dict[str, Any]] = []
        with self.db.session() as session:
            session.execute(delete(RagIngestionFile).where(RagIngestionFile.ingestion_id == ingestion_id))
            with open(path, encoding="utf-8") as fh:
                for n, line in enumerate(fh):
                    if n >= MAX_FILE_ROWS:
                        break
                    item = json.loads(line)
                    rows.append({"ingestion_id": ingestion_id, "path": item["path"], "outcome": item["outcome"],
                                 "reason_code": item.get("reason_code") or "", "reason": item.get("reason") or "",
                                 "size_bytes": int(item.get("size_bytes") or 0), "chunks": int(item.get("chunks") or 0)})
                    if len(rows) >= 5000:
                        session.execute(RagIngestionFile.__table__.insert(), rows)
                        rows = []
            if rows:
                session.execute(RagIngestionFile.__table__.insert(), rows)

    def log_fields(self, row: RagIngestion) -> dict[str, Any]:
        return {"ragId": row.rag_id, "ingestionId": row.id}

    # -- what the RAG service asks ------------------------------------------------------------
    @staticmethod
    def latest(session: Session, rag_id: str) -> RagIngestion | None:
        return session.scalar(select(RagIngestion).where(RagIngestion.rag_id == rag_id)
                              .order_by(RagIngestion.created_at.desc(), RagIngestion.id.desc()).limit(1))

    def remove_all(self, session: Session, rag_id: str) -> list[str]:
        ids = list(session.scalars(select(RagIngestion.id).where(RagIngestion.rag_id == rag_id)))
        if ids:
            session.execute(delete(RagIngestionFile).where(RagIngestionFile.ingestion_id.in_(ids)))
            for table in (StatusEvent, LogRecord, ResourceSample):
                session.execute(delete(table).where(table.resource_id.in_(ids)))
            session.execute(delete(RagIngestion).where(RagIngestion.id.in_(ids)))
        return ids
