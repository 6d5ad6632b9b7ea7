"""Pipeline runs: each run is one job of kind ``pipeline-run`` on the shared job
lifecycle (the job runs the DAG executor, ``runtime/jobs/pipeline_run.py``),
or, when a Kubeflow Pipelines API server is configured, a run there whose
state and tasks are mirrored here.

The server writes the run's folder before the job starts: ``pipeline_spec.json``
(a copy, so the run outlives its pipeline), ``platform_spec.json`` and
``run.json``. The executor prints one progress line per task state change,
which becomes the run's row in ``pipeline_run_tasks`` in the transaction that
stores the line; when the job ends its ``journal.jsonl`` is replayed over the
table (lines of a job killed mid-write are not lost) and ``result.json`` read.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from jupyter_easymaker.areas.pipelines import ir
from jupyter_easymaker.areas.pipelines.schemas import (
    PipelineRunCopy,
    PipelineRunCreate,
    PipelineRunFields,
    PipelineRunOut,
    PipelineRunTaskOut,
    PipelineRunTasksOut,
    PipelineTaskCounts,
    PipelineTaskJobOut,
    PipelineTaskLogsOut,
)
from jupyter_easymaker.areas.pipelines.statuses import (
    PIPELINE_RUN_ACTIVE,
    PIPELINE_RUN_JOB,
    PIPELINE_RUN_MACHINE,
    PIPELINE_TASK_JOB_ACTIVE,
    TASK_FINAL_STATES,
    PipelineRunStatus,
    PipelineStatus,
    TaskState,
)
from jupyter_easymaker.areas.pipelines.tables import (
    Pipeline,
    PipelineRun,
    PipelineRunTask,
    PipelineTaskJob,
)
from jupyter_easymaker.backend.base import InstanceType
from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.catalogs.jobs import (
    ERROR_LINE,
    FIRED_RUNS_FOLDER,
    IMAGE_JOBS_DIR,
    PIPELINE_RUN_ENTRY,
    PIPELINE_RUNNER_SERVICE_ACCOUNT,
    PIPELINE_SCHEDULE_DIR_ENV,
    PIPELINE_TASK_JOBS_ENV,
    PIPELINE_TASK_LINE,
    SCHEDULE_WINDOW_FILE,
    SCHEDULED_PIPELINE_RUN_ENTRY,
    TASK_JOBS_FLAG,
    jobs_source_dir,
    read_state,
    replace_json,
)
from jupyter_easymaker.core.errors import Conflict, InvalidInput, NotFound
from jupyter_easymaker.core.job_service import JobService
from jupyter_easymaker.core.jobs import Outcome
from jupyter_easymaker.core.names import validate_name
from jupyter_easymaker.core.resources import ListQuery, elapsed_seconds, new_id, parse
from jupyter_easymaker.core.schemas import RenameBody, StatusEventOut
from jupyter_easymaker.core.tables import LogRecord, ResourceSample, StatusEvent
from jupyter_easymaker.core.times import utcnow

R, S = PipelineRunStatus, TaskState
REMOTE_BACKEND = "kfp"  # a run executed by a Kubeflow Pipelines API server
RUNS_FOLDER = "pipeline-runs"
SCHEDULES_FOLDER = "pipeline-schedules"  # what a schedule's CronJob runs read, and their folders
FIRED_RUN_IDS = uuid.UUID("5f0c6a1e-3b1d-4c59-9a55-0d7f3f1c2b6e")  # run ids of fired Jobs: uuid5 of the Job's uid
CACHE_FOLDER = "pipeline-cache"
SPEC_FILE, PLATFORM_FILE, RUN_FILE = "pipeline_spec.json", "platform_spec.json", "run.json"
JOURNAL_FILE, RESULT_FILE, TASKS_FOLDER = "journal.jsonl", "result.json", "tasks"
LOG_FILE = "log.txt"
MAX_LOG_LINES = 10_000  # of a task's log in one answer
MAX_ARTIFACT_LIST = 5_000
MAX_ZIP_BYTES = 512 * 1024 * 1024  # a folder artifact zipped for download
MAX_ERROR = 4000
# the KFP run states mirrored as the end each one means
REMOTE_ENDS = {"SUCCEEDED": Outcome.SUCCEEDED, "SKIPPED": Outcome.SUCCEEDED, "FAILED": Outcome.FAILED,
               "CANCELED": Outcome.STOPPED}
REMOTE_TASK_STATES = {"PENDING": S.PENDING, "RUNNING": S.RUNNING, "PAUSED": S.RUNNING, "SUCCEEDED": S.SUCCEEDED,
                      "FAILED": S.FAILED, "SKIPPED": S.SKIPPED, "CANCELING": S.CANCELED, "CANCELED": S.CANCELED}


def task_folder(task_id: str) -> str:
    """The executor's folder of a task under ``tasks/`` (``a.1/b`` -> ``a.1__b``)."""
    return task_id.replace("/", "__")


def _when(value: Any) -> datetime | None:
    """A time from a progress line or journal: epoch seconds or ISO 8601."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=UTC) if value > 0 else None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _within(root: str, relative: str, field: str) -> str:
    """``relative`` under ``root``, refusing absolute paths, ``..`` and links that lead out."""
    if not relative or "\x00" in relative or relative.startswith(("/", "\\")) or "\\" in relative \
            or ".." in relative.split("/"):
        raise InvalidInput(f"{field}: must be a relative path inside the run's tasks folder", field=field)
    base = os.path.realpath(root)
    path = os.path.realpath(os.path.join(base, relative))
    if path != base and not path.startswith(base + os.sep):
        raise InvalidInput(f"{field}: must be a relative path inside the run's tasks folder", field=field)
    return path


class PipelineRuns(JobService):
    table = PipelineRun
    machine = PIPELINE_RUN_MACHINE
    kind = "pipeline run"
    statuses = PIPELINE_RUN_JOB
    log_category = "easymaker.pipeline"
    scrape_metrics = False

    def __init__(self, platform: Any, pipelines: Any):
        super().__init__(platform)
        self.pipelines = pipelines  # the pipelines service: lookups of the pipeline a run runs
        self._remote: Any = None

    @property
    def experiments(self) -> Any:
        return self.platform.service("experiments")

    # -- where things are ---------------------------------------------------------------
    def run_dir(self, run_id: str) -> str:
        return self.settings.path(RUNS_FOLDER, run_id)

    def tasks_dir(self, row: PipelineRun) -> str:
        return os.path.join((row.paths or {}).get("run_dir") or self.run_dir(row.id), TASKS_FOLDER)

    def options(self) -> dict[str, Any]:
        return self.settings.options("pipelines")

    # -- what other areas ask -----------------------------------------------------------
    @staticmethod
    def names_in_experiment(session: Session, experiment_id: str) -> list[str]:
        return list(session.scalars(select(PipelineRun.name).where(PipelineRun.experiment_id == experiment_id).limit(6)))

    @staticmethod
    def count_for_pipeline(session: Session, pipeline_id: str) -> int:
        return session.scalar(select(func.count()).select_from(PipelineRun).where(PipelineRun.pipeline_id == pipeline_id)) or 0

    # -- answers --------------------------------------------------------------------------
    @staticmethod
    def task_counts(session: Session, run_ids: list[str]) -> dict[str, PipelineTaskCounts]:
        counts: dict[str, PipelineTaskCounts] = {rid: PipelineTaskCounts() for rid in run_ids}
        if run_ids:
            stmt = (select(PipelineRunTask.run_id, PipelineRunTask.state, func.count())
                    .where(PipelineRunTask.run_id.in_(run_ids)).group_by(PipelineRunTask.run_id, PipelineRunTask.state))
            for run_id, state, n in session.execute(stmt):
                counts[run_id].by_state[state] = n
                counts[run_id].total += n
        return counts

    def out(self, row: PipelineRun, *, experiment_name: str | None = None, counts: PipelineTaskCounts | None = None,
            graph: dict | None = None, history: list | None = None) -> PipelineRunOut:
        spec = row.spec or {}
        return PipelineRunOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, pipeline_id=row.pipeline_id, pipeline_name=row.pipeline_name,
            experiment_id=row.experiment_id, experiment_name=experiment_name, schedule_id=row.schedule_id,
            schedule_name=row.schedule_name, parameters=dict(row.parameters_json or {}), instance_type=row.instance_type,
            instance_count=row.instance_count, boot_storage_gb=row.boot_storage_gb, nas=list(row.nas or []),
            log_management=row.log_management, cache=bool(spec.get("cache", True)), backend=row.backend,
            remote_run_id=row.remote_run_id, result=dict(row.result_json or {}), exit_code=row.exit_code,
            started_at=row.started_at, finished_at=row.finished_at, elapsed_seconds=elapsed_seconds(row.started_at, row.finished_at),
            artifacts_expire_at=row.artifacts_expire_at, artifacts_purged=row.artifacts_purged_at is not None,
            tasks=counts or PipelineTaskCounts(), graph=graph,
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    def list(self, query: ListQuery, *, pipeline: str | None = None, schedule: str | None = None,
             experiment: str | None = None) -> tuple[list[PipelineRunOut], int]:
        with self.db.session() as session:
            stmt = select(PipelineRun)
            if pipeline:
                found = self.pipelines.lookup(session, pipeline)
                stmt = stmt.where(PipelineRun.pipeline_id == found.id if found else PipelineRun.pipeline_name == pipeline)
            if schedule:
                stmt = stmt.where((PipelineRun.schedule_name == schedule) | (PipelineRun.schedule_id == schedule))
            if experiment:
                stmt = stmt.where(PipelineRun.experiment_id == self.experiments.find(session, experiment, "experiment_id").id)
            rows, total = query.page(session, PipelineRun, stmt)
            names = self.experiments.names(session, {r.experiment_id for r in rows})
            counts = self.task_counts(session, [r.id for r in rows])
            return [self.out(r, experiment_name=names.get(r.experiment_id), counts=counts[r.id]) for r in rows], total

    def get(self, ref: str, *, with_history: bool = True, with_graph: bool = True) -> PipelineRunOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            history = self.history(session, row.id) if with_history else None
            graph = self.graph_of(session, row) if with_graph else None
            return self.out(row, experiment_name=self.experiments.names(session, {row.experiment_id}).get(row.experiment_id),
                            counts=self.task_counts(session, [row.id])[row.id], graph=graph, history=history)

    def graph_of(self, session: Session, row: PipelineRun) -> dict | None:
        """The graph of the pipeline this run ran: the pipeline's, or drawn from the run's own copy of the spec."""
        pipeline = session.get(Pipeline, row.pipeline_id) if row.pipeline_id else None
        if pipeline is not None and pipeline.graph_json:
            return pipeline.graph_json
        spec = read_state(os.path.join(row.paths.get("run_dir", ""), SPEC_FILE)) if row.paths else None
        if isinstance(spec, dict):
            try:
                return ir.pipeline_graph(spec)
            except Exception:  # noqa: BLE001 - a run's answer does not fail for want of its drawing
                return None
        return None

    def tasks(self, ref: str) -> PipelineRunTasksOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            tasks = list(session.scalars(select(PipelineRunTask).where(PipelineRunTask.run_id == row.id)
                                         .order_by(PipelineRunTask.id)))
            counts = self.task_counts(session, [row.id])[row.id]
            jobs: dict[str, list[PipelineTaskJobOut]] = {}
            for job in session.scalars(select(PipelineTaskJob).where(PipelineTaskJob.run_id == row.id)
                                       .order_by(PipelineTaskJob.created_at)):
                jobs.setdefault(job.task_id, []).append(PipelineTaskJobOut(
                    id=job.id, name=job.name, attempt=job.attempt, status=job.status, status_reason=job.status_reason,
                    exit_code=job.exit_code, started_at=job.started_at, finished_at=job.finished_at))
            return PipelineRunTasksOut(run_id=row.id, status=row.status, counts=counts,
                                       items=[self.task_out(t, jobs.get(t.task_id, [])) for t in tasks])

    @staticmethod
    def task_out(task: PipelineRunTask, jobs: list[PipelineTaskJobOut] | None = None) -> PipelineRunTaskOut:
        return PipelineRunTaskOut(task_id=task.task_id, name=task.name, parent=task.parent, state=task.state,
                                  attempt=task.attempt, started_at=task.started_at, ended_at=task.ended_at,
                                  outputs=dict(task.outputs_json or {}), error=task.error, jobs=jobs or [])

    def task_logs(self, ref: str, task_id: str, offset: int = 0, limit: int = 1000) -> PipelineTaskLogsOut:
        """Lines of a task's log.txt (its stdout and stderr), a page at a time."""
        if not 1 <= limit <= MAX_LOG_LINES:
            raise InvalidInput(f"limit must be between 1 and {MAX_LOG_LINES}", field="limit")
        with self.db.session() as session:
            row = self.find(session, ref)
            known = session.scalar(select(PipelineRunTask.id).where(PipelineRunTask.run_id == row.id,
                                                                    PipelineRunTask.task_id == task_id))
        tasks = self.tasks_dir(row)
        folder = _within(tasks, task_folder(task_id), "task_id")
        path = os.path.join(folder, LOG_FILE)
        if not os.path.isfile(path):
            if known is None:
                raise NotFound(f"pipeline run {row.name!r} has no task {task_id!r}", field="task_id")
            if row.artifacts_purged_at is not None:
                raise NotFound(f"the logs of pipeline run {row.name!r} were deleted after the retention period", field="task_id")
            return PipelineTaskLogsOut(run_id=row.id, task_id=task_id, lines=[], offset=offset, next_offset=None)
        lines: list[str] = []
        next_offset: int | None = None
        for number, line in enumerate(self._task_log_lines(row.id, task_id, path)):
            if number < offset:
                continue
            if len(lines) >= limit:
                next_offset = number
                break
            lines.append(line.rstrip("\n"))
        return PipelineTaskLogsOut(run_id=row.id, task_id=task_id, lines=lines, offset=offset, next_offset=next_offset)

    def _task_log_lines(self, run_id: str, task_id: str, path: str) -> Iterator[str]:
        """The task's log, then the output of its job while that job runs (the executor
        adds a job's output to the task's log once the job ended)."""
        with open(path, encoding="utf-8", errors="replace") as fh:
            yield from fh
        with self.db.session() as session:
            handle = session.scalar(select(PipelineTaskJob.handle).where(
                PipelineTaskJob.run_id == run_id, PipelineTaskJob.task_id == task_id,
                PipelineTaskJob.status.in_(PIPELINE_TASK_JOB_ACTIVE)).order_by(PipelineTaskJob.created_at.desc()).limit(1))
        live = (handle or {}).get("log_path")
        if live:
            try:
                with open(live, encoding="utf-8", errors="replace") as fh:
                    yield from fh
            except FileNotFoundError:
                pass

    # -- artifacts ----------------------------------------------------------------------
    def artifacts(self, ref: str) -> dict[str, Any]:
        """The files under the run's tasks folder that tasks wrote as outputs (``<task>/outputs/...``)."""
        with self.db.session() as session:
            row = self.find(session, ref)
        root = self.tasks_dir(row)
        files: list[dict[str, Any]] = []
        if os.path.isdir(root):
            for folder, dirs, names in os.walk(root):
                dirs.sort()
                for name in sorted(names):
                    path = os.path.join(folder, name)
                    relative = os.path.relpath(path, root).replace(os.sep, "/")
                    parts = relative.split("/")
                    if len(parts) < 3 or parts[1] != "outputs" or os.path.islink(path):
                        continue
                    files.append({"path": relative, "task_folder": parts[0], "output": parts[2],
                                  "size_bytes": os.path.getsize(path)})
                    if len(files) >= MAX_ARTIFACT_LIST:
                        break
        return {"run_id": row.id, "purged": row.artifacts_purged_at is not None,
                "expire_at": row.artifacts_expire_at.isoformat() if row.artifacts_expire_at else None, "files": files}

    def artifact_path(self, ref: str, relative: str | None) -> tuple[str, str, bool]:
        """(absolute path, download name, is a folder) of ``relative`` under the run's tasks folder."""
        if not relative:
            raise InvalidInput("path: name the artifact, e.g. add-numbers/outputs/Output (GET .../artifacts lists them)",
                               field="path")
        with self.db.session() as session:
            row = self.find(session, ref)
        path = _within(self.tasks_dir(row), relative, "path")
        if not os.path.exists(path):
            gone = row.artifacts_purged_at is not None
            raise NotFound(f"path: {relative!r} " + ("was deleted after the retention period" if gone else "does not exist"),
                           field="path")
        return path, os.path.basename(path.rstrip(os.sep)) or "artifact", os.path.isdir(path)

    @staticmethod
    def zip_folder(path: str) -> bytes:
        """A folder artifact as a zip (links inside are left out)."""
        buffer, total = io.BytesIO(), 0
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for folder, _dirs, names in os.walk(path):
                for name in sorted(names):
                    full = os.path.join(folder, name)
                    if os.path.islink(full):
                        continue
                    total += os.path.getsize(full)
                    if total > MAX_ZIP_BYTES:
                        raise Conflict(f"path: the folder holds more than {MAX_ZIP_BYTES // 2**20} MB; download its files "
                                       "one by one", field="path")
                    archive.write(full, os.path.relpath(full, path))
        return buffer.getvalue()

    # -- create -----------------------------------------------------------------------
    def create(self, body: Any) -> PipelineRunOut:
        data = parse(PipelineRunCreate, body)
        with self.db.session() as session:
            row, experiment_name = self.create_in(session, data, name=data.name, description=data.description)
            out = self.out(row, experiment_name=experiment_name)
        self.publish(row, "created")
        return out

    def create_scheduled_run(self, session: Session | None = None, *, schedule_id: str, schedule_name: str,
                             pipeline_id: str, run_name: str, parameters: dict[str, Any] | None = None,
                             experiment_name: str | None = None, experiment_id: str | None = None,
                             instance_type: str | None = None, instance_count: int = 1, description: str = "",
                             **fields: Any) -> str:
        """A run a pipeline schedule starts; the run's name. ``fields`` are the run
        form's other fields (``boot_storage_gb``, ``nas``, ``log_management``,
        ``cache``, ``max_run_seconds``, ``backend``, ``experiment_description``).
        Inside the caller's unit of work when it has one open on this thread."""
        body = {"pipeline_name": pipeline_id, "parameters": dict(parameters or {}), "instance_type": instance_type,
                "instance_count": instance_count, "experiment_name": experiment_name, "experiment_id": experiment_id,
                **fields}
        data = parse(PipelineRunFields, {k: v for k, v in body.items() if v is not None})
        with self.db.session() as own:
            row, _ = self.create_in(session or own, data, name=run_name, description=description,
                                    schedule=(schedule_id, schedule_name))
        self.publish(row, "created")
        return row.name

    def create_in(self, session: Session, data: PipelineRunFields, *, name: str, description: str,
                  schedule: tuple[str, str] | None = None) -> tuple[PipelineRun, str]:
        """Validate and store a run (CREATE REQUESTED) and write its folder; (row, experiment name)."""
        validate_name(name)
        pipeline = self.pipelines.lookup(session, data.pipeline_name)
        if pipeline is None:
            raise InvalidInput(f"pipeline_name: pipeline {data.pipeline_name!r} does not exist", field="pipeline_name")
        if pipeline.status != PipelineStatus.ACTIVE:
            raise InvalidInput(f"pipeline_name: pipeline {pipeline.name!r} is {pipeline.status}; a run starts from an "
                               "ACTIVE pipeline", field="pipeline_name")
        parameters = ir.check_run_parameters(pipeline.spec_json, data.parameters)
        self.check_name_free(session, name)
        instance_type = self.job_specs.instance_type_name(data.instance_type)
        nas = []
        for i, mount in enumerate(data.nas):
            resolved = self.job_specs.resolve(mount.nas_path, f"nas[{i}].nas_path")
            if not resolved.startswith("obs://") and not os.path.isdir(resolved):
                raise InvalidInput(f"nas[{i}].nas_path: the directory does not exist", field=f"nas[{i}].nas_path")
            nas.append({"mount_dir_name": mount.mount_dir_name, "nas_path": mount.nas_path, "path": resolved})
        backend = self.backend_for(data.backend)
        experiment = self.experiment_for(session, data)
        run_id = new_id()
        run_dir = self.run_dir(run_id)
        spec: dict[str, Any] = {"instance_type": instance_type, "instance_count": data.instance_count, "nodes": 1,
                                "cache": data.cache, "log_enabled": data.log_management}
        if data.boot_storage_gb is not None:
            spec["boot_storage_gb"] = data.boot_storage_gb
        if data.max_run_seconds is not None:
            spec["max_run_seconds"] = data.max_run_seconds
        row = PipelineRun(
            id=run_id, name=name, description=description, pipeline_id=pipeline.id, pipeline_name=pipeline.name,
            experiment_id=experiment.id, schedule_id=schedule[0] if schedule else None,
            schedule_name=schedule[1] if schedule else None, parameters_json=parameters, instance_type=instance_type,
            instance_count=data.instance_count, boot_storage_gb=data.boot_storage_gb, nas=nas,
            log_management=data.log_management, spec=spec, backend=backend,
            paths={"run_dir": run_dir, "work_dir": os.path.join(run_dir, "job")},
        )
        self.initial(session, row)
        session.add(row)
        session.flush()
        self.write_run_dir(row, pipeline.spec_json, pipeline.platform_spec_json)
        return row, experiment.name

    def backend_for(self, asked: str | None) -> str:
        """The request's backend; without one, the KFP server when one is configured, else the default."""
        if asked is None and self.options().get("kfp_api_url"):
            return REMOTE_BACKEND
        backend = asked or self.settings.default_backend
        if backend not in self.platform.backend_names():
            raise InvalidInput(f"backend: the {backend} backend is not configured on this server", field="backend")
        return backend

    def experiment_for(self, session: Session, data: PipelineRunFields) -> Any:
        """The run's experiment: by id, or by name, created (with its description) when missing."""
        if data.experiment_name and not data.experiment_id and data.experiment_description:
            if self.experiments.lookup(session, data.experiment_name, by_id=False) is None:
                try:
                    with session.begin_nested():  # another request may create it at the same moment
                        created = self.experiments.create_in(session, data.experiment_name, data.experiment_description)
                except (Conflict, IntegrityError):
                    pass
                else:
                    self.experiments.publish(created, "created")
        return self.experiments.resolve_member(session, data.experiment_id, data.experiment_name)

    def write_run_dir(self, row: PipelineRun, spec: dict, platform_spec: dict | None) -> None:
        """What the executor reads: the spec, the platform spec and run.json."""
        run_dir = row.paths["run_dir"]
        os.makedirs(run_dir, exist_ok=True)
        replace_json(os.path.join(run_dir, SPEC_FILE), spec)
        if platform_spec:
            replace_json(os.path.join(run_dir, PLATFORM_FILE), platform_spec)
        cache = self.settings.path(CACHE_FOLDER) if (row.spec or {}).get("cache", True) else None
        replace_json(os.path.join(run_dir, RUN_FILE), {
            "parameters": dict(row.parameters_json or {}), "run_name": row.name, "cache_dir": cache,
            "parallelism": self.options().get("parallelism"), "job_id": row.id,
            # on the local backend each task attempt is a job of its own (task_jobs.py)
            TASK_JOBS_FLAG: row.backend == "local",
        })

    # -- schedules run by the cluster (a CronJob per schedule) -------------------------------
    def schedule_dir(self, schedule_id: str) -> str:
        return self.settings.path(SCHEDULES_FOLDER, schedule_id)

    def _schedule_row(self, session: Session, *, schedule_id: str, schedule_name: str, pipeline_id: str,
                      experiment_id: str, run_spec: dict[str, Any], row_id: str, run_dir: str) -> tuple[PipelineRun, Pipeline]:
        """A run row (not stored) of the schedule's run fields, in ``run_dir``."""
        data = parse(PipelineRunFields, {"pipeline_name": pipeline_id, "experiment_id": experiment_id,
                                         **{k: v for k, v in run_spec.items() if v is not None}})
        pipeline = self.pipelines.lookup(session, pipeline_id)
        if pipeline is None:
            raise InvalidInput(f"pipeline_name: pipeline {pipeline_id!r} does not exist", field="pipeline_name")
        nas = [{"mount_dir_name": m.mount_dir_name, "nas_path": m.nas_path,
                "path": self.job_specs.resolve(m.nas_path, f"nas[{i}].nas_path")} for i, m in enumerate(data.nas)]
        spec: dict[str, Any] = {"instance_type": self.job_specs.instance_type_name(data.instance_type),
                                "instance_count": data.instance_count, "nodes": 1, "cache": data.cache,
                                "log_enabled": data.log_management}
        for key in ("boot_storage_gb", "max_run_seconds"):
            if getattr(data, key) is not None:
                spec[key] = getattr(data, key)
        row = PipelineRun(
            id=row_id, name=schedule_name, description="", pipeline_id=pipeline.id, pipeline_name=pipeline.name,
            experiment_id=experiment_id, schedule_id=schedule_id, schedule_name=schedule_name,
            parameters_json=dict(data.parameters or {}), instance_type=spec["instance_type"],
            instance_count=data.instance_count, boot_storage_gb=data.boot_storage_gb, nas=nas,
            log_management=data.log_management, spec=spec, backend=self.backend_for(data.backend),
            paths={"run_dir": run_dir, "work_dir": os.path.join(run_dir, "job")})
        return row, pipeline

    def schedule_job(self, *, schedule_id: str, schedule_name: str, pipeline_id: str, experiment_id: str,
                     run_spec: dict[str, Any], start_at: datetime | None, end_at: datetime | None) -> JobSpec:
        """Stage what a schedule's runs need in its folder (the pipeline's spec, run.json, its start /
        end time) and answer the job each of its runs is: the run Job of today, whose pod makes its run's
        folder from the staged one (``SCHEDULED_PIPELINE_RUN_ENTRY``)."""
        folder = self.schedule_dir(schedule_id)
        with self.db.session() as session:
            row, pipeline = self._schedule_row(session, schedule_id=schedule_id, schedule_name=schedule_name,
                                               pipeline_id=pipeline_id, experiment_id=experiment_id, run_spec=run_spec,
                                               row_id=schedule_id, run_dir=folder)
            spec_json, platform_json = pipeline.spec_json, pipeline.platform_spec_json
        self.write_run_dir(row, spec_json, platform_json)
        replace_json(os.path.join(folder, SCHEDULE_WINDOW_FILE),
                     {"start_at": start_at.isoformat() if start_at else None, "end_at": end_at.isoformat() if end_at else None})
        return self._executor_job(row, SCHEDULED_PIPELINE_RUN_ENTRY, {PIPELINE_SCHEDULE_DIR_ENV: folder})

    def record_fired_run(self, *, schedule_id: str, schedule_name: str, pipeline_id: str, experiment_id: str,
                         run_spec: dict[str, Any], names: list[str], fired: dict[str, Any], description: str) -> str | None:
        """Record a Job the schedule's CronJob started as the schedule's run, once: its id derives
        from the Job's uid, so a second pass (or a restarted server) finds it recorded. The run is
        CREATE IN PROGRESS with the Job as its handle: the job lifecycle takes it from there (its
        state, tasks, logs, result). The run's name, or None when it was recorded before."""
        run_id = str(uuid.uuid5(FIRED_RUN_IDS, str(fired["uid"])))
        run_dir = os.path.join(self.schedule_dir(schedule_id), FIRED_RUNS_FOLDER, str(fired["name"]))
        try:
            with self.db.session() as session:
                if session.get(PipelineRun, run_id) is not None:
                    return None
                row, _ = self._schedule_row(session, schedule_id=schedule_id, schedule_name=schedule_name,
                                            pipeline_id=pipeline_id, experiment_id=experiment_id, run_spec=run_spec,
                                            row_id=run_id, run_dir=run_dir)
                taken = set(session.scalars(select(PipelineRun.name).where(PipelineRun.name.in_(names))))
                free = [n for n in names if n not in taken]
                row.name = free[0] if free else f"{names[0][:40]}-{run_id[:8]}"
                row.description = description
                self.initial(session, row)
                row.handle, row.log_offset = {**fired["handle"], "job_id": run_id}, 0
                session.add(row)
                session.flush()
                self.set_status(session, row, R.CREATE_IN_PROGRESS,
                                f"started by the schedule's CronJob on Kubernetes (Job {fired['name']})")
        except IntegrityError:
            return None  # recorded at the same moment by another pass
        self.publish(row, "created")
        return row.name

    # -- schedules kept by the Kubeflow Pipelines server (a recurring run per schedule) -----------
    def put_recurring_run(self, *, schedule_id: str, schedule_name: str, pipeline_id: str, experiment_id: str,
                          run_spec: dict[str, Any], trigger: dict[str, Any], interval_seconds: int | None,
                          start_at: datetime | None, end_at: datetime | None, max_concurrency: int, catch_up: bool,
                          enabled: bool) -> str:
        """The schedule as a recurring run on the KFP server (the pipeline's YAML inline, the run
        parameters, the 6-field cron or the interval); its id (RemoteError passes)."""
        with self.db.session() as session:
            pipeline = self.pipelines.lookup(session, pipeline_id)
            if pipeline is None:
                raise InvalidInput(f"pipeline_name: pipeline {pipeline_id!r} does not exist", field="pipeline_name")
            experiment = self.experiments.names(session, {experiment_id}).get(experiment_id) or "Default"
            text = ir.canonical_yaml(pipeline.spec_json, pipeline.platform_spec_json)
        return self.remote().create_recurring(
            schedule_name, text, dict(run_spec.get("parameters") or {}), experiment,
            cron=trigger.get("expression") if trigger.get("type") == "cron" else None, interval_seconds=interval_seconds,
            start_at=start_at, end_at=end_at, max_concurrency=max_concurrency, catch_up=catch_up, enabled=enabled,
            enable_caching=run_spec.get("cache"))

    def switch_recurring_run(self, recurring_run_id: str, enabled: bool) -> None:
        self.remote().switch_recurring(recurring_run_id, enabled)

    def delete_recurring_run(self, recurring_run_id: str) -> None:
        self.remote().delete_recurring(recurring_run_id)

    def record_recurring_runs(self, *, recurring_run_id: str, schedule_id: str, schedule_name: str, pipeline_id: str,
                              experiment_id: str, run_spec: dict[str, Any]) -> list[tuple[str, datetime | None]]:
        """The runs the KFP server started for the schedule's recurring run that are not recorded yet,
        each recorded once (its id derives from KFP's run id) as the schedule's run, mirrored from then
        on like any run on that server; (name, scheduled time) of each recorded now."""
        with self.db.session() as session:
            experiment = self.experiments.names(session, {experiment_id}).get(experiment_id) or "Default"
        recorded = []
        for remote_run in self.remote().recurring_runs(recurring_run_id, experiment):
            run_id = str(uuid.uuid5(FIRED_RUN_IDS, f"kfp:{remote_run['run_id']}"))
            try:
                with self.db.session() as session:
                    if session.get(PipelineRun, run_id) is not None:
                        continue
                    row, _ = self._schedule_row(session, schedule_id=schedule_id, schedule_name=schedule_name,
                                                pipeline_id=pipeline_id, experiment_id=experiment_id,
                                                run_spec={**run_spec, "backend": None}, row_id=run_id,
                                                run_dir=self.run_dir(run_id))
                    taken = session.scalar(select(PipelineRun.id).where(PipelineRun.name == remote_run["name"]))
                    row.name = remote_run["name"] if taken is None else f"{remote_run['name'][:40]}-{run_id[:8]}"
                    row.description = f"run of pipeline schedule {schedule_name}, started by Kubeflow Pipelines"
                    row.backend, row.remote_run_id = REMOTE_BACKEND, remote_run["run_id"]
                    self.initial(session, row)
                    row.handle = {"remote_run_id": remote_run["run_id"]}
                    session.add(row)
                    session.flush()
                    self.set_status(session, row, R.CREATE_IN_PROGRESS,
                                    f"started by recurring run {recurring_run_id} on Kubeflow Pipelines")
            except IntegrityError:
                continue
            self.publish(row, "created")
            recorded.append((row.name, remote_run["scheduled_at"]))
        return recorded

    # -- the job ------------------------------------------------------------------------
    def job_rows(self) -> list[Any]:
        return [r for r in super().job_rows() if r.backend != REMOTE_BACKEND]

    def running_rows(self) -> list[Any]:
        return [r for r in super().running_rows() if r.backend != REMOTE_BACKEND]

    def job_spec(self, row: PipelineRun) -> JobSpec:
        run_dir = row.paths["run_dir"]
        if not os.path.isfile(os.path.join(run_dir, SPEC_FILE)):
            raise InvalidInput(f"the run's folder {run_dir} lost its {SPEC_FILE}; copy the run to start it again")
        return self._executor_job(row, PIPELINE_RUN_ENTRY, {"EM_PIPELINE_RUN_DIR": run_dir})

    def _executor_job(self, row: PipelineRun, entry_point: str, env: dict[str, str]) -> JobSpec:
        """The job that runs the executor on ``row``'s folder (a run's, or a schedule's staged one)."""
        run_dir = row.paths["run_dir"]
        job_paths = {"source_dir": jobs_source_dir(), "entry_point": entry_point, "datasets": {}, "model_dir": "",
                     "output_dir": run_dir, "checkpoint_dir": "", "tensorboard_log_dir": "", "work_dir": row.paths["work_dir"]}
        labels = {"easymaker/experiment-id": row.experiment_id}
        if row.pipeline_id:
            labels["easymaker/pipeline-id"] = row.pipeline_id
        job = self.job_specs.build_job_spec(job_id=row.id, name=row.name, kind="pipeline-run", spec={**row.spec, "nodes": 1},
                                            paths=job_paths, backend=row.backend, labels=labels)
        if row.backend != "local":
            job.source_dir = IMAGE_JOBS_DIR
        elif (read_state(os.path.join(run_dir, RUN_FILE)) or {}).get(TASK_JOBS_FLAG):
            # the executor only walks the DAG: the run's instance type is what each task's job gets
            job.instance_type = InstanceType(name=f"{job.instance_type.name} (tasks)", cpu=0.0, memory_mib=0)
        job.env = {**env, "EM_NAS_MOUNTS": json.dumps({m["mount_dir_name"]: m["path"] for m in row.nas or []})}
        for mount in row.nas or []:
            job.env[f"EM_NAS_{mount['mount_dir_name'].upper().replace('-', '_')}"] = mount["path"]
        template = getattr(self.platform.backends.get(row.backend), "pipeline_task_template", None)
        if template is not None:
            # on a cluster each task is a Job of its own, which the executor in the run's pod creates
            job.service_account = str(self.options().get("kubernetes_service_account") or PIPELINE_RUNNER_SERVICE_ACCOUNT)
            job.env[PIPELINE_TASK_JOBS_ENV] = json.dumps(template(job))
        return job

    def log_fields(self, row: PipelineRun) -> dict[str, Any]:
        return {"pipelineRunId": row.id, **({"pipelineId": row.pipeline_id} if row.pipeline_id else {})}

    def on_log_line(self, row: PipelineRun, line: str) -> None:
        """A task's progress line becomes its row (in the transaction storing the line);
        the executor's ERROR line is kept as the run's failure reason."""
        match = PIPELINE_TASK_LINE.match(line)
        if match:
            try:
                record = json.loads(match.group(1))
            except ValueError:
                return
            session = object_session(row)
            if isinstance(record, dict) and record.get("task") and session is not None:
                self.upsert_task(session, row.id, record)
            return
        match = ERROR_LINE.match(line)
        if match:
            row.result_json = {**(row.result_json or {}), "error": match.group(1)[:MAX_ERROR]}

    @staticmethod
    def upsert_task(session: Session, run_id: str, record: dict[str, Any]) -> None:
        """One task's latest state from a progress line or a journal entry."""
        task_id = str(record["task"])[:512]
        state = str(record.get("state") or S.PENDING)
        task = session.scalar(select(PipelineRunTask).where(PipelineRunTask.run_id == run_id, PipelineRunTask.task_id == task_id))
        if task is None:
            parent = task_id.rsplit("/", 1)[0] if "/" in task_id else None
            name = record.get("name") or task_id.rsplit("/", 1)[-1].split(".")[0]
            task = PipelineRunTask(run_id=run_id, task_id=task_id, name=str(name)[:255], parent=parent, state=state,
                                   attempt=1, outputs_json={})
            session.add(task)
        elif record.get("name"):
            task.name = str(record["name"])[:255]
        task.state = state
        if record.get("attempt"):
            task.attempt = int(record["attempt"])
        at = _when(record.get("at"))
        started = _when(record.get("started_at")) or (at if state == S.RUNNING else None)
        if started is not None and (task.started_at is None or state == S.RUNNING):
            task.started_at = started
        ended = _when(record.get("ended_at")) or (at if state in TASK_FINAL_STATES else None)
        if ended is not None:
            task.ended_at = ended
        if state == S.RUNNING:
            task.ended_at = None
        if isinstance(record.get("outputs"), dict) and record["outputs"]:
            task.outputs_json = record["outputs"]
        if "error" in record:
            task.error = str(record["error"])[:MAX_ERROR] if record["error"] else None
        session.flush()

    def replay_journal(self, row: PipelineRun) -> None:
        """The executor's journal over the tasks table: every state it recorded, even
        one whose progress line the job could not print before it ended."""
        path = os.path.join(row.paths.get("run_dir", ""), JOURNAL_FILE)
        if not os.path.isfile(path):
            return
        names = {n["id"]: n["name"] for n in ((self.graph_of_row(row) or {}).get("nodes") or [])}
        latest: dict[str, dict[str, Any]] = {}
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # the last line of a killed job may be cut short
                if isinstance(record, dict) and record.get("task"):
                    merged = {**latest.get(record["task"], {}), **{k: v for k, v in record.items() if v is not None}}
                    if record.get("state") == S.RUNNING:
                        merged["started_at"] = record.get("at")
                    latest[record["task"]] = merged
        with self.db.session() as session:
            for task_id, record in latest.items():
                node_id = "/".join(part.split(".")[0] for part in task_id.split("/"))  # a.1/b -> the node a/b
                if names.get(node_id):
                    record.setdefault("name", names[node_id])
                self.upsert_task(session, row.id, record)

    def graph_of_row(self, row: PipelineRun) -> dict | None:
        with self.db.session() as session:
            stored = session.get(PipelineRun, row.id)
            return self.graph_of(session, stored) if stored is not None else None

    def cancel_open_tasks(self, run_id: str, state: str, reason: str | None = None) -> None:
        """Tasks a stopped or failed run left PENDING or RUNNING: they will never end on their own."""
        with self.db.session() as session:
            for task in session.scalars(select(PipelineRunTask).where(PipelineRunTask.run_id == run_id,
                                                                      PipelineRunTask.state.in_((S.PENDING, S.RUNNING)))):
                task.state = state
                task.ended_at = task.ended_at or utcnow()
                if reason and not task.error:
                    task.error = reason

    def failed_tasks_reason(self, run_id: str) -> str | None:
        with self.db.session() as session:
            failed = list(session.execute(select(PipelineRunTask.task_id, PipelineRunTask.error)
                                          .where(PipelineRunTask.run_id == run_id, PipelineRunTask.state == S.FAILED)
                                          .order_by(PipelineRunTask.ended_at).limit(3)))
        if not failed:
            return None
        return "; ".join(f"task {task_id} failed" + (f": {error.strip().splitlines()[-1]}" if error and error.strip() else "")
                         for task_id, error in failed)[:MAX_ERROR]

    def finished(self, row: PipelineRun, state: Any, outcome: Outcome) -> tuple[Outcome, str | None, dict[str, Any]]:
        """The job ended: the journal completes the tasks table, result.json says how the run ended."""
        try:
            self.replay_journal(row)
        except Exception as exc:  # noqa: BLE001 - the run's end is recorded anyway
            self.platform.log.warning("pipeline run %s: its journal could not be read: %s", row.id, exc)
        result = read_state(os.path.join(row.paths.get("run_dir", ""), RESULT_FILE))
        result = result if isinstance(result, dict) else {}
        said = str(result.get("state") or "").upper()
        if outcome == Outcome.SUCCEEDED and said == "FAILED":
            outcome = Outcome.FAILED
        elif outcome == Outcome.FAILED and said == "CANCELED":
            outcome = Outcome.STOPPED
        if outcome == Outcome.STOPPED:
            self.cancel_open_tasks(row.id, S.CANCELED)
        elif outcome != Outcome.SUCCEEDED:
            self.cancel_open_tasks(row.id, S.CANCELED, "the run ended before this task")
        reason: str | None = None
        if outcome == Outcome.FAILED:
            reason = result.get("error") or self.failed_tasks_reason(row.id) or None
        elif outcome == Outcome.SUCCEEDED and not result:
            reason = f"the executor wrote no {RESULT_FILE}"
        with self.db.session() as session:
            stored = session.get(PipelineRun, row.id)
            earlier = dict(stored.result_json or {}) if stored is not None else {}
        if outcome == Outcome.FAILED and reason is None:
            reason = earlier.get("error")
        fields: dict[str, Any] = {"result_json": {**earlier, **result}}
        fields["artifacts_expire_at"] = utcnow() + timedelta(days=self.settings.retention_days)
        return outcome, reason, fields

    # -- runs on a Kubeflow Pipelines server ------------------------------------------------
    def remote(self) -> Any:
        """The KFP API server of ``area_options["pipelines"]``: kfp_api_url, kfp_token, kfp_namespace."""
        if self._remote is None:
            from jupyter_easymaker.areas.pipelines.kfp_remote import KfpRemote

            options = self.options()
            self._remote = KfpRemote(options["kfp_api_url"], options.get("kfp_token"), options.get("kfp_namespace"))
        return self._remote

    def remote_rows(self) -> list[PipelineRun]:
        with self.db.session() as session:
            return list(session.scalars(select(PipelineRun).where(PipelineRun.backend == REMOTE_BACKEND,
                                                                  PipelineRun.status.in_(PIPELINE_RUN_ACTIVE))
                                        .order_by(PipelineRun.created_at)))

    def remote_step(self, row: PipelineRun) -> None:
        """One pass over a run on the KFP server: submit it, forward a stop, mirror its state and tasks."""
        from jupyter_easymaker.areas.pipelines.kfp_remote import RemoteError

        words = self.statuses
        if not self.options().get("kfp_api_url"):
            self.end_remote(row, Outcome.NOT_STARTED if not row.remote_run_id else Outcome.FAILED,
                            "no Kubeflow Pipelines API server is configured on this server any more")
            return
        if not row.remote_run_id:
            if row.status == words.stopping:
                self.end_remote(row, Outcome.STOPPED, "stopped before it started")
                return
            self.submit_remote(row)
            return
        remote = self.remote()
        if row.status == words.stopping and not (row.handle or {}).get("stop_sent"):
            try:
                remote.stop(row.remote_run_id)
            except RemoteError as exc:
                self.record_waiting(row, f"stopping on Kubeflow Pipelines: {exc}")
                return
            self.record_handle(row, {**(row.handle or {}), "stop_sent": True})
        try:
            run = remote.poll(row.remote_run_id)
        except RemoteError as exc:
            self.record_waiting(row, f"Kubeflow Pipelines could not be asked: {exc}")
            return
        self.mirror_tasks(row, run.tasks)
        if run.state in ("RUNNING", "PAUSED") and row.status == words.submitted:
            self.record_started(row, utcnow())
        elif run.state == "CANCELING" and row.status in (words.submitted, words.running):
            self.record_status(row, words.stopping, "canceling on the Kubeflow Pipelines server")
        outcome = REMOTE_ENDS.get(run.state)
        if outcome is None:
            return
        if outcome == Outcome.FAILED:
            reason = run.error or self.failed_tasks_reason(row.id) or "the run failed on the Kubeflow Pipelines server"
        else:
            reason = "" if outcome == Outcome.SUCCEEDED else "stopped on the Kubeflow Pipelines server"
        if outcome != Outcome.SUCCEEDED:
            self.cancel_open_tasks(row.id, S.CANCELED)
        started = min((t["started_at"] for t in run.tasks if t.get("started_at")), default=None)
        self.end_remote(row, outcome, reason, result_json={"state": run.state, "error": run.error},
                        artifacts_expire_at=utcnow() + timedelta(days=self.settings.retention_days),
                        **({"started_at": row.started_at or started} if started else {}))

    def submit_remote(self, row: PipelineRun) -> None:
        from jupyter_easymaker.areas.pipelines.kfp_remote import RemoteError

        run_dir = row.paths["run_dir"]
        spec = read_state(os.path.join(run_dir, SPEC_FILE))
        if not isinstance(spec, dict):
            self.end_remote(row, Outcome.NOT_STARTED, f"the run's folder lost its {SPEC_FILE}")
            return
        platform_spec = read_state(os.path.join(run_dir, PLATFORM_FILE))
        with self.db.session() as session:
            experiment = self.experiments.names(session, {row.experiment_id}).get(row.experiment_id) or "Default"
        try:
            remote_id = self.remote().submit(row.name, ir.canonical_yaml(spec, platform_spec if isinstance(platform_spec, dict) else None),
                                             dict(row.parameters_json or {}), experiment)
        except RemoteError as exc:
            if exc.status is None or exc.status >= 500:  # unreachable or failing: try again next pass
                self.record_waiting(row, f"waiting for Kubeflow Pipelines: {exc}")
            else:
                self.end_remote(row, Outcome.NOT_STARTED, str(exc))
            return
        with self.db.session() as session:
            stored = session.get(PipelineRun, row.id)
            if stored is None:
                return
            stored.remote_run_id = remote_id
        row.remote_run_id = remote_id
        self.record_submitted(row, {"remote_run_id": remote_id}, "submitted to Kubeflow Pipelines")

    def end_remote(self, row: PipelineRun, outcome: Outcome, reason: str, **fields: Any) -> None:
        """The rest of ``outcome``'s path, the last step with ``reason``."""
        remaining = self.statuses.remaining(row.status, outcome)
        fields.setdefault("finished_at", utcnow())
        for i, target in enumerate(remaining):
            last = i == len(remaining) - 1
            self.record_status(row, target, reason if last else "the run ended on Kubeflow Pipelines",
                               **(fields if i == 0 else {}))

    def mirror_tasks(self, row: PipelineRun, tasks: list[dict]) -> None:
        """KFP's task details as rows keyed by their path in the pipeline (the graph's node ids)."""
        by_id = {t["task_id"]: t for t in tasks if t.get("task_id")}
        paths: dict[str, str] = {}

        def path_of(task: dict, depth: int = 0) -> str | None:
            if task["task_id"] in paths:
                return paths[task["task_id"]]
            parent = by_id.get(task.get("parent_task_id") or "")
            if parent is None:  # the root DAG: the run itself, not a node
                return None
            above = path_of(parent, depth + 1) if depth < 64 else None
            path = f"{above}/{task['name']}" if above else str(task["name"])
            paths[task["task_id"]] = path
            return path

        seen: set[str] = set()
        with self.db.session() as session:
            for task in by_id.values():
                path = path_of(task)
                if not path:
                    continue
                if path in seen:  # iterations of a loop share a name: keep each
                    path = f"{path}.{task['task_id'][:8]}"
                seen.add(path)
                self.upsert_task(session, row.id, {
                    "task": path, "name": task.get("name"), "state": REMOTE_TASK_STATES.get(task.get("state"), S.RUNNING),
                    "started_at": task.get("started_at"), "ended_at": task.get("ended_at"), "error": task.get("error")})

    # -- changes ------------------------------------------------------------------------
    def update(self, ref: str, body: Any) -> PipelineRunOut:
        data = parse(RenameBody, body)
        with self.db.session() as session:
            row = self.rename(session, ref, data.model_dump(exclude_none=True))
            out = self.out(row)
        self.publish(row, "updated")
        return out

    def stop(self, ref: str) -> PipelineRunOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status != R.STOP_IN_PROGRESS:
                if not self.machine.can(row.status, R.STOP_IN_PROGRESS):
                    raise Conflict(f"pipeline run {row.name!r} is {row.status}; only a pipeline run in progress can be "
                                   "stopped", field="status")
                self.set_status(session, row, R.STOP_IN_PROGRESS, "stop requested by user")
            out = self.out(row)
        self.publish(row, "status")
        return out

    def copy_body(self, ref: str) -> dict[str, Any]:
        """A create body pre-filled from an existing run (the guide's copy)."""
        with self.db.session() as session:
            row = self.find(session, ref)
            experiment = self.experiments.names(session, {row.experiment_id}).get(row.experiment_id)
            body: dict[str, Any] = {
                "name": self.free_copy_name(session, row.name), "description": row.description,
                "pipeline_name": row.pipeline_name, "parameters": dict(row.parameters_json or {}),
                "instance_type": row.instance_type, "instance_count": row.instance_count,
                "nas": [{"mount_dir_name": m["mount_dir_name"], "nas_path": m["nas_path"]} for m in row.nas or []],
                "log_management": row.log_management, "cache": bool((row.spec or {}).get("cache", True)),
            }
            body.update({"experiment_name": experiment} if experiment else {"experiment_id": row.experiment_id})
            for key in ("boot_storage_gb", "max_run_seconds"):
                value = row.boot_storage_gb if key == "boot_storage_gb" else (row.spec or {}).get(key)
                if value is not None:
                    body[key] = value
            if row.backend != REMOTE_BACKEND:
                body["backend"] = row.backend
            return body

    def copy(self, ref: str, body: Any) -> PipelineRunOut:
        """A new run with the same settings (and the run's pipeline as it is now)."""
        overrides = parse(PipelineRunCopy, body or {})
        fields = self.copy_body(ref)
        if overrides.name:
            fields["name"] = overrides.name
        if overrides.description is not None:
            fields["description"] = overrides.description
        return self.create(fields)

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status not in self.machine.deletable:
                raise Conflict(f"pipeline run {row.name!r} is {row.status}: a pipeline run in progress cannot be deleted; "
                               "stop it first", field="status")
            self.remove(session, [row.id])
        if row.remote_run_id:
            self.delete_remote(row)
        shutil.rmtree(row.paths.get("run_dir") or self.run_dir(row.id), ignore_errors=True)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)

    def delete_remote(self, row: PipelineRun) -> None:
        """The run on the KFP server goes with it; an unreachable server leaves it there (logged)."""
        from jupyter_easymaker.areas.pipelines.kfp_remote import RemoteError

        if not self.options().get("kfp_api_url"):
            return
        try:
            self.remote().delete(row.remote_run_id)
        except RemoteError as exc:
            self.platform.log.warning("pipeline run %s: its Kubeflow Pipelines run %s was not deleted: %s",
                                      row.name, row.remote_run_id, exc)

    @staticmethod
    def remove(session: Session, ids: list[str]) -> None:
        session.execute(delete(PipelineRunTask).where(PipelineRunTask.run_id.in_(ids)))
        task_jobs = list(session.scalars(select(PipelineTaskJob.id).where(PipelineTaskJob.run_id.in_(ids))))
        for table in (StatusEvent, LogRecord, ResourceSample):
            session.execute(delete(table).where(table.resource_id.in_([*ids, *task_jobs])))
        session.execute(delete(PipelineTaskJob).where(PipelineTaskJob.run_id.in_(ids)))
        session.execute(delete(PipelineRun).where(PipelineRun.id.in_(ids)))

    # -- retention ---------------------------------------------------------------------
    def purge_expired_artifacts(self) -> int:
        """Run folders (artifacts, task logs) past their retention are deleted; the rows stay."""
        now = utcnow()
        with self.db.session() as session:
            due = list(session.execute(select(PipelineRun.id, PipelineRun.paths).where(
                PipelineRun.artifacts_expire_at.is_not(None), PipelineRun.artifacts_expire_at <= now,
                PipelineRun.artifacts_purged_at.is_(None))))
        for run_id, paths in due:
            shutil.rmtree((paths or {}).get("run_dir") or self.run_dir(run_id), ignore_errors=True)
            with self.db.session() as session:
                stored = session.get(PipelineRun, run_id)
                if stored is not None:
                    stored.artifacts_purged_at = now
        return len(due)

    # -- what pipeline schedules ask ----------------------------------------------------------
    def count_active_runs_for_schedule(self, schedule_id: str, session: Session | None = None) -> int:
        def count(s: Session) -> int:
            return s.scalar(select(func.count()).select_from(PipelineRun).where(
                PipelineRun.schedule_id == schedule_id, PipelineRun.status.in_(PIPELINE_RUN_ACTIVE))) or 0

        if session is not None:
            return count(session)
        with self.db.session() as own:
            return count(own)

    def runs_for_schedule(self, schedule_id: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        """The schedule's runs, newest first, as the REST API answers them."""
        with self.db.session() as session:
            rows = list(session.scalars(select(PipelineRun).where(PipelineRun.schedule_id == schedule_id)
                                        .order_by(PipelineRun.created_at.desc()).limit(limit)))
            names = self.experiments.names(session, {r.experiment_id for r in rows})
            counts = self.task_counts(session, [r.id for r in rows])
            return [self.out(r, experiment_name=names.get(r.experiment_id), counts=counts[r.id]).model_dump(mode="json")
                    for r in rows]
