"""Shared fixtures: a real Jupyter server with the extension, on a temp data dir."""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]

TERMINAL = {"COMPLETE", "FAIL TRAIN", "STOPPED", "CREATE FAILED"}


@pytest.fixture
def easymaker_data(tmp_path):
    path = tmp_path / "easymaker-data"
    path.mkdir()
    return path


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_easymaker": True}},
        "EasyMakerExtension": {
            "data_dir": str(easymaker_data),
            "local_roots": [str(tmp_path)],
            "controller_interval": 0.1,
            "stop_grace_seconds": 2.0,
            "local_cpu": 64.0,
            "local_memory_mib": 1 << 20,
            "nas_mounts": {"nas1": str(tmp_path / "nas1")},
        },
    }


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
