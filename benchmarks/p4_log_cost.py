"""P4 (part): what logging one inference costs the gateway process, while it serves and later.

    python benchmarks/p4_log_cost.py [--records 4000] [--rounds 10]

With the connection handoff the gateway no longer carries the requests of a
kept-alive connection, but it still logs each one (``inference_log_sample_rate``
1.0 by default). This times it as the gateway does it, in four steps: a model
server's report (the JSON it sends) taken in (``Handoff._report``: statistics,
key use, the requests' log rows); the flush (``Gateway.flush``), which stores
the rows as they came, a batch row per 2,000 requests (core/log_batches.py);
then, when the host has time or a query asks, the batches made log records
(``make_records``) and the log search's indexes brought up to them
(``LogIndex.catch_up``). The first two are what a request costs while the
gateway serves; the last two wait for a quiet host. With the inference ids the
gateway makes (UUID version 7: in time order) and with random ones (version
4, as a client may send its own), interleaved; each store keeps growing over
the rounds, as a store does. Process CPU time, so the figures are not
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
from jupyter_easymaker.catalogs.handoff import new_inference_id
from jupyter_easymaker.core.db import Database
from jupyter_easymaker.core.log_batches import make_records
from jupyter_easymaker.core.log_index import LogIndex

WHO = {"endpoint_id": str(uuid.uuid4()), "stage_id": str(uuid.uuid4()), "model": "iris", "key_id": str(uuid.uuid4()),
       "resource_id": str(uuid.uuid4()), "address": "http://127.0.0.1:1"}


def report(records: int, ids: str) -> bytes:
    make = (lambda: new_inference_id().decode()) if ids == "ordered" else (lambda: str(uuid.uuid4()))
    rows = [[make(), "POST", "/v1/models/iris/predict", 200, 0.412, time.time()] for _ in range(records)]
    return json.dumps({"grants": {"g": WHO}, "requests": {"g": [0, [0.412] * records]}, "logs": {"g": rows},
                       "closed": {}, "dropped": 0}).encode()


class Writer:
    """A gateway (its store open, as in the gateway process), and the catch-up of a keeper or a query."""

    def __init__(self, url: str):
        self.gateway = build_gateway({"db_url": url, "options": {}})
        self.handoff = Handoff(self.gateway, "")
        self.index = LogIndex(self.gateway.db)

    def timed(self, data: bytes) -> tuple[float, ...]:
        """CPU seconds of taking the report in, storing its batch, making its records, indexing them."""
        gc.collect()  # what the previous round left is not collected in this one's time
        times = [time.process_time()]
        for step in (lambda: self.handoff.take_report(data), self.gateway.flush,
                     lambda: make_records(self.gateway.db), self.index.catch_up):
            step()
            times.append(time.process_time())
        return tuple(b - a for a, b in zip(times, times[1:]))


STEPS = ("report in", "store", "make", "index")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=4000, help="records per report (about 0.25 s of 16k req/s)")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        writers = {}
        for ids in ("random", "ordered"):
            url = f"sqlite:///{os.path.join(root, ids)}.db"
            Database(url)  # the migrations, to the newest
            writers[ids] = Writer(url)
        took: dict[str, list[tuple[float, ...]]] = {ids: [] for ids in writers}
        for ids, writer in writers.items():  # a round each first, not counted: imports, caches, the files' first pages
            writer.timed(report(args.records, ids))
        for _ in range(args.rounds):  # interleaved
            for ids, writer in writers.items():
                took[ids].append(writer.timed(report(args.records, ids)))
        n = args.records
        print(f"{'ids':8s} " + " ".join(f"{step:>10s}" for step in STEPS) + f" {'total':>8s}   (µs of CPU per request)")
        for ids, rounds in took.items():
            parts = [statistics.fmean(r[i] for r in rounds) / n * 1e6 for i in range(len(STEPS))]
            serving, total = parts[0] + parts[1], sum(parts)
            print(f"{ids:8s} " + " ".join(f"{p:10.2f}" for p in parts) + f" {total:8.2f}")
            print(f"         while serving (report in + store): {serving:.2f} µs, {serving / total:.2f}x of the whole; "
                  f"made records and indexed when the host has time: {total - serving:.2f} µs")
        print("\nrandom: UUID4 inference ids (a client's own); ordered: UUID7, as the gateway makes them")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
