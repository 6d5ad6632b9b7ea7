"""The connection handoff's parts on their own: which requests a model server
answers on a handed connection (and why the others go back), and the wire
between the gateway and model servers (order, descriptors, big messages, a
peer that reads late)."""
from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid

import pytest

from jupyter_easymaker.catalogs import handoff as wire
from jupyter_easymaker.runtime.model_server.handed import Grant, HandedConnection, Request, parse_head
from jupyter_easymaker.runtime.model_server.handoff import GatewayLink

PREFIX = "/easymaker/inference/ep/stage-a/iris/"
GRANT = Grant({"id": "g1", "who": {}, "prefix": PREFIX, "key": "em_key", "stage": "stage-a"})


def head(text: str) -> tuple[bytes, int]:
    raw = text.replace("\n", "\r\n").encode() + b"\r\n\r\n"
    return raw, raw.index(b"\r\n\r\n")


def parse(text: str) -> Request | str:
    raw, end = head(text)
    return parse_head(raw, end, GRANT, b"127.0.0.1:9000", b"10.0.0.7")


def test_a_request_the_gateway_would_forward_unchanged_is_answered_with_its_headers():
    request = parse(f"POST {PREFIX}v2/models/iris/infer?x=1 HTTP/1.1\nHost: gw:80\nAuthorization: Bearer em_key\n"
                    "Content-Type: application/json\nX-Inference-Id: abc\nCookie: s=1\nX-Forwarded-Host: evil\n"
                    "Content-Length: 12")
    assert isinstance(request, Request)
    assert (request.method, request.path, request.query, request.length) == (b"POST", "/v2/models/iris/infer", b"x=1", 12)
    headers = dict(request.headers)
    # as the gateway forwards it: credentials and cookies dropped, forwarding headers its own
    assert "authorization" not in str(headers) and b"cookie" not in headers
    assert headers[b"content-type"] == b"application/json" and headers[b"x-inference-id"] == b"abc"
    assert headers[b"x-forwarded-for"] == b"10.0.0.7" and headers[b"x-forwarded-host"] == b"gw:80"
    assert headers[b"host"] == b"127.0.0.1:9000" and headers[b"content-length"] == b"12"
    assert parse(f"GET {PREFIX}v2/models/iris HTTP/1.1\nx-api-key: em_key").path == "/v2/models/iris"


def test_an_inference_id_is_made_when_the_client_sends_none():
    request = parse(f"GET {PREFIX}v2/models/iris HTTP/1.1\nx-api-key: em_key")
    made = uuid.UUID(request.inference_id.decode())
    assert made.version == 7 and made.variant == uuid.RFC_4122
    # in time order (the log search's index of them grows at its end): the first 48 bits are the Unix time in ms
    assert abs((made.int >> 80) - time.time() * 1000) < 5000
    later = parse(f"GET {PREFIX}v2/models/iris HTTP/1.1\nx-api-key: em_key").inference_id
    time.sleep(0.002)
    assert later < parse(f"GET {PREFIX}v2/models/iris HTTP/1.1\nx-api-key: em_key").inference_id


def test_a_head_sent_again_gives_the_same_request_with_an_inference_id_of_its_own():
    made = parse(f"POST {PREFIX}v2/models/iris/infer HTTP/1.1\nx-api-key: em_key\nContent-Length: 2")
    again = made.again()
    assert again.inference_id != made.inference_id and uuid.UUID(again.inference_id.decode()).version == 7
    assert dict(again.headers)[b"x-inference-id"] == again.inference_id
    assert [h for h in again.headers if h[0] != b"x-inference-id"] == [h for h in made.headers if h[0] != b"x-inference-id"]
    assert (again.method, again.path, again.length, again.head_end) == (made.method, made.path, made.length, made.head_end)
    assert again.again().inference_id != again.inference_id
    # the client's own id is the client's, on every request
    sent = parse(f"POST {PREFIX}v2/models/iris/infer HTTP/1.1\nx-api-key: em_key\nX-Inference-Id: mine")
    assert sent.again().inference_id == b"mine" and sent.again().headers == sent.headers
    assert sent.again().headers is not sent.headers  # the app may change its own list


async def test_the_app_gets_a_header_list_of_its_own_on_every_request():
    seen: list[list] = []

    async def app(scope, receive, send):
        await receive()
        seen.append(list(scope["headers"]))
        scope["headers"].append((b"x-added-by-the-app", b"1"))  # as a middleware may change its own list
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"{}"})

    loop = asyncio.get_running_loop()
    conn = HandedConnection(GatewayLink(app, os.devnull, 0), app, GRANT)  # a link never made: it only counts
    server, client = socket.socketpair()
    server.setblocking(False)
    client.setblocking(False)
    await loop.connect_accepted_socket(lambda: conn, server)
    request = f"POST {PREFIX}v1/x HTTP/1.1\r\nx-api-key: em_key\r\nContent-Length: 0\r\n\r\n".encode()
    try:
        for _ in range(3):  # the same head each time: parsed once, then given again (Request.again)
            await loop.sock_sendall(client, request)
            answer = b""
            while not answer.endswith(b"{}"):
                answer += await asyncio.wait_for(loop.sock_recv(client, 65536), 10)
            assert answer.startswith(b"HTTP/1.1 200 ")
    finally:
        client.close()
    assert len(seen) == 3 and not any(b"x-added-by-the-app" in dict(headers) for headers in seen)
    assert len({dict(headers)[b"x-inference-id"] for headers in seen}) == 3


@pytest.mark.parametrize("text, why", [
    (f"POST {PREFIX}v1/models/iris:predict HTTP/1.1\nAuthorization: Bearer other", "another API key"),
    (f"POST {PREFIX}v1/models/iris:predict HTTP/1.1", "another API key"),
    ("POST /easymaker/inference/ep/stage-b/iris/v1/x HTTP/1.1\nx-api-key: em_key", "another stage URL"),
    ("GET /easymaker/inference/ep/stage-a HTTP/1.1\nx-api-key: em_key", "another stage URL"),
    (f"OPTIONS {PREFIX}v1/x HTTP/1.1", "not an HTTP/1.1 GET or POST"),
    (f"HEAD {PREFIX}v1/x HTTP/1.1\nx-api-key: em_key", "not an HTTP/1.1 GET or POST"),
    (f"POST {PREFIX}v1/x HTTP/1.0\nx-api-key: em_key", "not an HTTP/1.1 GET or POST"),
    (f"POST {PREFIX}v1/m%2Fx HTTP/1.1\nx-api-key: em_key", "a path the gateway rewrites"),
    (f"POST {PREFIX}v1/x/ HTTP/1.1\nx-api-key: em_key", "a path the gateway rewrites"),
    (f"POST {PREFIX}v1//x HTTP/1.1\nx-api-key: em_key", "a path the gateway rewrites"),
    (f"POST {PREFIX} HTTP/1.1\nx-api-key: em_key", "a path the gateway rewrites"),
    (f"POST {PREFIX}v1/x HTTP/1.1\nx-api-key: em_key\nTransfer-Encoding: chunked", "a transfer-encoding header"),
    (f"POST {PREFIX}v1/x HTTP/1.1\nx-api-key: em_key\nExpect: 100-continue", "a expect header"),
    (f"GET {PREFIX}v1/x HTTP/1.1\nx-api-key: em_key\nUpgrade: websocket", "a upgrade header"),
    (f"POST {PREFIX}v1/x HTTP/1.1\nx-api-key: em_key\nConnection: close", "Connection: close"),
    (f"POST {PREFIX}v1/x HTTP/1.1\nx-api-key: em_key\nContent-Length: 1\nContent-Length: 2", "a Content-Length the gateway must judge"),
    (f"POST {PREFIX}v1/x HTTP/1.1\nx-api-key: em_key\nContent-Length: -1", "a Content-Length the gateway must judge"),
    (f"POST {PREFIX}v1/x HTTP/1.1\nx-api-key: em_key\n folded: value", "a malformed header"),
    (f"POST {PREFIX}v1/x HTTP/1.1\nx-api-key : em_key", "a malformed header"),
])
def test_any_other_request_goes_back_to_the_gateway_saying_why(text, why):
    assert parse(text) == why


def test_bare_line_ends_go_back_to_the_gateway():
    raw = f"POST {PREFIX}v1/x HTTP/1.1\r\nx-api-key: em_key\nContent-Length: 0\r\n\r\n".encode()
    assert parse_head(raw, raw.index(b"\r\n\r\n"), GRANT, b"", b"") == "bare line ends"


def test_api_keys_are_read_as_the_gateway_reads_them():
    assert wire.api_key(b"authorization", b"Bearer  k1 ", None) == "k1"
    assert wire.api_key(b"authorization", b"Basic abc", "k0") == "k0"
    assert wire.api_key(b"x-api-key", b"k2", None) == "k2"
    assert wire.api_key(b"x-api-key", b"k2", "k1") == "k1"  # a bearer token wins
    assert wire.api_key(b"authorization", b"Bearer k1", "k2") == "k1"


def pair() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    a.setblocking(False)
    b.setblocking(False)
    return a, b


async def test_a_peer_that_reads_late_gets_every_message_in_order_with_its_descriptor():
    loop = asyncio.get_running_loop()
    a, b = pair()
    errors: list = []
    outbox = wire.Outbox(a, loop, errors.append)
    r, w = os.pipe()
    big = os.urandom(300_000)  # several messages' worth
    try:
        for i in range(100):  # far more than a Unix socket queues for a peer that does not read
            outbox.send({"op": "n", "i": i})
        outbox.send({"op": "fd"}, big, fd=w)
        os.close(w)  # the sender's copy: the one waiting in the outbox is a duplicate
        w = -1
        assert outbox.waiting, "the peer's queue should have filled up"
        received, inbox = [], wire.Inbox()
        for _ in range(200):
            messages, still_open = wire.receive_all(b, inbox)
            assert still_open
            received += messages
            if len(received) == 101:
                break
            await asyncio.sleep(0.01)  # the outbox sends the rest as the link becomes writable
        assert [h["i"] for h, _, _ in received[:100]] == list(range(100))
        header, raw, fd = received[100]
        assert header["op"] == "fd" and raw == big and fd is not None
        os.write(fd, b"through the passed descriptor")
        os.close(fd)
        assert os.read(r, 100) == b"through the passed descriptor"
        assert not outbox.waiting and not errors
    finally:
        outbox.close()
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)
        a.close()
        b.close()


async def test_a_peer_that_left_reads_as_the_end_and_sending_to_it_fails():
    a, b = pair()
    outbox = wire.Outbox(a, asyncio.get_running_loop(), lambda exc: None)
    outbox.send({"op": "hello"})
    b_messages = wire.receive_all(b, wire.Inbox())
    assert [h for h, _, _ in b_messages[0]] == [{"op": "hello"}] and b_messages[1]
    b.close()
    with pytest.raises(OSError) as failed:
        outbox.send({"op": "recall"})
    assert not isinstance(failed.value, BlockingIOError)  # broken, not merely full: the link is given up
    outbox.close()
    a.close()
    c, d = pair()
    c.close()
    assert wire.receive_all(d, wire.Inbox()) == ([], False)
    d.close()


def test_a_message_cut_in_the_middle_is_refused():
    inbox = wire.Inbox()
    assert inbox.add({"op": "back", "size": 10}, b"12345", None) is None
    with pytest.raises(ValueError):
        inbox.add({"op": "report"}, b"", None)


def test_a_long_socket_path_is_reached_through_its_folder(tmp_path):
    folder = tmp_path / ("x" * 60) / ("y" * 60)
    folder.mkdir(parents=True)
    path = str(folder / "handoff.sock")
    assert len(path) > 108
    listener = wire.listen(path)
    try:
        assert os.stat(path).st_mode & 0o777 == 0o600  # the owner's only
        client = wire.connect(path)
        server = wire.accept(listener)
        assert wire.peer_uid(server) == os.getuid()
        client.send(wire.encode({"op": "hello"}))
        server.setblocking(True)
        assert wire.decode(server.recv(1024))[0] == {"op": "hello"}
        client.close()
        server.close()
    finally:
        listener.close()
