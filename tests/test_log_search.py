"""The log search: its query language (parser and SQL), the REST routes
through a real server over records written by the real log writer, the live
tail, the client and ``%easymaker logs --query``."""
from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from jupyter_easymaker.core.db import Database
from jupyter_easymaker.core.log_query import (
    MAX_QUERY_TERMS,
    And,
    Between,
    Compare,
    Match,
    Not,
    Or,
    QuerySyntaxError,
    compile_query,
    parse_query,
)
from jupyter_easymaker.core.logs import LogService
from jupyter_easymaker.core.settings import Settings
from jupyter_easymaker.core.tables import LogRecord

try:
    from tests.test_magics import client, line, magics, run, server_url, shell  # noqa: F401 - fixtures
except ImportError:
    from test_magics import client, line, magics, run, server_url, shell  # noqa: F401 - fixtures

T, I = "easymaker.training", "easymaker.inference"


def words(*values: str) -> tuple[Match, ...]:
    return tuple(Match(None, v) for v in values)


# -- the language ---------------------------------------------------------------------------------

def test_precedence_not_then_and_then_or():
    assert parse_query("a b OR c") == Or((And(words("a", "b")), Match(None, "c")))
    assert parse_query("a AND b OR c AND d") == Or((And(words("a", "b")), And(words("c", "d"))))
    assert parse_query("a AND (b OR c)") == And((Match(None, "a"), Or(words("b", "c"))))
    assert parse_query("NOT a b") == And((Not(Match(None, "a")), Match(None, "b")))
    assert parse_query("-a OR -b") == Or((Not(Match(None, "a")), Not(Match(None, "b"))))
    assert parse_query("NOT (a OR b)") == Not(Or(words("a", "b")))
    # keywords are upper case and whole: other spellings are words
    assert parse_query("ANDROID and ORACLE") == And(words("ANDROID", "and", "ORACLE"))
    assert parse_query("") == parse_query("   ") == And(())


def test_fields_quoting_wildcards_and_times():
    assert parse_query('category:"easymaker.training" AND logLevel:ERROR') == And((
        Match("category", "easymaker.training", quoted=True), Match("logLevel", "ERROR")))
    assert parse_query(r'"out of \"memory\"" body:loss* trainingId:ab-12') == And((
        Match(None, 'out of "memory"', quoted=True), Match("body", "loss*"), Match("trainingId", "ab-12")))
    assert parse_query("학습 시작") == And(words("학습", "시작"))
    utc = timezone.utc
    assert parse_query("time:>=2026-01-01T00:00:00Z") == Compare("time", ">=", datetime(2026, 1, 1, tzinfo=utc))
    assert parse_query("time:<2026-01-01T09:00:00+09:00") == Compare("time", "<", datetime(2026, 1, 1, tzinfo=utc))
    assert parse_query("time:[2026-01-01 TO 2026-01-02]") == Between(
        "time", datetime(2026, 1, 1, tzinfo=utc), datetime(2026, 1, 2, 23, 59, 59, 999999, tzinfo=utc))
    assert parse_query("time:[* TO 2026-01-01T12:00:00Z]") == Between("time", None, datetime(2026, 1, 1, 12, tzinfo=utc))
    assert parse_query("time:2026-03-04").low == datetime(2026, 3, 4, tzinfo=utc)


@pytest.mark.parametrize("query, position, words_", [
    ("a AND", 5, "ends too early"),
    ("(a OR b", 7, "expected ')'"),
    ("a )", 2, "unexpected ')'"),
    ('"unterminated', 0, "unexpected character"),
    ("logLevel:ERROR foo:bar", 15, "unknown field 'foo'; known fields: body, time, category, logLevel"),
    ("x time:>yesterday", 2, "'yesterday' is not an ISO 8601 time"),
    ("category:[a TO b]", 0, "comparisons and ranges are only for time"),
    ("time:[2026-01-01 2026-01-02]", 17, "expected TO"),
])
def test_errors_name_the_position_and_the_reason(query, position, words_):
    with pytest.raises(QuerySyntaxError) as err:
        parse_query(query)
    assert err.value.field == "query" and err.value.position == position and words_ in err.value.message, err.value.message
    assert err.value.message.startswith("query: ") and err.value.message.endswith(f"at position {position}")


def test_too_many_terms():
    parse_query(" ".join(["a"] * MAX_QUERY_TERMS))
    with pytest.raises(QuerySyntaxError, match=f"at most {MAX_QUERY_TERMS} terms"):
        parse_query("a OR " * MAX_QUERY_TERMS + "a")


def test_values_are_bound_never_written_into_the_sql():
    hostile = "x'); DROP TABLE log_records; --"
    for fts in (True, False):
        compiled = compile_query(f'"{hostile}" modelName:"{hostile}" category:"{hostile}"', fts=fts).compile()
        assert "DROP" not in str(compiled)
        assert sum("DROP TABLE log" in str(v) for v in compiled.params.values()) == 3, compiled.params


# -- the store: full-text and LIKE give the same answers --------------------------------------------

@pytest.fixture
def store(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'logs.db'}")
    service = LogService(db, Settings(data_dir=str(tmp_path)))
    lines = [
        ("t1", T, {"trainingId": "t1"}, "epoch 1 loss=0.5\nTraceback: CUDA out of memory\n학습 시작 (데이터 100%)\n"),
        ("t2", T, {"trainingId": "t2"}, "epoch 1 loss=0.7\nWARNING disk_usage 90% high\nlossy network\n"),
        ("i1", I, {"endpointId": "e1", "endpointStageId": "s1", "inferenceId": "i1", "action": "predict", "modelName": "iris"},
         "predict ok 12ms\nError: bad input\n"),
    ]
    with db.session() as session:
        for resource, category, fields, text in lines:
            service.ingest(session, resource, text, category=category, fields=fields)
    yield service
    db.close()


QUERIES = {
    'category:"easymaker.training" AND logLevel:ERROR': ["Traceback: CUDA out of memory"],
    "logLevel:error": ["Traceback: CUDA out of memory", "Error: bad input"],
    "loss*": ["epoch 1 loss=0.5", "epoch 1 loss=0.7", "lossy network"],
    '"out of memory"': ["Traceback: CUDA out of memory"],
    "epoch -trainingId:t2": ["epoch 1 loss=0.5"],
    "NOT category:easymaker.training": ["predict ok 12ms", "Error: bad input"],
    "endpointId:e1 AND (bad OR ok)": ["predict ok 12ms", "Error: bad input"],
    "trainingId:t* AND 학습": ["학습 시작 (데이터 100%)"],
    "modelName:ir* action:predict ok": ["predict ok 12ms"],
    "inferenceId:i1 -predict": ["Error: bad input"],
    "body:disk_usage": ["WARNING disk_usage 90% high"],
    "category:easymaker.*": None,  # every record
    "nothing-like-this": [],
}


@pytest.mark.parametrize("fts", [True, False], ids=["fts5", "like"])
def test_queries_find_the_right_records(store, fts):
    store._full_text = fts
    assert store.full_text is fts
    every = [r["body"] for r in store.search(None, newest_first=False)]
    for query, expected in QUERIES.items():
        found = [r["body"] for r in store.search(query, newest_first=False)]
        assert found == (every if expected is None else expected), query
    newest = store.search("category:easymaker.training", limit=2)
    assert [r["body"] for r in newest] == ["lossy network", "WARNING disk_usage 90% high"]
    older = store.search("category:easymaker.training", before=newest[-1]["id"], limit=10)
    assert [r["body"] for r in older][0] == "epoch 1 loss=0.7" and len(older) == 4


def test_the_full_text_index_follows_writes_and_deletes(store):
    assert store.full_text
    assert [r["body"] for r in store.search("lossy")] == ["lossy network"]
    with store.db.session() as session:
        session.execute(LogRecord.__table__.update().where(LogRecord.body == "lossy network").values(body="steady network"))
    assert store.search("lossy") == [] and [r["body"] for r in store.search("steady")] == ["steady network"]
    with store.db.session() as session:
        session.execute(LogRecord.__table__.delete().where(LogRecord.body == "steady network"))
        assert session.scalar(select(LogRecord.id).where(LogRecord.body == "steady network")) is None
    assert store.search("steady") == []


def test_time_conditions(store):
    with store.db.session() as session:
        session.execute(LogRecord.__table__.update().where(LogRecord.resource_id == "t1")
                        .values(time=datetime(2026, 1, 1, 10, tzinfo=timezone.utc)))
    t1 = ["epoch 1 loss=0.5", "Traceback: CUDA out of memory", "학습 시작 (데이터 100%)"]
    assert [r["body"] for r in store.search("time:2026-01-01", newest_first=False)] == t1
    assert [r["body"] for r in store.search("time:<=2026-01-01T10:00:00Z", newest_first=False)] == t1
    assert [r["body"] for r in store.search("time:[2026-01-01T09:00:00Z TO 2026-01-01T11:00:00Z]", newest_first=False)] == t1
    assert len(store.search("time:>2026-01-01T10:00:00Z")) == 5
    assert [r["body"] for r in store.search("loss*", until=datetime(2026, 1, 2, tzinfo=timezone.utc))] == ["epoch 1 loss=0.5"]
    assert len(store.search("loss*", since=datetime(2026, 1, 2, tzinfo=timezone.utc))) == 2


# -- REST through a real server -----------------------------------------------------------------------

def write_logs(serverapp, resource: str, text: str, category: str = T, **fields) -> None:
    """Through the product's log writer, as a job's output is stored."""
    platform = serverapp.web_app.settings["easymaker"]
    with platform.db.session() as session:
        platform.logs.ingest(session, resource, text, category=category, fields=fields or {"trainingId": resource})


async def test_rest_search_pages_and_time_window(api, jp_serverapp):
    write_logs(jp_serverapp, "t1", "epoch 1 loss=0.5\nTraceback: CUDA out of memory\n")
    await asyncio.sleep(0.01)
    middle = datetime.now(timezone.utc).isoformat()
    await asyncio.sleep(0.01)
    write_logs(jp_serverapp, "i1", "predict ok\nError: bad input\n", I, endpointId="e1", inferenceId="i1")
    found = await api.get("logs", params={"query": 'category:"easymaker.training" AND logLevel:ERROR'}, expect=200)
    assert [r["body"] for r in found["records"]] == ["Traceback: CUDA out of memory"] and found["next_before"] is None
    record = found["records"][0]
    assert record["category"] == T and record["logLevel"] == "ERROR" and record["trainingId"] == "t1"
    assert record["logType"] and record["time"] and record["resourceId"] == "t1"
    found = await api.get("logs", params={"query": "endpointId:e1 -predict"}, expect=200)
    assert [r["body"] for r in found["records"]] == ["Error: bad input"]
    page = await api.get("logs", params={"limit": "3"}, expect=200)
    assert [r["body"] for r in page["records"]] == ["Error: bad input", "predict ok", "Traceback: CUDA out of memory"]
    rest = await api.get("logs", params={"limit": "3", "before": str(page["next_before"])}, expect=200)
    assert [r["body"] for r in rest["records"]] == ["epoch 1 loss=0.5"] and rest["next_before"] is None
    assert [r["body"] for r in (await api.get("logs", params={"since": middle}))["records"]] == ["Error: bad input", "predict ok"]
    assert [r["body"] for r in (await api.get("logs", params={"until": middle}))["records"]] == [
        "Traceback: CUDA out of memory", "epoch 1 loss=0.5"]
    assert len((await api.get("logs", params={"query": f"time:>={middle.replace('+00:00', 'Z')}"}))["records"]) == 2


async def test_rest_refusals_name_their_field(api):
    answer = await api.get("logs", params={"query": "logLevel:ERROR AND"}, expect=400)
    assert answer["field"] == "query" and "at position 18" in answer["error"] and "ends too early" in answer["error"]
    answer = await api.get("logs", params={"query": "level:ERROR"}, expect=400)
    assert answer["field"] == "query" and "unknown field 'level'" in answer["error"] and "logLevel" in answer["error"]
    answer = await api.get("logs/tail", params={"query": "(a"}, expect=400)
    assert answer["field"] == "query"
    for key, value in (("limit", "1001"), ("limit", "0"), ("before", "-1"), ("since", "yesterday"), ("until", "x")):
        answer = await api.get("logs", params={key: value}, expect=422)
        assert answer["field"] == key, answer
    answer = await api.get("logs", params={"since": "2026-02-01", "until": "2026-01-01"}, expect=422)
    assert answer["field"] == "until"


# -- the client, the tail and the magic ---------------------------------------------------------------

async def test_client_search_and_tail(client, jp_serverapp):
    write_logs(jp_serverapp, "t1", "epoch 1 loss=0.5\n")
    records = await run(client.search_logs, "loss*")
    assert [r["body"] for r in records] == ["epoch 1 loss=0.5"]
    with pytest.raises(Exception) as err:
        await run(client.search_logs, "loss AND")
    assert getattr(err.value, "status", None) == 400 and err.value.field == "query"
    received: list[dict] = []
    done = threading.Event()

    def follow():
        for record in client.tail_logs("category:easymaker.training AND logLevel:ERROR", after=records[0]["id"]):
            received.append(record)
            if len(received) == 2:
                break
        done.set()

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    write_logs(jp_serverapp, "t2", "step 2 fine\nError: first\n")
    await asyncio.sleep(0.3)
    write_logs(jp_serverapp, "t2", "Error: second\n")
    deadline = time.monotonic() + 20
    while not done.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert [r["body"] for r in received] == ["Error: first", "Error: second"]


async def test_tail_without_a_cursor_starts_with_the_next_record(client, jp_serverapp):
    write_logs(jp_serverapp, "t1", "Error: old\n")
    received: list[str] = []

    def follow():
        for record in client.tail_logs("logLevel:ERROR"):
            received.append(record["body"])
            return

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not received and time.monotonic() < deadline:  # written until the tail has begun and sees one
        write_logs(jp_serverapp, "t1", "Error: new\n")
        await asyncio.sleep(0.3)
    assert received == ["Error: new"]


async def test_magic_logs_query(shell, magics, client, jp_serverapp, capsys):
    write_logs(jp_serverapp, "t1", "epoch 1 loss=0.5\nTraceback: CUDA out of memory\n")
    write_logs(jp_serverapp, "i1", "Error: bad input\n", I, endpointId="e1")
    await line(shell, """logs --query 'logLevel:ERROR AND category:"easymaker.training"'""")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "ERROR" in out[0] and "easymaker.training  t1  Traceback: CUDA out of memory" in out[0]
    await line(shell, "logs --query 'logLevel:ERROR' --limit 1")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].endswith("e1  Error: bad input")
    await line(shell, "logs --query 'nothing-here' --since 2026-01-01")
    assert "(no log records match)" in capsys.readouterr().out
    await line(shell, "logs --query 'logLevel:ERROR AND'")
    captured = capsys.readouterr()
    assert "query: ends too early" in captured.out + captured.err
