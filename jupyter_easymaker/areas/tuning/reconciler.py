"""The tuning reconciler: the search. It keeps ``parallel_trials`` trials of
each running tuning going, and ends the tuning the way Katib does
(GoalReached / MaxTrialsReached / SuggestionEndReached, FAIL HYPERPARAMETER
TUNING at the failed-trial limit, STOPPED on request).

Trials are jobs on the shared job lifecycle (:mod:`jupyter_easymaker.core.jobs`);
what they print feeds the Optuna study (intermediate values, the median rule)
through the tuning's trial store (:mod:`.trials`), which makes every write.

Each pass over one tuning runs in a worker thread: backend calls block,
Optuna's Bayesian sampler can take a while, and the server's event loop must
stay free. Events are collected during the pass and published afterwards.

Restart safety: a trial row and the study step that created it are committed
together, and the job is submitted after that commit under the trial's id. A
server killed at any point finds either no trial (the ask is asked again) or
a trial row whose job is submitted idempotently (local: the job folder's
handle.json; Kubernetes: 409 on the job's deterministic name). So no trial is
lost or run twice.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from jupyter_easymaker.areas.tuning.statuses import (
    HYPERPARAMETER_TUNING_ACTIVE,
    TRIAL_ACTIVE,
    TRIAL_FAILED,
    HyperparameterTuningDetail,
    HyperparameterTuningStatus,
)
from jupyter_easymaker.areas.tuning.trials import Trial, TuningPass, TuningStore
from jupyter_easymaker.core.jobs import JobLifecycle, Outcome

H, D = HyperparameterTuningStatus, HyperparameterTuningDetail
CLEANUP = {H.STOP_IN_PROGRESS: H.STOPPED, H.COMPLETE_IN_PROGRESS: H.COMPLETE,
           H.FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS: H.FAIL_HYPERPARAMETER_TUNING}


class TuningReconciler:
    def __init__(self, platform: Any, *, log: logging.Logger | None = None):
        self.events = platform.events
        self.backends = platform.backends
        self.log = log or logging.getLogger("jupyter_easymaker.tuning")
        self.store = TuningStore(platform.service("tuning"), platform)
        self.jobs = JobLifecycle(platform.backends, platform.settings, wake=platform.wake, log=self.log)
        self._engines: dict[str, Any] = {}

    # -- driven by the controller ---------------------------------------------
    def recover(self) -> None:
        """After a restart: tell each backend which trial jobs it still owns."""
        n = self.jobs.adopt(self.store.running_trials())
        if n:
            self.log.info("easymaker: re-attached to %d running tuning trial(s)", n)

    async def reconcile_once(self) -> None:
        for tuning_id in await asyncio.to_thread(self.store.active_tunings, HYPERPARAMETER_TUNING_ACTIVE):
            events: list = []
            try:
                await asyncio.to_thread(self.reconcile_tuning, tuning_id, events)
            except Exception:  # noqa: BLE001 - isolate tunings from each other
                self._engines.pop(tuning_id, None)  # rebuilt from the store on the next pass
                self.log.exception("easymaker: reconciling hyperparameter tuning %s failed", tuning_id)
            finally:
                for kind, resource_id, data in events:
                    self.events.publish(kind, resource_id, **data)

    # -- one tuning -------------------------------------------------------------
    def reconcile_tuning(self, tuning_id: str, events: list | None = None) -> None:
        begun = self.store.begin(tuning_id)
        if begun is None:
            return
        p, trials = begun
        if events is not None:
            p.events = events
        store = self.store
        backend = self.backends.get(p.backend_name)
        if p.status == H.CREATE_REQUESTED:
            if backend is None:
                store.transition(p, H.CREATE_FAILED, f"the {p.backend_name} backend is not configured on this server")
                return
            store.transition(p, H.CREATE_IN_PROGRESS, "creating the study")
        if p.status == H.CREATE_IN_PROGRESS:
            self._create_study(p)
            if p.status != H.RUNNING:
                return
        if p.status == H.STOP_IN_PROGRESS and p.id not in self._engines and not store.has_study(p.id):
            store.transition(p, H.STOPPED, "stopped before it started", finished=True)
            return
        engine = self._engine(p)
        trial_jobs = store.jobs(p, engine)
        if backend is None:
            if p.status == H.RUNNING:
                store.transition(p, H.FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS, f"the {p.backend_name} backend is not configured on this server")
            for t in trials:  # without the backend they cannot be observed any more
                self.jobs.end(trial_jobs, t, Outcome.STOPPED, f"the {p.backend_name} backend is not configured on this server")
            self._finalize_cleanup(p, trials)
            return
        if p.status in CLEANUP:
            store.kill(trials)
        for t in trials:
            self._trial(trial_jobs, t, backend)
        if p.status == H.RUNNING:
            self._decide(p, backend, engine, trials)
        if p.status in CLEANUP:
            self._finalize_cleanup(p, trials)

    def _trial(self, trial_jobs: Any, t: Trial, backend: Any) -> None:
        if not t.active:
            return
        if t.handle is not None:
            self.jobs.advance(trial_jobs, t, backend)
        elif t.stop_as:
            self.jobs.end(trial_jobs, t, Outcome.STOPPED, "stopped before it started")
        else:
            self.jobs.submit(trial_jobs, t, backend)

    def _create_study(self, p: TuningPass) -> None:
        try:
            engine = self._engine(p)
            os.makedirs(p.paths["tensorboard_log_dir"], exist_ok=True)
        except Exception as exc:  # noqa: BLE001 - any failure to set up is the guide's CREATE FAILED
            self._engines.pop(p.id, None)
            self.log.exception("easymaker: creating the study of tuning %s failed", p.id)
            self.store.transition(p, H.CREATE_FAILED, f"could not create the study: {exc}")
            return
        self.store.study_created(p, engine)

    def _decide(self, p: TuningPass, backend: Any, engine: Any, trials: list[Trial]) -> None:
        """Katib's end conditions, then top up the running trials."""
        store, spec, counts = self.store, p.spec, p.counts
        best_number, best_value = p.best if p.best is not None else (None, None)
        failed = sum(counts.get(s, 0) for s in TRIAL_FAILED)
        active = sum(counts.get(s, 0) for s in TRIAL_ACTIVE)
        total = sum(counts.values())
        target = spec.get("target_value")
        if failed >= int(spec["max_failed_trials"]):
            store.transition(p, H.FAIL_HYPERPARAMETER_TUNING_IN_PROGRESS, f"{failed} trials failed, the limit is {spec['max_failed_trials']}")
            store.kill(trials)
            return
        if target is not None and best_value is not None and (
            best_value <= target if spec["goal"] == "minimize" else best_value >= target
        ):
            store.transition(p, H.COMPLETE_IN_PROGRESS,
                             f"trial {best_number} reached {spec['objective_metric']}={best_value:g} (target {target:g})",
                             detail=D.GOAL_REACHED)
            store.kill(trials)
            return
        parallel, max_trials = int(spec.get("parallel_trials", 1)), int(spec["max_trials"])
        trial_jobs = store.jobs(p, engine)
        while active < parallel and total < max_trials and engine.can_suggest():
            t = store.new_trial(p, engine)
            trials.append(t)
            active, total = active + 1, total + 1
            self._trial(trial_jobs, t, backend)
        if active == 0:
            if engine.exhausted():
                store.transition(p, H.COMPLETE_IN_PROGRESS, "every point of the search space was tried", detail=D.SUGGESTION_END_REACHED)
            elif total >= max_trials:
                store.transition(p, H.COMPLETE_IN_PROGRESS, f"{total} trials ran, the maximum", detail=D.MAX_TRIALS_REACHED)

    def _finalize_cleanup(self, p: TuningPass, trials: list[Trial]) -> None:
        if p.status in CLEANUP and not any(t.active for t in trials):
            self.store.transition(p, CLEANUP[p.status], None, finished=True)
            self._engines.pop(p.id, None)
            self.store.forget(p.id)

    # -- the study ---------------------------------------------------------------
    def _engine(self, p: TuningPass) -> Any:
        engine = self._engines.get(p.id)
        if engine is None:
            from jupyter_easymaker.areas.tuning.engine import (
                StudyEngine,  # optuna: only once a tuning runs
            )

            entries, state = self.store.journal(p.id)
            engine = self._engines[p.id] = StudyEngine(p.id, p.spec, entries, state)
        return engine
