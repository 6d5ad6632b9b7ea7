"""Model evaluations: an evaluation owns a batch inference over its data
(created with it, the target field taken out of each record and echoed next
to the prediction), then runs a metrics job (``runtime/evaluation.py``)
whose result is stored here and compared side by side.
"""
from __future__ import annotations

import os
import shutil
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.evaluations.schemas import (
    ModelEvaluationCreate,
    ModelEvaluationOut,
    ModelEvaluationResultOut,
)
from jupyter_easymaker.areas.evaluations.statuses import (
    EVALUATION_TASKS,
    MAX_COMPARE,
    MAX_EVALUATION_INPUT_BYTES,
    METRICS_JOB,
    MODEL_EVALUATION_ACTIVE,
    MODEL_EVALUATION_MACHINE,
    ModelEvaluationStatus,
)
from jupyter_easymaker.areas.evaluations.tables import ModelEvaluation
from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.catalogs.batch_files import discover
from jupyter_easymaker.catalogs.evaluation import (
    CLASSIFICATION_METRICS,
    GOALS,
    REGRESSION_METRICS,
    RESULT_FILE,
)
from jupyter_easymaker.catalogs.jobs import (
    ERROR_LINE,
    IMAGE_JOBS_DIR,
    MODEL_EVALUATION_ENTRY,
    jobs_source_dir,
)
from jupyter_easymaker.core.errors import Conflict, InvalidInput
from jupyter_easymaker.core.job_fields import progress_out
from jupyter_easymaker.core.job_service import JobService
from jupyter_easymaker.core.jobs import Outcome
from jupyter_easymaker.core.resources import ListQuery, elapsed_seconds, new_id, parse
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.tables import LogRecord, ResourceSample, StatusEvent
from jupyter_easymaker.core.times import utcnow
from jupyter_easymaker.storage_uri import read_json

E = ModelEvaluationStatus
IDENTITY_FIELDS = ("name", "description", "backend")
RESERVED_NAMES = ("compare",)  # model-evaluations/compare is a route
# the guide: input files must be .csv / .jsonl
EXTENSIONS = {"CSV": ".csv", "JSONL": ".jsonl"}


class ModelEvaluationService(JobService):
    table = ModelEvaluation
    machine = MODEL_EVALUATION_MACHINE
    kind = "model evaluation"
    statuses = METRICS_JOB
    log_category = "easymaker.inference"
    scrape_metrics = False

    @property
    def batch(self) -> Any:
        return self.platform.service("batch")

    @property
    def models(self) -> Any:
        return self.platform.service("models")

    # -- what other areas ask ----------------------------------------------
    @staticmethod
    def name_of(session: Session, evaluation_id: str) -> str | None:
        return session.scalar(select(ModelEvaluation.name).where(ModelEvaluation.id == evaluation_id))

    @staticmethod
    def count_for_model(session: Session, model_id: str) -> int:
        return session.scalar(select(func.count()).select_from(ModelEvaluation).where(ModelEvaluation.model_id == model_id)) or 0

    def own_dir(self, evaluation_id: str) -> str:
        return self.settings.path("model-evaluations", evaluation_id)

    # -- answers ------------------------------------------------------------
    def out(self, row: ModelEvaluation, *, model_name: str | None = None, batch: Any = None,
            history: list | None = None) -> ModelEvaluationOut:
        return ModelEvaluationOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, model_id=row.model_id, model_name=model_name, task=row.task,
            class_names=list((row.spec or {}).get("class_names") or []), batch_inference_id=row.batch_inference_id,
            batch_inference_status=batch.status if batch is not None else None,
            progress=progress_out(batch.progress if batch is not None else None), spec=row.spec, backend=row.backend,
            metrics=row.metrics or {}, started_at=row.started_at, finished_at=row.finished_at,
            elapsed_seconds=elapsed_seconds(row.started_at, row.finished_at),
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    def _out(self, session: Session, row: ModelEvaluation, history: list | None = None) -> ModelEvaluationOut:
        batch = self.batch.row(session, row.batch_inference_id)
        model_name = self.models.names(session, {row.model_id}).get(row.model_id)
        return self.out(row, model_name=model_name, batch=batch, history=history)

    # -- create -------------------------------------------------------------
    def create(self, body: Any) -> ModelEvaluationOut:
        data = parse(ModelEvaluationCreate, body)
        if data.name in RESERVED_NAMES:
            raise InvalidInput(f"name: {data.name!r} is reserved", field="name")
        evaluation_id, batch_id = new_id(), new_id()
        own = self.own_dir(evaluation_id)
        with self.db.session() as session:
            model = self.batch.active_model(session, data.model_id)
            self.check_name_free(session, data.name)
            backend = self.batch.backend_name(data.backend)
            instance_type = self.job_specs.instance_type_name(data.instance_type)
            input_path = self.batch.resolve(data.input_path, "input_path")
            self._check_input(input_path, data.input_format)
            output = data.output_path or os.path.join(own, "batch-output")
            options = data.batch_inference
            fields = _BatchFields(input_path=data.input_path, output_path=output, instance_type=options.instance_type,
                                  instance_count=options.instance_count, pod_count=options.pod_count, batch_size=options.batch_size,
                                  timeout_seconds=options.timeout_seconds, max_run_seconds=data.max_run_seconds,
                                  include_glob=["*" + EXTENSIONS[data.input_format]], log_enabled=data.log_enabled)
            try:
                batch = self.batch.new_row(session, batch_id, fields, model, backend=backend, evaluation_id=evaluation_id,
                                           target_field=data.target_field, input_format=data.input_format,
                                           name=self._batch_name(session, data.name))
            except InvalidInput as exc:
                if exc.field and exc.field.startswith(("instance_type", "pod_count", "instance_count", "batch_size", "timeout")):
                    raise InvalidInput(f"batch_inference.{exc.message}", field=f"batch_inference.{exc.field}") from None
                raise
            spec = data.model_dump(exclude={*IDENTITY_FIELDS}, exclude_none=True)
            spec["instance_type"] = instance_type
            row = ModelEvaluation(
                id=evaluation_id, name=data.name, description=data.description, model_id=model.id, batch_inference_id=batch.id,
                task=data.task, spec=spec, backend=backend, metrics={}, result={},
                paths={"input_path": input_path, "batch_output_path": batch.paths["output_path"],
                       "result_dir": _join(batch.paths["output_path"], "evaluation"), "work_dir": os.path.join(own, "job")},
            )
            self.initial(session, row)
            session.add(row)
            out = self.out(row, model_name=model.name, batch=batch)
        self.batch.publish(batch, "created")
        self.publish(row, "created")
        return out

    def _check_input(self, input_path: str, fmt: str) -> None:
        """The guide: .csv / .jsonl files of at most 20 GB. Checked here for
        local paths; obs:// is checked by the job."""
        if input_path.startswith("obs://"):
            return
        ext = EXTENSIONS[fmt]
        if os.path.isfile(input_path):
            if not input_path.lower().endswith(ext):
                raise InvalidInput(f"input_path: a {fmt} input file must end in {ext}", field="input_path")
            files = [input_path]
        elif os.path.isdir(input_path):
            files = [f.path for f in discover(input_path, ["*" + ext])]
            if not files:
                raise InvalidInput(f"input_path: the directory has no {ext} files", field="input_path")
        else:
            raise InvalidInput("input_path: the file or directory does not exist", field="input_path")
        size = sum(os.path.getsize(f) for f in files)
        if size > MAX_EVALUATION_INPUT_BYTES:
            raise InvalidInput(f"input_path: {size / 1024**3:.1f} GB of input; at most 20 GB can be evaluated", field="input_path")

    def _batch_name(self, session: Session, name: str) -> str:
        """The evaluation's name, unless a batch inference already has it."""
        return self.batch.free_name(session, name)

    # -- the metrics job ----------------------------------------------------
    def job_spec(self, row: ModelEvaluation) -> JobSpec:
        import json

        paths = row.paths
        job_paths = {
            "source_dir": jobs_source_dir(), "entry_point": MODEL_EVALUATION_ENTRY,
            "datasets": {"predictions": paths["batch_output_path"]}, "model_dir": "", "output_dir": paths["result_dir"],
            "checkpoint_dir": "", "tensorboard_log_dir": "", "work_dir": paths["work_dir"],
        }
        spec = {"instance_type": row.spec.get("instance_type"), "max_run_seconds": self.remaining_seconds(row)}
        job = self.job_specs.build_job_spec(job_id=row.id, name=row.name, kind="model-evaluation", spec=spec, paths=job_paths,
                                            backend=row.backend, labels={"easymaker/model-id": row.model_id})
        if row.backend != "local":
            job.source_dir = IMAGE_JOBS_DIR
        job.env = {"EM_EVAL_TASK": row.task, "EM_EVAL_CLASS_NAMES": json.dumps(row.spec.get("class_names") or [])}
        return job

    @staticmethod
    def remaining_seconds(row: ModelEvaluation) -> int | None:
        limit = (row.spec or {}).get("max_run_seconds")
        if not limit or row.started_at is None:
            return limit
        return max(1, int(limit - (utcnow() - row.started_at).total_seconds()))

    # -- the metrics job in the job lifecycle ----------------------------------------
    def job_rows(self) -> list[ModelEvaluation]:
        """Every evaluation with work left: those following their batch inference too."""
        with self.db.session() as session:
            return list(session.scalars(select(ModelEvaluation).where(ModelEvaluation.status.in_(MODEL_EVALUATION_ACTIVE))
                                        .order_by(ModelEvaluation.created_at)))

    def log_fields(self, row: ModelEvaluation) -> dict[str, Any]:
        return {"modelEvaluationId": row.id, "batchInferenceId": row.batch_inference_id}

    def on_log_line(self, row: ModelEvaluation, line: str) -> None:
        match = ERROR_LINE.match(line)
        if match:
            row.result = {**(row.result or {}), "error": match.group(1)[:2000]}

    def record_submitted(self, row: ModelEvaluation, handle: dict[str, Any], reason: str) -> None:
        super().record_submitted(row, handle, "computing metrics")

    def finished(self, row: ModelEvaluation, state: Any, outcome: Outcome) -> tuple[Outcome, str | None, dict[str, Any]]:
        """metrics.json of a complete job becomes the result."""
        if outcome != Outcome.SUCCEEDED:
            return outcome, (row.result or {}).get("error") or None, {}
        try:
            result = self.read_result(row.id)
        except Exception as exc:  # noqa: BLE001 - the reason is shown
            return Outcome.FAILED, f"the metrics could not be read: {exc}", {}
        summary = ", ".join(f"{k} {v:.4g}" for k, v in (result.get("metrics") or {}).items() if isinstance(v, (int, float)))
        return outcome, summary, {"metrics": result.get("metrics") or {}, "result": result}

    def read_result(self, evaluation_id: str) -> dict[str, Any]:
        with self.db.session() as session:
            folder = session.get(ModelEvaluation, evaluation_id).paths["result_dir"]
        return read_json(folder, RESULT_FILE, self.settings.obs_storage_options)

    # -- queries ------------------------------------------------------------
    def list(self, query: ListQuery, *, model: str | None = None, task: str | None = None) -> tuple[list[ModelEvaluationOut], int]:
        if task and task not in EVALUATION_TASKS:
            raise InvalidInput(f"task must be one of {', '.join(EVALUATION_TASKS)}", field="task")
        with self.db.session() as session:
            stmt = select(ModelEvaluation)
            if model:
                found = self.models.lookup(session, model)
                stmt = stmt.where(ModelEvaluation.model_id == (found.id if found else model))
            if task:
                stmt = stmt.where(ModelEvaluation.task == task)
            rows, total = query.page(session, ModelEvaluation, stmt)
            return [self._out(session, r) for r in rows], total

    def get(self, ref: str, *, with_history: bool = True) -> ModelEvaluationOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            return self._out(session, row, self.history(session, row.id) if with_history else None)

    def result(self, ref: str) -> ModelEvaluationResultOut:
        """Everything the detail view plots: curves, confusion matrix, per-class scores."""
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status != E.COMPLETE:
                raise Conflict(f"model evaluation {row.name!r} is {row.status}; results exist once it is COMPLETE", field="status")
            return ModelEvaluationResultOut(evaluation_id=row.id, name=row.name, status=row.status, task=row.task,
                                            metrics=row.metrics or {}, result=row.result or {})

    def compare(self, ids: list[str]) -> dict[str, Any]:
        """Several evaluations side by side: each metric with its values and the
        best one, and the curves (binary: the positive class; multiclass: the
        micro-average) and confusion matrices to plot together."""
        ids = [i.strip() for i in ids if i.strip()]
        if not ids:
            raise InvalidInput("ids: give the evaluations to compare (ids or names, comma-separated)", field="ids")
        if len(ids) > MAX_COMPARE:
            raise InvalidInput(f"ids: at most {MAX_COMPARE} evaluations can be compared", field="ids")
        with self.db.session() as session:
            rows = [self.find(session, ref, "ids") for ref in ids]
            names = self.models.names(session, {r.model_id for r in rows})
        tasks = {r.task for r in rows}
        task = tasks.pop() if len(tasks) == 1 else "mixed"
        keys = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS if task == "regression" else (
            *CLASSIFICATION_METRICS, *REGRESSION_METRICS)
        metrics = []
        for key in keys:
            values = [(r.metrics or {}).get(key) for r in rows]
            present = [(v, i) for i, v in enumerate(values) if isinstance(v, (int, float))]
            best = None
            if present:
                pick = max if GOALS[key] == "maximize" else min
                best = pick(present, key=lambda item: item[0])[1]  # the first on ties
            metrics.append({"name": key, "goal": GOALS[key], "values": values, "best": best})
        curves: dict[str, list] = {"roc": [], "pr": []}
        matrices = []
        for r in rows:
            result = r.result or {}
            for kind in ("roc", "pr"):
                overall = _overall_curve(result.get("curves", {}).get(kind) or [])
                if overall is not None:
                    curves[kind].append({"evaluation_id": r.id, "name": r.name, **overall})
            if result.get("confusion_matrix"):
                matrices.append({"evaluation_id": r.id, "name": r.name, **result["confusion_matrix"]})
        return {
            "task": task,
            "evaluations": [{"id": r.id, "name": r.name, "status": r.status, "task": r.task, "model_id": r.model_id,
                             "model_name": names.get(r.model_id), "class_names": (r.spec or {}).get("class_names") or [],
                             "metrics": r.metrics or {}} for r in rows],
            "metrics": metrics,
            "curves": curves,
            "confusion_matrices": matrices,
        }

    # -- changes ------------------------------------------------------------
    def update(self, ref: str, body: Any) -> ModelEvaluationOut:
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self._out(session, row)
        self.publish(row, "updated")
        return out

    def stop(self, ref: str) -> ModelEvaluationOut:
        """STOP IN PROGRESS; the controller stops the batch inference or the
        metrics job and records STOPPED once they have ended."""
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status != E.STOP_IN_PROGRESS:
                if not self.machine.can(row.status, E.STOP_IN_PROGRESS):
                    raise Conflict(f"model evaluation {row.name!r} is {row.status}; only one that has not ended can be stopped", field="status")
                self.set_status(session, row, E.STOP_IN_PROGRESS, "stop requested by user")
            out = self._out(session, row)
        self.publish(row, "status")
        return out

    def copy(self, ref: str) -> dict[str, Any]:
        with self.db.session() as session:
            row = self.find(session, ref)
            spec = dict(row.spec)
            if spec.get("output_path") is None or spec.get("output_path", "").startswith(self.own_dir(row.id)):
                spec.pop("output_path", None)  # the copy gets its own folder
            return {"name": self.free_copy_name(session, row.name), "description": row.description, **spec, "backend": row.backend}

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status not in self.machine.deletable:
                raise Conflict(f"model evaluation {row.name!r} is {row.status}: stop it before deleting it", field="status")
            self.set_status(session, row, E.DELETE_IN_PROGRESS, "delete requested by user")
        self.publish(row, "status")
        with self.db.session() as session:
            row = session.get(ModelEvaluation, row.id)
            batch = self.batch.row(session, row.batch_inference_id)
            if batch is not None:
                self.batch.remove(session, batch)
            for table in (StatusEvent, LogRecord, ResourceSample):
                session.execute(delete(table).where(table.resource_id == row.id))
            session.delete(row)
        if batch is not None:
            shutil.rmtree(self.batch.own_dir(batch.id), ignore_errors=True)
            self.events.publish(self.batch.kind, batch.id, change="deleted", name=batch.name)
        shutil.rmtree(self.own_dir(row.id), ignore_errors=True)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)


class _BatchFields:
    """The batch inference part of an evaluation, shaped like a batch create body."""

    def __init__(self, **values: Any):
        self.__dict__.update(values)
        self.description = ""
        self.input_records = None
        self.exclude_glob = []
        self.input_format = "CSV"

    def model_dump(self, exclude: set[str] | None = None, exclude_none: bool = False) -> dict[str, Any]:
        skip = set(exclude or ()) | {"description", "input_records"}
        return {k: v for k, v in self.__dict__.items() if k not in skip and not (exclude_none and v is None)}


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}" if folder.startswith("obs://") else os.path.join(folder, name)


def _overall_curve(curves: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The curve that stands for the whole model: the micro-average when there is one, else the only one."""
    for curve in curves:
        if curve.get("class") == "micro-average":
            return curve
    return curves[0] if len(curves) == 1 else None
