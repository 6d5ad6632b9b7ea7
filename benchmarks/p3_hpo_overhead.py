"""P3: hyperparameter tuning.

1. Controller overhead per trial, beyond the trial's own run time: a tuning of
   100 trials of a no-op script (it only prints its metric), one at a time, on
   the local backend of a real server (default controller interval, 0.5 s).
   Per trial, the time from the previous trial's job ending to the next trial
   being recorded is what the controller adds (noticing the end, scraping the
   log, telling Optuna, asking the next suggestion, recording it); goal <= 20 ms.
   Starting the job (the submit call, the launcher process, the user's Python)
   is shown apart: it is the backend's cost, the same for every job (see P1).
   On a busy host the wall-clock figures include waiting for a CPU; the CPU
   time of the controller's passes (measured in-process) does not.
2. The best value found, against Optuna used directly (``study.optimize``) with
   the same sampler and seed, on a 2-D quadratic: goal the same.

    python benchmarks/p3_hpo_overhead.py [--trials 100] [--compare-trials 30]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from _server import ServerProcess

NOOP = "import os\nprint(f\"loss={float(os.environ['EM_HP_X']) ** 2!r}\")\n"
QUADRATIC = (
    "import os\nx, y = float(os.environ['EM_HP_X']), float(os.environ['EM_HP_Y'])\n"
    "print(f\"loss={(x - 0.3) ** 2 + (y + 0.2) ** 2!r}\")\n"
)
FINAL = ("COMPLETE", "FAIL HYPERPARAMETER TUNING", "STOPPED", "CREATE FAILED")


def wait(server: ServerProcess, name: str, timeout: float = 1800) -> dict:
    end = time.monotonic() + timeout
    while True:
        row = server.request("GET", f"hyperparameter-tunings/{name}")
        if row["status"] in FINAL:
            return row
        if time.monotonic() > end:
            raise TimeoutError(row)
        time.sleep(0.5)


def tuning(server: ServerProcess, source: str, name: str, **fields) -> dict:
    body = {"name": name, "experiment_name": "bench-p3", "algorithm": {"type": "custom", "source_dir": source, "entry_point": "main.py"},
            "objective_metric": "loss", "goal": "minimize", "parallel_trials": 1, **fields}
    server.request("POST", "hyperparameter-tunings", body)
    return wait(server, name)


def trial_times(server: ServerProcess, tuning_id: str, n: int) -> list[dict]:
    """Per trial (epoch seconds): recorded by the controller, user code started, user code ended."""
    from datetime import datetime

    def ts(text: str) -> float:
        return datetime.fromisoformat(text).timestamp()

    items = server.request("GET", f"hyperparameter-tunings/{tuning_id}/trials?limit={n}")["items"]
    return [{"number": t["number"], "created": ts(t["created_at"]), "start": ts(t["started_at"]), "end": ts(t["finished_at"])} for t in items]


def ms(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[max(0, int(len(values) * 0.9) - 1)]
    return f"median {statistics.median(values) * 1000:6.1f} ms  mean {statistics.mean(values) * 1000:6.1f} ms  p90 {p90 * 1000:6.1f} ms"


def overhead(server: ServerProcess, tmp: str, data: str, n: int) -> None:
    source = os.path.join(tmp, "noop")
    os.makedirs(source)
    with open(os.path.join(source, "main.py"), "w") as fh:
        fh.write(NOOP)
    import psutil

    proc = psutil.Process(server.proc.pid)
    cpu_before = sum(proc.cpu_times()[:2])
    done = tuning(server, source, "p3-noop", strategy="Random", random_seed=0, max_trials=n, max_failed_trials=n,
                  parameters=[{"name": "x", "type": "double", "min": -1, "max": 1}])
    cpu = sum(proc.cpu_times()[:2]) - cpu_before  # the server's own CPU (its jobs are other processes)
    assert done["status"] == "COMPLETE" and done["trials"]["completed"] == n, done
    trials = trial_times(server, done["id"], n)
    # the controller's part: the previous job's end -> the next suggestion recorded
    controller = [b["created"] - a["end"] for a, b in zip(trials, trials[1:])]
    # the backend's part: recorded -> user code running (submit, process start, launcher)
    job_start = [t["start"] - t["created"] for t in trials]
    own = [t["end"] - t["start"] for t in trials]
    wall = done["elapsed_seconds"]
    print(f"P3.1: {n} no-op trials, one at a time, local backend, controller interval 0.5 s")
    print(f"  tuning wall time            {wall:7.2f} s  ({wall / n * 1000:.1f} ms per trial)")
    print(f"  trial's own run time        {ms(own)}")
    print(f"  job start (submit+launcher) {ms(job_start)}")
    print(f"  controller overhead/trial   {ms(controller)}   (goal <= 20 ms)")
    print(f"  server CPU per trial        {cpu / n * 1000:6.1f} ms  (everything the server did, submit included)")
    print(f"  load average during the run {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def controller_cpu(tmp: str, n: int) -> None:
    """The same tuning with the controller in this process: the CPU time of its
    passes (thread time, so other load on the host does not count) per trial."""
    import asyncio

    from jupyter_easymaker.areas import AREAS
    from jupyter_easymaker.backend.jobs.local import LocalBackend
    from jupyter_easymaker.core.platform import Platform
    from jupyter_easymaker.core.reconcile import Controller
    from jupyter_easymaker.core.settings import Settings

    source = os.path.join(tmp, "noop")
    settings = Settings(data_dir=os.path.join(tmp, "inproc"), local_roots=[tmp], controller_interval=0.5)
    services = Platform(settings, AREAS, {"local": LocalBackend(cpu=64, memory_mib=1 << 20)})
    cpu: list[float] = []

    async def run() -> dict:
        controller = Controller(services)
        await controller.start()
        services.service("tuning")  # loads the area: the controller starts its reconciler on its next pass
        await controller.reconcile_once()
        reconciler = controller.reconcilers["tuning"]
        one_pass = reconciler.reconcile_tuning

        def timed(tuning_id: str, events: list | None = None) -> None:
            start = time.thread_time()
            try:
                one_pass(tuning_id, events)
            finally:
                cpu.append(time.thread_time() - start)

        reconciler.reconcile_tuning = timed
        try:
            services.tuning.create({"name": "p3-inproc", "experiment_name": "bench-p3", "strategy": "Random", "random_seed": 0,
                                 "algorithm": {"type": "custom", "source_dir": source, "entry_point": "main.py"},
                                 "parameters": [{"name": "x", "type": "double", "min": -1, "max": 1}],
                                 "objective_metric": "loss", "max_trials": n, "max_failed_trials": n})
            while services.tuning.get("p3-inproc").status not in FINAL:
                await asyncio.sleep(0.2)
            return services.tuning.get("p3-inproc").model_dump()
        finally:
            await controller.stop()

    import jupyter_easymaker.areas.tuning.engine  # noqa: F401 - Optuna's import is a one-off, not per trial

    done = asyncio.run(run())
    assert done["status"] == "COMPLETE", done
    print(f"  controller CPU per trial    {sum(cpu) / n * 1000:6.1f} ms  (thread time of its passes, in-process; "
          f"median pass {statistics.median(cpu) * 1000:.1f} ms)")


def compare(server: ServerProcess, tmp: str, n: int) -> None:
    import optuna

    from jupyter_easymaker.areas.tuning.engine import make_sampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    source = os.path.join(tmp, "quadratic")
    os.makedirs(source)
    with open(os.path.join(source, "main.py"), "w") as fh:
        fh.write(QUADRATIC)
    print(f"P3.2: best value after {n} trials, jupyter-easymaker vs Optuna's study.optimize (same sampler and seed)")
    space = [{"name": "x", "type": "double", "min": -2.0, "max": 2.0, "step": None, "log": False},
             {"name": "y", "type": "double", "min": -2.0, "max": 2.0, "step": None, "log": False}]
    for strategy in ("Random", "TPE", "Bayesian", "Grid"):
        params = space if strategy != "Grid" else [{**p, "step": 0.25} for p in space]
        api_params = [{"name": p["name"], "type": "double", "min": p["min"], "max": p["max"], **({"step": p["step"]} if p["step"] else {})}
                      for p in params]
        for seed in (0, 1):
            done = tuning(server, source, f"p3-{strategy.lower()}-{seed}", strategy=strategy, random_seed=seed, max_trials=n,
                          parameters=api_params)
            ours = [t["parameters"] for t in server.request("GET", f"hyperparameter-tunings/{done['id']}/trials?limit={n}")["items"]]

            def objective(trial: optuna.Trial) -> float:
                x, y = trial.suggest_float("x", -2.0, 2.0), trial.suggest_float("y", -2.0, 2.0)
                return (x - 0.3) ** 2 + (y + 0.2) ** 2

            study = optuna.create_study(direction="minimize", sampler=make_sampler(strategy, params, seed))
            study.optimize(objective, n_trials=n)
            same = [t.params for t in study.trials] == ours
            best = done["best_trial"]["objective_value"]
            print(f"  {strategy:<8} seed {seed}: ours {best:.6g}   optuna {study.best_value:.6g}   "
                  f"{'same' if best == study.best_value else 'DIFFERENT'} best, {'identical' if same else 'different'} suggestions")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--compare-trials", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        server = ServerProcess(tmp, data, controller_interval=0.5, extra=["--EasyMakerExtension.local_cpu=64"]).start()
        try:
            overhead(server, tmp, data, args.trials)
            controller_cpu(tmp, args.trials)
            compare(server, tmp, args.compare_trials)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
