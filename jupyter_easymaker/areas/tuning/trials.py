"""Where a tuning's search writes: the tuning's status, new trials with the
study step that suggested them, and each trial as a job on the shared job
lifecycle (:class:`TrialJobs` is the lifecycle's store for trials).

One :class:`TuningPass` is one pass of the reconciler over one tuning: what it
read once (counts per status, the best trial) is kept up to date as it
writes, so a trial costs few transactions (the controller's overhead, P3),
and the events it collects are published on the loop afterwards.

Restart safety: a trial row and the study step that created it are committed
together (the study's journal lives in the same database); a trial's last
log lines, results, final status and the study's ``tell`` are one
transaction too.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import func, insert, or_, select, update

from jupyter_easymaker.areas.tuning.statuses import (
    TRIAL_ACTIVE,
    TRIAL_JOB,
    HyperparameterTuningStatus,
    TrialStatus,
)
from jupyter_easymaker.areas.tuning.tables import (
    HpoJournal,
    HpoTrial,
    HyperparameterTuning,
)
from jupyter_easymaker.core.jobs import JobStatuses, Outcome
from jupyter_easymaker.core.logs import STEP_KEYS, parse_metrics
from jupyter_easymaker.core.resources import new_id
from jupyter_easymaker.core.tables import MetricPoint, utcnow

H, TR = HyperparameterTuningStatus, TrialStatus
LOG_CATEGORY = "easymaker.training"


def metric_parser(metrics: list[dict[str, str]]) -> Callable[[str], dict[str, float]]:
    """A line -> {metric: value} function from the tuning's per-metric formats.
    A format with two or more groups is Katib-style (name, value); with one
    group, the group is this metric's value. Step keys keep the default format."""
    compiled = [(m["name"], re.compile(m["format"])) for m in metrics]

    def parse(line: str) -> dict[str, float]:
        values: dict[str, float] = {}
        for name, pattern in compiled:
            for match in pattern.finditer(line):
                if pattern.groups >= 2:
                    if match.group(1) != name:
                        continue
                    raw = match.group(2)
                else:
                    raw = match.group(1)
                try:
                    values[name] = float(raw)
                except (TypeError, ValueError):
                    continue
        if values:
            steps = {k: v for k, v in parse_metrics(line).items() if k in STEP_KEYS}
            values.update(steps)
        return values

    return parse


class TuningPass:
    """What one pass over a tuning needs: the row's fields, and events to publish."""

    def __init__(self, row: HyperparameterTuning):
        self.id = row.id
        self.name = row.name
        self.status = row.status
        self.spec = row.spec
        self.backend_name = row.backend
        self.experiment_id = row.experiment_id
        self.paths = row.paths
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        # trials per status and the best objective so far, read once and kept up to date by the pass
        self.counts: dict[str, int] = {}
        self.best: tuple[int, float] | None = None

    def moved(self, old: str | None, new: str) -> None:
        if old is not None:
            self.counts[old] = self.counts.get(old, 0) - 1
        self.counts[new] = self.counts.get(new, 0) + 1


@dataclass
class Trial:
    """A trial as this pass knows it (a detached snapshot the store keeps in step)."""

    id: str
    number: int
    optuna_trial_id: int
    status: str
    status_reason: str
    stop_as: str | None
    handle: dict[str, Any] | None
    log_offset: int
    last_step: int
    parameters: dict[str, Any]
    paths: dict[str, Any]
    backend: str
    spec: dict[str, Any]  # the tuning's (its time limit applies to each trial)

    @classmethod
    def of(cls, row: HpoTrial, spec: dict[str, Any]) -> "Trial":
        return cls(row.id, row.number, row.optuna_trial_id, row.status, row.status_reason, row.stop_as,
                   dict(row.handle) if row.handle else None, row.log_offset, row.last_step, dict(row.parameters),
                   dict(row.paths), row.backend, spec)

    @property
    def active(self) -> bool:
        return self.status in TRIAL_ACTIVE


class TuningStore:
    """The tuning's and its trials' writes, for the reconciler's search."""

    def __init__(self, tunings: Any, platform: Any):
        self.tunings = tunings  # the tuning service (status words, locks, trial paths)
        self.db = platform.db
        self.logs = platform.logs
        self.job_specs = platform.job_specs
        self.platform = platform
        self._parsers: dict[str, Callable[[str], dict[str, float]]] = {}

    @property
    def images(self) -> Any:
        return self.platform.service("images")

    # -- reading a pass --------------------------------------------------------------
    def begin(self, tuning_id: str) -> tuple[TuningPass, list[Trial]] | None:
        """The tuning and its active trials; for a running tuning, counts and the best trial too."""
        with self.db.session() as session:
            row = session.get(HyperparameterTuning, tuning_id)
            if row is None:
                return None
            p = TuningPass(row)
            trials = [Trial.of(t, p.spec) for t in session.scalars(
                select(HpoTrial).where(HpoTrial.tuning_id == tuning_id, HpoTrial.status.in_(TRIAL_ACTIVE)).order_by(HpoTrial.number)
            )]
            if p.status == H.RUNNING:
                p.counts = dict(session.execute(
                    select(HpoTrial.status, func.count()).where(HpoTrial.tuning_id == p.id).group_by(HpoTrial.status)
                ).all())
                best = session.execute(select(HpoTrial.number, HpoTrial.objective_value).where(HpoTrial.id == row.best_trial_id)).first()
                p.best = (best[0], best[1]) if best is not None else None
        return p, trials

    def active_tunings(self, statuses: frozenset[str]) -> list[str]:
        with self.db.session() as session:
            return list(session.scalars(select(HyperparameterTuning.id).where(HyperparameterTuning.status.in_(statuses))
                                        .order_by(HyperparameterTuning.created_at)))

    def running_trials(self) -> list[Trial]:
        """Trials that hold a backend job (to adopt after a restart)."""
        with self.db.session() as session:
            return [Trial.of(t, {}) for t in session.scalars(
                select(HpoTrial).where(HpoTrial.status.in_(TRIAL_ACTIVE), HpoTrial.handle.is_not(None)))]

    def journal(self, tuning_id: str) -> tuple[list[dict[str, Any]], bytes | None]:
        """The study's journal and sampler state, to rebuild the study."""
        with self.db.session() as session:
            entries = session.scalars(select(HpoJournal.entry).where(HpoJournal.tuning_id == tuning_id).order_by(HpoJournal.seq)).all()
            state = session.scalar(select(HyperparameterTuning.sampler_state).where(HyperparameterTuning.id == tuning_id))
        return list(entries), state

    def has_study(self, tuning_id: str) -> bool:
        with self.db.session() as session:
            return session.scalar(select(HpoJournal.id).where(HpoJournal.tuning_id == tuning_id).limit(1)) is not None

    # -- the tuning ----------------------------------------------------------------------
    def transition(self, p: TuningPass, target: str, reason: str | None, *, detail: str | None = None, finished: bool = False) -> None:
        """``reason=None`` keeps the current one (the final status says why, like the step before it).
        Nothing happens when the status is no longer the one this pass started from (a user stopped it)."""
        with self.tunings.status_lock, self.db.session() as session:
            row = session.get(HyperparameterTuning, p.id)
            if row is None or row.status == target:
                return
            if row.status != p.status:
                p.status = row.status
                return
            self.tunings.set_status(session, row, target, row.status_reason if reason is None else reason)
            if detail is not None:
                row.status_detail = detail
            if finished:
                row.finished_at = utcnow()
            p.status = row.status
        self.publish_tuning(p)

    def study_created(self, p: TuningPass, engine: Any) -> None:
        """The study's first journal entries, and the tuning RUNNING, in one transaction."""
        with self.tunings.status_lock, self.db.session() as session:
            row = session.get(HyperparameterTuning, p.id)
            self._flush(session, p.id, engine)
            row.sampler_state = engine.sampler_state()
            if row.status == H.CREATE_IN_PROGRESS:
                self.tunings.set_status(session, row, H.RUNNING, f"{p.spec['strategy']} search with Optuna's {p.spec.get('sampler', '')}")
                row.started_at = utcnow()
            p.status = row.status
        engine.committed()
        self.publish_tuning(p)

    def forget(self, tuning_id: str) -> None:
        self._parsers.pop(tuning_id, None)

    # -- trials of the search -------------------------------------------------------------
    def new_trial(self, p: TuningPass, engine: Any) -> Trial:
        """One suggestion, recorded as a CREATED trial in the same transaction as the study step."""
        suggestion = engine.ask()
        trial_id = new_id()
        paths = self.tunings.trial_paths_of(p.paths, suggestion.number)
        reason = "suggested by " + p.spec.get("sampler", "Optuna")
        with self.db.session() as session:
            trial = HpoTrial(
                id=trial_id, tuning_id=p.id, number=suggestion.number, optuna_trial_id=suggestion.trial_id,
                name=f"trial-{suggestion.number}", status=TR.CREATED, status_reason="", parameters=suggestion.params,
                metrics={}, last_step=-1, backend=p.backend_name, paths=paths, log_offset=0,
            )
            self.tunings.record_trial(session, trial, TR.CREATED, reason)
            trial.created_at = trial.updated_at
            session.add(trial)
            self._flush(session, p.id, engine)
            session.execute(update(HyperparameterTuning).where(HyperparameterTuning.id == p.id).values(sampler_state=engine.sampler_state()))
        engine.committed()
        p.moved(None, TR.CREATED)
        self.publish_trial(p, trial_id, TR.CREATED, suggestion.number)
        return Trial(trial_id, suggestion.number, suggestion.trial_id, TR.CREATED, reason, None, None, 0, -1,
                     dict(suggestion.params), paths, p.backend_name, p.spec)

    def kill(self, trials: list[Trial]) -> None:
        """Every trial still going is to be stopped and end as KILLED."""
        marked = [t for t in trials if t.active and t.stop_as is None]
        if not marked:
            return
        with self.db.session() as session:
            session.execute(update(HpoTrial).where(HpoTrial.id.in_([t.id for t in marked]), HpoTrial.stop_as.is_(None))
                            .values(stop_as=TR.KILLED))
        for t in marked:
            t.stop_as = TR.KILLED

    def jobs(self, p: TuningPass, engine: Any) -> "TrialJobs":
        parser = self._parsers.get(p.id)
        if parser is None:
            parser = self._parsers[p.id] = metric_parser(p.spec["metrics"])
        return TrialJobs(self, p, engine, parser)

    # -- events ------------------------------------------------------------------------
    def publish_tuning(self, p: TuningPass) -> None:
        p.events.append((self.tunings.kind, p.id, {"change": "status", "status": p.status, "name": p.name}))

    def publish_trial(self, p: TuningPass, trial_id: str, status: str, number: int) -> None:
        p.events.append((self.tunings.kind, p.id, {"change": "trial", "trial_id": trial_id, "trial_status": status,
                                                   "number": number, "name": p.name}))

    @staticmethod
    def _flush(session: Any, tuning_id: str, engine: Any) -> None:
        """Write the study's new journal entries in the caller's transaction."""
        pending = engine.pending()
        if pending:
            session.execute(insert(HpoJournal), [{"tuning_id": tuning_id, "seq": seq, "entry": entry} for seq, entry in pending])


class TrialJobs:
    """The job lifecycle's store for the trials of one tuning pass
    (:class:`jupyter_easymaker.core.jobs.JobStore`)."""

    statuses: JobStatuses = TRIAL_JOB

    def __init__(self, store: TuningStore, p: TuningPass, engine: Any, parser: Callable[[str], dict[str, float]]):
        self.store, self.p, self.engine, self.parser = store, p, engine, parser
        self.db, self.tunings = store.db, store.tunings

    def job_spec(self, t: Trial) -> Any:
        p = self.p
        hyperparameters = self.tunings.trial_hyperparameters(p.spec, t.parameters)  # ValueError: the trial cannot run
        job = self.store.job_specs.build_job_spec(
            job_id=t.id, name=f"{p.name}-{t.number}", kind="trial", spec=p.spec, paths=t.paths, backend=p.backend_name,
            hyperparameters=hyperparameters,
            labels={"easymaker/experiment-id": p.experiment_id, "easymaker/hyperparameter-tuning-id": p.id},
        )
        # the image's container reference, pull login and (locally) interpreter; none named: as built
        return dataclasses.replace(job, **self.store.images.job_fields(p.spec.get("image"), "training", p.backend_name))

    @staticmethod
    def stop_requested(t: Trial) -> bool:
        return t.stop_as is not None

    def record_waiting(self, t: Trial, reason: str) -> None:
        if t.status_reason != reason:
            with self.db.session() as session:
                session.execute(update(HpoTrial).where(HpoTrial.id == t.id).values(status_reason=reason))
            t.status_reason = reason

    def record_submitted(self, t: Trial, handle: dict[str, Any], reason: str) -> None:
        with self.db.session() as session:
            session.execute(update(HpoTrial).where(HpoTrial.id == t.id).values(handle=handle, status_reason=reason, updated_at=utcnow()))
        t.handle, t.status_reason = dict(handle), reason

    def record_handle(self, t: Trial, handle: dict[str, Any]) -> None:
        with self.db.session() as session:
            session.execute(update(HpoTrial).where(HpoTrial.id == t.id).values(handle=dict(handle)))
        t.handle = dict(handle)

    def record_started(self, t: Trial, started_at: datetime) -> None:
        with self.db.session() as session:
            row = session.get(HpoTrial, t.id)
            if row is None or row.status != TR.CREATED:
                return
            self.tunings.set_trial_status(session, row, TR.RUNNING, "")
            row.started_at = started_at
        self._moved(t, TR.RUNNING)

    def record_status(self, t: Trial, target: str, reason: str, **fields: Any) -> bool:
        """A trial has no in-between statuses: a failure found while it runs (its time
        limit) is what it becomes once the stop sent takes effect."""
        with self.db.session() as session:
            session.execute(update(HpoTrial).where(HpoTrial.id == t.id).values(stop_as=target, status_reason=reason))
        t.stop_as, t.status_reason = target, reason
        return True

    def record_logs(self, t: Trial, text: str, offset: int) -> bool:
        with self.db.session() as session:
            stored, values = self._store_lines(session, t, text, offset)
        self.engine.committed()
        if not stored:
            return False
        t.log_offset = offset
        t.last_step = values.get("last_step", t.last_step)
        if values.get("stop_as"):
            t.stop_as = values["stop_as"]
        self.p.events.append((self.tunings.kind, self.p.id, {"change": "logs", "name": self.p.name, "trial_id": t.id}))
        return True

    def record_usage(self, t: Trial, usage: Any) -> None:
        with self.db.session() as session:
            self.store.logs.add_sample(session, t.id, usage)

    @staticmethod
    def finished(t: Trial, state: Any, outcome: Outcome) -> tuple[Outcome, str | None, dict[str, Any]]:
        return outcome, None, {}

    def record_end(self, t: Trial, outcome: Outcome, steps: list[tuple[str, str]], fields: dict[str, Any],
                   lines: tuple[str, int] | None) -> list[tuple[str, str]]:
        """The trial's last log lines, results, final status and the study's tell, in one transaction."""
        p, engine = self.p, self.engine
        target, reason = steps[-1]
        if t.stop_as == TR.EARLY_STOPPED:  # pruned, even if it then finished on its own
            target, reason = TR.EARLY_STOPPED, t.status_reason
        elif outcome != Outcome.SUCCEEDED and t.stop_as == TR.KILLED:
            target = TR.KILLED
        elif outcome != Outcome.SUCCEEDED and t.stop_as is not None:  # a failure found while it ran (its time limit)
            target, reason = t.stop_as, t.status_reason
        tell = {TR.SUCCEEDED: "complete", TR.EARLY_STOPPED: "pruned"}.get(target, "fail")
        with self.db.session() as session:
            if lines is not None and lines[0]:
                self._store_lines(session, t, *lines)
            row = session.get(HpoTrial, t.id)
            if row is None or row.status not in TRIAL_ACTIVE:
                return []
            value, metrics = self._results(session, p.spec, t.id)
            if target == TR.SUCCEEDED and value is None:
                target, tell = TR.METRICS_UNAVAILABLE, "fail"
                reason = f"the job never printed the objective metric {p.spec['objective_metric']!r}"
            started = fields.get("started_at") or (utcnow() if outcome == Outcome.SUCCEEDED else None)
            if row.status == TR.CREATED and started is not None:  # it ran: RUNNING belongs in the history
                self.tunings.set_trial_status(session, row, TR.RUNNING, "")
                row.started_at = started
            engine.tell(row.number, tell, value)
            self.tunings.set_trial_status(session, row, target, reason)
            row.objective_value = value
            row.metrics = metrics
            row.exit_code = fields.get("exit_code")
            row.finished_at = fields.get("finished_at") or utcnow()
            if target == TR.SUCCEEDED:
                self._update_best(session, p, row)
            self.store._flush(session, p.id, engine)
        engine.committed()
        if target == TR.SUCCEEDED and (p.best is None or (value < p.best[1] if p.spec["goal"] == "minimize" else value > p.best[1])):
            p.best = (t.number, value)
        self._moved(t, target)
        return []

    # -- helpers -----------------------------------------------------------------------
    def _moved(self, t: Trial, target: str) -> None:
        self.p.moved(t.status, target)
        t.status = target
        self.store.publish_trial(self.p, t.id, target, t.number)

    def _store_lines(self, session: Any, t: Trial, text: str, offset: int) -> tuple[bool, dict[str, Any]]:
        """Log records and metric points from ``text``, then each new objective
        value as an intermediate value for Optuna, asking the median rule after
        every one. False when another pass stored these lines already."""
        p, engine = self.p, self.engine
        objective = p.spec["objective_metric"]
        # the offset in the WHERE: a line is stored once even if two passes meet here
        moved = session.execute(update(HpoTrial).where(HpoTrial.id == t.id, HpoTrial.log_offset == t.log_offset)
                                .values(log_offset=offset)).rowcount
        if not moved:
            return False, {}
        self.store.logs.ingest(session, t.id, text, category=LOG_CATEGORY, parse=self.parser,
                               fields={"trainingId": t.id, "hyperparameterTuningId": p.id},
                               keep_records=p.spec.get("log_enabled", True))
        values: dict[str, Any] = {}
        if t.active and t.stop_as is None:
            points = session.execute(
                select(MetricPoint.step, MetricPoint.value)
                .where(MetricPoint.resource_id == t.id, MetricPoint.name == objective, MetricPoint.step > t.last_step)
                .order_by(MetricPoint.step, MetricPoint.id)
            ).all()
            last_step = t.last_step
            for step, value in points:
                last_step = step
                if engine.report(t.optuna_trial_id, step, value):
                    values["stop_as"] = TR.EARLY_STOPPED
                    values["status_reason"] = (f"median rule at step {step}: {objective}={value:g} is worse than the "
                                               "median of the completed trials")
                    break
            if last_step != t.last_step:
                values["last_step"] = last_step
            if values:
                session.execute(update(HpoTrial).where(HpoTrial.id == t.id).values(**values))
                t.status_reason = values.get("status_reason", t.status_reason)
            self.store._flush(session, p.id, engine)
        return True, values

    @staticmethod
    def _update_best(session: Any, p: TuningPass, trial: HpoTrial) -> None:
        """One statement: this trial becomes the best unless the best so far is at least as good."""
        best_value = select(HpoTrial.objective_value).where(HpoTrial.id == HyperparameterTuning.best_trial_id).scalar_subquery()
        worse = best_value > trial.objective_value if p.spec["goal"] == "minimize" else best_value < trial.objective_value
        session.execute(
            update(HyperparameterTuning)
            .where(HyperparameterTuning.id == p.id, or_(HyperparameterTuning.best_trial_id.is_(None), best_value.is_(None), worse))
            .values(best_trial_id=trial.id)
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    def _results(session: Any, spec: dict[str, Any], trial_id: str) -> tuple[float | None, dict[str, Any]]:
        """The trial's objective (by Katib's metric strategy) and each metric's latest value."""
        rows = session.execute(
            select(MetricPoint.name, MetricPoint.value).where(MetricPoint.resource_id == trial_id)
            .order_by(MetricPoint.step, MetricPoint.id)
        ).all()
        series: dict[str, list[float]] = {}
        for name, value in rows:
            series.setdefault(name, []).append(value)
        metrics = {m["name"]: series[m["name"]][-1] for m in spec["metrics"] if series.get(m["name"])}
        values = [v for v in series.get(spec["objective_metric"], []) if v == v]  # NaN is no result
        if not values:
            return None, metrics
        strategy = spec.get("objective_strategy") or "latest"
        objective = min(values) if strategy == "min" else max(values) if strategy == "max" else values[-1]
        return objective, metrics
