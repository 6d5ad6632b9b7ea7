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
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import func, insert, select as sql_select

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
            self._abandon_trials(p)
            self._finalize_cleanup(p)
            return
        engine = self._engine(p)
        if p.status in CLEANUP:
            self._kill_active(p)
        for trial_id in self._active_trial_ids(p.id):
            self._trial(p, trial_id, backend, engine)
        if p.status == H.RUNNING:
            self._decide(p, backend, engine)
        if p.status in CLEANUP:
            self._finalize_cleanup(p)

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

    def _decide(self, p: _Pass, backend: Any, engine: Any) -> None:
        """Katib's end conditions, then top up the running trials."""
        spec = p.spec
        with self.db.session() as session:
            counts = dict(session.execute(
                sql_select(HpoTrial.status, func.count()).where(HpoTrial.tuning_id == p.id).group_by(HpoTrial.status)
            ).all())
            row = session.get(HyperparameterTuning, p.id)
            best = session.get(HpoTrial, row.best_trial_id) if row.best_trial_id else None
            best_value = best.objective_value if best is not None else None
            best_number = best.number if best is not None else None
        failed = sum(counts.get(s, 0) for s in TRIAL_FAILED)
        active = sum(counts.get(s, 0) for s in TRIAL_ACTIVE)
        total = sum(counts.values())
        target = spec.get("target_value")
        if failed >= int(spec["max_failed_trials"]):
            self._transition(p, H.FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS,
                             f"{failed} trials failed, the limit is {spec['max_failed_trials']}")
            self._kill_active(p)
            return
        if target is not None and best_value is not None and (
            best_value <= target if spec["goal"] == "minimize" else best_value >= target
        ):
            self._transition(p, H.COMPLETE_IN_PROGRESS,
                             f"trial {best_number} reached {spec['objective_metric']}={best_value:g} (target {target:g})",
                             detail=D.GOAL_REACHED)
            self._kill_active(p)
            return
        parallel, max_trials = int(spec.get("parallel_trials", 1)), int(spec["max_trials"])
        while active < parallel and total < max_trials and engine.can_suggest():
            trial_id = self._ask(p, engine)
            active, total = active + 1, total + 1
            self._trial(p, trial_id, backend, engine)
        if active == 0:
            if engine.exhausted():
                self._transition(p, H.COMPLETE_IN_PROGRESS, "every point of the search space was tried", detail=D.SUGGESTION_END_REACHED)
            elif total >= max_trials:
                self._transition(p, H.COMPLETE_IN_PROGRESS, f"{total} trials ran, the maximum", detail=D.MAX_TRIALS_REACHED)

    def _finalize_cleanup(self, p: _Pass) -> None:
        if p.status in CLEANUP and not self._active_trial_ids(p.id):
            self._transition(p, CLEANUP[p.status], None, finished=True)
            self._engines.pop(p.id, None)
            self._parsers.pop(p.id, None)

    def _kill_active(self, p: _Pass) -> None:
        """Every trial still going is to be stopped and end as KILLED."""
        with self.db.session() as session:
            for t in session.scalars(sql_select(HpoTrial).where(HpoTrial.tuning_id == p.id, HpoTrial.status.in_(TRIAL_ACTIVE),
                                                                HpoTrial.stop_as.is_(None))):
                t.stop_as = TR.KILLED

    def _abandon_trials(self, p: _Pass) -> None:
        """Without the backend the trials cannot be observed any more."""
        with self.db.session() as session:
            for t in session.scalars(sql_select(HpoTrial).where(HpoTrial.tuning_id == p.id, HpoTrial.status.in_(TRIAL_ACTIVE))):
                self.tunings.set_trial_status(session, t, TR.KILLED, f"the {p.backend_name} backend is not configured on this server")
                t.finished_at = utcnow()

    # -- suggestions -------------------------------------------------------------
    def _ask(self, p: _Pass, engine: Any) -> str:
        """One suggestion, recorded as a CREATED trial in the same transaction as the study step."""
        suggestion = engine.ask()
        trial_id = new_id()
        with self.db.session() as session:
            tuning = session.get(HyperparameterTuning, p.id)
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
                paths=self.tunings.trial_paths(tuning, suggestion.number),
                log_offset=0,
            )
            self.tunings.record_trial(session, trial, TR.CREATED, "suggested by " + p.spec.get("sampler", "Optuna"))
            trial.created_at = trial.updated_at
            session.add(trial)
            self._flush(session, p.id, engine)
            tuning.sampler_state = engine.sampler_state()
        engine.committed()
        self._publish_trial(p, trial_id, TR.CREATED, suggestion.number)
        return trial_id

    # -- one trial ---------------------------------------------------------------
    def _trial(self, p: _Pass, trial_id: str, backend: Any, engine: Any) -> None:
        with self.db.session() as session:
            t = session.get(HpoTrial, trial_id)
            if t is None or t.status not in TRIAL_ACTIVE:
                return
            handle = dict(t.handle) if t.handle else None
            status, stop_as = t.status, t.stop_as
        if handle is None:
            if stop_as:
                self._end_trial(p, trial_id, engine, stop_as, "stopped before it started", outcome="fail")
            else:
                self._submit(p, trial_id, backend, engine)
            return
        self._watch(handle)
        if stop_as and not handle.get("stop_sent"):
            self._send_stop(trial_id, backend, handle)
        state = backend.status(handle)
        self._ingest(p, trial_id, backend, handle, engine)
        if status == TR.CREATED and (state.phase == JobPhase.RUNNING or state.started_at):
            self._trial_transition(p, trial_id, TR.RUNNING, "", started_at=_utc(state.started_at) or utcnow())
        if state.terminal:
            self._finish_trial(p, trial_id, backend, handle, state, engine)
        elif state.phase == JobPhase.RUNNING:
            self._sample_usage(trial_id, backend, handle)

    def _submit(self, p: _Pass, trial_id: str, backend: Any, engine: Any) -> None:
        with self.db.session() as session:
            t = session.get(HpoTrial, trial_id)
            tuning = session.get(HyperparameterTuning, p.id)
            number = t.number
            try:
                hyperparameters = self.tunings.trial_hyperparameters(tuning, t.parameters)
            except ValueError as exc:
                hyperparameters, error = None, str(exc)
            else:
                spec = self.trainings.build_job_spec(
                    job_id=t.id, name=f"{tuning.name}-{t.number}", kind="trial", spec=tuning.spec, paths=t.paths,
                    backend=p.backend_name, hyperparameters=hyperparameters,
                    labels={"easymaker/experiment-id": tuning.experiment_id, "easymaker/hyperparameter-tuning-id": tuning.id},
                )
        if hyperparameters is None:
            self._end_trial(p, trial_id, engine, TR.FAILED, error, outcome="fail")
            return
        try:
            handle = backend.submit(spec)
        except CapacityUnavailable as exc:
            with self.db.session() as session:
                t = session.get(HpoTrial, trial_id)
                if t.status_reason != str(exc):
                    t.status_reason = str(exc)
            return
        except BackendError as exc:
            self._end_trial(p, trial_id, engine, TR.FAILED, f"could not start: {exc}", outcome="fail")
            return
        with self.db.session() as session:
            t = session.get(HpoTrial, trial_id)
            t.handle = handle
            t.status_reason = f"submitted to the {backend.name} backend"
            t.updated_at = utcnow()
        self._publish_trial(p, trial_id, TR.CREATED, number)
        self._watch(handle)

    def _send_stop(self, trial_id: str, backend: Any, handle: dict[str, Any]) -> None:
        backend.stop(handle, self.settings.stop_grace_seconds)
        handle["stop_sent"] = True
        with self.db.session() as session:
            session.get(HpoTrial, trial_id).handle = dict(handle)

    def _ingest(self, p: _Pass, trial_id: str, backend: Any, handle: dict[str, Any], engine: Any, drain: bool = False) -> None:
        """New log lines -> log records and metric points -> intermediate values
        for Optuna, asking the median rule after each one."""
        objective = p.spec["objective_metric"]
        parser = self._parsers.get(p.id)
        if parser is None:
            parser = self._parsers[p.id] = metric_parser(p.spec["metrics"])
        with self.db.session() as session:
            offset = session.get(HpoTrial, trial_id).log_offset
        while True:
            chunk = backend.read_logs(handle, offset)
            if not chunk.text:
                return
            pruned_at = None
            with self.db.session() as session:
                t = session.get(HpoTrial, trial_id)
                if t.log_offset != offset:
                    return  # another pass got there first
                self.logs.ingest(session, trial_id, chunk.text, category=LOG_CATEGORY, parse=parser,
                                 fields={"trainingId": trial_id, "hyperparameterTuningId": p.id})
                t.log_offset = offset = chunk.offset
                if t.status in TRIAL_ACTIVE and t.stop_as is None:
                    session.flush()
                    points = session.execute(
                        sql_select(MetricPoint.step, MetricPoint.value)
                        .where(MetricPoint.resource_id == trial_id, MetricPoint.name == objective, MetricPoint.step > t.last_step)
                        .order_by(MetricPoint.step, MetricPoint.id)
                    ).all()
                    for step, value in points:
                        t.last_step = step
                        if engine.report(t.optuna_trial_id, step, value):
                            pruned_at = (step, value)
                            t.stop_as = TR.EARLY_STOPPED
                            t.status_reason = f"median rule at step {step}: {objective}={value:g} is worse than the median of completed trials"
                            break
                    self._flush(session, p.id, engine)
            engine.committed()
            self._publish_change(p, "logs", trial_id=trial_id)
            if pruned_at is not None and not handle.get("stop_sent"):
                self._send_stop(trial_id, backend, handle)
            if not drain:
                return

    def _finish_trial(self, p: _Pass, trial_id: str, backend: Any, handle: dict[str, Any], state: JobState, engine: Any) -> None:
        self._ingest(p, trial_id, backend, handle, engine, drain=True)
        backend.release(handle)
        objective, value, metrics = p.spec["objective_metric"], None, {}
        with self.db.session() as session:
            t = session.get(HpoTrial, trial_id)
            value, metrics = self._results(session, p.spec, trial_id)
            if t.stop_as == TR.EARLY_STOPPED:
                target, outcome, reason = TR.EARLY_STOPPED, "pruned", t.status_reason
            elif state.phase == JobPhase.SUCCEEDED:
                if value is None:
                    target, outcome, reason = TR.METRICS_UNAVAILABLE, "fail", f"the job never printed the objective metric {objective!r}"
                else:
                    target, outcome, reason = TR.SUCCEEDED, "complete", ""
            elif t.stop_as == TR.KILLED or state.phase == JobPhase.STOPPED:
                target, outcome, reason = TR.KILLED, "fail", state.reason or "stopped"
            else:
                target, outcome, reason = TR.FAILED, "fail", state.reason or "the job failed"
        self._end_trial(p, trial_id, engine, target, reason, outcome=outcome, value=value, metrics=metrics,
                        exit_code=state.exit_code, finished_at=_utc(state.finished_at))

    def _end_trial(self, p: _Pass, trial_id: str, engine: Any, target: str, reason: str, *, outcome: str,
                   value: float | None = None, metrics: dict[str, Any] | None = None, exit_code: int | None = None,
                   finished_at: datetime | None = None) -> None:
        """The trial's final status and the study's tell, in one transaction."""
        with self.db.session() as session:
            t = session.get(HpoTrial, trial_id)
            if t.status not in TRIAL_ACTIVE:
                return
            engine.tell(t.number, outcome, value)
            self.tunings.set_trial_status(session, t, target, reason)
            t.objective_value = value
            t.metrics = metrics or {}
            t.exit_code = exit_code
            t.finished_at = finished_at or utcnow()
            number = t.number
            if target == TR.SUCCEEDED:
                self._update_best(session, p, t)
            self._flush(session, p.id, engine)
        engine.committed()
        self._watched.discard(trial_id)
        self._last_sample.pop(trial_id, None)
        self._publish_trial(p, trial_id, target, number)

    def _update_best(self, session, p: _Pass, trial: HpoTrial) -> None:
        tuning = session.get(HyperparameterTuning, p.id)
        best = session.get(HpoTrial, tuning.best_trial_id) if tuning.best_trial_id else None
        better = best is None or best.objective_value is None or (
            trial.objective_value < best.objective_value if p.spec["goal"] == "minimize" else trial.objective_value > best.objective_value
        )
        if better:
            tuning.best_trial_id = trial.id

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

    def _active_trial_ids(self, tuning_id: str) -> list[str]:
        with self.db.session() as session:
            return list(session.scalars(
                sql_select(HpoTrial.id).where(HpoTrial.tuning_id == tuning_id, HpoTrial.status.in_(TRIAL_ACTIVE)).order_by(HpoTrial.number)
            ))

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

    def _trial_transition(self, p: _Pass, trial_id: str, target: str, reason: str, **fields: Any) -> None:
        with self.db.session() as session:
            t = session.get(HpoTrial, trial_id)
            if t is None or t.status == target:
                return
            self.tunings.set_trial_status(session, t, target, reason)
            for key, value in fields.items():
                setattr(t, key, value)
            number = t.number
        self._publish_trial(p, trial_id, target, number)

    def _publish_tuning(self, p: _Pass) -> None:
        p.events.append((self.tunings.kind, p.id, {"change": "status", "status": p.status, "name": p.name}))

    def _publish_trial(self, p: _Pass, trial_id: str, status: str, number: int) -> None:
        p.events.append((self.tunings.kind, p.id, {"change": "trial", "trial_id": trial_id, "trial_status": status,
                                                   "number": number, "name": p.name}))

    def _publish_change(self, p: _Pass, change: str, **data: Any) -> None:
        p.events.append((self.tunings.kind, p.id, {"change": change, "name": p.name, **data}))
