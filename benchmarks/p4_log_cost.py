"""P4 (part): what writing one inference log record to the store costs the gateway process.

    python benchmarks/p4_log_cost.py [--records 4000] [--rounds 10]

With the connection handoff the gateway no longer carries the requests of a
kept-alive connection, but it still writes an inference log record for each
(``inference_log_sample_rate`` 1.0 by default): that write is most of what
the gateway path costs beyond a direct request. This times it as the gateway
does it: a model server's report (the JSON it sends) taken in
(``Handoff._report``: statistics, key use, the log records) and written
(``Gateway.flush``: multi-row inserts) to a SQLite store made by the
migrations; then the log search's indexes brought up to those records as the
controller does it (``LogIndex.catch_up``, batches of INSERT ... SELECT).
Beside it, in the same run, interleaved, the same report into a store at
migration 0014, whose indexes were kept on every insert (a full-text trigger
and eight JSON expression indexes); and each with the inference ids the
gateway makes (UUID version 7: in time order) and with random ones (version
4, as the gateway made them before, and as a client may send its own). Each
store keeps growing over the rounds, as a store does. Process CPU time, so
the figures are not disturbed by what else the host runs.
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

from alembic import command

from jupyter_easymaker.areas.endpoints.gateway_handoff import Handoff
from jupyter_easymaker.areas.endpoints.gateway_process import build_gateway
from jupyter_easymaker.catalogs.handoff import new_inference_id
from jupyter_easymaker.core.db import Database, _alembic_config
from jupyter_easymaker.core.log_index import LogIndex

WHO = {"endpoint_id": str(uuid.uuid4()), "stage_id": str(uuid.uuid4()), "model": "iris", "key_id": str(uuid.uuid4()),
       "resource_id": str(uuid.uuid4()), "address": "http://127.0.0.1:1"}


def report(records: int, ids: str) -> bytes:
    make = (lambda: new_inference_id().decode()) if ids == "ordered" else (lambda: str(uuid.uuid4()))
    rows = [[make(), "POST", "/v1/models/iris/predict", 200, 0.412, time.time()] for _ in range(records)]
    return json.dumps({"grants": {"g": WHO}, "requests": {"g": [0, [0.412] * records]}, "logs": {"g": rows},
                       "closed": {}, "dropped": 0}).encode()


def store_at_0014(url: str) -> None:
    """The schema as migration 0014 left it: the log search's indexes kept by every insert."""
    db = Database(url, migrate=False)
    command.upgrade(_alembic_config(db.engine, []), "0014")
    db.close()


class Writer:
    """A gateway (its store open, as in the gateway process) and the controller's catch-up of the indexes."""

    def __init__(self, url: str):
        self.gateway = build_gateway({"db_url": url, "options": {}})
        self.handoff = Handoff(self.gateway, "")
        self.index = LogIndex(self.gateway.db)

    def timed(self, data: bytes) -> tuple[float, float, float]:
        """CPU seconds of taking the report in, of writing it, and of indexing what was written."""
        gc.collect()  # what the previous round left is not collected in this one's time
        t0 = time.process_time()
        self.handoff.take_report(data)
        t1 = time.process_time()
        self.gateway.flush()
        t2 = time.process_time()
        self.index.catch_up()  # nothing to do at 0014: the inserts indexed them
        return t1 - t0, t2 - t1, time.process_time() - t2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=4000, help="records per report (about 0.25 s of 16k req/s)")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        cases = [(layout, ids) for layout in ("0014", "now") for ids in ("random", "ordered")]
        writers = {}
        for layout, ids in cases:
            url = f"sqlite:///{os.path.join(root, layout + ids)}.db"
            if layout == "0014":
                store_at_0014(url)
            else:
                Database(url)  # the migrations, to the newest
            writers[layout, ids] = Writer(url)
        took: dict[tuple[str, str], list[tuple[float, float, float]]] = {case: [] for case in cases}
        for (_, ids), writer in writers.items():  # a round each first, not counted: imports, caches, the files' first pages
            writer.timed(report(args.records, ids))
        for _ in range(args.rounds):  # interleaved
            for (layout, ids), writer in writers.items():
                took[layout, ids].append(writer.timed(report(args.records, ids)))
        n = args.records
        print(f"{'indexes':8s} {'ids':8s} {'report in':>10s} {'write':>8s} {'index':>8s} {'total':>8s}   (µs of CPU per record)")
        totals = {}
        for (layout, ids), rounds in took.items():
            parts = [statistics.fmean(r[i] for r in rounds) / n * 1e6 for i in range(3)]
            totals[layout, ids] = sum(parts)
            print(f"{layout:8s} {ids:8s} {parts[0]:10.2f} {parts[1]:8.2f} {parts[2]:8.2f} {totals[layout, ids]:8.2f}")
        print("\n0014: the indexes kept by each insert; now: caught up in batches. random: UUID4 inference ids; ordered: UUID7")
        before, after = totals["0014", "random"], totals["now", "ordered"]
        print(f"a record logged now costs {after / before:.2f}x the CPU it cost at 0014 with random ids "
              f"({before - after:.1f} µs less per inference); with random ids sent by the clients, "
              f"{totals['now', 'random'] / before:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
