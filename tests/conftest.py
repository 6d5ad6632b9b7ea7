"""Shared fixtures: a real Jupyter server with the extension, on a temp data dir."""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from tests.server_config import server_config

pytest_plugins = ["pytest_jupyter.jupyter_server"]

TERMINAL = {"COMPLETE", "FAIL TRAIN", "STOPPED", "CREATE FAILED"}


@pytest.fixture(autouse=True, scope="session")
def compiled_model_cache(tmp_path_factory):
    """Model servers started by the tests cache compiled graphs in the session's temp
    folder (shared, so a graph compiled once is reused), not in the user's home."""
    import os

    folder = str(tmp_path_factory.mktemp("compiled-models"))
    before = os.environ.get("EM_MODEL_CACHE_DIR")
    os.environ["EM_MODEL_CACHE_DIR"] = folder
    yield folder
    if before is None:
        os.environ.pop("EM_MODEL_CACHE_DIR", None)
    else:
        os.environ["EM_MODEL_CACHE_DIR"] = before


@pytest.fixture
def easymaker_data(tmp_path):
    path = tmp_path / "easymaker-data"
    path.mkdir()
    return path


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path):
    return server_config(easymaker_data, tmp_path, local_cpu=64.0, local_memory_mib=1 << 20,
                         nas_mounts={"nas1": str(tmp_path / "nas1")})


class Api:
    """Small helper over jp_fetch for the EasyMaker routes."""

    def __init__(self, jp_fetch):
        self.jp_fetch = jp_fetch

    async def call(self, method: str, path: str, body: Any = None, *, expect: int | None = None, params: dict | None = None, raw: bool = False):
        from tornado.httpclient import HTTPClientError

        kwargs: dict[str, Any] = {"method": method}
        if body is not None:
            kwargs["body"] = json.dumps(body) if not isinstance(body, (str, bytes)) else body
        elif method in ("POST", "PATCH", "PUT"):
            kwargs["body"] = "{}"
        if params:
            kwargs["params"] = params
        parts = ["easymaker", "api", "v1", *[p for p in path.split("/") if p]]
        try:
            response = await self.jp_fetch(*parts, **kwargs)
            code, text = response.code, response.body.decode("utf-8", "replace")  # raw answers may be zips
        except HTTPClientError as exc:
            code, text = exc.code, exc.response.body.decode() if exc.response is not None else ""
        if expect is not None:
            assert code == expect, f"{method} {path}: expected {expect}, got {code}: {text}"
        if raw:
            return code, text
        return json.loads(text) if text else None

    async def get(self, path, **kw):
        return await self.call("GET", path, **kw)

    async def post(self, path, body=None, **kw):
        return await self.call("POST", path, body, **kw)

    async def wait_status(self, training: str, statuses: set[str] | str = TERMINAL, timeout: float = 60.0) -> dict:
        wanted = {statuses} if isinstance(statuses, str) else set(statuses)
        deadline = time.monotonic() + timeout
        while True:
            row = await self.get(f"trainings/{training}")
            if row["status"] in wanted:
                return row
            if time.monotonic() > deadline:
                raise AssertionError(f"training {training} stayed {row['status']} ({row['status_reason']})")
            await asyncio.sleep(0.1)


@pytest.fixture
def api(jp_fetch, jp_serverapp):
    return Api(jp_fetch)


@pytest.fixture
def write_script(tmp_path):
    """Write a training script into its own algorithm directory."""

    def write(body: str, name: str = "train.py", folder: str = "algo") -> str:
        source = tmp_path / folder
        source.mkdir(exist_ok=True)
        (source / name).write_text(body)
        return str(source)

    return write


@pytest.fixture(autouse=True)
def no_process_left_behind(tmp_path):
    """The inference gateway, model servers and local jobs outlive the Jupyter server by
    design (a restart finds them again): the ones a test's servers started, recorded
    under its tmp_path, end with the test, whether or not it deleted its endpoints or
    waited for its runs (a pipeline run whose server stopped waits for it to come back)."""
    yield
    import os

    from jupyter_easymaker.backend.jobs.local import HANDLE_FILE
    from jupyter_easymaker.backend.processes import running, stop_group

    def read(folder: str, name: str) -> dict:
        try:
            value = json.load(open(os.path.join(folder, name)))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def started(record: dict) -> tuple[int, float]:
        try:
            return int(record.get("pid") or 0), float(record.get("create_time") or 0)
        except (TypeError, ValueError):
            return 0, 0.0

    def records() -> list[tuple[int, float]]:
        # os.walk follows no symbolic link: a test's tree may hold links that loop
        found = []
        for folder, _dirs, files in os.walk(str(tmp_path)):
            if "process.json" in files and os.path.basename(folder) == "gateway":
                found.append(started(read(folder, "process.json")))
            if HANDLE_FILE in files:  # a local job's launcher (backend/jobs/local.py)
                handle = read(folder, HANDLE_FILE)
                if handle.get("backend") == "local":
                    found.append(started(handle))
            if "server.json" in files:  # a local serving backend's (model servers, RAG query servers)
                pods = read(folder, "server.json").get("pods") or []
                found += [started(p) for p in pods if isinstance(p, dict)]
        return found

    for pid, created in records():
        if pid and running(pid, created) is not None:
            stop_group(pid, lambda: running(pid, created) is not None, 5.0)
