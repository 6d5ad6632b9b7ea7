"""An in-process Kubeflow Pipelines API server (the v2beta1 REST surface) for tests.

It answers what ``kfp.Client`` calls to run a pipeline and follow it: experiments
(list with a filter, get, create), runs (create, list with a filter, get,
terminate, delete), recurring runs (create with an inline pipeline, list with a
filter, get, enable, disable, delete; ``fire`` starts one of their runs as KFP's
controller would) and healthz. Every JSON object it reads or writes is checked
against the models of ``kfp_server_api`` (KFP's generated swagger client), so a
field name or enum value that KFP does not have fails here instead of passing
silently: an unknown field in a request is a 400 (grpc-gateway rejects it too),
one in a response is an ``AssertionError`` naming it.

Behaviour copied from KFP's API server (backend/src/apiserver): errors are
``{"error", "code", "message", "details"}`` with the gRPC code's HTTP status;
a run is created PENDING; terminate moves PENDING/RUNNING/PAUSED/UNSPECIFIED
to CANCELING and answers 400 "Row not found" for any other state; unset
timestamps are the epoch (``1970-01-01T00:00:00Z``); experiment names are
unique per namespace (409).

Tests script what the server reports: ``set_run`` changes a run now, ``script``
queues states that successive GETs of the run return one by one (the last one
stays), ``fail_next`` answers the next matching request with an error, ``stall_next``
answers late, and
``drop_next`` handles the next matching request and then closes the connection
without answering (a client that crashed or lost the answer after the server
acted). ``requests`` records everything received; ``unhandled`` lists calls to
routes it does not implement (answered 501).
"""
from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

import kfp_server_api.models as kfp_models

EPOCH = "1970-01-01T00:00:00Z"
# gRPC code → (HTTP status), as grpc-gateway maps them.
GRPC_HTTP = {3: 400, 5: 404, 6: 409, 7: 403, 9: 400, 12: 501, 13: 500, 14: 503, 16: 401}
TERMINABLE = {"PAUSED", "PENDING", "RUNNING", "RUNTIME_STATE_UNSPECIFIED"}
# Filter operations: kfp.Client sends the enum's number, others its name.
OPERATIONS = {1: "EQUALS", 2: "NOT_EQUALS", 3: "GREATER_THAN", 5: "GREATER_THAN_EQUALS", 6: "LESS_THAN",
              7: "LESS_THAN_EQUALS", 8: "IN", 9: "IS_SUBSTRING"}


def rfc3339(moment: datetime | None) -> str:
    if moment is None:
        return EPOCH
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def task_detail(task_id: str, name: str, state: str, *, started_at: datetime | None = None,
                ended_at: datetime | None = None, error: str | None = None, parent_task_id: str | None = None,
                run_id: str = "") -> dict:
    """One ``V2beta1PipelineTaskDetail`` as the server writes it (unset times are the epoch)."""
    detail: dict[str, Any] = {
        "run_id": run_id,
        "task_id": task_id,
        "display_name": name,
        "create_time": rfc3339(started_at) if started_at else EPOCH,
        "start_time": rfc3339(started_at),
        "end_time": rfc3339(ended_at),
        "state": state,
        "execution_id": "0",
        "state_history": [{"update_time": rfc3339(ended_at or started_at), "state": state}],
    }
    if parent_task_id:
        detail["parent_task_id"] = parent_task_id
    if error:
        detail["error"] = {"code": 2, "message": error, "details": []}
    return detail


class ApiError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------------------------
# The swagger models as the source of truth for field names and enum values


def conform(value: Any, type_name: str, path: str) -> None:
    """Raise ValueError (TypeError for a wrong JSON type) naming the first field or enum value the model ``type_name`` lacks."""
    if value is None:
        return
    list_of = re.fullmatch(r"list\[(.+)\]", type_name)
    dict_of = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if list_of:
        if not isinstance(value, list):
            raise ValueError(f"{path}: expected a list, got {type(value).__name__}")
        for i, item in enumerate(value):
            conform(item, list_of.group(1), f"{path}[{i}]")
        return
    if dict_of:
        if not isinstance(value, dict):
            raise ValueError(f"{path}: expected an object, got {type(value).__name__}")
        for key, item in value.items():
            conform(item, dict_of.group(1), f"{path}.{key}")
        return
    primitives = {"str": str, "int": int, "bool": bool, "float": (int, float), "datetime": str, "object": object}
    if type_name in primitives:
        if type_name == "int" and isinstance(value, str) and value.lstrip("-").isdigit():
            return  # int64 fields travel as JSON strings
        if not isinstance(value, primitives[type_name]):
            raise ValueError(f"{path}: expected {type_name}, got {type(value).__name__}")
        if type_name == "datetime":
            datetime.fromisoformat(value)
        return
    model = getattr(kfp_models, type_name)
    allowed = getattr(model, "allowable_values", None)
    if allowed is not None and not model.openapi_types:
        if value not in allowed:
            raise ValueError(f"{path}: {value!r} is not a {type_name} (one of {', '.join(allowed)})")
        return
    if not isinstance(value, dict):
        raise TypeError(f"{path}: expected a {type_name} object, got {type(value).__name__}")
    fields = {json_name: model.openapi_types[attr] for attr, json_name in model.attribute_map.items()}
    for key, item in value.items():
        if key not in fields:
            raise ValueError(f"{path}: unknown field {key!r} of {type_name}")
        conform(item, fields[key], f"{path}.{key}")


# ---------------------------------------------------------------------------------------------


class FakeKfpServer:
    """Start with ``with FakeKfpServer() as kfp_api: ...``; ``kfp_api.url`` is the host for kfp.Client."""

    def __init__(self, *, token: str | None = None, multi_user: bool = False):
        self.token = token
        self.multi_user = multi_user
        self.experiments: dict[str, dict] = {}
        self.runs: dict[str, dict] = {}
        self.recurring_runs: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.unhandled: list[str] = []
        self.terminated: list[str] = []
        self.deleted: list[str] = []
        self._scripts: dict[str, list[dict]] = {}
        self._faults: list[dict] = []
        self._lock = threading.RLock()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._url = ""
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeKfpServer:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self._url = f"http://{host}:{port}"  # still the address after stop(), for "server down" tests
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-kfp-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Go down like a real server: stop listening and drop the kept-alive connections."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._url

    # -- scripting ---------------------------------------------------------------------------

    def run_named(self, display_name: str) -> dict:
        with self._lock:
            found = [r for r in self.runs.values() if r["display_name"] == display_name]
        if len(found) != 1:
            raise AssertionError(f"{len(found)} runs are named {display_name!r}")
        return found[0]

    def set_run(self, run_id: str, state: str, *, tasks: list[dict] | None = None, error: str | None = None) -> None:
        """Make the run report ``state`` (and these task details / this error) from now on."""
        with self._lock:
            self._apply(self.runs[run_id], {"state": state, "tasks": tasks, "error": error})

    def script(self, run_id: str, steps: list[dict]) -> None:
        """Queue ``{"state", "tasks"?, "error"?}`` steps: each GET of the run applies the next one."""
        with self._lock:
            self._scripts.setdefault(run_id, []).extend(steps)

    def fail_next(self, method: str, path: str, code: int, message: str) -> None:
        """Answer the next ``method`` request whose path starts with ``path`` with a gRPC error."""
        with self._lock:
            self._faults.append({"method": method, "path": path, "code": code, "message": message, "drop": False})

    def drop_next(self, method: str, path: str) -> None:
        """Handle the next matching request, then close the connection without an answer."""
        with self._lock:
            self._faults.append({"method": method, "path": path, "drop": True})

    def stall_next(self, method: str, path: str, seconds: float, times: int = 1) -> None:
        """Answer the next ``times`` matching requests only after ``seconds`` (a server that hangs)."""
        with self._lock:
            self._faults.extend({"method": method, "path": path, "stall": seconds, "drop": False} for _ in range(times))

    def received(self, method: str, path: str) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if r["method"] == method and r["path"] == path]

    # -- state -------------------------------------------------------------------------------

    def _apply(self, run: dict, step: dict) -> None:
        now = datetime.now(UTC)
        state = step["state"]
        conform(state, "V2beta1RuntimeState", "state")
        if state != run["state"]:
            run["state_history"].append({"update_time": rfc3339(now), "state": state})
        run["state"] = state
        if state in {"SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"} and run["finished_at"] == EPOCH:
            run["finished_at"] = rfc3339(now)
        if step.get("tasks") is not None:
            tasks = [dict(t, run_id=run["run_id"]) for t in step["tasks"]]
            conform(tasks, "list[V2beta1PipelineTaskDetail]", "task_details")
            run["run_details"]["task_details"] = tasks
        if step.get("error"):
            run["error"] = {"code": 2, "message": step["error"], "details": []}

    def _next_step(self, run_id: str) -> None:
        steps = self._scripts.get(run_id)
        if steps:
            self._apply(self.runs[run_id], steps.pop(0))

    # -- the API -----------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Any:
        if path == "/apis/v2beta1/healthz" and method == "GET":
            return {"multi_user": self.multi_user, "pipeline_store": "database"}
        if path == "/apis/v2beta1/experiments":
            if method == "GET":
                return self._list_experiments(query)
            if method == "POST":
                return self._create_experiment(body)
        match = re.fullmatch(r"/apis/v2beta1/experiments/([^/:]+)", path)
        if match and method == "GET":
            return self._experiment(unquote(match.group(1)))
        if path == "/apis/v2beta1/runs":
            if method == "GET":
                return self._list_runs(query)
            if method == "POST":
                return self._create_run(body, query)
        match = re.fullmatch(r"/apis/v2beta1/runs/([^/:]+)(:terminate)?", path)
        if match:
            run_id, verb = unquote(match.group(1)), match.group(2)
            if verb and method == "POST":
                return self._terminate(run_id)
            if not verb and method == "GET":
                self._run(run_id)
                self._next_step(run_id)
                return self._run(run_id)
            if not verb and method == "DELETE":
                self._run(run_id)
                del self.runs[run_id]
                self.deleted.append(run_id)
                return {}
        if path == "/apis/v2beta1/recurringruns":
            if method == "GET":
                experiment_id = query.get("experiment_id")
                items = [r for r in self.recurring_runs.values() if not experiment_id or r["experiment_id"] == experiment_id]
                return self._page(items, query, "recurringRuns")  # its JSON name in the v2beta1 swagger
            if method == "POST":
                return self._create_recurring_run(body)
        match = re.fullmatch(r"/apis/v2beta1/recurringruns/([^/:]+)(:enable|:disable)?", path)
        if match:
            recurring_id, verb = unquote(match.group(1)), match.group(2)
            recurring = self._recurring(recurring_id)
            if verb and method == "POST":
                recurring["mode"] = "ENABLE" if verb == ":enable" else "DISABLE"
                recurring["status"] = "ENABLED" if verb == ":enable" else "DISABLED"
                recurring["updated_at"] = rfc3339(datetime.now(UTC))
                return {}
            if not verb and method == "GET":
                return recurring
            if not verb and method == "DELETE":
                del self.recurring_runs[recurring_id]
                return {}
        self.unhandled.append(f"{method} {path}")
        raise ApiError(12, f"the fake KFP API server does not implement {method} {path}")

    def _experiment(self, experiment_id: str) -> dict:
        if experiment_id not in self.experiments:
            raise ApiError(5, f"Failed to get experiment: ResourceNotFoundError: Experiment {experiment_id} not found")
        return self.experiments[experiment_id]

    def _run(self, run_id: str) -> dict:
        if run_id not in self.runs:
            raise ApiError(5, f"Failed to get a run {run_id}: ResourceNotFoundError: Run {run_id} not found")
        return self.runs[run_id]

    def _namespace(self, given: str | None, what: str) -> str:
        if self.multi_user and not given:
            raise ApiError(3, f"Invalid input error: In multi-user mode, {what} requires a namespace")
        return given or ""

    def _list_experiments(self, query: dict) -> dict:
        namespace = self._namespace(query.get("namespace"), "ListExperiments")
        items = [e for e in self.experiments.values() if not namespace or e["namespace"] == namespace]
        return self._page(items, query, "experiments")

    def _create_experiment(self, body: dict) -> dict:
        name = (body or {}).get("display_name") or ""
        if not name.strip():
            raise ApiError(3, "Invalid input error: Experiment display_name cannot be empty")
        namespace = self._namespace(body.get("namespace"), "CreateExperiment")
        if any(e["display_name"] == name and e["namespace"] == namespace for e in self.experiments.values()):
            raise ApiError(6, f"Failed to create a new experiment: The name {name} already exists. Please specify a new name")
        experiment = {
            "experiment_id": str(uuid.uuid4()),
            "display_name": name,
            "description": body.get("description") or "",
            "created_at": rfc3339(datetime.now(UTC)),
            "namespace": namespace,
            "storage_state": "AVAILABLE",
            "last_run_created_at": EPOCH,
        }
        self.experiments[experiment["experiment_id"]] = experiment
        return experiment

    def _create_run(self, body: dict, query: dict) -> dict:
        body = body or {}
        name = body.get("display_name") or ""
        if not name.strip():
            raise ApiError(3, "Invalid input error: The run's display_name cannot be empty")
        has_spec = bool(body.get("pipeline_spec"))
        has_ref = bool(body.get("pipeline_version_reference") or body.get("pipeline_version_id"))
        if has_spec == has_ref:
            raise ApiError(3, "Invalid input error: a run needs exactly one of pipeline_spec or pipeline_version_reference")
        experiment_id = body.get("experiment_id") or query.get("experiment_id") or ""
        experiment = self._experiment(experiment_id) if experiment_id else None
        now = datetime.now(UTC)
        run = {
            "experiment_id": experiment_id,
            "run_id": str(uuid.uuid4()),
            "display_name": name,
            "storage_state": "AVAILABLE",
            "description": body.get("description") or "",
            "pipeline_spec": body.get("pipeline_spec"),
            "runtime_config": body.get("runtime_config") or {},
            "service_account": body.get("service_account") or "pipeline-runner",
            "created_at": rfc3339(now),
            "scheduled_at": rfc3339(now),
            "finished_at": EPOCH,
            "state": "PENDING",
            "run_details": {"pipeline_context_id": "0", "pipeline_run_context_id": "0", "task_details": []},
            "state_history": [{"update_time": rfc3339(now), "state": "PENDING"}],
        }
        if experiment is not None:
            experiment["last_run_created_at"] = run["created_at"]
        self.runs[run["run_id"]] = run
        return run

    def _recurring(self, recurring_id: str) -> dict:
        if recurring_id not in self.recurring_runs:
            raise ApiError(5, f"Failed to get a recurring run {recurring_id}: ResourceNotFoundError: RecurringRun "
                              f"{recurring_id} not found")
        return self.recurring_runs[recurring_id]

    def _create_recurring_run(self, body: dict) -> dict:
        body = body or {}
        name = body.get("display_name") or ""
        if not name.strip():
            raise ApiError(3, "Invalid input error: The recurring run's display_name cannot be empty")
        trigger = body.get("trigger") or {}
        if bool(trigger.get("cron_schedule")) == bool(trigger.get("periodic_schedule")):
            raise ApiError(3, "Invalid input error: a recurring run needs exactly one of cron_schedule or periodic_schedule")
        if not body.get("pipeline_spec"):
            raise ApiError(3, "Invalid input error: this fake takes recurring runs of an inline pipeline_spec only")
        self._experiment(body.get("experiment_id") or "")
        now = rfc3339(datetime.now(UTC))
        mode = body.get("mode") or "ENABLE"
        recurring = {
            "recurring_run_id": str(uuid.uuid4()), "display_name": name, "description": body.get("description") or "",
            "pipeline_spec": body["pipeline_spec"], "runtime_config": body.get("runtime_config") or {},
            "service_account": body.get("service_account") or "pipeline-runner",
            "max_concurrency": str(body.get("max_concurrency") or "1"), "trigger": trigger, "mode": mode,
            "created_at": now, "updated_at": now, "status": "ENABLED" if mode == "ENABLE" else "DISABLED",
            "no_catchup": bool(body.get("no_catchup")), "namespace": "", "experiment_id": body["experiment_id"],
        }
        self.recurring_runs[recurring["recurring_run_id"]] = recurring
        return recurring

    def fire(self, recurring_run_id: str, scheduled_at: datetime) -> dict:
        """A run as KFP's ScheduledWorkflow controller starts it for the recurring run (named after it and
        the scheduled time), as it does whether or not anyone is asking."""
        with self._lock:
            recurring = self._recurring(recurring_run_id)
            run = self._create_run({"display_name": f"{recurring['display_name']}-{int(scheduled_at.timestamp())}",
                                    "experiment_id": recurring["experiment_id"], "pipeline_spec": recurring["pipeline_spec"],
                                    "runtime_config": recurring["runtime_config"]}, {})
            run["recurring_run_id"] = recurring_run_id
            run["scheduled_at"] = rfc3339(scheduled_at)
            return run

    def _list_runs(self, query: dict) -> dict:
        experiment_id = query.get("experiment_id")
        if experiment_id:
            self._experiment(experiment_id)
            items = [r for r in self.runs.values() if r["experiment_id"] == experiment_id]
        else:
            namespace = self._namespace(query.get("namespace"), "ListRuns")
            items = [r for r in self.runs.values()
                     if not namespace or self.experiments.get(r["experiment_id"], {}).get("namespace") == namespace]
        return self._page(items, query, "runs")

    def _terminate(self, run_id: str) -> dict:
        run = self._run(run_id)
        self.terminated.append(run_id)
        if run["state"] not in TERMINABLE:
            raise ApiError(3, f"Failed to terminate run {run_id}: Invalid input error: Failed to terminate a run {run_id}. Row not found")
        self._apply(run, {"state": "CANCELING"})
        return {}

    def _page(self, items: list[dict], query: dict, key: str) -> dict:
        items = [i for i in items if _matches(i, query.get("filter"))]
        sort_by = (query.get("sort_by") or "").split()
        if sort_by:
            field = sort_by[0]
            if field not in ("created_at", "display_name", "name"):
                raise ApiError(3, f"Invalid input error: Invalid sorting field: {field!r}")
            field = "display_name" if field == "name" else field
            items = sorted(items, key=lambda i: i[field], reverse=len(sort_by) > 1 and sort_by[1] == "desc")
        size = int(query.get("page_size") or 0) or len(items) or 1
        start = int(query.get("page_token") or 0)
        page = items[start:start + size]
        answer: dict[str, Any] = {key: page, "total_size": len(items)}
        if start + size < len(items):
            answer["next_page_token"] = str(start + size)
        return answer


def _matches(item: dict, raw_filter: str | None) -> bool:
    if not raw_filter:
        return True
    try:
        parsed = json.loads(raw_filter)
        # protojson reads a field by its proto name or its lowerCamel JSON name, an enum by name or number
        predicates = [{_snake(k): v for k, v in p.items()} for p in parsed.get("predicates") or []]
        for predicate in predicates:
            predicate["operation"] = OPERATIONS.get(predicate.get("operation"), predicate.get("operation"))
        conform({"predicates": predicates}, "V2beta1Filter", "filter")
    except (ValueError, TypeError, AttributeError) as exc:
        raise ApiError(3, f"Invalid input error: Failed to parse valid filter from {raw_filter!r}: {exc}") from exc
    for predicate in predicates:
        operation = predicate["operation"]
        key = predicate.get("key")
        if key not in item or isinstance(item[key], (dict, list)):
            raise ApiError(3, f"Invalid input error: unknown filter key {key!r}")
        wanted = next((predicate[k] for k in ("string_value", "int_value", "long_value") if k in predicate), None)
        actual = item[key]
        if operation == "EQUALS":
            ok = actual == wanted
        elif operation == "NOT_EQUALS":
            ok = actual != wanted
        elif operation == "IS_SUBSTRING":
            ok = str(wanted) in str(actual)
        elif operation == "IN":
            ok = actual in ((predicate.get("string_values") or {}).get("values") or [])
        else:
            raise ApiError(3, f"Invalid input error: the fake does not filter with {operation!r}")
        if not ok:
            return False
    return True


def _snake(name: str) -> str:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


# The response models of each route, to check what the fake writes.
_RESPONSE_MODELS = [
    (re.compile(r"GET /apis/v2beta1/healthz"), "V2beta1GetHealthzResponse"),
    (re.compile(r"GET /apis/v2beta1/experiments"), "V2beta1ListExperimentsResponse"),
    (re.compile(r"(POST /apis/v2beta1/experiments|GET /apis/v2beta1/experiments/[^/:]+)"), "V2beta1Experiment"),
    (re.compile(r"GET /apis/v2beta1/runs"), "V2beta1ListRunsResponse"),
    (re.compile(r"(POST /apis/v2beta1/runs|GET /apis/v2beta1/runs/[^/:]+)"), "V2beta1Run"),
    (re.compile(r"GET /apis/v2beta1/recurringruns"), "V2beta1ListRecurringRunsResponse"),
    (re.compile(r"(POST /apis/v2beta1/recurringruns|GET /apis/v2beta1/recurringruns/[^/:]+)"), "V2beta1RecurringRun"),
]
_REQUEST_MODELS = {("POST", "/apis/v2beta1/experiments"): "V2beta1Experiment",
                   ("POST", "/apis/v2beta1/runs"): "V2beta1Run",
                   ("POST", "/apis/v2beta1/recurringruns"): "V2beta1RecurringRun"}


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeKfpServer
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with self.server_fake._lock:
            self.server_fake._connections.add(self.connection)

    def finish(self):
        with self.server_fake._lock:
            self.server_fake._connections.discard(self.connection)
        super().finish()

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_DELETE(self):
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        fake = self.server_fake
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        record = {"method": method, "path": path, "query": query, "headers": {k.lower(): v for k, v in self.headers.items()},
                  "raw": raw, "json": None}
        with fake._lock:
            fake.requests.append(record)
            fault = next((f for f in fake._faults if f["method"] == method and path.startswith(f["path"])), None)
            if fault is not None:
                fake._faults.remove(fault)
        try:
            if fault is not None and "stall" in fault:
                time.sleep(fault["stall"])
            elif fault is not None and not fault["drop"]:
                raise ApiError(fault["code"], fault["message"])
            if fake.token is not None and self.headers.get("Authorization") != f"Bearer {fake.token}":
                raise ApiError(16, "Unauthenticated: the request has no valid bearer token")
            body = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise ApiError(3, f"invalid JSON body: {exc}") from exc
                record["json"] = body
                model = _REQUEST_MODELS.get((method, path))
                if model:
                    try:
                        conform(body, model, "body")
                    except (ValueError, TypeError) as exc:
                        raise ApiError(3, f"invalid {model}: {exc}") from exc
            with fake._lock:
                answer = fake.handle(method, path, query, body)
            for pattern, model in _RESPONSE_MODELS:
                if pattern.fullmatch(f"{method} {path}"):
                    conform(answer, model, "response")  # a fake bug, not a client error: raise
                    break
            status, payload = 200, answer
        except ApiError as exc:
            status = GRPC_HTTP.get(exc.code, 500)
            payload = {"error": exc.message, "code": exc.code, "message": exc.message, "details": []}
        if fault is not None and fault["drop"]:
            self.close_connection = True
            return
        data = json.dumps(payload).encode()
        with contextlib.suppress(OSError):  # a client that gave up waiting has gone
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
