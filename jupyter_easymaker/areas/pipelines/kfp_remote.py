"""Pipeline runs on a Kubeflow Pipelines API server, through the official ``kfp.Client``.

When ``area_options["pipelines"]["kfp_api_url"]`` is set, a pipeline run is not
executed locally: ``submit`` sends the compiled pipeline (its YAML, inline in
the run: no pipeline resource is uploaded, so runs never collide on pipeline
names and leave nothing behind in KFP) with the runtime parameters to KFP in
an experiment of the same name, ``poll`` reads the run's v2beta1 state and
task details for the mirror, ``stop`` terminates and ``delete`` removes it.

kfp is imported on first use only: the server starts, and every other
pipelines feature works, without it. Every failure (an HTTP error answer,
an unreachable or silent server, a package kfp cannot read) is a
``RemoteError`` naming the server URL and, for answers, the HTTP status.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from jupyter_easymaker.core.errors import DomainError

# The v2beta1 RuntimeState values (kfp_server_api.V2beta1RuntimeState), as this module reports them.
RUN_STATES = ("PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELING", "CANCELED", "SKIPPED", "PAUSED")
FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"})
# RUNTIME_STATE_UNSPECIFIED: KFP stored the run but its workflow has reported nothing yet.
_STATE_MAP = {**{state: state for state in RUN_STATES}, "RUNTIME_STATE_UNSPECIFIED": "PENDING"}

T = TypeVar("T")


class RemoteError(DomainError):
    """The KFP API server refused, failed or could not be reached.

    ``status`` is the HTTP status of the server's answer (None when there was no
    answer). Surfaced by a handler it is a 502: the fault is upstream.
    """

    http_status = 502

    def __init__(self, message: str, *, url: str, status: int | None = None):
        super().__init__(message)
        self.url = url
        self.status = status


@dataclass
class RemoteRun:
    state: str                      # one of RUN_STATES
    tasks: list[dict] = field(default_factory=list)
    error: str | None = None
    raw_state: str | None = None    # the server's own word (RUNTIME_STATE_UNSPECIFIED, a newer state, ...)

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES


def map_state(raw: str | None) -> str:
    """A v2beta1 RuntimeState as one of RUN_STATES.

    A value this module does not know (a newer server) counts as RUNNING: the
    mirror keeps polling instead of ending a run that may still be working.
    """
    if not raw:
        return "PENDING"
    return _STATE_MAP.get(str(raw).upper(), "RUNNING")


class KfpRemote:
    """One KFP API server. ``namespace`` is the KFP (Kubernetes) namespace of
    multi-user deployments; None leaves it to kfp's defaults (single-user).
    ``timeout`` bounds each request's wait for an answer, in seconds."""

    def __init__(self, url: str, token: str | None = None, namespace: str | None = None, *, timeout: float = 30.0):
        url = (url or "").strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise RemoteError(f"the Kubeflow Pipelines API URL must start with http:// or https:// (got {url!r})", url=url)
        self.url = url
        self.namespace = namespace or None
        self.timeout = float(timeout)
        self._token = token or None
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KfpRemote({self.url!r}, namespace={self.namespace!r})"

    # -- the interface -----------------------------------------------------------------------

    def submit(self, run_name: str, pipeline_yaml: str, parameters: dict, experiment_name: str, *,
               enable_caching: bool | None = None) -> str:
        """Start ``run_name`` in experiment ``experiment_name`` (created when missing); the remote run id.

        Idempotent by name: when the experiment already has a run named
        ``run_name`` (an earlier submit whose answer was lost), that run's id
        is returned and nothing is created. ``enable_caching`` None keeps the
        pipeline's compiled caching options.
        """
        if not run_name or not run_name.strip():
            raise RemoteError("a run sent to Kubeflow Pipelines needs a name", url=self.url)
        client = self._kfp()
        experiment = self._experiment(client, experiment_name or "Default")
        existing = self._find_run(client, experiment.experiment_id, run_name)
        if existing is not None:
            return existing
        with tempfile.TemporaryDirectory(prefix="easymaker-kfp-") as folder:
            # kfp reads the package from a file whose name ends in .yaml
            package = os.path.join(folder, "pipeline.yaml")
            with open(package, "w", encoding="utf-8") as handle:
                handle.write(pipeline_yaml)
            run = self._call(
                f"creating run {run_name!r}",
                lambda: client.run_pipeline(
                    experiment_id=experiment.experiment_id,
                    job_name=run_name,
                    pipeline_package_path=package,
                    params=dict(parameters or {}),
                    enable_caching=enable_caching,
                ),
            )
        return run.run_id

    # -- recurring runs (a pipeline schedule kept by the KFP server) ----------------------------

    def create_recurring(self, name: str, pipeline_yaml: str, parameters: dict, experiment_name: str, *,
                         cron: str | None = None, interval_seconds: int | None = None, start_at: datetime | None = None,
                         end_at: datetime | None = None, max_concurrency: int = 1, catch_up: bool = True,
                         enabled: bool = True, enable_caching: bool | None = None) -> str:
        """A recurring run of the compiled pipeline (a 6-field cron with seconds, as KFP reads it, or an
        interval in seconds); its id. Idempotent by name in the experiment, like ``submit``."""
        client = self._kfp()
        experiment = self._experiment(client, experiment_name or "Default")
        existing = self._find_recurring(client, experiment.experiment_id, name)
        if existing is not None:
            return existing
        with tempfile.TemporaryDirectory(prefix="easymaker-kfp-") as folder:
            package = os.path.join(folder, "pipeline.yaml")
            with open(package, "w", encoding="utf-8") as handle:
                handle.write(pipeline_yaml)
            recurring = self._call(f"creating recurring run {name!r}", lambda: client.create_recurring_run(
                experiment_id=experiment.experiment_id, job_name=name, pipeline_package_path=package,
                params=dict(parameters or {}), cron_expression=cron,
                interval_second=str(interval_seconds) if interval_seconds is not None else None,
                # int64s (the interval too), whose JSON form is a string (the v2beta1 swagger's type)
                start_time=_rfc3339(start_at), end_time=_rfc3339(end_at), max_concurrency=str(max_concurrency),
                no_catchup=not catch_up, enabled=enabled, enable_caching=enable_caching))
        return recurring.recurring_run_id

    def switch_recurring(self, recurring_run_id: str, enabled: bool) -> None:
        client = self._kfp()
        verb = "enabling" if enabled else "disabling"
        call = client.enable_recurring_run if enabled else client.disable_recurring_run
        self._call(f"{verb} recurring run {recurring_run_id}", lambda: call(recurring_run_id))

    def delete_recurring(self, recurring_run_id: str) -> None:
        """Delete the recurring run (its runs stay); one already gone (404) counts as deleted."""
        client = self._kfp()
        try:
            self._call(f"deleting recurring run {recurring_run_id}", lambda: client.delete_recurring_run(recurring_run_id))
        except RemoteError as exc:
            if exc.status != 404:
                raise

    def recurring_runs(self, recurring_run_id: str, experiment_name: str) -> list[dict]:
        """The runs the recurring run started, oldest first: ``{"run_id", "name", "scheduled_at"}``."""
        client = self._kfp()
        experiment = self._experiment(client, experiment_name or "Default")
        found, token = [], ""
        while True:
            answer = self._call(f"listing the runs of recurring run {recurring_run_id}", lambda: client.list_runs(
                experiment_id=experiment.experiment_id, page_token=token, page_size=100, sort_by="created_at"))
            for run in answer.runs or []:
                if getattr(run, "recurring_run_id", None) == recurring_run_id:
                    found.append({"run_id": run.run_id, "name": run.display_name,
                                  "scheduled_at": _time(run.scheduled_at) or _time(run.created_at)})
            token = answer.next_page_token or ""
            if not token:
                return found

    def _find_recurring(self, client: Any, experiment_id: str, name: str) -> str | None:
        run_filter = json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name", "string_value": name}]})
        answer = self._call(f"looking for recurring run {name!r}", lambda: client.list_recurring_runs(
            experiment_id=experiment_id, filter=run_filter, page_size=100))
        for recurring in answer.recurring_runs or []:
            if recurring.display_name == name:
                return recurring.recurring_run_id
        return None

    def poll(self, remote_run_id: str) -> RemoteRun:
        client = self._kfp()
        run = self._call(f"reading run {remote_run_id}", lambda: client.get_run(remote_run_id))
        details = getattr(run, "run_details", None)
        tasks = [_task(t) for t in (getattr(details, "task_details", None) or [])]
        state = map_state(run.state)
        error = _status_message(run.error)
        if error is None and state == "FAILED":
            failed = [t for t in tasks if t["state"] == "FAILED"]
            error = "; ".join(f"task {t['name']} failed" + (f": {t['error']}" if t["error"] else "") for t in failed) or None
        return RemoteRun(state=state, tasks=tasks, error=error, raw_state=run.state)

    def stop(self, remote_run_id: str) -> None:
        """Terminate the run. A run that already ended (KFP answers 400) is left as it is."""
        client = self._kfp()
        try:
            self._call(f"terminating run {remote_run_id}", lambda: client.terminate_run(remote_run_id))
        except RemoteError as exc:
            # KFP refuses to terminate a run that is no longer pending/running/paused
            if exc.status != 400:
                raise
            if self.poll(remote_run_id).state not in FINAL_STATES | {"CANCELING"}:
                raise

    def delete(self, remote_run_id: str) -> None:
        """Delete the run in KFP; one that is already gone (404) counts as deleted."""
        client = self._kfp()
        try:
            self._call(f"deleting run {remote_run_id}", lambda: client.delete_run(remote_run_id))
        except RemoteError as exc:
            if exc.status != 404:
                raise

    # -- kfp ---------------------------------------------------------------------------------

    def _kfp(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Any:
        try:
            import kfp
            import kfp_server_api
        except ImportError as exc:
            raise RemoteError(
                f"cannot use Kubeflow Pipelines at {self.url}: the kfp package is not installed ({exc})", url=self.url
            ) from exc
        # kfp.Client asks healthz in its constructor, retrying 5 times 5 s apart when the
        # server is down; one bounded request first turns that into a prompt RemoteError.
        config = kfp_server_api.Configuration(host=self.url)
        if self._token:
            config.api_key["authorization"] = self._token
            config.api_key_prefix["authorization"] = "Bearer"
        health = kfp_server_api.HealthzServiceApi(kfp_server_api.ApiClient(config))
        self._call("checking its health", lambda: health.healthz_service_get_healthz(_request_timeout=self._timeouts()))
        warnings.filterwarnings("ignore", message="This client only works with Kubeflow Pipeline", category=FutureWarning)
        client = self._call(
            "connecting",
            # "kubeflow" is kfp.Client's word for "no namespace given"
            lambda: kfp.Client(host=self.url, existing_token=self._token, namespace=self.namespace or "kubeflow"),
        )
        self._bound_requests(client)
        return client

    def _bound_requests(self, client: Any) -> None:
        # kfp.Client passes no timeout to its requests, so a server that accepts the
        # connection and never answers would hold the caller's thread forever; every
        # request of its one REST client gets ours unless the call names its own.
        rest = getattr(getattr(getattr(client, "_run_api", None), "api_client", None), "rest_client", None)
        if rest is None or not callable(getattr(rest, "request", None)):
            return
        request, timeouts = rest.request, self._timeouts()

        def bounded(*args, _request_timeout=None, **kwargs):
            return request(*args, _request_timeout=_request_timeout or timeouts, **kwargs)

        rest.request = bounded

    def _timeouts(self) -> tuple[float, float]:
        return (min(self.timeout, 10.0), self.timeout)  # (connect, read)

    def _experiment(self, client: Any, name: str) -> Any:
        """The experiment named ``name``, created when missing."""

        def lookup() -> Any:
            try:
                return client.get_experiment(experiment_name=name, namespace=self.namespace)
            except ValueError as exc:
                if str(exc).startswith("No experiment is found"):
                    return None
                raise

        experiment = self._call(f"looking for experiment {name!r}", lookup)
        if experiment is not None:
            return experiment
        try:
            return self._call(
                f"creating experiment {name!r}", lambda: client.create_experiment(name=name, namespace=self.namespace)
            )
        except RemoteError as exc:
            if exc.status != 409:
                raise
        # another submit created it in between
        return self._call(f"looking for experiment {name!r}", lambda: client.get_experiment(experiment_name=name, namespace=self.namespace))

    def _find_run(self, client: Any, experiment_id: str, run_name: str) -> str | None:
        run_filter = json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name", "string_value": run_name}]})
        answer = self._call(
            f"looking for run {run_name!r}",
            lambda: client.list_runs(experiment_id=experiment_id, filter=run_filter, sort_by="created_at", page_size=100),
        )
        # the oldest of the name is the one an earlier submit made
        for run in answer.runs or []:
            if run.display_name == run_name:
                return run.run_id
        return None

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except RemoteError:
            raise
        except Exception as exc:
            raise self._error(what, exc) from exc

    def _error(self, what: str, exc: Exception) -> RemoteError:
        import urllib3
        from kfp_server_api import ApiException

        status = getattr(exc, "status", None)
        if isinstance(exc, ApiException) and status:
            detail = _server_message(getattr(exc, "body", None)) or (exc.reason or "").strip()
            reason = f" {exc.reason}" if exc.reason else ""
            return RemoteError(
                f"Kubeflow Pipelines at {self.url} answered HTTP {status}{reason} when {what}: {detail}",
                url=self.url, status=int(status),
            )
        if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):
            reason = getattr(exc, "reason", None) or exc
            return RemoteError(f"cannot reach Kubeflow Pipelines at {self.url} when {what}: {reason}", url=self.url)
        return RemoteError(
            f"Kubeflow Pipelines at {self.url}: {what} failed: {type(exc).__name__}: {exc}", url=self.url
        )


def _server_message(body: Any) -> str | None:
    """The ``message`` of a grpc-gateway error body, else the body's text (cut short)."""
    if body is None:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        message = parsed.get("message") or parsed.get("error")
        if message:
            return str(message)
    text = text.strip()
    return text[:500] or None


def _status_message(status: Any) -> str | None:
    """The message of a google.rpc.Status (a run's or task's ``error``)."""
    if status is None:
        return None
    message = getattr(status, "message", None)
    return str(message) if message else None


def _rfc3339(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _time(value: Any) -> datetime | None:
    # KFP writes an unset timestamp as the epoch
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value.timestamp() <= 0:
        return None
    return value.astimezone(UTC)


def _task(detail: Any) -> dict:
    return {
        "task_id": detail.task_id,
        "name": detail.display_name,
        "parent_task_id": detail.parent_task_id or None,
        "state": map_state(detail.state),
        "started_at": _time(detail.start_time),
        "ended_at": _time(detail.end_time),
        "error": _status_message(detail.error),
    }
