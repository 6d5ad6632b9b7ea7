"""The Optuna side of tuning without jobs: the engine the tuning reconciler
drives, with its journal replayed the way a restarted server replays it."""
from __future__ import annotations

import json
import statistics

import optuna
import pytest

from jupyter_easymaker.areas.tuning.engine import StudyEngine
from jupyter_easymaker.areas.tuning.search_space import grid_size, grid_values

SPACE = [
    {"name": "x", "type": "double", "min": -2.0, "max": 2.0, "step": None, "log": False},
    {"name": "y", "type": "double", "min": -2.0, "max": 2.0, "step": None, "log": False},
]


def quadratic(params: dict) -> float:
    return (params["x"] - 0.3) ** 2 + (params["y"] + 0.2) ** 2


def spec(strategy: str, seed: int | None = 1, space=SPACE, **extra) -> dict:
    return {"strategy": strategy, "random_seed": seed, "search_space": space, "goal": "minimize", **extra}


def run(engine: StudyEngine, n: int, objective=quadratic, store: list | None = None) -> list[dict]:
    """Sequential ask/tell; ``store`` collects the journal as the database would."""
    out = []
    for _ in range(n):
        s = engine.ask()
        engine.tell(s.number, "complete", objective(s.params))
        out.append(s.params)
        if store is not None:
            store.extend(json.loads(json.dumps(e)) for _, e in engine.pending())
            engine.committed()
    return out


def test_grid_values_include_the_steps():
    assert grid_values({"type": "double", "min": 0.1, "max": 0.5, "step": 0.2}) == [0.1, 0.3, 0.5]
    assert grid_values({"type": "double", "min": 0.0, "max": 1.0, "step": 0.3}) == [0.0, 0.3, 0.6, 0.9]
    assert grid_values({"type": "int", "min": 1, "max": 9, "step": 4}) == [1, 5, 9]
    assert grid_size([{"type": "int", "min": 1, "max": 3, "step": None}, {"type": "categorical", "values": ["a", "b"]}]) == 6


def test_grid_hands_out_each_point_once_then_ends():
    space = [{"name": "n", "type": "int", "min": 1, "max": 7, "step": 3, "log": False},
             {"name": "opt", "type": "categorical", "values": ["sgd", "adam"]}]
    engine = StudyEngine("g", spec("Grid", space=space))
    asked = []
    while engine.can_suggest():
        asked.append(engine.ask())
    assert sorted((s.params["n"], s.params["opt"]) for s in asked) == sorted((n, o) for n in (1, 4, 7) for o in ("sgd", "adam"))
    assert not engine.exhausted()  # handed out, but still running
    for s in asked:
        engine.tell(s.number, "fail" if s.number == 0 else "complete", 1.0)
    assert engine.exhausted()  # a failed point counts as tried: nothing is run twice


@pytest.mark.parametrize("strategy", ["Random", "TPE", "Bayesian"])
def test_same_seed_same_suggestions(strategy):
    first = run(StudyEngine("a", spec(strategy, seed=5)), 12)
    again = run(StudyEngine("b", spec(strategy, seed=5)), 12)
    other = run(StudyEngine("c", spec(strategy, seed=6)), 12)
    assert first == again and first != other


@pytest.mark.parametrize("strategy", ["Random", "TPE", "Grid", "Bayesian"])
def test_a_restarted_engine_continues_the_same_sequence(strategy):
    space = SPACE if strategy != "Grid" else [{**p, "step": 0.5} for p in SPACE]
    uninterrupted = run(StudyEngine("u", spec(strategy, space=space)), 12)
    journal: list = []
    first = StudyEngine("r", spec(strategy, space=space))
    journal.extend(json.loads(json.dumps(e)) for _, e in first.pending())  # the study's creation
    first.committed()
    head = run(first, 5, store=journal)
    # a new process: the study replayed from the journal, the sampler from its pickled state
    resumed = StudyEngine("r", spec(strategy, space=space), journal, first.sampler_state())
    assert [t.number for t in resumed.study.trials] == list(range(5)) and resumed.pending() == []
    tail = run(resumed, 7)
    assert head + tail == uninterrupted
    assert len({json.dumps(p, sort_keys=True) for p in head + tail}) == 12


def test_uncommitted_asks_are_forgotten_by_a_restart():
    journal: list = []
    engine = StudyEngine("k", spec("Random"))
    journal.extend(e for _, e in engine.pending())
    engine.committed()
    run(engine, 2, store=journal)
    engine.ask()  # the server dies before this ask's transaction commits
    resumed = StudyEngine("k", spec("Random"), journal, None)
    assert len(resumed.study.trials) == 2 and resumed.ask().number == 2


def test_median_pruner_uses_completed_trials_at_the_same_step():
    engine = StudyEngine("m", spec("Random", early_stopping={"min_trials": 2, "start_step": 1}))
    for good in (0.1, 0.2):
        s = engine.ask()
        for step in range(4):
            assert not engine.report(s.trial_id, step, good + 1 / (step + 1))
        engine.tell(s.number, "complete", good)
    bad = engine.ask()
    assert not engine.report(bad.trial_id, 0, 5.0)  # before start_step
    assert engine.report(bad.trial_id, 1, 5.0)
    engine.tell(bad.number, "pruned")
    assert engine.study.trials[-1].state == optuna.trial.TrialState.PRUNED


def test_bayesian_reaches_the_target_in_fewer_trials_than_random():
    """Over several seeds, GP-based Bayesian optimisation gets within 0.01 of the
    optimum of a 2-D quadratic long before random search on the same budget."""
    budget, target = 18, 0.01

    def trials_to_target(strategy: str, seed: int) -> int:
        engine = StudyEngine(f"{strategy}{seed}", spec(strategy, seed=seed))
        for i in range(budget):
            s = engine.ask()
            value = quadratic(s.params)
            engine.tell(s.number, "complete", value)
            if value <= target:
                return i + 1
        return budget + 1  # not reached

    seeds = range(4)
    bayesian = [trials_to_target("Bayesian", seed) for seed in seeds]
    random = [trials_to_target("Random", seed) for seed in seeds]
    print("trials to target: Bayesian", bayesian, "Random", random)
    assert statistics.mean(bayesian) < statistics.mean(random), (bayesian, random)
    assert sum(b <= budget for b in bayesian) >= 3, bayesian
    assert all(b <= r for b, r in zip(bayesian, random)), (bayesian, random)
