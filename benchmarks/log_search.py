"""Log search over 1,000,000 records: p50/p95 of five typical queries through
the log search service (its indexes caught up, FTS5, newest first, a page of 100), each
next to the old-style search on the same data in the same run: a scan with
no index (``NOT INDEXED``) where words are ``LIKE '%word%'``.

    python benchmarks/log_search.py [--records 1000000] [--repeat 21]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jupyter_easymaker.areas.logs.service import LogSearchService  # noqa: E402
from jupyter_easymaker.core.db import Database  # noqa: E402
from jupyter_easymaker.core.logs import LogService  # noqa: E402
from jupyter_easymaker.core.settings import Settings  # noqa: E402
from jupyter_easymaker.core.tables import LogRecord  # noqa: E402

TRAINING_LINES = [
    ("INFO", "epoch {a} step {b} loss={f:.4f} accuracy={g:.4f}"),
    ("INFO", "checkpoint saved to /data/output/ckpt-{b}"),
    ("INFO", "데이터 로딩 완료: {b}개 샘플"),
    ("INFO", "학습 시작: 배치 크기 {a}, 학습률 {g:.5f}"),
    ("INFO", "[easymaker] the job started on node-{a}"),
    ("WARNING", "WARNING: learning rate scheduler step skipped at epoch {a}"),
    ("WARNING", "경고: GPU 메모리 사용률 {a}% 초과"),
    ("ERROR", "Traceback (most recent call last): RuntimeError: CUDA out of memory at step {b}"),
    ("ERROR", "Error: connection reset by peer while reading shard {a}"),
]
INFERENCE_LINES = [
    ("INFO", "predict ok {a}ms instances={a}"),
    ("INFO", "요청 처리 완료 {a}ms"),
    ("WARNING", "모델 서버 응답 지연 {b}ms"),
    ("ERROR", "Error: bad input at instance {a}: expected 4 features"),
]
RARE = ("ERROR", "FloatingPointError: NaN detected in gradients at step {b}")  # about 1 in 5,000 lines


def fill(db: Database, n: int, now: datetime) -> dict[str, str]:
    rng = random.Random(13)
    trainings = [f"tr-{i:04d}-{rng.randrange(16**8):08x}" for i in range(150)]
    tunings = [f"hpt-{i:03d}-{rng.randrange(16**8):08x}" for i in range(20)]
    batches = [f"bi-{i:03d}-{rng.randrange(16**8):08x}" for i in range(20)]
    endpoints = [(f"ep-{i:02d}", f"stage-{i:02d}-{j}") for i in range(10) for j in range(3)]
    start = now - timedelta(days=90)
    step = timedelta(days=90) / n
    chunk = 50_000
    with db.session() as session:
        rows = []
        for i in range(n):
            kind = rng.random()
            if kind < 0.75:
                category = "easymaker.training"
                if rng.random() < 0.2:
                    tuning = rng.choice(tunings)
                    resource, fields = tuning, {"hyperparameterTuningId": tuning, "trainingId": f"{tuning}-trial-{rng.randrange(30)}"}
                elif rng.random() < 0.1:
                    resource = rng.choice(batches)
                    fields = {"batchInferenceId": resource}
                else:
                    resource = rng.choice(trainings)
                    fields = {"trainingId": resource}
                level, text = RARE if rng.random() < 0.0002 else _weighted(rng, TRAINING_LINES)
            else:
                category = "easymaker.inference"
                endpoint, stage = rng.choice(endpoints)
                resource = f"inf-{rng.randrange(16**8):08x}"
                fields = {"endpointId": endpoint, "endpointStageId": stage, "inferenceId": resource, "action": "predict",
                          "modelName": f"model-{endpoint[-2:]}"}
                level, text = _weighted(rng, INFERENCE_LINES)
            body = text.format(a=rng.randrange(1, 100), b=rng.randrange(100_000), f=rng.random() * 3, g=rng.random())
            rows.append({"time": start + step * i, "category": category, "log_level": level, "log_type": "jupyter-easymaker",
                         "body": body, "resource_id": resource, "fields": fields})
            if len(rows) == chunk:
                session.execute(LogRecord.__table__.insert(), rows)
                rows = []
        if rows:
            session.execute(LogRecord.__table__.insert(), rows)
    return {"training": trainings[7], "endpoint": endpoints[4][0]}


def _weighted(rng: random.Random, lines: list[tuple[str, str]]) -> tuple[str, str]:
    # INFO lines are the bulk of a log; warnings a few percent, errors about one percent
    weights = [90 if level == "INFO" else 6 if level == "WARNING" else 1.5 for level, _ in lines]
    return rng.choices(lines, weights)[0]


def old_style(db: Database, conditions: list[tuple[str, object]], since: datetime | None, until: datetime | None,
              limit: int = 100):
    """The search as it was: every condition checked row by row, words as LIKE, no index."""
    from sqlalchemy import text

    where, params = [], {}
    for i, (sql, value) in enumerate(conditions):
        where.append(sql.format(p=f":p{i}"))
        params[f"p{i}"] = value
    if since is not None:
        where.append("time >= :since")
        params["since"] = since.replace(tzinfo=None).isoformat(sep=" ")
    if until is not None:
        where.append("time <= :until")
        params["until"] = until.replace(tzinfo=None).isoformat(sep=" ")
    stmt = text(f"SELECT id, body FROM log_records NOT INDEXED WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT {limit}")
    with db.engine.connect() as conn:
        return conn.execute(stmt, params).all()


def timed(fn, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--baseline-repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{os.path.join(folder, 'easymaker.db')}")
        now = datetime.now(timezone.utc)
        t0 = time.perf_counter()
        ids = fill(db, args.records, now)  # no ANALYZE: the product never runs one
        print(f"filled {args.records:,} records in {time.perf_counter() - t0:.1f} s")
        logs = LogService(db, Settings(data_dir=folder))
        t0, cpu = time.perf_counter(), time.process_time()
        logs.index.catch_up()  # as the keepers do it in the background (core/log_index.py)
        print(f"indexed them for the search (full text and fields) in {time.perf_counter() - t0:.1f} s, "
              f"{(time.process_time() - cpu) / args.records * 1e6:.1f} µs of CPU per record")

        class _Platform:
            pass

        _Platform.logs = logs

        service = LogSearchService(_Platform())
        print(f"full-text index: {_Platform.logs.full_text}")
        week, day = (now - timedelta(days=7), None), (now - timedelta(days=31), now - timedelta(days=30))
        cases = [
            ("category + level, one day a month ago", 'category:"easymaker.training" AND logLevel:ERROR', day,
             [("category = {p}", "easymaker.training"), ("log_level = {p}", "ERROR")]),
            ("a body word", "gradients", (None, None), [("body LIKE {p}", "%gradients%")]),
            ("a resource id", f"trainingId:{ids['training']}", (None, None),
             [("(resource_id = {p} OR json_extract(fields, '$.trainingId') = {p})", ids["training"])]),
            ("endpoint + level, last 7 days", f"endpointId:{ids['endpoint']} AND logLevel:WARNING", week,
             [("(resource_id = {p} OR json_extract(fields, '$.endpointId') = {p})", ids["endpoint"]), ("log_level = {p}", "WARNING")]),
            ("Korean phrase + category", '"응답 지연" AND category:"easymaker.inference"', (None, None),
             [("body LIKE {p}", "%응답 지연%"), ("category = {p}", "easymaker.inference")]),
        ]
        print(f"\n{'query':<38} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'old p50':>9} {'old p95':>9} {'old/new p50':>12}")
        for label, query, (since, until), old in cases:
            p50, p95, page = timed(lambda: service.search(query, since=since, until=until, limit=100), args.repeat)
            b50, b95, rows = timed(lambda: old_style(db, old, since, until), args.baseline_repeat)
            found = [r["id"] for r in page["records"]]
            assert found == [r[0] for r in rows], f"{label}: the two searches disagree"
            print(f"{label:<38} {len(found):>5} {p50:>8.1f} {p95:>8.1f} {b50:>9.1f} {b95:>9.1f} {b50 / p50:>11.1f}x")
        db.close()


if __name__ == "__main__":
    main()
