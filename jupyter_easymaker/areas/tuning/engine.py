"""The search engine of hyperparameter tuning: one Optuna study per tuning,
driven with ask/tell by the tuning reconciler.

Strategies map onto Optuna's own samplers (nothing hand-written):

- Random   -> ``RandomSampler(seed)``
- Grid     -> ``GridSampler(grid, seed)`` over the enumerated grid (steps included)
- Bayesian -> ``GPSampler(seed)``: Gaussian-process Bayesian optimisation (needs
  torch and scipy, the ``[ml]`` extra); it reaches a target in clearly fewer
  trials than TPE on smooth objectives (benchmarks/p3_hpo_overhead.py)
- TPE      -> ``TPESampler(seed)`` (Optuna's defaults, constant liar on for parallel trials)

Early stopping is ``MedianPruner(n_startup_trials=min_trials, n_warmup_steps=start_step)``,
asked after every intermediate value reported.

Persistence: the study lives in a ``JournalStorage`` whose backend is the
``hpo_journal`` table of the project's own database. Operations collect in
memory and are written by the caller *in the same transaction* as the trial
row they belong to, so a kill -9 at any point leaves the study and the
trials table agreeing: an ask that was not committed never happened, and one
that was is a trial row that the controller submits (idempotently) after a
restart. Optuna's RDBStorage was not used: it keeps its own ``alembic_version``
table, which would collide with the project's migrations, and it commits
separately from the trials table. A journal file would need its own locking and
could not commit together with the store. The sampler is pickled into the
tuning row with each suggestion, so a restarted server continues the same
random sequence instead of starting the seed over.
"""
from __future__ import annotations

import json
import math
import pickle
from dataclasses import dataclass
from typing import Any, Iterable

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.samplers import BaseSampler, GridSampler
from optuna.storages.journal import BaseJournalBackend, JournalStorage
from optuna.trial import TrialState

from jupyter_easymaker.areas.tuning.search_space import grid_values

optuna.logging.set_verbosity(optuna.logging.WARNING)

SAMPLER_NAMES = {"Random": "RandomSampler", "Grid": "GridSampler", "Bayesian": "GPSampler", "TPE": "TPESampler"}


class _Grid(GridSampler):
    """GridSampler whose end-of-grid ``study.stop()`` (meant for ``optimize()``)
    is left out: under ask/tell the reconciler decides when the grid is done."""

    def after_trial(self, study, trial, state, values) -> None:  # noqa: ANN001
        return None


class MemoryJournal(BaseJournalBackend):
    """The journal as a list: entries loaded from the store plus those appended
    since, which the caller writes with :meth:`pending` and then :meth:`commit`."""

    def __init__(self, entries: Iterable[dict[str, Any]] = ()):
        self.entries: list[dict[str, Any]] = list(entries)
        self.stored = self.handed = len(self.entries)

    def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
        return self.entries[log_number_from:]

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        # the JSON round trip makes memory hold exactly what a restart reads back
        self.entries.extend(json.loads(json.dumps(logs)))

    def pending(self) -> list[tuple[int, dict[str, Any]]]:
        """``(seq, entry)`` not handed out yet; several writes in one transaction never repeat one."""
        out = list(enumerate(self.entries[self.handed:], start=self.handed))
        self.handed = len(self.entries)
        return out

    def commit(self) -> None:
        self.stored = self.handed


def distributions(parameters: list[dict[str, Any]]) -> dict[str, BaseDistribution]:
    out: dict[str, BaseDistribution] = {}
    for p in parameters:
        if p["type"] == "categorical":
            out[p["name"]] = CategoricalDistribution(list(p["values"]))
        elif p["type"] == "int":
            out[p["name"]] = IntDistribution(int(p["min"]), int(p["max"]), log=bool(p.get("log")))
        else:
            out[p["name"]] = FloatDistribution(float(p["min"]), float(p["max"]), log=bool(p.get("log")))
    return out


def make_sampler(strategy: str, parameters: list[dict[str, Any]], seed: int | None) -> BaseSampler:
    if strategy == "Grid":
        return _Grid({p["name"]: grid_values(p) for p in parameters}, seed=seed)
    if strategy == "Bayesian":
        return optuna.samplers.GPSampler(seed=seed)
    if strategy == "TPE":
        return optuna.samplers.TPESampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def make_pruner(early_stopping: dict[str, Any] | None) -> optuna.pruners.BasePruner:
    if not early_stopping:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(
        n_startup_trials=int(early_stopping.get("min_trials", 3)),
        n_warmup_steps=int(early_stopping.get("start_step", 4)),
    )


@dataclass
class Suggestion:
    number: int
    trial_id: int  # Optuna's id
    params: dict[str, Any]


class StudyEngine:
    """One tuning's study. Not thread-safe: the reconciler uses it from one task at a time."""

    def __init__(self, tuning_id: str, spec: dict[str, Any], entries: Iterable[dict[str, Any]] = (), sampler_state: bytes | None = None):
        self.spec = spec
        self.parameters: list[dict[str, Any]] = spec["search_space"]
        self.strategy: str = spec["strategy"]
        self.journal = MemoryJournal(entries)
        sampler = pickle.loads(sampler_state) if sampler_state else make_sampler(self.strategy, self.parameters, spec.get("random_seed"))
        storage, pruner = JournalStorage(self.journal), make_pruner(spec.get("early_stopping"))
        if self.journal.entries:  # replayed: loading (not create_study(load_if_exists)) appends nothing to the journal
            self.study = optuna.load_study(study_name=tuning_id, storage=storage, sampler=sampler, pruner=pruner)
        else:
            self.study = optuna.create_study(storage=storage, study_name=tuning_id, direction=spec["goal"], sampler=sampler, pruner=pruner)
        self.storage = self.study._storage
        self.distributions = distributions(self.parameters)

    # -- journal ----------------------------------------------------------------
    def pending(self) -> list[tuple[int, dict[str, Any]]]:
        return self.journal.pending()

    def committed(self) -> None:
        self.journal.commit()

    def sampler_state(self) -> bytes:
        return pickle.dumps(self.study.sampler)

    # -- suggestions ------------------------------------------------------------
    def can_suggest(self) -> bool:
        """False when every grid point has been handed out (finished or still running)."""
        if self.strategy != "Grid":
            return True
        return bool(self._grid_ids(unstarted=True))

    def exhausted(self) -> bool:
        """True when the search space has been explored completely (Grid only)."""
        return self.strategy == "Grid" and not self._grid_ids(unstarted=False)

    def _grid_ids(self, *, unstarted: bool) -> set[int]:
        sampler: GridSampler = self.study.sampler  # type: ignore[assignment]
        done: set[int] = set()
        for t in self.storage.get_all_trials(self.study._study_id, deepcopy=False):
            grid_id = t.system_attrs.get("grid_id")
            if grid_id is None:
                continue
            if t.state.is_finished() or (unstarted and t.state == TrialState.RUNNING):
                done.add(grid_id)
        return set(range(len(sampler._all_grids))) - done

    def ask(self) -> Suggestion:
        trial = self.study.ask(self.distributions)
        return Suggestion(trial.number, trial._trial_id, dict(trial.params))

    # -- results ----------------------------------------------------------------
    def report(self, trial_id: int, step: int, value: float) -> bool:
        """Record an intermediate objective value; True when the pruner says stop."""
        frozen = self.storage.get_trial(trial_id)
        if frozen.state.is_finished():
            return False
        if step not in frozen.intermediate_values and math.isfinite(value):
            self.storage.set_trial_intermediate_value(trial_id, step, float(value))
            frozen = self.storage.get_trial(trial_id)
        return bool(self.study.pruner.prune(self.study, frozen))

    def tell(self, number: int, outcome: str, value: float | None = None) -> None:
        """``outcome``: complete (with the objective value), pruned or fail."""
        state = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED, "fail": TrialState.FAIL}[outcome]
        values = value if state == TrialState.COMPLETE else None
        self.study.tell(number, values, state=state, skip_if_finished=True)
