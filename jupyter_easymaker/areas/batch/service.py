"""Batch inferences: validate and store the spec, resolve its paths, answer
queries, and build the job the controller runs
(``runtime/batch_inference.py`` through the launcher, on any backend).
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.batch.schemas import (
    BatchInferenceCreate,
    BatchInferenceOut,
    BatchOutputsOut,
)
from jupyter_easymaker.areas.batch.statuses import (
    BATCH_INFERENCE_JOB,
    BATCH_INFERENCE_MACHINE,
    BatchInferenceStatus,
)
from jupyter_easymaker.areas.batch.tables import BatchInference
from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.catalogs import batch_files
from jupyter_easymaker.catalogs.jobs import (
    BATCH_INFERENCE_ENTRY,
    ERROR_LINE,
    IMAGE_JOBS_DIR,
    PROGRESS_LINE,
    jobs_source_dir,
)
from jupyter_easymaker.core.errors import Conflict, InvalidInput, NotFound
from jupyter_easymaker.core.job_fields import progress_out
from jupyter_easymaker.core.job_service import JobService
from jupyter_easymaker.core.jobs import Outcome
from jupyter_easymaker.core.resources import ListQuery, elapsed_seconds, new_id, parse
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.tables import LogRecord, ResourceSample, StatusEvent
from jupyter_easymaker.storage_uri import (
    StoragePathError,
    read_json,
    read_lines,
    resolve_path,
)

B = BatchInferenceStatus
IDENTITY_FIELDS = ("name", "description", "input_records", "backend")
INLINE_FILE = "records.jsonl"
MAX_PREVIEW_LINES = 1000
MAX_RESULT_FILES = 200  # files listed in an answer; summary.json has them all


@dataclass(frozen=True)
class BatchPhase:
    """An owned batch inference as its owner sees it: waiting, running, complete,
    stopped, failed or "create failed"."""

    phase: str
    reason: str
    started_at: datetime | None

    @property
    def ended(self) -> bool:
        return self.phase in ("complete", "stopped", "failed", "create failed")


class BatchInferenceService(JobService):
    table = BatchInference
    machine = BATCH_INFERENCE_MACHINE
    kind = "batch inference"
    statuses = BATCH_INFERENCE_JOB
    log_category = "easymaker.inference"
    scrape_metrics = False

    @property
    def models(self) -> Any:
        return self.platform.service("models")

    # -- what other areas ask ----------------------------------------------
    @staticmethod
    def count_for_model(session: Session, model_id: str) -> int:
        return session.scalar(select(func.count()).select_from(BatchInference).where(BatchInference.model_id == model_id)) or 0

    @staticmethod
    def row(session: Session, batch_id: str | None) -> BatchInference | None:
        return session.get(BatchInference, batch_id) if batch_id else None

    def phase_of(self, batch_id: str | None) -> BatchPhase | None:
        """Where an owned batch inference stands, in words that do not depend on its status table."""
        with self.db.session() as session:
            row = self.row(session, batch_id)
            if row is None:
                return None
            phase = {B.CREATE_REQUESTED: "waiting", B.COMPLETE: "complete", B.STOPPED: "stopped",
                     B.FAIL_BATCH_INFERENCE: "failed", B.CREATE_FAILED: "create failed"}.get(row.status, "running")
            return BatchPhase(phase, row.status_reason, row.started_at)

    def stop_owned(self, batch_id: str) -> None:
        """Stop an owned batch inference if it has not ended (its evaluation is being stopped)."""
        with self.db.session() as session:
            row = self.row(session, batch_id)
            stoppable = row is not None and row.status != B.STOP_IN_PROGRESS and self.machine.can(row.status, B.STOP_IN_PROGRESS)
        if stoppable:
            self.stop(batch_id)

    @staticmethod
    def free_name(session: Session, name: str) -> str:
        """``name``, unless a batch inference already has it (then with a number)."""
        candidate, n = name, 2
        while session.scalar(select(BatchInference.id).where(BatchInference.name == candidate)) is not None:
            suffix = f"-{n}"
            candidate, n = name[: 50 - len(suffix)] + suffix, n + 1
        return candidate

    def own_dir(self, batch_id: str) -> str:
        return self.settings.path("batch-inferences", batch_id)

    # -- answers ------------------------------------------------------------
    def out(self, row: BatchInference, *, model_name: str | None = None, history: list | None = None) -> BatchInferenceOut:
        result = dict(row.result or {})
        if len(result.get("files") or []) > MAX_RESULT_FILES:
            result["files_total"] = len(result["files"])
            result["files"] = result["files"][:MAX_RESULT_FILES]
        paths = row.paths or {}
        return BatchInferenceOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, model_id=row.model_id, model_name=model_name,
            evaluation_id=row.evaluation_id, spec=row.spec, backend=row.backend, input_path=paths.get("input_path", ""),
            output_path=paths.get("output_path", ""), progress=progress_out(row.progress), result=result, exit_code=row.exit_code,
            started_at=row.started_at, finished_at=row.finished_at, elapsed_seconds=elapsed_seconds(row.started_at, row.finished_at),
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    # -- create -------------------------------------------------------------
    def create(self, body: Any) -> BatchInferenceOut:
        data = parse(BatchInferenceCreate, body)
        batch_id = new_id()
        with self.db.session() as session:
            model = self.active_model(session, data.model_id)
            self.check_name_free(session, data.name)
            row = self.new_row(session, batch_id, data, model, backend=self.backend_name(data.backend))
            out = self.out(row, model_name=model.name)
        self.publish(row, "created")
        return out

    def backend_name(self, name: str | None) -> str:
        backend = name or self.settings.default_backend
        if backend not in self.platform.backend_names():
            raise InvalidInput(f"backend: the {backend} backend is not configured on this server", field="backend")
        return backend

    def active_model(self, session: Session, ref: str, field: str = "model_id") -> Any:
        return self.models.require_active(session, ref, field, "run a batch inference")

    def new_row(self, session: Session, batch_id: str, data: Any, model: Any, *, backend: str, evaluation_id: str | None = None,
                target_field: str = "", input_format: str | None = None, name: str | None = None) -> BatchInference:
        """Validate paths and options, write inline records, add the row (the
        caller commits). Evaluations call this for the batch inference they own."""
        instance_type = self.job_specs.instance_type_name(data.instance_type)
        own = self.own_dir(batch_id)
        fmt = input_format or data.input_format
        inline = getattr(data, "input_records", None)
        if inline is not None:
            input_path = os.path.join(own, "input", INLINE_FILE)
        else:
            input_path = self.resolve(data.input_path, "input_path")
        output_path = self.resolve(data.output_path, "output_path") if data.output_path else os.path.join(own, "output")
        include = list(getattr(data, "include_glob", []) or [])
        exclude = list(getattr(data, "exclude_glob", []) or [])
        for field, patterns in (("include_glob", include), ("exclude_glob", exclude)):
            try:
                batch_files.check_globs(patterns)
            except ValueError as exc:
                raise InvalidInput(f"{field}: {exc}", field=field) from None
        if inline is None:
            self.check_input(input_path, output_path, include, exclude)
        spec = data.model_dump(exclude={*IDENTITY_FIELDS}, exclude_none=True)
        spec.update({"instance_type": instance_type, "input_format": fmt, "include_glob": include, "exclude_glob": exclude})
        if inline is not None:
            spec["input_inline"] = True
        if target_field:
            spec["target_field"] = target_field
        row = BatchInference(
            id=batch_id, name=name or data.name, description=getattr(data, "description", ""), model_id=model.id,
            evaluation_id=evaluation_id, spec=spec, backend=backend, progress={}, result={},
            paths={"input_path": input_path, "output_path": output_path, "work_dir": os.path.join(own, "job")},
        )
        if inline is not None:
            os.makedirs(os.path.dirname(input_path), exist_ok=True)
            with open(input_path, "w", encoding="utf-8") as fh:
                for record in inline:
                    fh.write(json.dumps(record) + "\n")
        self.initial(session, row)
        session.add(row)
        return row

    def resolve(self, value: str, field: str) -> str:
        try:
            return resolve_path(value, local_roots=self.settings.local_roots, nas_mounts=self.settings.nas_mounts)
        except StoragePathError as exc:
            raise InvalidInput(f"{field}: {exc}", field=field) from None

    @staticmethod
    def check_input(input_path: str, output_path: str, include: list[str], exclude: list[str]) -> list[batch_files.InputFile]:
        """Local input must exist and the globs must select something; obs://
        input is checked by the job (the server may hold no credentials)."""
        if input_path.startswith("obs://"):
            return []
        if not os.path.exists(input_path):
            raise InvalidInput("input_path: the file or directory does not exist", field="input_path")
        if not output_path.startswith("obs://") and os.path.abspath(output_path) == os.path.abspath(input_path):
            raise InvalidInput("output_path: must differ from input_path (outputs would be read as inputs)", field="output_path")
        files = batch_files.discover(input_path, include, exclude, skip=None if output_path.startswith("obs://") else output_path)
        if not files:
            field = "exclude_glob" if exclude and batch_files.discover(input_path, include, None) else "include_glob" if include else "input_path"
            raise InvalidInput(f"{field}: no input files match (include {include or ['*']}, exclude {exclude}; exclude wins)", field=field)
        return files

    # -- the job ------------------------------------------------------------
    def job_spec(self, row: BatchInference) -> JobSpec:
        serving = self.models.serving_spec(row.model_id)
        spec, paths = row.spec, row.paths
        pods = int(spec.get("pod_count", 1))
        job_paths = {
            "source_dir": jobs_source_dir(), "entry_point": BATCH_INFERENCE_ENTRY, "datasets": {"input": paths["input_path"]},
            "model_dir": serving["model_dir"], "output_dir": paths["output_path"], "checkpoint_dir": "", "tensorboard_log_dir": "",
            "work_dir": paths["work_dir"],
        }
        job = self.job_specs.build_job_spec(
            job_id=row.id, name=row.name, kind="batch-inference",
            spec={**spec, "nodes": min(int(spec.get("instance_count", 1)), pods)}, paths=job_paths, backend=row.backend,
            labels={"easymaker/model-id": row.model_id, **({"easymaker/evaluation-id": row.evaluation_id} if row.evaluation_id else {})},
        )
        if row.backend != "local":
            job.source_dir = IMAGE_JOBS_DIR
        job.env = {
            **serving["env"],
            "EM_MODEL_FRAMEWORK": serving["framework"], "EM_MODEL_NAME": serving["model_name"],
            "EM_MODEL_PARAMS": json.dumps(serving["parameters"]),
            "EM_BATCH_FORMAT": spec.get("input_format", "JSONL"), "EM_BATCH_INCLUDE": json.dumps(spec.get("include_glob") or []),
            "EM_BATCH_EXCLUDE": json.dumps(spec.get("exclude_glob") or []), "EM_BATCH_SIZE": str(spec.get("batch_size", 32)),
            "EM_BATCH_TIMEOUT": str(spec.get("timeout_seconds", "")), "EM_BATCH_POD_COUNT": str(pods),
            "EM_BATCH_TARGET_FIELD": spec.get("target_field", ""), "EM_BATCH_SCORES": "1" if spec.get("target_field") else "0",
        }
        job.secret_env = dict(serving["secret_env"])  # the model's token: in no file the job keeps
        return job

    # -- the job lifecycle's hooks -------------------------------------------------
    def log_fields(self, row: BatchInference) -> dict[str, Any]:
        return {"batchInferenceId": row.id}

    def on_log_line(self, row: BatchInference, line: str) -> None:
        """Progress lines update the record counts (summed over nodes); the last
        ERROR line is kept as the failure reason."""
        match = PROGRESS_LINE.match(line)
        if match:
            progress = dict(row.progress or {})
            nodes = dict(progress.get("nodes") or {})
            nodes[match.group(4) or "0"] = [int(match.group(1)), int(match.group(2)), int(match.group(3))]
            progress.update(nodes=nodes, records_done=sum(v[0] for v in nodes.values()), errors=sum(v[2] for v in nodes.values()))
            if len(nodes) == 1 or progress.get("records_total") is None:
                progress["records_total"] = sum(v[1] for v in nodes.values())
            row.progress = progress
            return
        match = ERROR_LINE.match(line)
        if match:
            row.progress = {**(row.progress or {}), "error": match.group(1)[:2000]}

    def finished(self, row: BatchInference, state: Any, outcome: Outcome) -> tuple[Outcome, str | None, dict[str, Any]]:
        """A complete job's summary.json becomes the result; the job's own ERROR line is the failure reason."""
        if outcome != Outcome.SUCCEEDED:
            return outcome, (row.progress or {}).get("error") or None, {}
        try:
            result = self.read_summary(row.id)
        except Exception as exc:  # noqa: BLE001 - the outputs are there; only the summary is not
            self.platform.log.warning("batch inference %s: summary.json could not be read: %s", row.id, exc)
            return outcome, "summary.json missing", {"result": {}}
        fields: dict[str, Any] = {"result": result,
                                  "progress": {"records_total": result.get("records"), "records_done": result.get("records"),
                                               "errors": result.get("errors", 0)}}
        return outcome, f"{result.get('records', '?')} record(s), {result.get('errors', 0)} error(s)", fields

    def read_summary(self, row_id: str) -> dict[str, Any]:
        """summary.json of a finished job (blocking: obs:// is read over the network)."""
        with self.db.session() as session:
            output = (session.get(BatchInference, row_id).paths or {}).get("output_path", "")
        return read_json(output, batch_files.SUMMARY_FILE, self.settings.obs_storage_options)

    # -- queries ------------------------------------------------------------
    def list(self, query: ListQuery, *, model: str | None = None, evaluation: str | None = None) -> tuple[list[BatchInferenceOut], int]:
        with self.db.session() as session:
            stmt = select(BatchInference)
            if model:
                found = self.models.lookup(session, model)
                stmt = stmt.where(BatchInference.model_id == (found.id if found else model))
            if evaluation:
                stmt = stmt.where(BatchInference.evaluation_id == evaluation)
            rows, total = query.page(session, BatchInference, stmt)
            names = self.model_names(session, {r.model_id for r in rows})
            return [self.out(r, model_name=names.get(r.model_id)) for r in rows], total

    def model_names(self, session: Session, ids: set[str]) -> dict[str, str]:
        return self.models.names(session, ids)

    def get(self, ref: str, *, with_history: bool = True) -> BatchInferenceOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            history = self.history(session, row.id) if with_history else None
            return self.out(row, model_name=self.model_names(session, {row.model_id}).get(row.model_id), history=history)

    def outputs(self, ref: str, file: str | None = None, offset: int = 0, limit: int = 100) -> BatchOutputsOut:
        """Lines of one output file (default: the first), for a look at the results."""
        with self.db.session() as session:
            row = self.find(session, ref)
            output, result, status = (row.paths or {}).get("output_path", ""), dict(row.result or {}), row.status
        if status != B.COMPLETE:
            raise Conflict(f"batch inference {ref!r} is {status}; outputs can be read once it is COMPLETE", field="status")
        files = [f["output"] for f in result.get("files") or []]
        if not files:
            raise NotFound("the batch inference has no output files", field="file")
        name = file or files[0]
        if name not in files:
            raise InvalidInput(f"file: {name!r} is not an output of this batch inference", field="file")
        if not 0 <= limit <= MAX_PREVIEW_LINES:
            raise InvalidInput(f"limit must be between 0 and {MAX_PREVIEW_LINES}", field="limit")
        lines, next_offset = read_lines(output, name, offset, limit, self.settings.obs_storage_options)
        return BatchOutputsOut(batch_inference_id=row.id, file=name, offset=offset, lines=lines, next_offset=next_offset)

    # -- changes ------------------------------------------------------------
    def update(self, ref: str, body: Any) -> BatchInferenceOut:
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self.out(row, model_name=self.model_names(session, {row.model_id}).get(row.model_id))
        self.publish(row, "updated")
        return out

    def stop(self, ref: str) -> BatchInferenceOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status != B.STOP_IN_PROGRESS:
                if not self.machine.can(row.status, B.STOP_IN_PROGRESS):
                    raise Conflict(f"batch inference {row.name!r} is {row.status}; only one that has not ended can be stopped", field="status")
                self.set_status(session, row, B.STOP_IN_PROGRESS, "stop requested by user")
            out = self.out(row)
        self.publish(row, "status")
        return out

    def copy(self, ref: str) -> dict[str, Any]:
        """A create body pre-filled from an existing batch inference (the guide's copy)."""
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.evaluation_id:
                raise Conflict(f"batch inference {row.name!r} belongs to a model evaluation: copy the evaluation instead")
            body = {"name": self.free_copy_name(session, row.name), "description": row.description, **row.spec, "backend": row.backend}
            for key in ("input_inline", "target_field"):
                body.pop(key, None)
            if row.spec.get("input_inline"):
                # the records travel with the copy: this one's folder goes when it is deleted
                with open(row.paths["input_path"], encoding="utf-8") as fh:
                    body["input_records"] = [json.loads(line) for line in fh if line.strip()]
                body.pop("input_path", None)
            model = self.models.lookup(session, row.model_id)
            if model is not None:
                body["model_id"] = model.id
            return body

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.evaluation_id:
                owner = self.platform.service("evaluations").name_of(session, row.evaluation_id)
                if owner is not None:
                    raise Conflict(f"batch inference {row.name!r} belongs to model evaluation {owner!r}: delete the evaluation instead")
            if row.status not in self.machine.deletable:
                raise Conflict(f"batch inference {row.name!r} is {row.status}: stop it before deleting it", field="status")
            self.remove(session, row)
        shutil.rmtree(self.own_dir(row.id), ignore_errors=True)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)

    @staticmethod
    def remove(session: Session, row: BatchInference) -> None:
        for table in (StatusEvent, LogRecord, ResourceSample):
            session.execute(delete(table).where(table.resource_id == row.id))
        session.delete(row)
