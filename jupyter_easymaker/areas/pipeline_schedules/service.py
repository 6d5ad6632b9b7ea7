"""Pipeline schedules: the rules of the create form, enable / disable, copy and
delete, and the controller's work: start the runs of due periods through the
pipelines service, each committed together with the period it is for.

A schedule's periods are the fire times of its trigger after its anchor (its
start time, or the schedule's clock when it was created; see :mod:`timing`).
``last_scheduled_at`` is the last period a run was started for and is written
in the transaction that stores that run, so a server killed at any moment
neither starts a period twice nor loses one.
"""
from __future__ import annotations

import logging
import os
import time
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.pipeline_schedules import clock, cron_jobs, timing
from jupyter_easymaker.areas.pipeline_schedules.schemas import (
    MAX_SCHEDULE_NAME,
    RUN_STAMP,
    PipelineScheduleCopy,
    PipelineScheduleCreate,
    PipelineScheduleOut,
    PipelineScheduleRunsOut,
)
from jupyter_easymaker.areas.pipeline_schedules.statuses import (
    DISABLEABLE,
    ENABLEABLE,
    PIPELINE_SCHEDULE_ACTIVE,
    PIPELINE_SCHEDULE_MACHINE,
    PipelineScheduleStatus,
)
from jupyter_easymaker.areas.pipeline_schedules.tables import PipelineSchedule
from jupyter_easymaker.backend.base import BackendError
from jupyter_easymaker.core.errors import Conflict, DomainError, InvalidInput
from jupyter_easymaker.core.names import NAME_PATTERN
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.tables import StatusEvent, utcnow

S = PipelineScheduleStatus
log = logging.getLogger("jupyter_easymaker.pipeline_schedules")

# the pipeline's statuses as the pipelines area words them (a schedule waits for ACTIVE)
PIPELINE_ACTIVE = "ACTIVE"
PIPELINE_FAILED = "CREATE FAILED"
# fields of the create form that are the schedule's own, not its runs'
OWN_FIELDS = ("name", "description", "pipeline_name", "experiment_id", "experiment_name", "experiment_description",
              "trigger", "max_concurrency", "start_at", "end_at", "catch_up")
RUN_FIELDS = ("parameters", "instance_type", "instance_count", "boot_storage_gb", "nas", "log_management", "cache",
              "max_run_seconds", "backend")


RECURRING_POLL_SECONDS = 10.0


class ClusterUnavailable(DomainError):
    """The cluster did not take the change of a schedule's CronJob: nothing was changed."""

    http_status = 502


class PipelineScheduleService(ResourceService):
    table = PipelineSchedule
    machine = PIPELINE_SCHEDULE_MACHINE
    kind = "pipeline schedule"
    _recurring_polled_at = float("-inf")  # when the runs of recurring runs on KFP were last asked for

    @property
    def pipelines(self) -> Any:
        return self.platform.service("pipelines")

    @property
    def experiments(self) -> Any:
        return self.platform.service("experiments")

    def now(self) -> datetime:
        """The schedules' clock (the ``clock_file`` option, read at every call, or the real UTC time)."""
        return clock.now(self.settings.options("pipeline_schedules").get("clock_file"))

    # -- what other areas ask (deletion guards) -------------------------------------------------
    @staticmethod
    def count_for_pipeline(session: Session, pipeline_id: str) -> list[str]:
        """Up to six names of the schedules of a pipeline (it cannot be deleted while there are any)."""
        return list(session.scalars(select(PipelineSchedule.name).where(PipelineSchedule.pipeline_id == pipeline_id)
                                    .order_by(PipelineSchedule.name).limit(6)))

    @staticmethod
    def names_in_experiment(session: Session, experiment_id: str) -> list[str]:
        return list(session.scalars(select(PipelineSchedule.name).where(PipelineSchedule.experiment_id == experiment_id)
                                    .order_by(PipelineSchedule.name).limit(6)))

    # -- answers ---------------------------------------------------------------------------------
    def next_run_at(self, row: PipelineSchedule, now: datetime | None) -> datetime | None:
        """The period the schedule starts a run for next (it may be past: a run waiting for a slot)."""
        if row.status != S.ENABLED or now is None:
            return None
        cluster = (row.run_spec or {}).get("cluster")
        if cluster:  # the CronJob's next time (on whole minutes), or the recurring run's
            after = max(now, row.start_at or now)
            upcoming = cron_jobs.next_time(cluster["cron"], after) if cluster.get("cron") else \
                timing.next_fire(row.trigger, row.anchor_at, after)
            return None if upcoming is None or (row.end_at is not None and upcoming > row.end_at) else upcoming
        after = row.last_scheduled_at or row.anchor_at
        if row.catch_up:
            upcoming = timing.next_fire(row.trigger, row.anchor_at, after)
        else:
            horizon = min(now, row.end_at) if row.end_at is not None else now
            latest = timing.latest_fire(row.trigger, row.anchor_at, horizon)
            upcoming = latest if latest is not None and latest > after else \
                timing.next_fire(row.trigger, row.anchor_at, max(after, now))
        if upcoming is not None and row.end_at is not None and upcoming > row.end_at:
            return None
        return upcoming

    def out(self, row: PipelineSchedule, *, experiment_name: str | None = None, active_runs: int = 0,
            now: datetime | None = None, history: list | None = None) -> PipelineScheduleOut:
        spec = row.run_spec or {}
        return PipelineScheduleOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, pipeline_id=row.pipeline_id,
            pipeline_name=row.pipeline_name, experiment_id=row.experiment_id, experiment_name=experiment_name,
            trigger=dict(row.trigger), trigger_text=timing.describe(row.trigger), max_concurrency=row.max_concurrency,
            catch_up=row.catch_up, start_at=row.start_at, end_at=row.end_at, parameters=dict(spec.get("parameters") or {}),
            instance_type=spec.get("instance_type") or "", instance_count=spec.get("instance_count") or 1,
            boot_storage_gb=spec.get("boot_storage_gb"), nas=list(spec.get("nas") or []),
            log_management=spec.get("log_management", True), cache=spec.get("cache", True),
            max_run_seconds=spec.get("max_run_seconds"), backend=spec.get("backend"),
            last_scheduled_at=row.last_scheduled_at, last_run_name=row.last_run_name,
            next_run_at=self.next_run_at(row, now), run_count=row.run_count, active_runs=active_runs,
            fired_by=cron_jobs.fired_by(row),
            skipped_count=row.skipped_count, last_error=row.last_error,
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    def _now_or_none(self) -> datetime | None:
        try:
            return self.now()
        except clock.ClockError:
            return None  # an answer without next_run_at rather than none at all

    def _outs(self, session: Session, rows: list[PipelineSchedule], *, history: bool = False) -> list[PipelineScheduleOut]:
        names = self.experiments.names(session, {r.experiment_id for r in rows})
        now = self._now_or_none()
        return [self.out(r, experiment_name=names.get(r.experiment_id),
                         active_runs=self.pipelines.count_active_runs_for_schedule(r.id, session), now=now,
                         history=self.history(session, r.id) if history else None) for r in rows]

    def list(self, query: ListQuery, *, pipeline: str | None = None) -> tuple[list[PipelineScheduleOut], int]:
        with self.db.session() as session:
            stmt = select(PipelineSchedule)
            if pipeline:
                stmt = stmt.where((PipelineSchedule.pipeline_name == pipeline) | (PipelineSchedule.pipeline_id == pipeline))
            rows, total = query.page(session, PipelineSchedule, stmt)
            return self._outs(session, list(rows)), total

    def get(self, ref: str, *, with_history: bool = True) -> PipelineScheduleOut:
        with self.db.session() as session:
            return self._outs(session, [self.find(session, ref)], history=with_history)[0]

    def runs(self, ref: str, limit: int = 1000) -> PipelineScheduleRunsOut:
        """The runs the schedule started, newest first (the guide's 실행 관리 tab)."""
        with self.db.session() as session:
            row = self.find(session, ref)
            schedule_id, name = row.id, row.name
        items = self.pipelines.runs_for_schedule(schedule_id, limit=limit)
        return PipelineScheduleRunsOut(schedule_id=schedule_id, name=name, items=items, total=len(items))

    # -- create ------------------------------------------------------------------------------------
    def create(self, body: Any) -> PipelineScheduleOut:
        data = parse(PipelineScheduleCreate, body)
        with self.db.session() as session:
            row = self._store(session, data)
            out = self._outs(session, [row])[0]
        self.publish(row, "created")
        return out

    def _store(self, session: Session, data: PipelineScheduleCreate) -> PipelineSchedule:
        self.check_name_free(session, data.name)
        pipeline = self.pipelines.lookup_pipeline(data.pipeline_name, session)
        if pipeline is None:
            raise InvalidInput(f"pipeline_name: pipeline {data.pipeline_name!r} does not exist", field="pipeline_name")
        if pipeline["status"] == PIPELINE_FAILED:
            raise InvalidInput(f"pipeline_name: pipeline {pipeline['name']!r} is {PIPELINE_FAILED}; a schedule runs an "
                               f"{PIPELINE_ACTIVE} pipeline", field="pipeline_name")
        # checked now, so a bad value is the request's error and not every period's
        parameters = self.pipelines.check_parameters(pipeline["id"], data.parameters)
        instance_type = self.job_specs.instance_type_name(data.instance_type)
        for i, mount in enumerate(data.nas):
            resolved = self.job_specs.resolve(mount.nas_path, f"nas[{i}].nas_path")
            if not resolved.startswith("obs://") and not os.path.isdir(resolved):
                raise InvalidInput(f"nas[{i}].nas_path: the directory does not exist", field=f"nas[{i}].nas_path")
        if data.backend is not None and data.backend not in self.platform.backend_names():
            raise InvalidInput(f"backend: the {data.backend} backend is not configured on this server", field="backend")
        anchor = data.start_at or self.now()
        target = self.pipelines.runs_backend(data.backend)
        try:  # on a cluster the schedule is a CronJob: refused now when its trigger cannot be one
            cluster = cron_jobs.placement(self.platform.backends.get(target), data.trigger.model_dump(), anchor, target)
        except timing.ClusterTriggerError as exc:
            raise InvalidInput(f"{exc.field}: {exc}", field=exc.field) from None
        experiment = self._experiment(session, data)
        run_spec = {"parameters": parameters, "instance_type": instance_type, "instance_count": data.instance_count,
                    "boot_storage_gb": data.boot_storage_gb, "nas": [m.model_dump() for m in data.nas],
                    "log_management": data.log_management, "cache": data.cache, "max_run_seconds": data.max_run_seconds,
                    "backend": data.backend, **({"cluster": cluster} if cluster else {})}
        row = PipelineSchedule(
            id=new_id(), name=data.name, description=data.description, pipeline_id=pipeline["id"],
            pipeline_name=pipeline["name"], experiment_id=experiment.id, run_spec=run_spec,
            trigger=data.trigger.model_dump(), max_concurrency=data.max_concurrency, catch_up=data.catch_up,
            start_at=data.start_at, end_at=data.end_at, anchor_at=anchor,
        )
        self.initial(session, row)
        session.add(row)
        session.flush()
        return row

    def _experiment(self, session: Session, data: PipelineScheduleCreate) -> Any:
        """By id, or by name and created (with its description) when missing; the guard keeps it while
        the schedule exists."""
        experiments = self.experiments
        if data.experiment_name and not data.experiment_id and data.experiment_description:
            if experiments.lookup(session, data.experiment_name, by_id=False) is None:
                try:
                    with session.begin_nested():  # another request may create it at the same moment
                        created = experiments.create_in(session, data.experiment_name, data.experiment_description)
                except (Conflict, IntegrityError):
                    pass
                else:
                    experiments.publish(created, "created")
        return experiments.resolve_member(session, data.experiment_id, data.experiment_name)

    # -- changes -----------------------------------------------------------------------------------
    def update(self, ref: str, body: Any) -> PipelineScheduleOut:
        """Name and description (the trigger and the run form are changed by a copy)."""
        if isinstance(body, dict) and isinstance(body.get("name"), str) and len(body["name"]) > MAX_SCHEDULE_NAME:
            raise InvalidInput(f"name: at most {MAX_SCHEDULE_NAME} characters (runs are named <name>-<yyyymmddhhmmss>)",
                               field="name")
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self._outs(session, [row])[0]
        self.publish(row, "updated")
        return out

    def enable(self, ref: str) -> PipelineScheduleOut:
        """The guide's 일정 시작. Periods missed while it was disabled are caught up (catch-up on),
        or only the latest one runs (off)."""
        return self._switch(ref, S.ENABLED)

    def disable(self, ref: str) -> PipelineScheduleOut:
        """The guide's 일정 중지: no new runs; its running runs go on."""
        return self._switch(ref, S.DISABLED)

    def _switch(self, ref: str, target: str) -> PipelineScheduleOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            already = {S.ENABLED, S.ENABLED_EXPIRED} if target == S.ENABLED else {S.DISABLED}
            changed = row.status not in already
            if changed:
                if row.status not in (DISABLEABLE if target == S.DISABLED else ENABLEABLE):
                    verb = "enabled" if target == S.ENABLED else "disabled"
                    raise Conflict(f"pipeline schedule {row.name!r} is {row.status} and cannot be {verb}", field="status")
                self.set_status(session, row, target, "started by the user" if target == S.ENABLED else
                                "stopped by the user")
                self._switch_cron_job(row, suspend=target == S.DISABLED)  # its failure undoes the change
            out = self._outs(session, [row])[0]
        if changed:
            self.publish(row, "status")
        return out

    def copy_body(self, ref: str) -> dict[str, Any]:
        """A create body pre-filled from this schedule (the guide's 파이프라인 일정 복사)."""
        with self.db.session() as session:
            row = self.find(session, ref)
            experiment = self.experiments.lookup(session, row.experiment_id)
            spec = dict(row.run_spec or {})
            body: dict[str, Any] = {
                "name": self.free_copy_name(session, row.name), "description": row.description,
                "pipeline_name": row.pipeline_name or row.pipeline_id,
                "experiment_name": experiment.name if experiment is not None else None,
                "trigger": dict(row.trigger), "max_concurrency": row.max_concurrency, "catch_up": row.catch_up,
                "start_at": row.start_at.isoformat() if row.start_at else None,
                "end_at": row.end_at.isoformat() if row.end_at else None,
                **{k: spec.get(k) for k in RUN_FIELDS},
            }
        return {k: v for k, v in body.items() if v is not None}

    def free_copy_name(self, session: Session, name: str) -> str:
        base = f"{name}-copy"[:MAX_SCHEDULE_NAME]
        candidate, n = base, 2
        while session.scalar(select(PipelineSchedule.id).where(PipelineSchedule.name == candidate)) is not None:
            suffix = f"-{n}"
            candidate, n = base[: MAX_SCHEDULE_NAME - len(suffix)] + suffix, n + 1
        return candidate

    def copy(self, ref: str, body: Any) -> PipelineScheduleOut:
        names = parse(PipelineScheduleCopy, body if body is not None else {})
        merged = self.copy_body(ref)
        merged.update(names.model_dump(exclude_none=True))
        return self.create(merged)

    def delete(self, ref: str) -> None:
        """Refused while one of its runs has not ended (the guide: delete it once they are complete)."""
        with self.db.session() as session:
            row = self.find(session, ref)
            active = self.pipelines.count_active_runs_for_schedule(row.id, session)
            if active:
                raise Conflict(f"pipeline schedule {row.name!r} has {active} pipeline run(s) in progress: delete the "
                               "schedule after its runs have ended (or stop them)", field="status")
            try:  # first: a CronJob or recurring run left behind would go on starting runs
                self._drop(row)
            except (BackendError, DomainError) as exc:
                raise ClusterUnavailable(f"pipeline schedule {row.name!r}: its {cron_jobs.what(row)} could not be "
                                         f"deleted: {exc}") from None
            session.execute(StatusEvent.__table__.delete().where(StatusEvent.resource_id == row.id))
            session.delete(row)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)

    # -- the controller's work ---------------------------------------------------------------------
    def active_schedules(self) -> list[PipelineSchedule]:
        """The schedules the controller has work on (read, then left: each change re-reads its row)."""
        with self.db.session() as session:
            return list(session.scalars(select(PipelineSchedule)
                                        .where(PipelineSchedule.status.in_(PIPELINE_SCHEDULE_ACTIVE))))

    @staticmethod
    def has_work(row: PipelineSchedule, now: datetime) -> bool:
        """Whether a period is due or the end time has passed (at most max_concurrency runs assumed free:
        most passes have nothing due and need not count runs)."""
        probe = timing.plan(row.trigger, anchor=row.anchor_at, last=row.last_scheduled_at, now=now,
                            end_at=row.end_at, catch_up=row.catch_up, slots=row.max_concurrency)
        return bool(probe.due) or probe.expired

    def tick(self) -> int:
        """One pass: settle new schedules, start the runs of due periods, expire ended ones.
        The number of runs started."""
        now = self.now()
        started = 0
        for row in self.active_schedules():
            try:
                if row.status == S.CREATE_REQUESTED:
                    self.settle(row.id)
                elif (row.run_spec or {}).get("cluster"):
                    self.cluster_pass(row.id, now)  # its CronJob starts its runs, never this timer
                elif self.has_work(row, now):
                    started += self.schedule_runs(row.id, now)
            except Exception:  # noqa: BLE001 - one schedule's failure must not stall the others
                log.exception("easymaker: pipeline schedule %s failed in this pass", row.name)
        return started + self.pick_up_fired()

    # -- schedules that are CronJobs ---------------------------------------------------------------
    def _cluster_backend(self, row: PipelineSchedule) -> Any:
        cluster = (row.run_spec or {}).get("cluster") or {}
        backend = self.platform.backends.get(cluster.get("backend"))
        if backend is None or not hasattr(backend, "put_schedule"):
            raise BackendError(f"the {cluster.get('backend')} backend of its CronJob is not configured on this server")
        return backend

    def put_cron_job(self, row: PipelineSchedule, *, suspend: bool) -> None:
        """Create or update the schedule's CronJob (its files staged first) or its KFP recurring run,
        inside the caller's transaction, which stores its name; BackendError / RemoteError pass."""
        spec = dict(row.run_spec or {})
        run_spec = {k: spec.get(k) for k in RUN_FIELDS}
        if spec["cluster"]["backend"] == cron_jobs.KFP_BACKEND:
            interval = int(timing.interval_step(row.trigger).total_seconds()) if row.trigger["type"] == "interval" else None
            name = self.pipelines.put_recurring_run(
                schedule_id=row.id, schedule_name=row.name, pipeline_id=row.pipeline_id, experiment_id=row.experiment_id,
                run_spec=run_spec, trigger=dict(row.trigger), interval_seconds=interval, start_at=row.start_at or row.anchor_at,
                end_at=row.end_at, max_concurrency=row.max_concurrency, catch_up=row.catch_up, enabled=not suspend)
        else:
            job = self.pipelines.schedule_job(
                schedule_id=row.id, schedule_name=row.name, pipeline_id=row.pipeline_id, experiment_id=row.experiment_id,
                run_spec=run_spec, start_at=row.start_at, end_at=row.end_at)
            name = self._cluster_backend(row).put_schedule(job, cron_jobs.cron_settings(row, suspend=suspend))
        row.run_spec = {**spec, "cluster": {**spec["cluster"], "name": name}}

    def _suspend(self, row: PipelineSchedule, suspend: bool) -> None:
        """Suspend or resume the CronJob / disable or enable the recurring run (created when missing)."""
        cluster = row.run_spec["cluster"]
        if cluster.get("name") and cluster["backend"] == cron_jobs.KFP_BACKEND:
            self.pipelines.switch_recurring_run(cluster["name"], not suspend)
        elif not cluster.get("name") or not suspend:
            # resumed: the CronJob and its staged files are written again (created if it was deleted behind our back)
            self.put_cron_job(row, suspend=suspend)
        elif not self._cluster_backend(row).suspend_schedule(cluster["name"], suspend):
            self.put_cron_job(row, suspend=suspend)  # deleted behind our back

    def _drop(self, row: PipelineSchedule) -> None:
        cluster = (row.run_spec or {}).get("cluster") or {}
        if not cluster.get("name"):
            return
        if cluster["backend"] == cron_jobs.KFP_BACKEND:
            self.pipelines.delete_recurring_run(cluster["name"])
        else:
            self._cluster_backend(row).delete_schedule(cluster["name"])

    def _switch_cron_job(self, row: PipelineSchedule, *, suspend: bool) -> None:
        if not (row.run_spec or {}).get("cluster"):
            return
        try:
            self._suspend(row, suspend)
        except (BackendError, DomainError) as exc:
            raise ClusterUnavailable(f"pipeline schedule {row.name!r}: its {cron_jobs.what(row)} could not be "
                                     f"{'suspended' if suspend else 'resumed'}: {exc}") from None

    def cluster_pass(self, schedule_id: str, now: datetime) -> None:
        """An ENABLED schedule that is a CronJob: create the CronJob when an earlier try failed;
        after its end time, ENABLED(EXPIRED) and the CronJob suspended."""
        with self.db.session() as session:
            row = session.scalar(select(PipelineSchedule).where(PipelineSchedule.id == schedule_id).with_for_update())
            if row is None or row.status != S.ENABLED:
                return
            expired = row.end_at is not None and now >= row.end_at
            cluster = row.run_spec["cluster"]
            if cluster.get("name") and not expired:
                return
            try:
                if not cluster.get("name"):
                    self.put_cron_job(row, suspend=expired)
                else:
                    self._suspend(row, True)
            except (BackendError, DomainError) as exc:
                row.last_error = f"its {cron_jobs.what(row)}: {exc}"
                return
            row.last_error = None
            if expired:
                self.set_status(session, row, S.ENABLED_EXPIRED, f"its end time {row.end_at.isoformat()} has passed")
        self.publish(row, "status" if expired else "updated")

    def pick_up_fired(self) -> int:
        """Record the runs the schedules' CronJobs started (while the server was away, or since the
        last pass) as the schedules' runs, each once. The number recorded."""
        with self.db.session() as session:
            rows = {r.id: r for r in session.scalars(select(PipelineSchedule)) if (r.run_spec or {}).get("cluster")}
        recorded = 0
        # asking the KFP server is a few requests a schedule: not every pass
        every = float(self.settings.options("pipeline_schedules").get("recurring_poll_seconds", RECURRING_POLL_SECONDS))
        poll_kfp = time.monotonic() - self._recurring_polled_at >= every
        if poll_kfp:
            self._recurring_polled_at = time.monotonic()
        for row in rows.values():
            if poll_kfp and row.run_spec["cluster"]["backend"] == cron_jobs.KFP_BACKEND and row.run_spec["cluster"].get("name"):
                try:
                    recorded += self.record_recurring(row)
                except DomainError as exc:
                    log.warning("easymaker: pipeline schedule %s: its runs on Kubeflow Pipelines: %s", row.name, exc)
        backends = {}
        for row in rows.values():
            if row.run_spec["cluster"]["backend"] == cron_jobs.KFP_BACKEND:
                continue
            try:
                backends.setdefault(row.run_spec["cluster"]["backend"], self._cluster_backend(row))
            except BackendError:
                continue
        for name, backend in backends.items():
            try:
                for fired in backend.fired_jobs():
                    row = rows.get(fired["schedule_id"])
                    if row is not None:
                        recorded += self.record_fired(row, fired, backend)
            except BackendError as exc:  # the next pass asks again
                log.warning("easymaker: the Jobs of pipeline schedules on the %s backend could not be read: %s", name, exc)
        return recorded

    def record_recurring(self, row: PipelineSchedule) -> int:
        spec = dict(row.run_spec or {})
        recorded = self.pipelines.record_recurring_runs(
            recurring_run_id=spec["cluster"]["name"], schedule_id=row.id, schedule_name=row.name,
            pipeline_id=row.pipeline_id, experiment_id=row.experiment_id, run_spec={k: spec.get(k) for k in RUN_FIELDS})
        for name, at in recorded:
            self._count_run(row.id, name, at)
        return len(recorded)

    def _count_run(self, schedule_id: str, name: str, at: datetime | None) -> None:
        with self.db.session() as session:
            stored = session.get(PipelineSchedule, schedule_id)
            if stored is None:
                return
            stored.run_count += 1
            stored.last_run_name = name
            if at is not None and (stored.last_scheduled_at is None or at > stored.last_scheduled_at):
                stored.last_scheduled_at = at
            stored.updated_at = utcnow()
        self.publish(stored, "updated")

    def record_fired(self, row: PipelineSchedule, fired: dict[str, Any], backend: Any) -> int:
        at = clock.parse_utc(fired["scheduled_at"]) if fired.get("scheduled_at") else None
        if not cron_jobs.in_window(row, at):
            if fired["finished"]:  # its pod ran nothing; the Job goes, unrecorded
                backend.release({**fired["handle"], "job_id": fired["name"]})
            return 0
        stamp = (at or self.now()).strftime(RUN_STAMP)
        names = [n for n in [f"{row.name}-{stamp}"] + [f"{row.name[:MAX_SCHEDULE_NAME - 2]}-{stamp}-{k}"
                                                       for k in range(2, 10)] if NAME_PATTERN.match(n)]
        spec = dict(row.run_spec or {})
        name = self.pipelines.record_fired_run(
            schedule_id=row.id, schedule_name=row.name, pipeline_id=row.pipeline_id, experiment_id=row.experiment_id,
            run_spec={k: spec.get(k) for k in RUN_FIELDS}, names=names, fired=fired,
            description=f"run of pipeline schedule {row.name} for {(at.isoformat() if at else 'its CronJob')}")
        if name is None:
            return 0
        self._count_run(row.id, name, at)
        return 1

    def settle(self, schedule_id: str) -> None:
        """CREATE REQUESTED -> ENABLED once its pipeline is ACTIVE (CREATE FAILED if it failed)."""
        with self.db.session() as session:
            row = session.get(PipelineSchedule, schedule_id)
            if row is None or row.status != S.CREATE_REQUESTED:
                return
            pipeline = self.pipelines.lookup_pipeline(row.pipeline_id, session)
            if pipeline is None or pipeline["status"] == PIPELINE_FAILED:
                self.set_status(session, row, S.CREATE_FAILED, f"pipeline {row.pipeline_name!r} "
                                f"{'no longer exists' if pipeline is None else 'failed to be created'}")
            elif pipeline["status"] == PIPELINE_ACTIVE:
                self.set_status(session, row, S.ENABLED)
                if (row.run_spec or {}).get("cluster"):
                    try:
                        self.put_cron_job(row, suspend=False)
                    except (BackendError, DomainError) as exc:  # the next passes try again (cluster_pass)
                        row.last_error = f"its {cron_jobs.what(row)}: {exc}"
            else:
                return  # the pipeline is still being created
        self.publish(row, "status")

    def schedule_runs(self, schedule_id: str, now: datetime) -> int:
        """Start the runs of the schedule's due periods (up to its max concurrency) in one transaction
        with the new ``last_scheduled_at``; expire it after its end time. The number of runs started."""
        with self.db.session() as session:
            row = session.scalar(select(PipelineSchedule).where(PipelineSchedule.id == schedule_id).with_for_update())
            if row is None or row.status != S.ENABLED:
                return 0
            active = self.pipelines.count_active_runs_for_schedule(row.id, session)
            plan = timing.plan(row.trigger, anchor=row.anchor_at, last=row.last_scheduled_at, now=now,
                               end_at=row.end_at, catch_up=row.catch_up, slots=row.max_concurrency - active)
            started = 0
            for period in plan.due:
                name, error = self.start_run(session, row, period)
                row.last_scheduled_at = period
                if name is not None:
                    row.last_run_name, row.run_count, row.last_error = name, row.run_count + 1, None
                    started += 1
                else:
                    row.last_error = error
                    log.warning("easymaker: pipeline schedule %s: no run for %s: %s", row.name, period.isoformat(), error)
            if plan.due:
                row.skipped_count += plan.skipped
                row.updated_at = utcnow()
            expired = plan.expired
            if expired:
                self.set_status(session, row, S.ENABLED_EXPIRED, f"its end time {row.end_at.isoformat()} has passed")
        if started or plan.due:
            self.publish(row, "updated")
        if expired:
            self.publish(row, "status")
        return started

    def start_run(self, session: Session, row: PipelineSchedule, period: datetime) -> tuple[str | None, str | None]:
        """Create the run of one period inside the caller's transaction: (its name, None), or
        (None, why not). A name taken by another run gets a numbered suffix."""
        stamp = period.strftime(RUN_STAMP)
        spec = dict(row.run_spec or {})
        fields = {k: spec[k] for k in RUN_FIELDS if spec.get(k) is not None}
        fields.pop("parameters", None)
        candidates = [f"{row.name}-{stamp}"] + [f"{row.name[:MAX_SCHEDULE_NAME - 2]}-{stamp}-{n}" for n in range(2, 10)]
        for name in candidates:
            if not NAME_PATTERN.match(name):
                break
            try:
                created = self.pipelines.create_scheduled_run(
                    session, schedule_id=row.id, schedule_name=row.name, pipeline_id=row.pipeline_id, run_name=name,
                    parameters=dict(spec.get("parameters") or {}), experiment_id=row.experiment_id,
                    description=f"run of pipeline schedule {row.name} for {period.isoformat()}", **fields)
            except Conflict as exc:
                if exc.field == "name":
                    continue
                return None, exc.message
            except DomainError as exc:
                return None, exc.message
            return created, None
        return None, f"every run name for {stamp} is taken"
