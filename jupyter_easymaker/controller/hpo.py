"""The tuning reconciler: keeps ``parallel_trials`` trials of each running
tuning going, feeds their scraped metrics to the Optuna study, and ends the
tuning the way Katib does (GoalReached / MaxTrialsReached / SuggestionEndReached,
FAIL HYPERPARAMETER TUNING at the failed-trial limit, STOPPED on request).

Driven by the training controller's loop (``Controller.add``). Each pass over
one tuning runs in a worker thread: backend calls block, Optuna's Bayesian
sampler can take a while, and the server's event loop must stay free. Events
are collected during the pass and published on the loop afterwards.

Restart safety: a trial row and the study step that created it are committed
together (the study's journal lives in the same database), and the job is
submitted after that commit under the trial's id. A server killed at any
point finds either no trial (the ask is asked again) or a trial row whose job
is submitted idempotently (local: the job folder's handle.json; Kubernetes:
409 on the job's deterministic name). So no trial is lost or run twice.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import select
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import func, insert, or_, select as sql_select, update

from jupyter_easymaker.backend.base import BackendError, CapacityUnavailable, JobPhase, JobState
from jupyter_easymaker.domain.statuses import (
    HYPERPARAMETER_TUNING_ACTIVE,
    TRIAL_ACTIVE,
    TRIAL_FAILED,
    HyperparameterTuningDetail,
    HyperparameterTuningStatus,
    TrialStatus,
)
from jupyter_easymaker.services.logs import STEP_KEYS, parse_metrics
from jupyter_easymaker.services.resources import new_id
from jupyter_easymaker.store.tables import HpoJournal, HpoTrial, HyperparameterTuning, MetricPoint, utcnow

H, TR, D = HyperparameterTuningStatus, TrialStatus, HyperparameterTuningDetail
LOG_CATEGORY = "easymaker.training"
CLEANUP = {H.STOP_IN_PROGRESS: H.STOPPED, H.COMPLETE_IN_PROGRESS: H.COMPLETE,
           H.FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS: H.FAIL_HYPERPARAMETER_TUNING}


def _utc(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, tz=timezone.utc) if ts else None


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


class _Pass:
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
class _Trial:
    """A trial as this pass knows it; kept in step with what the pass writes,
    so that a trial costs few transactions (the controller's overhead, P3)."""

    id: str
    number: int
    optuna_trial_id: int
    status: str
    stop_as: str | None
    handle: dict[str, Any] | None
    log_offset: int
    last_step: int
    parameters: dict[str, Any]
    paths: dict[str, Any]

    @classmethod
    def of(cls, row: HpoTrial) -> "_Trial":
        return cls(row.id, row.number, row.optuna_trial_id, row.status, row.stop_as, dict(row.handle) if row.handle else None,
                   row.log_offset, row.last_step, dict(row.parameters), dict(row.paths))

    @property
    def active(self) -> bool:
        return self.status in TRIAL_ACTIVE


class TuningReconciler:
    def __init__(self, services, backends: dict[str, Any], *, log: logging.Logger | None = None,
                 wake: Callable[[], None] | None = None):
        self.services = services
        self.tunings = services.hpo
        self.trainings = services.trainings
        self.logs = services.logs
        self.db = services.db
        self.settings = services.settings
        self.backends = backends
        self.log = log or logging.getLogger("jupyter_easymaker.controller.hpo")
        self.wake = wake  # the controller's wake-up: called when a watched trial process exits
        self._engines: dict[str, Any] = {}
        self._parsers: dict[str, Callable[[str], dict[str, float]]] = {}
        self._watched: set[str] = set()
        self._last_sample: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- driven by the controller ---------------------------------------------
    def recover(self) -> None:
        """After a restart: tell each backend which trial jobs it still owns."""
        with self.db.session() as session:
            rows = session.scalars(sql_select(HpoTrial).where(HpoTrial.status.in_(TRIAL_ACTIVE), HpoTrial.handle.is_not(None))).all()
            handles = [(r.backend, dict(r.handle)) for r in rows]
        for backend_name, handle in handles:
            backend = self.backends.get(backend_name)
            if backend is not None:
                backend.adopt(handle)
        if handles:
            self.log.info("easymaker: re-attached to %d running tuning trial(s)", len(handles))

    async def reconcile_once(self) -> None:
        self._loop = asyncio.get_running_loop()
        with self.db.session() as session:
            ids = session.scalars(
                sql_select(HyperparameterTuning.id).where(HyperparameterTuning.status.in_(HYPERPARAMETER_TUNING_ACTIVE))
                .order_by(HyperparameterTuning.created_at)
            ).all()
        for tuning_id in ids:
            events: list = []
            try:
                await asyncio.to_thread(self.reconcile_tuning, tuning_id, events)
            except Exception:  # noqa: BLE001 - isolate tunings from each other
                self._engines.pop(tuning_id, None)  # rebuilt from the store on the next pass
                self.log.exception("easymaker: reconciling hyperparameter tuning %s failed", tuning_id)
            finally:
                for kind, resource_id, data in events:
                    self.services.events.publish(kind, resource_id, **data)

    # -- one tuning -------------------------------------------------------------
    def reconcile_tuning(self, tuning_id: str, events: list | None = None) -> None:
        with self.db.session() as session:
            row = session.get(HyperparameterTuning, tuning_id)
            if row is None:
                return
            p = _Pass(row)
            trials = [_Trial.of(t) for t in session.scalars(
                sql_select(HpoTrial).where(HpoTrial.tuning_id == tuning_id, HpoTrial.status.in_(TRIAL_ACTIVE)).order_by(HpoTrial.number)
            )]
            if p.status == H.RUNNING:
                p.counts = dict(session.execute(
                    sql_select(HpoTrial.status, func.count()).where(HpoTrial.tuning_id == p.id).group_by(HpoTrial.status)
                ).all())
                best = session.execute(sql_select(HpoTrial.number, HpoTrial.objective_value).where(HpoTrial.id == row.best_trial_id)).first()
                p.best = (best[0], best[1]) if best is not None else None
        if events is not None:
            p.events = events
        backend = self.backends.get(p.backend_name)
        if p.status == H.CREATE_REQUESTED:
            if backend is None:
                self._transition(p, H.CREATE_FAILED, f"the {p.backend_name} backend is not configured on this server")
                return
            self._transition(p, H.CREATE_IN_PROGRESS, "creating the study")
        if p.status == H.CREATE_IN_PROGRESS:
            self._create_study(p)
            if p.status != H.RUNNING:
                return
        if p.status == H.STOP_IN_PROGRESS and not self._has_study(p.id):
            self._transition(p, H.STOPPED, "stopped before it started", finished=True)
            return
        if backend is None:
            if p.status == H.RUNNING:
                self._transition(p, H.FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS, f"the {p.backend_name} backend is not configured on this server")
            self._abandon_trials(p, trials)
            self._finalize_cleanup(p, trials)
            return
        engine = self._engine(p)
        if p.status in CLEANUP:
            self._kill_active(p, trials)
        for t in trials:
            self._trial(p, t, backend, engine)
        if p.status == H.RUNNING:
            self._decide(p, backend, engine, trials)
        if p.status in CLEANUP:
            self._finalize_cleanup(p, trials)

    def _create_study(self, p: _Pass) -> None:
        try:
            engine = self._engine(p)
            os.makedirs(p.paths["tensorboard_log_dir"], exist_ok=True)
        except Exception as exc:  # noqa: BLE001 - any failure to set up is the guide's CREATE FAILED
            self._engines.pop(p.id, None)
            self.log.exception("easymaker: creating the study of tuning %s failed", p.id)
            self._transition(p, H.CREATE_FAILED, f"could not create the study: {exc}")
            return
        with self.tunings.status_lock, self.db.session() as session:
            row = session.get(HyperparameterTuning, p.id)
            self._flush(session, p.id, engine)
            row.sampler_state = engine.sampler_state()
            if row.status == H.CREATE_IN_PROGRESS:
                self.tunings.set_status(session, row, H.RUNNING, f"{p.spec['strategy']} search with Optuna's {p.spec.get('sampler', '')}")
                row.started_at = utcnow()
            p.status = row.status
        engine.committed()
        self._publish_tuning(p)

    def _decide(self, p: _Pass, backend: Any, engine: Any, trials: list[_Trial]) -> None:
        """Katib's end conditions, then top up the running trials."""
        spec, counts = p.spec, p.counts
        best_number, best_value = p.best if p.best is not None else (None, None)
        failed = sum(counts.get(s, 0) for s in TRIAL_FAILED)
        active = sum(counts.get(s, 0) for s in TRIAL_ACTIVE)
        total = sum(counts.values())
        target = spec.get("target_value")
        if failed >= int(spec["max_failed_trials"]):
            self._transition(p, H.FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS,
                             f"{failed} trials failed, the limit is {spec['max_failed_trials']}")
            self._kill_active(p, trials)
            return
        if target is not None and best_value is not None and (
            best_value <= target if spec["goal"] == "minimize" else best_value >= target
        ):
            self._transition(p, H.COMPLETE_IN_PROGRESS,
                             f"trial {best_number} reached {spec['objective_metric']}={best_value:g} (target {target:g})",
                             detail=D.GOAL_REACHED)
            self._kill_active(p, trials)
            return
        parallel, max_trials = int(spec.get("parallel_trials", 1)), int(spec["max_trials"])
        while active < parallel and total < max_trials and engine.can_suggest():
            t = self._ask(p, engine)
            trials.append(t)
            active, total = active + 1, total + 1
            self._trial(p, t, backend, engine)
        if active == 0:
            if engine.exhausted():
                self._transition(p, H.COMPLETE_IN_PROGRESS, "every point of the search space was tried", detail=D.SUGGESTION_END_REACHED)
            elif total >= max_trials:
                self._transition(p, H.COMPLETE_IN_PROGRESS, f"{total} trials ran, the maximum", detail=D.MAX_TRIALS_REACHED)

    def _finalize_cleanup(self, p: _Pass, trials: list[_Trial]) -> None:
        if p.status in CLEANUP and not any(t.active for t in trials):
            self._transition(p, CLEANUP[p.status], None, finished=True)
            self._engines.pop(p.id, None)
            self._parsers.pop(p.id, None)

    def _kill_active(self, p: _Pass, trials: list[_Trial]) -> None:
        """Every trial still going is to be stopped and end as KILLED."""
        marked = [t for t in trials if t.active and t.stop_as is None]
        if not marked:
            return
        with self.db.session() as session:
            session.execute(update(HpoTrial).where(HpoTrial.id.in_([t.id for t in marked]), HpoTrial.stop_as.is_(None))
                            .values(stop_as=TR.KILLED))
        for t in marked:
            t.stop_as = TR.KILLED

    def _abandon_trials(self, p: _Pass, trials: list[_Trial]) -> None:
        """Without the backend the trials cannot be observed any more."""
        with self.db.session() as session:
            for t in trials:
                row = session.get(HpoTrial, t.id)
                self.tunings.set_trial_status(session, row, TR.KILLED, f"the {p.backend_name} backend is not configured on this server")
                row.finished_at = utcnow()
                t.status = TR.KILLED

    # -- suggestions -------------------------------------------------------------
    def _ask(self, p: _Pass, engine: Any) -> _Trial:
        """One suggestion, recorded as a CREATED trial in the same transaction as the study step."""
        suggestion = engine.ask()
        trial_id = new_id()
        paths = self.tunings.trial_paths_of(p.paths, suggestion.number)
        with self.db.session() as session:
            trial = HpoTrial(
                id=trial_id,
                tuning_id=p.id,
                number=suggestion.number,
                optuna_trial_id=suggestion.trial_id,
                name=f"trial-{suggestion.number}",
                status=TR.CREATED,
                status_reason="",
                parameters=suggestion.params,
                metrics={},
                last_step=-1,
                backend=p.backend_name,
                paths=paths,
                log_offset=0,
            )
            self.tunings.record_trial(session, trial, TR.CREATED, "suggested by " + p.spec.get("sampler", "Optuna"))
            trial.created_at = trial.updated_at
            session.add(trial)
            self._flush(session, p.id, engine)
            session.execute(update(HyperparameterTuning).where(HyperparameterTuning.id == p.id).values(sampler_state=engine.sampler_state()))
        engine.committed()
        p.moved(None, TR.CREATED)
        self._publish_trial(p, trial_id, TR.CREATED, suggestion.number)
        return _Trial(trial_id, suggestion.number, suggestion.trial_id, TR.CREATED, None, None, 0, -1, dict(suggestion.params), paths)

    # -- one trial ---------------------------------------------------------------
    def _trial(self, p: _Pass, t: _Trial, backend: Any, engine: Any) -> None:
        if not t.active:
            return
        if t.handle is None:
            if t.stop_as:
                self._end_trial(p, t, engine, t.stop_as, "stopped before it started", outcome="fail")
            else:
                self._submit(p, t, backend, engine)
            return
        self._watch(t.handle)
        if t.stop_as and not t.handle.get("stop_sent"):
            self._send_stop(t, backend)
        state = backend.status(t.handle)
        if state.terminal:  # its last lines are stored with its result, in one transaction
            self._finish_trial(p, t, backend, state, engine)
            return
        self._ingest(p, t, backend, engine)
        if (state.phase == JobPhase.RUNNING or state.started_at) and t.status == TR.CREATED:
            self._trial_running(p, t, _utc(state.started_at) or utcnow())
        elif state.phase == JobPhase.RUNNING:
            self._sample_usage(t.id, backend, t.handle)

    def _submit(self, p: _Pass, t: _Trial, backend: Any, engine: Any) -> None:
        try:
            hyperparameters = self.tunings.trial_hyperparameters(p.spec, t.parameters)
        except ValueError as exc:
            self._end_trial(p, t, engine, TR.FAILED, str(exc), outcome="fail")
            return
        spec = self.trainings.build_job_spec(
            job_id=t.id, name=f"{p.name}-{t.number}", kind="trial", spec=p.spec, paths=t.paths, backend=p.backend_name,
            hyperparameters=hyperparameters,
            labels={"easymaker/experiment-id": p.experiment_id, "easymaker/hyperparameter-tuning-id": p.id},
        )
        try:
            handle = backend.submit(spec)
        except CapacityUnavailable as exc:
            with self.db.session() as session:
                session.execute(update(HpoTrial).where(HpoTrial.id == t.id, HpoTrial.status_reason != str(exc)).values(status_reason=str(exc)))
            return
        except BackendError as exc:
            self._end_trial(p, t, engine, TR.FAILED, f"could not start: {exc}", outcome="fail")
            return
        with self.db.session() as session:
            session.execute(update(HpoTrial).where(HpoTrial.id == t.id).values(
                handle=handle, status_reason=f"submitted to the {backend.name} backend", updated_at=utcnow()))
        t.handle = dict(handle)
        self._watch(handle)

    def _send_stop(self, t: _Trial, backend: Any) -> None:
        backend.stop(t.handle, self.settings.stop_grace_seconds)
        t.handle["stop_sent"] = True
        with self.db.session() as session:
            session.execute(update(HpoTrial).where(HpoTrial.id == t.id).values(handle=dict(t.handle)))

    def _ingest(self, p: _Pass, t: _Trial, backend: Any, engine: Any) -> None:
        """New log lines of a running trial, stored with what they mean for the study."""
        chunk = backend.read_logs(t.handle, t.log_offset)
        if not chunk.text:
            return
        with self.db.session() as session:
            stored, values = self._store_lines(session, p, t, chunk.text, chunk.offset, engine)
        engine.committed()
        if not stored:
            return
        t.log_offset = chunk.offset
        t.last_step = values.get("last_step", t.last_step)
        self._publish_change(p, "logs", trial_id=t.id)
        if values.get("stop_as"):
            t.stop_as = values["stop_as"]
            if not t.handle.get("stop_sent"):
                self._send_stop(t, backend)

    def _store_lines(self, session, p: _Pass, t: _Trial, text: str, offset: int, engine: Any) -> tuple[bool, dict[str, Any]]:
        """Log records and metric points from ``text``, then each new objective
        value as an intermediate value for Optuna, asking the median rule after
        every one. False when another pass stored these lines already."""
        objective = p.spec["objective_metric"]
        parser = self._parsers.get(p.id)
        if parser is None:
            parser = self._parsers[p.id] = metric_parser(p.spec["metrics"])
        # the offset in the WHERE: a line is stored once even if two passes meet here
        moved = session.execute(update(HpoTrial).where(HpoTrial.id == t.id, HpoTrial.log_offset == t.log_offset)
                                .values(log_offset=offset)).rowcount
        if not moved:
            return False, {}
        self.logs.ingest(session, t.id, text, category=LOG_CATEGORY, parse=parser,
                         fields={"trainingId": t.id, "hyperparameterTuningId": p.id})
        values: dict[str, Any] = {}
        if t.active and t.stop_as is None:
            points = session.execute(
                sql_select(MetricPoint.step, MetricPoint.value)
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
            self._flush(session, p.id, engine)
        return True, values

    def _finish_trial(self, p: _Pass, t: _Trial, backend: Any, state: JobState, engine: Any) -> None:
        text, offset = "", t.log_offset
        while True:  # everything the job wrote after the last pass
            chunk = backend.read_logs(t.handle, offset)
            if not chunk.text:
                break
            text, offset = text + chunk.text, chunk.offset
        backend.release(t.handle)
        ran = state.phase == JobPhase.SUCCEEDED or bool(state.started_at)
        if t.stop_as == TR.EARLY_STOPPED:
            target, outcome, reason = TR.EARLY_STOPPED, "pruned", None
        elif state.phase == JobPhase.SUCCEEDED:
            target, outcome, reason = TR.SUCCEEDED, "complete", ""  # METRICS_UNAVAILABLE when no objective (see _end_trial)
        elif t.stop_as == TR.KILLED or state.phase == JobPhase.STOPPED:
            target, outcome, reason = TR.KILLED, "fail", state.reason or "stopped"
        else:
            target, outcome, reason = TR.FAILED, "fail", state.reason or "the job failed"
        self._end_trial(p, t, engine, target, reason, outcome=outcome, exit_code=state.exit_code, lines=(text, offset),
                        started_at=(_utc(state.started_at) or utcnow()) if ran else None, finished_at=_utc(state.finished_at))

    def _end_trial(self, p: _Pass, t: _Trial, engine: Any, target: str, reason: str | None, *, outcome: str,
                   exit_code: int | None = None, started_at: datetime | None = None, finished_at: datetime | None = None,
                   lines: tuple[str, int] | None = None) -> None:
        """The trial's last log lines, results, final status and the study's tell, in one transaction."""
        with self.db.session() as session:
            if lines is not None and lines[0]:
                self._store_lines(session, p, t, lines[0], lines[1], engine)
            row = session.get(HpoTrial, t.id)
            if row is None or row.status not in TRIAL_ACTIVE:
                return
            value, metrics = self._results(session, p.spec, t.id)
            if target == TR.SUCCEEDED and value is None:
                target, outcome, reason = TR.METRICS_UNAVAILABLE, "fail", f"the job never printed the objective metric {p.spec['objective_metric']!r}"
            if row.status == TR.CREATED and started_at is not None:  # it ran: RUNNING belongs in the history
                self.tunings.set_trial_status(session, row, TR.RUNNING, "")
                row.started_at = started_at
            engine.tell(row.number, outcome, value)
            self.tunings.set_trial_status(session, row, target, row.status_reason if reason is None else reason)
            row.objective_value = value
            row.metrics = metrics
            row.exit_code = exit_code
            row.finished_at = finished_at or utcnow()
            if target == TR.SUCCEEDED:
                self._update_best(session, p, row)
            self._flush(session, p.id, engine)
        engine.committed()
        p.moved(t.status, target)
        if target == TR.SUCCEEDED and (p.best is None or (
            value < p.best[1] if p.spec["goal"] == "minimize" else value > p.best[1]
        )):
            p.best = (t.number, value)
        t.status = target
        self._watched.discard(t.id)
        self._last_sample.pop(t.id, None)
        self._publish_trial(p, t.id, target, t.number)

    def _trial_running(self, p: _Pass, t: _Trial, started_at: datetime) -> None:
        with self.db.session() as session:
            row = session.get(HpoTrial, t.id)
            if row is None or row.status != TR.CREATED:
                return
            self.tunings.set_trial_status(session, row, TR.RUNNING, "")
            row.started_at = started_at
        p.moved(t.status, TR.RUNNING)
        t.status = TR.RUNNING
        self._publish_trial(p, t.id, TR.RUNNING, t.number)

    @staticmethod
    def _update_best(session, p: _Pass, trial: HpoTrial) -> None:
        """One statement: this trial becomes the best unless the best so far is at least as good."""
        best_value = sql_select(HpoTrial.objective_value).where(HpoTrial.id == HyperparameterTuning.best_trial_id).scalar_subquery()
        worse = best_value > trial.objective_value if p.spec["goal"] == "minimize" else best_value < trial.objective_value
        session.execute(
            update(HyperparameterTuning)
            .where(HyperparameterTuning.id == p.id, or_(HyperparameterTuning.best_trial_id.is_(None), best_value.is_(None), worse))
            .values(best_trial_id=trial.id)
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    def _results(session, spec: dict[str, Any], trial_id: str) -> tuple[float | None, dict[str, Any]]:
        """The trial's objective (by Katib's metric strategy) and each metric's latest value."""
        rows = session.execute(
            sql_select(MetricPoint.name, MetricPoint.value).where(MetricPoint.resource_id == trial_id)
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

    def _sample_usage(self, trial_id: str, backend: Any, handle: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self._last_sample.get(trial_id, 0.0) < self.settings.usage_sample_seconds:
            return
        self._last_sample[trial_id] = now
        usage = backend.usage(handle)
        if usage is not None:
            with self.db.session() as session:
                self.logs.add_sample(session, trial_id, usage)

    # -- the study ---------------------------------------------------------------
    def _engine(self, p: _Pass) -> Any:
        engine = self._engines.get(p.id)
        if engine is None:
            from jupyter_easymaker.controller.hpo_engine import StudyEngine  # optuna: only once a tuning runs

            with self.db.session() as session:
                entries = session.scalars(sql_select(HpoJournal.entry).where(HpoJournal.tuning_id == p.id).order_by(HpoJournal.seq)).all()
                state = session.scalar(sql_select(HyperparameterTuning.sampler_state).where(HyperparameterTuning.id == p.id))
            engine = self._engines[p.id] = StudyEngine(p.id, p.spec, entries, state)
        return engine

    def _has_study(self, tuning_id: str) -> bool:
        if tuning_id in self._engines:
            return True
        with self.db.session() as session:
            return session.scalar(sql_select(HpoJournal.id).where(HpoJournal.tuning_id == tuning_id).limit(1)) is not None

    @staticmethod
    def _flush(session, tuning_id: str, engine: Any) -> None:
        """Write the study's new journal entries in the caller's transaction."""
        pending = engine.pending()
        if pending:
            session.execute(insert(HpoJournal), [{"tuning_id": tuning_id, "seq": seq, "entry": entry} for seq, entry in pending])

    # -- noticing a local trial's end at once ------------------------------------
    def _watch(self, handle: dict[str, Any]) -> None:
        """Wake the controller the moment a local job's process exits, instead of
        at the next tick (a pidfd becomes readable on exit, child or not)."""
        pid, job_id = handle.get("pid"), handle.get("job_id")
        if not pid or not job_id or job_id in self._watched or self.wake is None or self._loop is None:
            return
        if not hasattr(os, "pidfd_open"):
            return
        try:
            fd = os.pidfd_open(int(pid))
        except OSError:
            return  # already gone: the next pass sees it
        self._watched.add(job_id)
        loop, wake = self._loop, self.wake

        def wait() -> None:
            try:
                poller = select.poll()
                poller.register(fd, select.POLLIN)
                poller.poll()
            except OSError:
                pass
            finally:
                os.close(fd)
            try:
                loop.call_soon_threadsafe(wake)
            except RuntimeError:
                pass  # the loop has closed: the server is shutting down

        threading.Thread(target=wait, name=f"easymaker-trial-{job_id[:8]}", daemon=True).start()

    # -- status changes and events -----------------------------------------------
    def _transition(self, p: _Pass, target: str, reason: str | None, *, detail: str | None = None, finished: bool = False) -> None:
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
        self._publish_tuning(p)

    def _publish_tuning(self, p: _Pass) -> None:
        p.events.append((self.tunings.kind, p.id, {"change": "status", "status": p.status, "name": p.name}))

    def _publish_trial(self, p: _Pass, trial_id: str, status: str, number: int) -> None:
        p.events.append((self.tunings.kind, p.id, {"change": "trial", "trial_id": trial_id, "trial_status": status,
                                                   "number": number, "name": p.name}))

    def _publish_change(self, p: _Pass, change: str, **data: Any) -> None:
        p.events.append((self.tunings.kind, p.id, {"change": change, "name": p.name, **data}))
