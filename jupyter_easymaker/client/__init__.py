"""Python client of the jupyter-easymaker REST API.

Standard library only (urllib + json) and nothing from jupyter_server, so it
works in any kernel, including remote ones whose environment is not the
server's. Every method returns plain JSON values (dicts, lists, strings).

List methods return a :class:`Page`: a ``list`` of items that also carries
``total``, ``offset`` and ``limit``; ``iter_trainings`` pages through all.

Finding the server, in order: ``Client(url, token)``; the variables
``JUPYTER_EASYMAKER_URL`` / ``JUPYTER_EASYMAKER_TOKEN`` (a server with the
extension sets them for the kernels it starts); the Jupyter runtime dir's
``jpserver-*.json`` files, keeping a live server that answers the EasyMaker API.
"""
from __future__ import annotations

import glob
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterator

from jupyter_easymaker.areas.batch.client import BatchClient
from jupyter_easymaker.client.common import Page, _experiment_fields, _params, _params_body, _ref, _timestamped
from jupyter_easymaker.areas.endpoints.client import EndpointsClient
from jupyter_easymaker.areas.tuning.client import TuningsClient
from jupyter_easymaker.areas.models.client import ModelsClient
from jupyter_easymaker.status_colors import FINAL_TRAINING_STATUSES, FINAL_TUNING_STATUSES

__all__ = ["Client", "EasyMakerError", "ServerNotFound", "Page", "FINAL_TRAINING_STATUSES", "FINAL_TUNING_STATUSES", "discover"]

API_PREFIX = "easymaker/api/v1/"
URL_ENV = "JUPYTER_EASYMAKER_URL"
TOKEN_ENV = "JUPYTER_EASYMAKER_TOKEN"
PROBE_TIMEOUT = 2.0
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}

HOW_TO_CONNECT = (
    "Pass Client(url='http://HOST:PORT/BASE_URL/', token='...') (in a notebook: %easymaker connect URL --token TOKEN), "
    f"or set {URL_ENV} and {TOKEN_ENV}. A Jupyter server started with the jupyter_easymaker extension "
    "sets them for the kernels it starts and lists itself in the Jupyter runtime dir."
)


class EasyMakerError(Exception):
    """An error answer of the server (``status`` is its HTTP status) or a failed request."""

    def __init__(self, status: int | None, message: str, field: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        # the server's validation messages often start with the field already
        if self.field and not self.message.startswith(f"{self.field}:"):
            return f"{self.field}: {self.message}"
        return self.message


class ServerNotFound(EasyMakerError):
    """No server to talk to: none was found, or the one named cannot be reached."""

    def __init__(self, message: str):
        super().__init__(None, message)


def _norm_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _opener(url: str) -> urllib.request.OpenerDirector:
    # an HTTP proxy from the environment must not intercept calls to this host
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host in _LOOPBACK or host == socket.gethostname().lower():
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _error_from(exc: urllib.error.HTTPError) -> EasyMakerError:
    try:
        raw = exc.read().decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - the status alone still says something
        raw = ""
    message, field, reason = "", None, None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict):
        message = str(data.get("error") or data.get("message") or data.get("reason") or "")
        field = data.get("field")
        reason = data.get("reason")
    if not message:
        message = raw.strip()[:500] or f"HTTP {exc.code} {exc.reason}"
    if exc.code in (401, 403):
        message += " (is the token right? " + HOW_TO_CONNECT + ")"
    return EasyMakerError(exc.code, message, field, reason)


def _http_json(url: str, token: str | None, method: str = "GET", body: Any = None, timeout: float = 30.0, stream: bool = False) -> Any:
    headers = {"Accept": "text/event-stream" if stream else "application/json"}
    if token:
        headers["Authorization"] = f"token {token}"
    data = None
    if body is not None or method in ("POST", "PUT", "PATCH"):
        data = json.dumps({} if body is None else body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        response = _opener(url).open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise _error_from(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServerNotFound(f"cannot reach the EasyMaker server at {url}: {reason}") from None
    if stream:
        return response
    with response:
        raw = response.read()
    return json.loads(raw) if raw else None


# -- discovery ------------------------------------------------------------------
def runtime_dir() -> str:
    try:
        from jupyter_core.paths import jupyter_runtime_dir  # light; absent in some remote kernels
    except ImportError:
        return os.environ.get("JUPYTER_RUNTIME_DIR") or os.path.join(os.path.expanduser("~"), ".local", "share", "jupyter", "runtime")
    return jupyter_runtime_dir()


def _pid_alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    except OSError:
        return False
    return True


def server_files(directory: str | None = None) -> list[tuple[str, dict]]:
    """``(path, info)`` of every readable ``jpserver-*.json``, newest first."""
    directory = directory or runtime_dir()
    paths = glob.glob(os.path.join(directory, "jpserver-*.json"))
    out = []
    for path in sorted(paths, key=lambda p: os.path.getmtime(p) if os.path.exists(p) else 0, reverse=True):
        try:
            with open(path, encoding="utf-8") as fh:
                info = json.load(fh)
        except (OSError, ValueError):
            continue
        if isinstance(info, dict):
            out.append((path, info))
    return out


def probe(url: str, token: str | None, timeout: float = PROBE_TIMEOUT) -> dict | None:
    """The server info when ``url`` answers the EasyMaker API, else None."""
    try:
        info = _http_json(_norm_url(url) + API_PREFIX, token, timeout=timeout)
    except EasyMakerError:
        return None
    return info if isinstance(info, dict) and info.get("name") == "jupyter-easymaker" else None


def discover(directory: str | None = None) -> tuple[str, str | None]:
    """``(url, token)`` of a running server with the extension, from the runtime files."""
    directory = directory or runtime_dir()
    tried = []
    for path, info in server_files(directory):
        name = os.path.basename(path)
        if "pid" in info and not _pid_alive(info["pid"]):
            tried.append(f"{name}: process {info['pid']} is not running")
            continue
        url = info.get("url")
        if not url or info.get("sock"):
            tried.append(f"{name}: no TCP URL")
            continue
        if probe(url, info.get("token") or None) is None:
            tried.append(f"{name}: {url} does not answer the EasyMaker API")
            continue
        return _norm_url(url), info.get("token") or None
    seen = "; ".join(tried) if tried else f"no jpserver-*.json files in {directory}"
    raise ServerNotFound(f"No jupyter-easymaker server found ({seen}). {HOW_TO_CONNECT}")


def _token_for(url: str) -> str | None:
    """The token of an explicitly given URL: from the environment or a runtime file."""
    env_url, env_token = os.environ.get(URL_ENV), os.environ.get(TOKEN_ENV)
    if env_token and (not env_url or _norm_url(env_url) == url):
        return env_token
    for _, info in server_files():
        if info.get("url") and _norm_url(info["url"]) == url:
            return info.get("token") or None
    return None


class Client(ModelsClient, TuningsClient, EndpointsClient, BatchClient):
    """A synchronous client of one jupyter-easymaker server.

    ``url`` is the Jupyter server's URL including its base URL
    (``http://localhost:8888/``); ``token`` its token. Both are found
    automatically when omitted (see the module docstring).
    """

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 30):
        self.timeout = timeout
        if url:
            self.url = _norm_url(url)
            self.token = token if token is not None else _token_for(self.url)
        elif os.environ.get(URL_ENV):
            self.url = _norm_url(os.environ[URL_ENV])
            self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        else:
            found_url, found_token = discover()
            self.url, self.token = found_url, token if token is not None else found_token
        self.api_url = self.url + API_PREFIX

    def __repr__(self) -> str:
        return f"Client(url={self.url!r})"

    # -- transport --------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None, *, stream: bool = False, timeout: float | None = None) -> Any:
        """One API call; ``path`` is relative to ``easymaker/api/v1/``."""
        url = self.api_url + path
        query = _params(**(params or {}))
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return _http_json(url, self.token, method, body, timeout=timeout or self.timeout, stream=stream)

    def _get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def _page(self, path: str, **params: Any) -> Page:
        data = self._get(path, **params)
        return Page(data.get("items", []), data.get("total"), data.get("offset", 0), data.get("limit"))

    def _sse(self, path: str, params: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
        """``(event, id, data)`` of a server-sent event stream."""
        # keep-alives come every 15 s: a longer read timeout never trips on a quiet job
        response = self.request("GET", path, params=params, stream=True, timeout=max(self.timeout, 60))
        with response:
            event, event_id, data = "message", "", []
            for raw in response:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line:
                    if data:
                        text = "\n".join(data)
                        try:
                            payload: Any = json.loads(text)
                        except ValueError:
                            payload = text
                        yield event, event_id, payload
                    event, event_id, data = "message", "", []
                    continue
                if line.startswith(":"):
                    continue
                key, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if key == "event":
                    event = value
                elif key == "data":
                    data.append(value)
                elif key == "id":
                    event_id = value

    # -- server -----------------------------------------------------------------
    def info(self) -> dict:
        """Server version and capabilities."""
        return self._get("")

    def openapi(self) -> dict:
        return self._get("openapi.json")

    def algorithms(self) -> list[dict]:
        """Built-in algorithms with their hyperparameters and metrics."""
        return self._get("algorithms")["items"]

    def instance_types(self) -> list[dict]:
        """Instance types jobs can ask for (the default is ``info()['capabilities']['default_instance_type']``)."""
        return self._get("instance-types")["items"]

    def search_logs(self, query: str | None = None, after: int = 0, limit: int | None = None) -> list[dict]:
        """Log records of every job, e.g. ``search_logs('category:"easymaker.training" logLevel:ERROR')``."""
        return self._get("logs", query=query, after=after or None, limit=limit)["records"]

    def events(self) -> Iterator[dict]:
        """Resource changes as they happen (an endless generator)."""
        for _event, _id, payload in self._sse("events", {}):
            yield payload

    # -- experiments ------------------------------------------------------------
    def list_experiments(self, *, status: str | list[str] | None = None, name: str | None = None, sort: str | None = None, offset: int = 0, limit: int = 50) -> Page:
        return self._page("experiments", status=status, name=name, sort=sort, offset=offset, limit=limit)

    def create_experiment(self, name: str, description: str = "") -> dict:
        return self.request("POST", "experiments", {"name": name, "description": description})

    def get_experiment(self, ref: Any) -> dict:
        return self._get(f"experiments/{_ref(ref)}")

    def update_experiment(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        return self.request("PATCH", f"experiments/{_ref(ref)}", _params_body(name=name, description=description))

    def delete_experiment(self, ref: Any) -> None:
        self.request("DELETE", f"experiments/{_ref(ref)}")

    def copy_experiment(self, ref: Any, *, create: bool = True, **overrides: Any) -> dict:
        """Create a copy (``create=False``: only the pre-filled create body)."""
        body = {**self._get(f"experiments/{_ref(ref)}/copy"), **overrides}
        return self.request("POST", "experiments", body) if create else body

    def retry_experiment(self, ref: Any) -> dict:
        return self.request("POST", f"experiments/{_ref(ref)}/retry")

    # -- trainings --------------------------------------------------------------
    def list_trainings(
        self,
        status: str | list[str] | None = None,
        experiment: str | None = None,
        name: str | None = None,
        sort: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """A page of trainings, newest first unless ``sort`` says otherwise
        (``name``, ``status``, ``created_at``, ``updated_at``; ``-`` prefix: descending)."""
        return self._page("trainings", status=status, experiment_id=experiment, name=name, sort=sort, offset=offset, limit=limit)

    def iter_trainings(self, status: str | list[str] | None = None, experiment: str | None = None, name: str | None = None, sort: str | None = None, page_size: int = 200) -> Iterator[dict]:
        """Every matching training, fetched a page at a time."""
        offset = 0
        while True:
            page = self.list_trainings(status=status, experiment=experiment, name=name, sort=sort, offset=offset, limit=page_size)
            yield from page
            offset += len(page)
            if not page or offset >= page.total:
                return

    def create_training(self, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Submit a training. Fields are those of the API's ``TrainingCreate``;
        ``experiment=`` takes an experiment id, or a name (created when missing)."""
        return self.request("POST", "trainings", _experiment_fields({**(body or {}), **fields}))

    def get_training(self, ref: Any) -> dict:
        return self._get(f"trainings/{_ref(ref)}")

    def update_training(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        return self.request("PATCH", f"trainings/{_ref(ref)}", _params_body(name=name, description=description))

    def stop_training(self, ref: Any) -> dict:
        return self.request("POST", f"trainings/{_ref(ref)}/stop")

    def delete_training(self, ref: Any) -> None:
        self.request("DELETE", f"trainings/{_ref(ref)}")

    def copy_training(self, ref: Any, *, create: bool = True, **overrides: Any) -> dict:
        """Submit a copy of a training with ``overrides`` (top-level fields replace
        the copy's; ``create=False`` only answers the pre-filled body)."""
        body = _experiment_fields({**self._get(f"trainings/{_ref(ref)}/copy"), **overrides})
        return self.create_training(body) if create else body

    def training_logs(self, ref: Any, after: int = 0, limit: int | None = None, query: str | None = None) -> dict:
        """``{records: [{id, body, logLevel, time, ...}], next_after, status}``; pass
        ``next_after`` back as ``after`` to continue."""
        return self._get(f"trainings/{_ref(ref)}/logs", after=after or None, limit=limit, query=query)

    def follow_logs(self, ref: Any, after: int = 0, query: str | None = None, retries: int = 3) -> Iterator[dict]:
        """Log records as they are written, until the training has ended.

        The generator's return value (``StopIteration.value``) is the final status.
        A dropped stream is resumed after the last record received.
        """
        failures = 0
        while True:
            try:
                for event, _id, payload in self._sse(f"trainings/{_ref(ref)}/logs", {"follow": True, "after": after or None, "query": query}):
                    if event == "log" and isinstance(payload, dict):
                        after = max(after, int(payload.get("id") or 0))
                        failures = 0
                        yield payload
                    elif event == "end":
                        return payload.get("status") if isinstance(payload, dict) else None
            except (ServerNotFound, OSError):
                pass  # dropped connection: resume below
            failures += 1
            if failures > retries:
                raise ServerNotFound(f"the log stream of {ref!r} kept breaking off")
            time.sleep(min(0.5 * failures, 2.0))

    def metrics(self, ref: Any) -> dict:
        """``{training_id, metrics: [{name, steps, values, last}], usage: [...]}``."""
        return self._get(f"trainings/{_ref(ref)}/metrics")

    def open_tensorboard(self, training: Any = None, experiment: Any = None, tuning: Any = None) -> dict:
        """Start (or reuse) the server's TensorBoard of a training, of an
        experiment (all its trainings) or of a hyperparameter tuning (every
        trial a run). ``url`` is its path on the server; ``link`` the same as
        a full URL."""
        given = [(k, v) for k, v in (("training_id", training), ("experiment_id", experiment),
                                     ("hyperparameter_tuning_id", tuning)) if v is not None]
        if len(given) != 1:
            raise ValueError("give one of training, experiment or tuning")
        key, ref = given[0]
        if isinstance(ref, dict):
            ref = ref.get("id") or ref.get("name")
        board = self.request("POST", "tensorboards", {key: str(ref)})
        board["link"] = urllib.parse.urljoin(self.url, board["url"])
        return board

    def wait(self, ref: Any, timeout: float | None = None, poll: float = 0.5) -> dict:
        """Block until the training reaches a final status; answer it.
        Raises ``TimeoutError`` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            training = self.get_training(ref)
            if training["status"] in FINAL_TRAINING_STATUSES:
                return training
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"training {training['name']!r} is still {training['status']} after {timeout:g} s")
            time.sleep(poll)

    def save_as_template(self, training_ref: Any, name: str, description: str = "") -> dict:
        """Save a training's fields (not its identity) as a new template."""
        return self.request("POST", f"trainings/{_ref(training_ref)}/template", {"name": name, "description": description})

    # -- training templates -------------------------------------------------------
    def list_templates(self, *, status: str | list[str] | None = None, name: str | None = None, sort: str | None = None, offset: int = 0, limit: int = 50) -> Page:
        return self._page("training-templates", status=status, name=name, sort=sort, offset=offset, limit=limit)

    def create_template(self, name: str, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        return self.request("POST", "training-templates", {**(body or {}), **fields, "name": name})

    def get_template(self, ref: Any) -> dict:
        return self._get(f"training-templates/{_ref(ref)}")

    def update_template(self, ref: Any, **fields: Any) -> dict:
        """Change any template field; the merged template is validated whole."""
        return self.request("PATCH", f"training-templates/{_ref(ref)}", fields)

    def delete_template(self, ref: Any) -> None:
        self.request("DELETE", f"training-templates/{_ref(ref)}")

    def copy_template(self, ref: Any, *, create: bool = True, **overrides: Any) -> dict:
        body = {**self._get(f"training-templates/{_ref(ref)}/copy"), **overrides}
        return self.request("POST", "training-templates", body) if create else body

    def create_training_from_template(self, template: Any, **overrides: Any) -> dict:
        """Submit a training with a template's fields; ``overrides`` win. Without
        ``name`` the template's name plus a time stamp is used."""
        body = _experiment_fields(dict(overrides))
        if not body.get("name"):
            tpl = self.get_template(template)
            body["name"] = _timestamped(tpl["name"])
            template = tpl["id"]
        body["template_id"] = template["id"] if isinstance(template, dict) else str(template)
        return self.request("POST", "trainings", body)
