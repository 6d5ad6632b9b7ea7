"""P4 (part): what writing one inference log record to the store costs the gateway process.

    python benchmarks/p4_log_cost.py [--records 4000] [--rounds 3]

With the connection handoff the gateway no longer carries the requests of a
kept-alive connection, but it still writes an inference log record for each
(``inference_log_sample_rate`` 1.0 by default): that write is most of what
the gateway path costs beyond a direct request. This times it as the gateway
does it: a model server's report (the JSON it sends) taken in
(``Handoff._report``: statistics, key use, the log records) and written
(``Gateway.flush``: multi-row inserts) to a SQLite store made by the
migrations. Beside it, in the same run, the same rows into a copy of the
table without the log search's indexes (the full-text index of the bodies and
the partial indexes on fields of the JSON, migration 0014): what those
indexes cost on every write. Process CPU time, so the figures are not
disturbed by what else the host runs.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import tempfile
import time
import uuid

from jupyter_easymaker.areas.endpoints.gateway_handoff import Handoff
from jupyter_easymaker.areas.endpoints.gateway_process import build_gateway
from jupyter_easymaker.core.db import Database

WHO = {"endpoint_id": str(uuid.uuid4()), "stage_id": str(uuid.uuid4()), "model": "iris", "key_id": str(uuid.uuid4()),
       "resource_id": str(uuid.uuid4()), "address": "http://127.0.0.1:1"}


def report(records: int) -> bytes:
    rows = [[str(uuid.uuid4()), "POST", "/v1/models/iris/predict", 200, 0.412, time.time()] for _ in range(records)]
    return json.dumps({"grants": {"g": WHO}, "requests": {"g": [0, [0.412] * records]}, "logs": {"g": rows},
                       "closed": {}, "dropped": 0}).encode()


def bare_copy(url: str) -> None:
    """The log table without the search's indexes and triggers (what they cost is the difference)."""
    db = Database(url, migrate=False)
    with db.write() as session:
        connection = session.connection()
        names = connection.exec_driver_sql(
            "SELECT type, name FROM sqlite_master WHERE tbl_name LIKE 'log_records%' "
            "AND ((type = 'index' AND name LIKE 'ix_log_records_f_%') OR type = 'trigger')").all()
        for kind, name in names:
            connection.exec_driver_sql(f"DROP {kind.upper()} {name}")


def timed(url: str, data: bytes) -> tuple[float, float]:
    """CPU seconds of taking the report in, and of writing it."""
    gateway = build_gateway({"db_url": url, "options": {}})
    handoff = Handoff(gateway, "")
    gc.collect()  # what the previous round left is not collected in this one's time
    t0 = time.process_time()
    handoff._report(json.loads(data))
    t1 = time.process_time()
    gateway.flush()
    return t1 - t0, time.process_time() - t1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=4000, help="records per report (about 0.25 s of 16k req/s)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        urls = {name: f"sqlite:///{os.path.join(root, name)}.db" for name in ("store", "bare")}
        for url in urls.values():
            Database(url)  # the migrations
        bare_copy(urls["bare"])
        took: dict[str, list[tuple[float, float]]] = {name: [] for name in urls}
        for url in urls.values():  # a round each first, not counted: imports, caches, the files' first pages
            timed(url, report(args.records))
        for _ in range(args.rounds):  # interleaved
            for name, url in urls.items():
                took[name].append(timed(url, report(args.records)))
        n = args.records
        print(f"{'store':8s} {'report in µs/rec':>17s} {'write µs/rec':>13s} {'total µs/rec':>13s}")
        totals = {}
        for name, rounds in took.items():
            taken = statistics.fmean(r[0] for r in rounds) / n * 1e6
            written = statistics.fmean(r[1] for r in rounds) / n * 1e6
            totals[name] = taken + written
            print(f"{name:8s} {taken:17.2f} {written:13.2f} {totals[name]:13.2f}")
        print(f"\nthe log search's indexes make a record's write {totals['store'] / totals['bare']:.2f}x its cost "
              f"without them ({totals['store'] - totals['bare']:.1f} µs of CPU per inference)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
