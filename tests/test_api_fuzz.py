"""A bounded schemathesis run over the whole OpenAPI document, against a real
Jupyter server with the extension, authenticated with the server's token.

The server holds one resource of every kind (an experiment, a finished
training with logs and metrics, a template, a tuning with a trial, a model, a
running endpoint with an API key, a finished batch inference and model
evaluation), and path parameters name them in positive cases, so requests
reach the code behind the lookups; negative cases name anything else.
Every operation gets its examples, schemathesis' coverage cases (boundaries,
wrong types, missing and unexpected values) and a few random positive and
negative cases. An answer fails the run when it is a 5xx, or a 4xx whose body
is not JSON with an ``error`` field (a client must always learn what was
wrong).

The served document declares every query argument a string; the copy given
to schemathesis says what each one holds (integers, ISO times) and adds
boundary examples, so the run tries out-of-range numbers, extreme times and
a search of thousands of words.

Left out, on purpose: ``GET events`` and ``GET logs/tail`` are endless event
streams, so they have no answer to check; ``follow`` on a training's logs turns the answer into that
same kind of stream, so the parameter is taken out of the copy. The
TensorBoard proxy is no part of the OpenAPI document (it forwards to
TensorBoard's own pages).

The run drives schemathesis' engine (what ``st run`` drives) rather than its
pytest integration, which fails under pytest 9.
"""
from __future__ import annotations

import glob
import json
import os
import signal
import time
import urllib.request

import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema

from server_process import ServerProcess

TOKEN = "fuzz-token"
MAX_EXAMPLES = 20  # random cases per operation, after the examples and coverage phases
STREAMS = ("/events", "/logs/tail")  # endless answers: nothing to check
STREAM_PARAMS = ("follow",)

# what the handlers read from each query argument, with the boundaries worth trying
INTEGER = {"type": "integer"}
TIME = {"type": "string", "format": "date-time"}
QUERY_SCHEMAS = {
    "after": (INTEGER, [-1, 2**63, 10**30]),
    "limit": (INTEGER, [0, -5, 2**64]),
    "offset": (INTEGER, [-1, 2**63]),
    "before": (INTEGER, [-1, 2**63]),
    "tail": (INTEGER, [0, 10**12]),
    "interval": (INTEGER, [0, 10**12]),
    "since": (TIME, ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                     "2026-02-30T00:00:00Z"]),
    "until": (TIME, ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]),
    "query": ({"type": "string"}, ["a " * 2048, 'category:"' + "x" * 4000 + '"', "x" * 5000, 'unclosed "quote',
                                   "time:>=0001-01-01T00:00:00+01:00", "time:[* TO 9999-12-31T23:59:59-23:59]", "((((a", "-"]),
    "file": ({"type": "string"}, ["../../etc/passwd", "a\x00b"]),
}

TRAIN = "for step in range(3):\n    print(f'step={step} loss={1.0 / (step + 1)}', flush=True)\n"
FINAL = {"COMPLETE", "FAIL TRAIN", "STOPPED", "CREATE FAILED", "FAIL BATCH INFERENCE", "FAIL MODEL EVALUATION",
         "FAIL HYPERPARAMETER TUNING", "ACTIVE", "DEPLOY FAILED"}


@schemathesis.check
def error_json_on_4xx(ctx, response, case):
    """A 4xx answers JSON with an ``error`` that says what was wrong."""
    if 400 <= response.status_code < 500:
        try:
            body = json.loads(response.content)
        except ValueError:
            raise AssertionError(f"a {response.status_code} answer is not JSON: {response.content[:200]!r}") from None
        if not isinstance(body, dict) or not body.get("error"):
            raise AssertionError(f"a {response.status_code} answer has no error: {response.content[:200]!r}")


def config(base_url: str) -> "schemathesis.Config":
    return schemathesis.Config.from_dict({
        "base-url": base_url,
        "continue-on-failure": True,
        "request-timeout": 30,
        "headers": {"Authorization": f"token {TOKEN}"},
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True},
        "checks": {"enabled": False, "not_a_server_error": {"enabled": True}, "error_json_on_4xx": {"enabled": True}},
        "phases": {"stateful": {"enabled": False}},
    })


# -- the server and what it holds -----------------------------------------------------
class Seeder:
    def __init__(self, server: ServerProcess):
        self.server = server

    def call(self, method: str, path: str, body=None) -> dict:
        return self.server.request(method, path, body)

    def wait(self, path: str, statuses=FINAL, timeout: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            row = self.call("GET", path)
            if row["status"] in statuses:
                return row
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} stayed {row['status']} ({row.get('status_reason')})")
            time.sleep(0.2)


def seed(server: ServerProcess, root: str) -> dict[str, list[str]]:
    """One resource of every kind; the names (and ids) path parameters may give, by the
    path's first segment for ``{ref}`` and by the parameter's name for the others."""
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    s = Seeder(server)
    algo = os.path.join(root, "algo")
    os.makedirs(algo)
    with open(os.path.join(algo, "train.py"), "w") as fh:
        fh.write(TRAIN)
    X, y = load_iris(return_X_y=True)
    model_dir = os.path.join(root, "iris")
    os.makedirs(model_dir)
    joblib.dump(LogisticRegression(max_iter=300).fit(X, y), os.path.join(model_dir, "model.joblib"))
    with open(os.path.join(root, "iris.jsonl"), "w") as fh:
        fh.writelines(json.dumps({"features": row, "label": int(t)}) + "\n" for row, t in zip(X[:20].tolist(), y[:20].tolist()))

    algorithm = {"type": "custom", "source_dir": algo, "entry_point": "train.py"}
    training = s.call("POST", "trainings", {"name": "fuzz-train", "experiment_name": "fuzz-exp", "algorithm": algorithm})
    tuning = s.call("POST", "hyperparameter-tunings", {
        "name": "fuzz-tune", "experiment_name": "fuzz-exp", "algorithm": algorithm, "strategy": "Random", "random_seed": 1,
        "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}], "objective_metric": "loss", "goal": "minimize",
        "max_trials": 1, "parallel_trials": 1})
    model = s.call("POST", "models", {"name": "fuzz-model", "framework": "scikit-learn", "artifact_path": model_dir,
                                      "validate_artifact": False})
    endpoint = s.call("POST", "endpoints", {"name": "fuzz-ep", "resources": [{"model": "fuzz-model", "cpu": 0.2}]})
    batch = s.call("POST", "batch-inferences", {"name": "fuzz-batch", "model_id": "fuzz-model", "input_records": X[:5].tolist()})
    evaluation = s.call("POST", "model-evaluations", {
        "name": "fuzz-eval", "model_id": "fuzz-model", "class_names": ["a", "b", "c"], "input_path": os.path.join(root, "iris.jsonl"),
        "input_format": "JSONL", "target_field": "label"})
    s.wait("trainings/fuzz-train")
    template = s.call("POST", "trainings/fuzz-train/template", {"name": "fuzz-template"})
    s.wait("hyperparameter-tunings/fuzz-tune")
    s.wait("batch-inferences/fuzz-batch")
    s.wait("model-evaluations/fuzz-eval")
    ep = s.wait("endpoints/fuzz-ep", timeout=90)
    trials = s.call("GET", "hyperparameter-tunings/fuzz-tune/trials")["items"]
    stage = ep["stages"][0]
    known = {
        "experiments": [training["experiment_id"], "fuzz-exp"],
        "trainings": [training["id"], "fuzz-train"],
        "training-templates": [template["id"], "fuzz-template"],
        "hyperparameter-tunings": [tuning["id"], "fuzz-tune"],
        "trial": [t["id"] for t in trials][:1],
        "models": [model["id"], "fuzz-model"],
        "endpoints": [endpoint["id"], "fuzz-ep"],
        "stage": [stage["id"], stage["name"]],
        "resource": [r["id"] for r in stage["resources"]],
        "batch-inferences": [batch["id"], "fuzz-batch"],
        "model-evaluations": [evaluation["id"], "fuzz-eval"],
    }
    return {k: v for k, v in known.items() if v}


def fuzzed_document(server: ServerProcess, known: dict[str, list[str]]) -> dict:
    """The served document with the streams left out, query arguments typed,
    and path parameters naming the resources the server holds."""
    request = urllib.request.Request(server.base + "openapi.json", headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        document = json.load(answer)
    for path in [p for p in document["paths"] if p.endswith(STREAMS)]:
        del document["paths"][path]
    for path, item in document["paths"].items():
        family = path.split("/easymaker/api/v1/", 1)[-1].split("/", 1)[0]
        for method, op in item.items():
            params = []
            for param in op["parameters"]:
                name = param["name"]
                if name in STREAM_PARAMS:
                    continue
                param = dict(param)
                if param["in"] == "query" and name in QUERY_SCHEMAS:
                    schema, examples = QUERY_SCHEMAS[name]
                    param["schema"] = schema
                    param["examples"] = {f"e{i}": {"value": v} for i, v in enumerate(examples)}
                elif param["in"] == "path":
                    names = known.get(family if name == "ref" else name)
                    # DELETE gets unknown names only: the resources stay for the other operations
                    if names and method != "delete":
                        param["schema"] = {"type": "string", "enum": names}
                params.append(param)
            op["parameters"] = params
    return document


def stop_model_servers(data_dir: str) -> None:
    """Model servers outlive the Jupyter server on purpose: end the ones this run started."""
    import psutil

    # every local serving backend's record: endpoints' model servers and RAGs' query and LLM servers
    paths = [os.path.join(folder, "server.json") for folder, _dirs, files in os.walk(data_dir) if "server.json" in files]
    for path in paths:
        with open(path) as fh:
            pods = json.load(fh).get("pods") or []
        for pod in pods:
            try:
                if abs(psutil.Process(pod["pid"]).create_time() - pod["create_time"]) < 0.01:
                    os.killpg(pod["pid"], signal.SIGKILL)
            except (psutil.NoSuchProcess, ProcessLookupError):
                pass
    # notebooks' own Jupyter servers too (a fuzzed POST notebooks creates real ones)
    for path in glob.glob(os.path.join(data_dir, "notebooks", "*", "server.json")):
        with open(path) as fh:
            state = json.load(fh)
        try:
            if abs(psutil.Process(state["pid"]).create_time() - state["create_time"]) < 0.01:
                os.killpg(state["pid"], signal.SIGKILL)
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass


@pytest.fixture
def fuzz_server(tmp_path):
    data_dir = str(tmp_path / "easymaker-data")
    server = ServerProcess(str(tmp_path), data_dir, token=TOKEN, extra=[f"--EasyMakerExtension.local_roots=['{tmp_path}']"]).start()
    try:
        yield server
    finally:
        server.stop()
        stop_model_servers(data_dir)


def describe(recorder, case_id: str, failure) -> str:
    interaction = recorder.interactions.get(case_id)
    line = f"{recorder.label}: {getattr(failure, 'title', failure)}"
    if interaction is not None:
        request, response = interaction.request, interaction.response
        line += f"\n    {request.method} {request.uri}"
        if request.body:
            line += f"\n    body {request.body[:300]!r}"
        if response is not None:
            line += f"\n    -> {response.status_code} {(response.content or b'')[:300]!r}"
    return line


def test_openapi_fuzz(fuzz_server, tmp_path):
    known = seed(fuzz_server, str(tmp_path))
    document = fuzzed_document(fuzz_server, known)
    schema = schemathesis.openapi.from_dict(document, config=config(fuzz_server.base.split("/easymaker/")[0]))
    started = time.monotonic()
    failures: list[str] = []
    errors: list[str] = []
    operations: set[str] = set()
    statuses: dict[int, int] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            operations.add(event.recorder.label)
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    code = interaction.response.status_code
                    statuses[code] = statuses.get(code, 0) + 1
            for case_id, checks in event.recorder.checks.items():
                failures += [describe(event.recorder, case_id, c.failure_info.failure) for c in checks if c.status == Status.FAILURE]
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    print(f"\nschemathesis: {len(operations)} operations, {sum(statuses.values())} requests "
          f"({dict(sorted(statuses.items()))}), {len(failures)} failures in {time.monotonic() - started:.0f} s")
    expected = sum(len(item) for item in document["paths"].values())
    assert len(operations) == expected, sorted(operations)
    assert not errors, "\n".join(errors)
    assert not failures, f"{len(failures)} failing answers:\n" + "\n".join(sorted(set(failures))[:80])
    assert sum(statuses.values()) > 20 * expected  # the run really exercised the API
