"""Kept-alive connections handed from the gateway process to the local model
server that answers them (areas/endpoints/gateway_handoff.py, runtime/
model_server/handoff.py): a real Jupyter server, gateway process and model
server. What the gateway does to a request must not change with who answers
it: headers, API keys, statistics, inference logs, key revocation, a default
stage change, draining, pipelining, bodies the gateway must parse itself."""
from __future__ import annotations

import asyncio
import email.parser
import json
import os
import signal
import socket
import uuid

import pytest

from tests.server_config import server_config
from tests.test_api_endpoints import wait_for
from tests.test_gateway_process import IRIS, PREDICT, deploy


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path):
    return server_config(easymaker_data, tmp_path, serving={"stats_flush_seconds": 0.2, "start_timeout_seconds": 60.0})


BODY = json.dumps(IRIS).encode()


def request_bytes(path: str, key: str, inference_id: str, body: bytes = BODY, extra: str = "") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer {key}\r\n"
            f"X-Inference-Id: {inference_id}\r\n{extra}Content-Length: {len(body)}\r\n\r\n").encode() + body


class Connection:
    """One kept-alive client connection: requests sent as raw bytes, answers read one by one."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self) -> tuple[int, dict[str, str], dict]:
        """The next answer (answers of pipelined requests are read off one buffered reader)."""
        status = int(self.file.readline().split(b" ")[1])
        headers = dict(email.parser.BytesHeaderParser().parsebytes(b"".join(iter(self.file.readline, b"\r\n"))))
        headers = {k.lower(): v for k, v in headers.items()}
        return status, headers, json.loads(self.file.read(int(headers["content-length"])) or b"null")

    def ask(self, data: bytes) -> tuple[int, dict[str, str], dict]:
        self.send(data)
        return self.answer()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


async def control(service, op: str, body: dict | None = None) -> dict:
    return await asyncio.to_thread(service.gateway._call, op, body)


async def handoff_state(service) -> dict:
    return (await control(service, "ping"))["handoff"]


async def deployed(api, tmp_path, jp_serverapp, name: str) -> tuple[str, object, int, str]:
    """An endpoint serving iris, once its model server has linked to the gateway: its key, the
    endpoints service, the gateway's port and the predict path."""
    key, _endpoint = await deploy(api, tmp_path, name=name)
    service = jp_serverapp.web_app.settings["easymaker"].service("endpoints")
    await wait_for(lambda: _linked(service), 30, "the model server linked to the gateway")
    return key, service, service.gateway.process.port, f"/easymaker/inference/{name}/{PREDICT}"


async def test_a_kept_alive_connection_is_answered_by_its_model_server_as_the_gateway_would(api, tmp_path, jp_serverapp):
    key, service, port, path = await deployed(api, tmp_path, jp_serverapp, "ho")

    conn = await asyncio.to_thread(Connection, port)
    try:
        answers = [await asyncio.to_thread(conn.ask, request_bytes(path, key, f"ho-{i}")) for i in range(6)]
        state = await handoff_state(service)
        # the first request went through the gateway, which then handed the connection over (once more
        # for each time routes were reloaded meanwhile: the gateway then asks its connections back)
        assert state["held"] == 1 and state["handed"] == 1 + state["returned"].get("recalled", 0), state
        for i, (status, headers, data) in enumerate(answers):
            assert (status, data) == (200, {"predictions": [1]})
            assert headers["x-inference-id"] == f"ho-{i}" and headers["x-easymaker-stage"] == "default"
            assert headers["access-control-allow-origin"] == "*" and "x-inference-id" in headers["access-control-expose-headers"].lower()

        # the same head again and again (as most clients send): each answer has an inference id of its own
        plain = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 f"Authorization: Bearer {key}\r\nContent-Length: {len(BODY)}\r\n\r\n").encode() + BODY
        made = [await asyncio.to_thread(conn.ask, plain) for _ in range(3)]
        assert [(s, d) for s, _, d in made] == [(200, {"predictions": [1]})] * 3
        made_ids = [h["x-inference-id"] for _, h, _ in made]
        assert len(set(made_ids)) == 3 and all(uuid.UUID(i).version == 7 for i in made_ids), made_ids
        same = [await asyncio.to_thread(conn.ask, request_bytes(path, key, "ho-same")) for _ in range(2)]
        assert [h["x-inference-id"] for _, h, _ in same] == ["ho-same"] * 2

        # pipelined: three requests in one write, answered in order
        conn.send(b"".join(request_bytes(path, key, f"ho-pipe-{i}") for i in range(3)))
        piped = [await asyncio.to_thread(conn.answer) for _ in range(3)]
        assert [(s, h["x-inference-id"]) for s, h, _ in piped] == [(200, f"ho-pipe-{i}") for i in range(3)]

        # a chunked body is the gateway's to read: the connection goes back, the answer is the same
        chunked = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   f"Authorization: Bearer {key}\r\nX-Inference-Id: ho-chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                   f"{len(BODY):x}\r\n").encode() + BODY + b"\r\n0\r\n\r\n"
        status, headers, data = await asyncio.to_thread(conn.ask, chunked)
        assert (status, data, headers["x-inference-id"]) == (200, {"predictions": [1]}, "ho-chunked")
        state = await handoff_state(service)
        assert state["returned"]["a transfer-encoding header"] == 1 and state["held"] == 0, state
        # it stays with the gateway from then on (no handing to and fro), and still answers
        status, _, data = await asyncio.to_thread(conn.ask, request_bytes(path, key, "ho-after"))
        assert (status, data) == (200, {"predictions": [1]})
        assert (await handoff_state(service))["handed"] == state["handed"]
    finally:
        conn.close()

    # statistics and inference logs of what the model server answered are the stage's, at once
    stats = await api.get("endpoints/ho/stages/default/statistics")
    assert stats["totals"]["calls"] == 16 and stats["totals"]["failure"] == 0, stats["totals"]
    logs = (await api.get("endpoints/ho/stages/default/logs"))["records"]
    ids = {r["inferenceId"]: r for r in logs}
    expected = ({f"ho-{i}" for i in range(6)} | {f"ho-pipe-{i}" for i in range(3)} | {"ho-chunked", "ho-after", "ho-same"}
                | set(made_ids))
    assert expected <= set(ids), sorted(ids)
    handed = ids["ho-3"]
    assert handed["status"] == 200 and handed["modelName"] == "iris" and handed["action"] == "Endpoint.Model"
    assert handed["body"].startswith("POST /iris/v1/models/iris/predict 200 ")
    assert (await api.get("endpoints/ho/api-keys"))["items"][0]["last_used_at"] is not None


async def until_held(service, conn: Connection, request: bytes) -> None:
    """Requests on the connection until a model server holds it (a reload of the routes meanwhile
    has the gateway ask it back: the next request hands it over again)."""
    async def held():
        assert (await asyncio.to_thread(conn.ask, request))[0] == 200
        return (await handoff_state(service))["held"] >= 1

    await wait_for(held, 10, "the connection held by the model server")


async def _linked(service) -> bool:
    return bool((await handoff_state(service))["linked_ports"])


async def test_another_key_a_revoked_key_and_a_new_default_stage_are_decided_by_the_gateway(api, tmp_path, jp_serverapp):
    key, service, port, path = await deployed(api, tmp_path, jp_serverapp, "hk")

    conn = await asyncio.to_thread(Connection, port)
    try:
        await until_held(service, conn, request_bytes(path, key, "hk"))
        # another key on the same connection: the gateway answers it (401), the model server never does
        status, headers, data = await asyncio.to_thread(conn.ask, request_bytes(path, key + "x", "hk-bad"))
        assert status == 401 and "not a valid key" in data["error"] and headers["www-authenticate"].startswith("Bearer")
        assert (await handoff_state(service))["returned"]["another API key"] == 1
    finally:
        conn.close()

    # a key revoked while a connection is held: its next request is refused
    second = await api.post("endpoints/hk/api-keys", {"name": "second"}, expect=201)
    conn = await asyncio.to_thread(Connection, port)
    try:
        await until_held(service, conn, request_bytes(path, second["key"], "hk-second"))
        await api.call("DELETE", f"endpoints/hk/api-keys/{second['id']}", expect=200)
        status, _, data = await asyncio.to_thread(conn.ask, request_bytes(path, second["key"], "hk-revoked"))
        assert status == 401 and "revoked" in data["error"]
    finally:
        conn.close()

    # a new default stage: a connection held by the old default's server follows the switch
    await api.post("endpoints/hk/stages", {"name": "next", "resources": [{"model": "iris"}]}, expect=201)

    async def next_active():
        stages = (await api.get("endpoints/hk/stages"))["items"]
        return all(s["status"] == "ACTIVE" for s in stages) and len(stages) == 2

    await wait_for(next_active, 60, "stage next ACTIVE")
    conn = await asyncio.to_thread(Connection, port)
    try:
        for i in range(2):
            status, headers, _ = await asyncio.to_thread(conn.ask, request_bytes(path, key, f"hk-default-{i}"))
            assert (status, headers["x-easymaker-stage"]) == (200, "default")
        await until_held(service, conn, request_bytes(path, key, "hk-default"))
        await api.post("endpoints/hk/default-stage", {"stage": "next"})
        status, headers, _ = await asyncio.to_thread(conn.ask, request_bytes(path, key, "hk-next"))
        assert (status, headers["x-easymaker-stage"]) == (200, "next")
    finally:
        conn.close()


async def test_draining_counts_held_connections_and_takes_them_back(api, tmp_path, jp_serverapp):
    key, service, port, path = await deployed(api, tmp_path, jp_serverapp, "hd")
    address = (await api.get("endpoints/hd/stages/default/gateway"))["models"]["iris"][0]
    conn = await asyncio.to_thread(Connection, port)
    try:
        # a held connection is in flight for the server holding it: it must not stop under it
        await until_held(service, conn, request_bytes(path, key, "hd"))
        assert await asyncio.to_thread(service.gateway.in_flight, addresses=[address]) == 1
        recalled = (await handoff_state(service))["returned"].get("recalled", 0)
        await asyncio.to_thread(service.gateway.drain, [address])

        async def returned():
            return await asyncio.to_thread(service.gateway.in_flight, addresses=[address]) == 0

        await wait_for(returned, 10, "the held connection back at the gateway")
        assert (await handoff_state(service))["returned"]["recalled"] == recalled + 1
        # the connection itself lives on: the gateway answers it (no server left to route to)
        status, _, data = await asyncio.to_thread(conn.ask, request_bytes(path, key, "hd-drained"))
        assert status == 503 and "no server" in data["error"]
        await asyncio.to_thread(service.gateway.undrain, [address])
        await asyncio.to_thread(service.gateway.reload)
        assert (await asyncio.to_thread(conn.ask, request_bytes(path, key, "hd-back")))[0] == 200
    finally:
        conn.close()


async def test_a_held_connection_is_answered_while_the_gateway_is_down_and_counted_after(api, tmp_path, jp_serverapp):
    key, service, port, path = await deployed(api, tmp_path, jp_serverapp, "hg")
    process = service.gateway.process
    conn = await asyncio.to_thread(Connection, port)
    try:
        await until_held(service, conn, request_bytes(path, key, "hg"))
        pid = process.pid()
        os.kill(pid, signal.SIGKILL)
        # the model server holds the connection: its client does not notice the gateway is gone
        for i in range(3):
            status, headers, _ = await asyncio.to_thread(conn.ask, request_bytes(path, key, f"hg-down-{i}"))
            assert (status, headers["x-inference-id"]) == (200, f"hg-down-{i}")

        async def back():
            return process.pid() not in (None, pid) and process.alive() and await _linked(service)

        await wait_for(back, 30, "a new gateway, linked again")
        # the new gateway took the connection back (its routes and keys may differ) and hands it on again
        for i in range(2):
            assert (await asyncio.to_thread(conn.ask, request_bytes(path, key, f"hg-after-{i}")))[0] == 200
    finally:
        conn.close()
    # what was answered while no gateway listened was reported to the new one
    logs = {r["inferenceId"] for r in (await api.get("endpoints/hg/stages/default/logs"))["records"]}
    assert {f"hg-down-{i}" for i in range(3)} | {"hg-after-0", "hg-after-1"} <= logs, sorted(logs)


class TestHandoffOff:
    @pytest.fixture
    def jp_server_config(self, easymaker_data, tmp_path):
        return server_config(easymaker_data, tmp_path, serving={"gateway_handoff": False, "start_timeout_seconds": 60.0})

    async def test_every_request_comes_through_the_gateway(self, api, tmp_path, jp_serverapp):
        key, _endpoint = await deploy(api, tmp_path, name="hoff")
        service = jp_serverapp.web_app.settings["easymaker"].service("endpoints")
        assert "handoff" not in await control(service, "ping")  # no handoff socket at all
        conn = await asyncio.to_thread(Connection, service.gateway.process.port)
        try:
            for i in range(3):
                status, headers, _ = await asyncio.to_thread(
                    conn.ask, request_bytes(f"/easymaker/inference/hoff/{PREDICT}", key, f"hoff-{i}"))
                assert (status, headers["x-inference-id"]) == (200, f"hoff-{i}")
        finally:
            conn.close()
        # model servers are started without the gateway's socket
        assert service.serving_backends["local"].handoff_socket == ""
