"""P6: latency of listing trainings with 10,000 of them in the store.

Fills a fresh store with N trainings (direct inserts, with their status
history), starts a real server on it and times GET /trainings pages over
HTTP: the default page, a status filter, a name search and a deep offset.
Goal: p50 <= 100 ms.

    python benchmarks/p6_list_latency.py [--trainings 10000] [--requests 50]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import timedelta

from _server import ServerProcess

from jupyter_easymaker.core.db import Database
from jupyter_easymaker.areas.experiments.tables import Experiment
from jupyter_easymaker.core.tables import StatusEvent, utcnow
from jupyter_easymaker.areas.trainings.tables import Training

STATUSES = ["COMPLETE", "FAIL TRAIN", "STOPPED", "RUNNING", "CREATE REQUESTED"]


def fill(url: str, n: int, data_dir: str) -> None:
    db = Database(url)
    now = utcnow()
    experiments = [{"id": str(uuid.uuid4()), "name": f"exp-{i}", "description": "", "status": "ACTIVE", "status_reason": "",
                    "created_at": now, "updated_at": now} for i in range(20)]
    trainings, events = [], []
    for i in range(n):
        tid = str(uuid.uuid4())
        # terminal statuses only for most rows, so the controller has little to do
        status = STATUSES[i % 3]
        at = now - timedelta(seconds=n - i)
        trainings.append({
            "id": tid, "name": f"training-{i:05d}", "description": f"benchmark row {i}", "status": status, "status_reason": "",
            "created_at": at, "updated_at": at, "experiment_id": experiments[i % 20]["id"], "template_id": None,
            "spec": {"algorithm": {"type": "custom", "source_dir": data_dir, "entry_point": "main.py"},
                     "hyperparameters": {"lr": "0.01", "epochs": "10"}, "nodes": 1, "instance_type": "cpu-1"},
            "backend": "local", "handle": None, "paths": {"model_dir": "", "tensorboard_log_dir": ""}, "exit_code": 0,
            "started_at": at, "finished_at": at + timedelta(seconds=30), "log_offset": 0,
        })
        events.extend({"kind": "training", "resource_id": tid, "status": s, "reason": "", "at": at}
                      for s in ("CREATE REQUESTED", "CREATE IN PROGRESS", "RUNNING", status))
    with db.engine.begin() as conn:
        conn.execute(Experiment.__table__.insert(), experiments)
        conn.execute(Training.__table__.insert(), trainings)
        conn.execute(StatusEvent.__table__.insert(), events)
    db.close()


def timed(server: ServerProcess, path: str, requests: int) -> list[float]:
    server.request("GET", path)  # warm caches
    out = []
    for _ in range(requests):
        t0 = time.perf_counter()
        server.request("GET", path)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trainings", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        t0 = time.perf_counter()
        fill(f"sqlite:///{data}/easymaker.db", args.trainings, data)
        print(f"filled {args.trainings} trainings in {time.perf_counter() - t0:.1f} s")
        server = ServerProcess(tmp, data).start()
        try:
            print(f"P6: GET /trainings with {args.trainings} trainings stored ({args.requests} requests each)")
            for label, path in [
                ("default page (50, newest)", "trainings"),
                ("status filter", "trainings?status=COMPLETE"),
                ("name search", "trainings?name=training-099"),
                ("sort by name, offset 9000", "trainings?sort=name&offset=9000"),
                ("page of 500", "trainings?limit=500"),
            ]:
                times = sorted(timed(server, path, args.requests))
                p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
                print(f"  {label:<28} p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms")
        finally:
            server.stop()
    print("goal: p50 <= 100 ms")


if __name__ == "__main__":
    main()
