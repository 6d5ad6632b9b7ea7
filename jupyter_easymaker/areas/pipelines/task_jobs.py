"""The jobs of a local run's tasks: each container task attempt the run's executor
asks for is a job of its own on the shared job lifecycle (kind ``pipeline-task``:
the launcher runs the task's command line), with the run's instance type, its own
capacity, usage samples, logs, restart adoption and stop.

The executor asks by a request file in the run's folder and waits for the
answer file this service writes when the job ended (protocol: catalogs/jobs.py).
Requests and answers are files, so a server restart loses neither: the next
pass finds every request again, and the lifecycle finds every job."""
from __future__ import annotations

import hashlib
import os
import sys
from typing import Any

from sqlalchemy import select

from jupyter_easymaker.areas.pipelines.statuses import (
    PIPELINE_RUN_ACTIVE,
    PIPELINE_TASK_JOB,
    PIPELINE_TASK_JOB_MACHINE,
)
from jupyter_easymaker.areas.pipelines.tables import PipelineRun, PipelineTaskJob
from jupyter_easymaker.backend.base import InstanceType
from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.catalogs.jobs import (
    TASK_JOBS_FLAG,
    TASK_JOBS_FOLDER,
    TASK_RESULT_SUFFIX,
    TASK_STOP_SUFFIX,
    read_state,
    replace_json,
)
from jupyter_easymaker.core.job_service import JobService
from jupyter_easymaker.core.jobs import Outcome
from jupyter_easymaker.core.resources import new_id

KIND = "pipeline-task"
RUN_FILE = "run.json"
# a run whose executor stops or dies leaves these: stopped with the run


class PipelineTaskJobs(JobService):
    table = PipelineTaskJob
    machine = PIPELINE_TASK_JOB_MACHINE
    kind = "pipeline task"
    statuses = PIPELINE_TASK_JOB
    log_category = "easymaker.pipeline"
    scrape_metrics = False

    def __init__(self, platform: Any):
        super().__init__(platform)
        self._asks: dict[str, bool] = {}  # run id -> whether its tasks are jobs (its run.json's flag)

    # -- which runs ask -------------------------------------------------------------------
    def asking_runs(self) -> list[tuple[str, str]]:
        """(run id, the run's task-jobs folder) of the local runs in progress whose tasks are jobs."""
        with self.db.session() as session:
            rows = session.execute(select(PipelineRun.id, PipelineRun.paths).where(
                PipelineRun.status.in_(PIPELINE_RUN_ACTIVE), PipelineRun.backend == "local")).all()
        out = []
        for run_id, paths in rows:
            run_dir = (paths or {}).get("run_dir") or ""
            if run_id not in self._asks:  # run.json never changes once written: read it once per run
                if not run_dir or not os.path.exists(os.path.join(run_dir, RUN_FILE)):
                    continue  # not written yet
                self._asks[run_id] = _flag(run_dir)
            if self._asks[run_id]:
                out.append((run_id, os.path.join(run_dir, TASK_JOBS_FOLDER)))
        for gone in set(self._asks) - {run_id for run_id, _ in rows}:
            del self._asks[gone]  # ended: not asked about again
        return out

    # -- one pass: new requests become jobs, stop files stop them, ended runs stop theirs --------
    def take_requests(self) -> int:
        """New rows for new requests; the number of rows created."""
        created = 0
        for run_id, folder in self.asking_runs():
            try:
                names = os.listdir(folder)
            except FileNotFoundError:
                continue
            requests = {n[:-5] for n in names if n.endswith(".json") and not n.endswith(TASK_RESULT_SUFFIX)}
            stops = {n[: -len(TASK_STOP_SUFFIX)] for n in names if n.endswith(TASK_STOP_SUFFIX)}
            answered = {n[: -len(TASK_RESULT_SUFFIX)] for n in names if n.endswith(TASK_RESULT_SUFFIX)}
            with self.db.session() as session:
                known = dict(session.execute(select(PipelineTaskJob.request, PipelineTaskJob.id)
                                             .where(PipelineTaskJob.run_id == run_id)).all())
            for request in sorted(requests - set(known) - answered):
                if request in stops:  # stopped before it was ever started
                    _answer(folder, request, {"outcome": Outcome.STOPPED.value, "exit_code": None,
                                              "reason": "stopped before it started"})
                    continue
                created += self._create(run_id, folder, request)
            for request in stops & set(known):
                self.stop(known[request], "stop asked by the run's executor")
        self._stop_orphans()
        return created

    def _create(self, run_id: str, folder: str, request: str) -> int:
        data = read_state(os.path.join(folder, request + ".json"))
        problem = _problem(data, os.path.dirname(folder))
        if problem:
            _answer(folder, request, {"outcome": Outcome.NOT_STARTED.value, "exit_code": None, "reason": problem})
            return 0
        assert data is not None
        with self.db.session() as session:
            if session.scalar(select(PipelineTaskJob.id).where(PipelineTaskJob.run_id == run_id,
                                                               PipelineTaskJob.request == request)):
                return 0
            run = session.get(PipelineRun, run_id)
            if run is None:
                return 0
            row = PipelineTaskJob(id=new_id(), name=_row_name(run_id, request), run_id=run_id, request=request,
                                  task_id=str(data["task_id"])[:512], attempt=int(data.get("attempt") or 1),
                                  request_json=data, backend=run.backend, description=str(data["task_id"])[:255],
                                  spec={"instance_type": run.instance_type, "log_enabled": run.log_management},
                                  paths={"folder": folder, "work_dir": os.path.join(folder, request + ".job")})
            session.add(row)
            self.initial(session, row, f"asked for by the executor of pipeline run {run.name}")
        self.publish(row, "created")
        return 1

    def stop(self, job_id: str, reason: str) -> None:
        with self.db.session() as session:
            row = session.get(PipelineTaskJob, job_id)
            if row is None or row.status not in self.statuses.active or row.status == self.statuses.stopping:
                return
            self.set_status(session, row, self.statuses.stopping, reason)
        self.publish(row, "status")

    def _stop_orphans(self) -> None:
        """The task jobs of a run that ended are stopped. While its executor lives, a
        stopping run's executor asks for its jobs' stop itself (stop files), so that it
        learns of the stop from its own signal first and records the tasks CANCELED,
        not failed by a stop it did not know of."""
        with self.db.session() as session:
            rows = session.execute(select(PipelineTaskJob.id, PipelineRun.status).join(
                PipelineRun, PipelineRun.id == PipelineTaskJob.run_id).where(
                PipelineTaskJob.status.in_(self.statuses.active - {self.statuses.stopping}))).all()
        for job_id, run_status in rows:
            if run_status not in PIPELINE_RUN_ACTIVE:
                self.stop(job_id, "the pipeline run ended")

    # -- the job --------------------------------------------------------------------------
    def job_spec(self, row: PipelineTaskJob) -> JobSpec:
        """The task's command line, run in the task's folder with the task's env; `python3` in it
        is this server's interpreter (the one with kfp), whose executor runs without its pip step."""
        instance = self.settings.instance_types.get((row.spec or {}).get("instance_type") or "") \
            or self.settings.instance_types[self.settings.default_instance_type]
        request = row.request_json
        env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
               "_KFP_RUNTIME": "true", **{str(k): str(v) for k, v in (request.get("env") or {}).items()}}
        return JobSpec(job_id=row.id, name=row.name, kind=KIND, source_dir=request["cwd"], entry_point="",
                       command=[str(a) for a in request["argv"]], output_dir=os.path.dirname(row.paths["folder"]),
                       work_dir=row.paths["work_dir"], instance_type=InstanceType(**instance.to_dict()), env=env,
                       labels={"easymaker/pipeline-run-id": row.run_id}, region=self.settings.region,
                       appkey=self.settings.appkey)

    def log_fields(self, row: PipelineTaskJob) -> dict[str, Any]:
        return {"pipelineRunId": row.run_id, "taskId": row.task_id, "attempt": row.attempt}

    def record_end(self, row: Any, outcome: Outcome, steps: list[tuple[str, str]], fields: dict[str, Any],
                   lines: tuple[str, int] | None) -> list[tuple[str, str]]:
        """The end stored, then answered to the run's executor."""
        rest = super().record_end(row, outcome, steps, fields, lines)
        reason = steps[-1][1] if steps else ""
        _answer(row.paths["folder"], row.request, {"outcome": outcome.value, "exit_code": fields.get("exit_code"),
                                                   "reason": reason})
        return rest

    # -- what the run's service asks -----------------------------------------------------------
    def counts_for_run(self, run_id: str) -> dict[str, int]:
        with self.db.session() as session:
            rows = session.execute(select(PipelineTaskJob.status).where(PipelineTaskJob.run_id == run_id)).scalars()
            counts: dict[str, int] = {}
            for status in rows:
                counts[status] = counts.get(status, 0) + 1
        return counts


def _flag(run_dir: str) -> bool:
    data = read_state(os.path.join(run_dir, RUN_FILE))
    return bool(data and data.get(TASK_JOBS_FLAG))


def _row_name(run_id: str, request: str) -> str:
    """A unique name within 50 characters (the request's own name can be long)."""
    return f"task-{hashlib.sha1(f'{run_id}/{request}'.encode()).hexdigest()[:24]}"


def _problem(data: dict[str, Any] | None, run_dir: str) -> str | None:
    """Why a request cannot be run (it comes from a file in the run's folder), or None."""
    if data is None:
        return "the request is not JSON"
    argv = data.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        return "the request has no command line"
    if not isinstance(data.get("task_id"), str) or not isinstance(data.get("env") or {}, dict):
        return "the request names no task"
    base = os.path.realpath(run_dir)
    for key in ("cwd", "log_path"):
        path = os.path.realpath(str(data.get(key) or ""))
        if not path.startswith(base + os.sep):
            return f"the request's {key} is outside the run's folder"
    return None


def _answer(folder: str, request: str, result: dict[str, Any]) -> None:
    try:
        replace_json(os.path.join(folder, request + TASK_RESULT_SUFFIX), result)
    except OSError:
        pass  # the run's folder is gone (the run was deleted): nobody waits
