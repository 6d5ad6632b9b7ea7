"""Bad input answers 4xx naming the field, and stores nothing."""
from __future__ import annotations

import json
import re

import pytest


def body(source, **extra):
    base = {"name": "t1", "experiment_name": "exp", "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"}}
    base.update(extra)
    return base


@pytest.fixture
def source(write_script):
    return write_script("print('ok')\n")


CASES = [
    ("wrong type", {"nodes": "x"}, "nodes"),
    ("bool for int", {"max_run_seconds": "soon"}, "max_run_seconds"),
    ("bad name", {"name": "has space"}, "name"),
    ("long name", {"name": "x" * 51}, "name"),
    ("unknown field", {"epochs": 3}, "epochs"),
    ("101 hyperparameters", {"hyperparameters": {f"h{i}": i for i in range(101)}}, "hyperparameters"),
    ("11 datasets", {"datasets": [{"name": f"d{i}", "path": "/tmp"} for i in range(11)]}, "datasets"),
    ("duplicate dataset names", {"datasets": [{"name": "a", "path": "/tmp"}, {"name": "A", "path": "/tmp"}]}, "datasets"),
    ("traversal", {"datasets": [{"name": "d", "path": "/tmp/../etc"}]}, "datasets[0].path"),
    ("outside roots", {"datasets": [{"name": "d", "path": "/etc"}]}, "datasets[0].path"),
    ("relative path", {"output_path": "relative/dir"}, "output_path"),
    ("nas traversal", {"checkpoint_path": "nas://nas1:/../escape"}, "checkpoint_path"),
    ("unknown nas", {"checkpoint_path": "nas://nope:/x"}, "checkpoint_path"),
    ("bad obs", {"output_path": "obs://only-endpoint"}, "output_path"),
    ("unknown instance type", {"instance_type": "huge"}, "instance_type"),
    ("unknown backend", {"backend": "slurm"}, "backend"),
    ("unconfigured backend", {"backend": "kubernetes"}, "backend"),
    ("entry point escapes", {"algorithm": {"type": "custom", "source_dir": "/tmp", "entry_point": "../x.py"}}, "algorithm.entry_point"),
    ("unknown built-in", {"algorithm": {"type": "builtin", "name": "nope"}}, "algorithm.name"),
    ("unknown experiment", {"experiment_name": None, "experiment_id": "no-such-experiment"}, "experiment_id"),
    ("no experiment", {"experiment_name": None}, "body"),
    ("unknown template", {"template_id": "no-such-template"}, "template_id"),
]


@pytest.mark.parametrize("label,change,field", CASES, ids=[c[0] for c in CASES])
async def test_bad_training_input_names_the_field(api, source, label, change, field):
    answer = await api.post("trainings", body(source, **change))
    assert answer["field"] == field, answer
    assert answer["error"]
    page = await api.get("trainings")
    assert page["total"] == 0


async def test_missing_algorithm_and_wrong_json(api):
    answer = await api.post("trainings", {"name": "t1", "experiment_name": "e"}, expect=422)
    assert answer["field"] == "algorithm"
    code, text = await api.call("POST", "trainings", "{not json", raw=True)
    assert code == 422 and '"field": "body"' in text
    code, _ = await api.call("POST", "trainings", "[1, 2]", raw=True)
    assert code == 422


async def test_missing_entry_point_file(api, source):
    answer = await api.post("trainings", body(source, algorithm={"type": "custom", "source_dir": source, "entry_point": "nope.py"}), expect=422)
    assert answer["field"] == "algorithm.entry_point"


async def test_duplicate_names_conflict_and_keep_the_first(api, source):
    first = await api.post("trainings", body(source), expect=201)
    again = await api.post("trainings", body(source), expect=409)
    assert again["field"] == "name"
    assert (await api.get("trainings/t1"))["id"] == first["id"]
    await api.post("experiments", {"name": "exp"}, expect=409)


async def test_hundred_hyperparameters_and_ten_datasets_are_fine(api, source, tmp_path):
    datasets = []
    for i in range(10):
        (tmp_path / f"d{i}").mkdir()
        datasets.append({"name": f"d{i}", "path": str(tmp_path / f"d{i}")})
    created = await api.post("trainings", body(source, hyperparameters={f"h{i}": i for i in range(100)}, datasets=datasets), expect=201)
    assert len(created["spec"]["hyperparameters"]) == 100


async def test_unknown_resources_are_404(api):
    for path in ("trainings/nope", "experiments/nope", "training-templates/nope", "trainings/nope/logs", "trainings/nope/metrics"):
        answer = await api.get(path, expect=404)
        assert "does not exist" in answer["error"]
    await api.post("trainings/nope/stop", expect=404)


async def test_inline_sources_must_stay_inside(api):
    answer = await api.post("trainings", {"name": "t1", "experiment_name": "e", "algorithm": {
        "type": "custom", "entry_point": "main.py", "source_files": {"main.py": "print(1)", "../evil.py": "x"}}}, expect=422)
    assert answer["field"] == "algorithm.source_files"


# -- hardening: what an outsider's requests found (each class answered 4xx naming the field) ------
@pytest.fixture
def raw(http_server_client, jp_base_url, jp_auth_header):
    """A request sent exactly as written: path bytes and body are not escaped or encoded."""
    async def fetch(method: str, path: str, body: bytes | str | None = None, *, auth: bool = True):
        response = await http_server_client.fetch(
            jp_base_url + path, method=method, body=body, headers=dict(jp_auth_header) if auth else {},
            raise_error=False, allow_nonstandard_methods=True, request_timeout=30)
        text = response.body.decode("utf-8", "replace") if response.body else ""
        return response.code, response.headers.get("Content-Type", ""), text

    return fetch


def write_ops():
    """(method, path) of every operation that reads a JSON body, path parameters filled with a name."""
    from jupyter_easymaker.api import routes

    out = []
    for route in routes():
        for method, op in route.ops.items():
            if method in ("post", "patch", "put") and (op.body is not None or route.path == "trainings/from-file"):
                out.append((method.upper(), re.sub(r"\{\w+\}", "x", route.path)))
    return out


@pytest.mark.parametrize("body", [b"[" * 65 + b"]" * 65, b'{"a":' * 100000 + b"1" + b"}" * 100000], ids=["65-levels", "100000-levels"])
async def test_deeply_nested_bodies_are_refused_on_every_write_route(raw, body):
    ops = write_ops()
    assert len(ops) > 20
    for method, path in ops:
        code, kind, text = await raw(method, f"easymaker/api/v1/{path}", body)
        answer = json.loads(text)
        assert (code, answer.get("field")) == (422, "body"), (method, path, code, text[:300])
        assert "nested deeper than" in answer["error"] and kind.startswith("application/json")


@pytest.mark.parametrize("body,words", [
    (b'{"name": "e", "n": 1' + b"0" * 5000 + b"}", "digits"),
    (b'{"name": "e", "n": NaN}', "NaN"),
    (b'{"name": "e", "n": -Infinity}', "Infinity"),
    (b'{"name": "e", "n": 1e400}', "out of range"),
    (b'\xff\xfe{}', "not valid JSON"),
])
async def test_numbers_json_does_not_have_are_refused(raw, body, words):
    code, _, text = await raw("POST", "easymaker/api/v1/experiments", body)
    answer = json.loads(text)
    assert (code, answer["field"]) == (422, "body") and words in answer["error"], text


async def test_log_searches_of_thousands_of_words_and_numbers_out_of_range(api, write_script):
    from jupyter_easymaker.core.log_query import MAX_QUERY_TERMS

    await api.post("trainings", body(write_script("print('step=1 loss=0.5')\n")), expect=201)
    await api.wait_status("t1", "COMPLETE")
    for path in ("logs", "trainings/t1/logs"):
        answer = await api.get(path, params={"query": "a " * 2048}, expect=400)  # not a query the language allows
        assert answer["field"] == "query" and f"at most {MAX_QUERY_TERMS} terms" in answer["error"]
        answer = await api.get(path, params={"query": "x" * 5000}, expect=422)  # longer than any query argument
        assert answer["field"] == "query"
        found = await api.get(path, params={"query": " ".join(["loss"] * MAX_QUERY_TERMS)}, expect=200)
        assert [r["body"] for r in found["records"]] == ["step=1 loss=0.5"]
        for key, value in (("after", "-1"), ("after", str(2**63)), ("after", "9" * 30), ("after", "--5"), ("after", "\u00b2"),
                           ("limit", "10001"), ("limit", "1e3"), ("limit", "1_0")):
            key = "before" if path == "logs" and key == "after" else key  # the search pages back from the newest
            answer = await api.get(path, params={key: value}, expect=422)
            assert answer["field"] == key, (path, key, value, answer)
    for key, value in (("offset", "--1"), ("offset", str(10**30)), ("limit", "\u0663"), ("limit", "0")):  # list pages alike
        answer = await api.get("trainings", params={key: value}, expect=422)
        assert answer["field"] == key and "must be an integer between" in answer["error"], answer
    for value in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00"):  # no UTC time: before year 1, after 9999
        answer = await api.get("trainings/t1/metrics", params={"since": value}, expect=422)
        assert answer["field"] == "since" and "out of range" in answer["error"]
    page = await api.get("trainings/t1/metrics", params={"since": "0001-01-01T00:00:00Z"}, expect=200)
    assert page["metrics"][0]["values"] == [0.5]


@pytest.mark.parametrize("change,field", [
    ({"datasets": [{"name": "d", "path": "/tmp/a\x00b"}]}, "datasets[0].path"),
    ({"output_path": "/tmp/out\x07put"}, "output_path"),
    ({"algorithm": {"type": "custom", "entry_point": "main.py", "source_files": {"main.py": "x", "a\x00.py": "y"}}},
     "algorithm.source_files"),
    ({"algorithm": {"type": "custom", "entry_point": "ma\x00in.py", "source_files": {"main.py": "x"}}}, "algorithm.entry_point"),
], ids=["dataset", "control-character", "inline-file-name", "entry-point"])
async def test_a_nul_or_control_character_in_a_file_path_names_the_field(api, source, change, field):
    answer = await api.post("trainings", body(source, **change), expect=422)
    assert answer["field"] == field, answer
    assert "NUL" in answer["error"] or "control character" in answer["error"]


async def test_a_nul_in_other_paths_names_the_field(api, tmp_path):
    answer = await api.post("trainings/from-file", {"path": f"{tmp_path}/nb\x00.ipynb"}, expect=422)
    assert answer["field"] == "path" and "NUL" in answer["error"]
    answer = await api.post("models", {"name": "m", "framework": "scikit-learn", "artifact_path": f"{tmp_path}/m\x00"}, expect=422)
    assert answer["field"] == "artifact_path" and "NUL" in answer["error"]
    answer = await api.get("logs", params={"query": "a\x00b"}, expect=422)
    assert answer["field"] == "query"


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
async def test_unknown_api_routes_answer_json(raw, method):
    for path in ("easymaker/api/v1/no-such-thing", "easymaker/api/v1/trainings/x/nope/deeper", "easymaker/api/v2/trainings",
                 "easymaker/api"):
        code, kind, text = await raw(method, path, "{}" if method in ("POST", "PATCH") else None)
        assert code == 404 and kind.startswith("application/json"), (method, path, code, text[:200])
        assert json.loads(text)["error"].startswith(f"no API route {method}")
    code, kind, text = await raw("GET", "easymaker/api/v1/no-such-thing", auth=False)
    assert code == 403 and kind.startswith("application/json") and json.loads(text)["error"]


@pytest.mark.parametrize("path,field", [
    ("experiments/%FF", "ref"),
    ("experiments/ok%C3%28", "ref"),
    ("hyperparameter-tunings/h1/trials/%80", "trial"),
    ("endpoints/e/stages/%FE%FF/resources/r", "stage"),
    ("trainings/a%00b", "ref"),
])
async def test_invalid_utf8_or_nul_in_a_path_names_the_path_parameter(raw, path, field):
    code, kind, text = await raw("GET", f"easymaker/api/v1/{path}")
    answer = json.loads(text)
    assert (code, answer["field"]) == (400, field) and kind.startswith("application/json"), text
    assert "UTF-8" in answer["error"] or "NUL" in answer["error"]
