"""How the client reaches a server: the HTTP calls, server-sent events, the
errors they raise, and finding the server (the environment, the Jupyter
runtime dir's ``jpserver-*.json`` files). Standard library only, and nothing
of jupyter_server, so it works in any kernel.

:class:`Transport` is the base of :class:`jupyter_easymaker.client.Client`:
the connection (``url``, ``token``, ``timeout``) and the calls the areas'
client mixins make (``request``, ``_get``, ``_page``, ``_sse``, ``_wait``).
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

from jupyter_easymaker.client.common import Page, _params

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
        from jupyter_core.paths import (
            jupyter_runtime_dir,  # light; absent in some remote kernels
        )
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


class Transport:
    """The connection to one server (``Client(url, token, timeout)``) and the
    calls the areas' methods make."""

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

    def _wait(self, path: str, final: tuple[str, ...], what: str, timeout: float | None, poll: float) -> dict:
        """Read ``path`` every ``poll`` seconds until its status is in ``final``; answer it.
        Raises ``TimeoutError`` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            row = self._get(path)
            if row["status"] in final:
                return row
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"{what} {row['name']!r} is still {row['status']} after {timeout:g} s")
            time.sleep(poll)
