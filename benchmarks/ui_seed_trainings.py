"""Seed N finished trainings straight into a jupyter-easymaker store, for the
UI figures (tests/ui/tests/figures.spec.ts): the same rows as P6's fill(),
with their status history, added next to whatever the store already holds.

    python benchmarks/ui_seed_trainings.py --data-dir DIR [--trainings 10000] [--prefix ui10k]
"""
from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import timedelta

from jupyter_easymaker.core.db import Database
from jupyter_easymaker.areas.experiments.tables import Experiment
from jupyter_easymaker.core.tables import StatusEvent, utcnow
from jupyter_easymaker.areas.trainings.tables import Training

STATUSES = ["COMPLETE", "FAIL TRAIN", "STOPPED"]


def seed(url: str, n: int, data_dir: str, prefix: str) -> None:
    db = Database(url)
    now = utcnow()
    experiments = [{"id": str(uuid.uuid4()), "name": f"{prefix}-exp-{i}", "description": "", "status": "ACTIVE", "status_reason": "",
                    "created_at": now, "updated_at": now} for i in range(20)]
    trainings, events = [], []
    for i in range(n):
        tid = str(uuid.uuid4())
        status = STATUSES[i % 3]  # finished rows only: the controller has nothing to do
        at = now - timedelta(seconds=n - i + 3600)
        trainings.append({
            "id": tid, "name": f"{prefix}-{i:05d}", "description": f"seeded row {i}", "status": status, "status_reason": "",
            "created_at": at, "updated_at": at, "experiment_id": experiments[i % 20]["id"], "template_id": None,
            "spec": {"algorithm": {"type": "custom", "source_dir": data_dir, "entry_point": "main.py"},
                     "hyperparameters": {"lr": "0.01", "epochs": "10"}, "nodes": 1, "instance_type": "cpu-1"},
            "backend": "local", "handle": None, "paths": {"model_dir": "", "tensorboard_log_dir": ""}, "exit_code": 0,
            "started_at": at, "finished_at": at + timedelta(seconds=30 + i % 600), "log_offset": 0,
        })
        events.extend({"kind": "training", "resource_id": tid, "status": s, "reason": "", "at": at}
                      for s in ("CREATE REQUESTED", "CREATE IN PROGRESS", "RUNNING", status))
    with db.engine.begin() as conn:
        conn.execute(Experiment.__table__.insert(), experiments)
        conn.execute(Training.__table__.insert(), trainings)
        conn.execute(StatusEvent.__table__.insert(), events)
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True, help="the server's EasyMakerExtension.data_dir")
    parser.add_argument("--trainings", type=int, default=10_000)
    parser.add_argument("--prefix", default="ui10k")
    args = parser.parse_args()
    t0 = time.perf_counter()
    seed(f"sqlite:///{os.path.join(args.data_dir, 'easymaker.db')}", args.trainings, args.data_dir, args.prefix)
    print(f"seeded {args.trainings} trainings in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
