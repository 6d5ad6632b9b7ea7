"""A gateway's request log records, stored as they came and made log records later.

An endpoint's gateway logs every request, tens of thousands a second at full
speed. Making each one a log record (its body and JSON written, its row and
index entries inserted) took the gateway's process 6-7 µs of CPU per request,
on the cores JupyterLab shares with the model servers: while an endpoint
served 32 clients at full speed, the Jupyter REST API's p99 doubled. So a
gateway stores the requests of each model server's report (a quarter of a
second's) as one row of ``log_batches``: a header of what the records share
and the requests' rows as JSON. They are made log records later, in order, by
the keepers that index the log search (core/log_index.py :class:`Keeper`: when
the host's CPUs are not busy, or when too many wait) and before any log query,
so that a query never misses a request logged before it began.

A batch is made its records and deleted in one transaction, so each record is
stored once whoever makes it (a gateway, a Jupyter server, both at once) and
whenever the process stops.

A row is ``[request id, method, path, status, latency ms, epoch seconds]``; a
header (:func:`header`) says the category, log type and resource id of the
records, the prefix of their paths, and the constant parts of their ``fields``
JSON, which is written from them with no dict per request.
"""
from __future__ import annotations

import json
from typing import Any

import orjson
from sqlalchemy import delete, func, select

from jupyter_easymaker.core.log_buffer import ROWS_PER_BATCH, Row, StoredTime, insert_records, level_of
from jupyter_easymaker.core.tables import LogBatch


def header(*, category: str, log_type: str, resource_id: str, path_prefix: str, fields_head: str, fields_tail: str,
           fields_end: str) -> dict[str, Any]:
    """What the records of a batch share. Their ``fields`` JSON text is ``fields_head``, the
    request id as a JSON string, ``fields_tail``, the status, ``, "latencyMs": `` and the
    latency, then ``fields_end``; their body ``{method} {path_prefix}{path} {status} {ms} ms``."""
    return {"category": category, "log_type": log_type, "resource_id": resource_id, "path_prefix": path_prefix,
            "fields_head": fields_head, "fields_tail": fields_tail, "fields_end": fields_end}


def records_of(head: dict[str, Any], rows: list[list]) -> list[Row]:
    """The log records of a batch's rows (core/log_buffer.py's record tuples)."""
    prefix, resource_id = head["path_prefix"], head["resource_id"]
    fields_head, fields_tail, fields_end = head["fields_head"], head["fields_tail"], head["fields_end"]
    records = []
    for request_id, method, path, status, latency_ms, at in rows:
        latency_ms, status = round(float(latency_ms), 3), int(status)
        records.append((at, level_of(status), f"{method} {prefix}{path} {status} {latency_ms:.1f} ms", resource_id,
                        f"{fields_head}{json.dumps(request_id)}{fields_tail}{status}, \"latencyMs\": {latency_ms!r}{fields_end}"))
    return records


def waiting(db: Any) -> int:
    """Requests stored in batches and not made records yet."""
    with db.read() as session:
        return int(session.scalar(select(func.coalesce(func.sum(LogBatch.count), 0))))


def make_records(db: Any, *, limit: int | None = None) -> int:
    """Make the stored batches log records, oldest first (at most about ``limit`` records; None:
    all there are). The number of records made (by this call: another may make some meanwhile)."""
    done, after = 0, 0
    stored_time = StoredTime()
    while limit is None or done < limit:
        with db.read() as session:
            found = session.execute(select(LogBatch.id, LogBatch.count).where(LogBatch.id > after)
                                    .order_by(LogBatch.id).limit(1000)).all()
        if not found:
            break
        # the batches of one transaction: up to ROWS_PER_BATCH records (one batch at least)
        ids, count = [], 0
        for batch_id, batch_count in found:
            if ids and (count + batch_count > ROWS_PER_BATCH or limit is not None and done + count >= limit):
                break
            ids.append(batch_id)
            count += batch_count
        after = ids[-1]
        with db.read() as session:
            batches = session.execute(select(LogBatch.id, LogBatch.header, LogBatch.rows)
                                      .where(LogBatch.id.in_(ids)).order_by(LogBatch.id)).all()
        made = []  # the records are made before the write lock is taken
        for batch_id, head_text, rows in batches:
            head = json.loads(head_text)
            made.append((batch_id, head, records_of(head, orjson.loads(rows))))
        with db.write() as session:
            # the batches another maker took meanwhile are gone: theirs to store
            taken = set(session.scalars(delete(LogBatch).where(LogBatch.id.in_([m[0] for m in made]))
                                        .returning(LogBatch.id)).all())
            for batch_id, head, records in made:
                if batch_id in taken:
                    insert_records(session, records, category=head["category"], log_type=head["log_type"],
                                   stored_time=stored_time)
                    done += len(records)
    return done
