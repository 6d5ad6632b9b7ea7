"""The connection handoff between the inference gateway and local model
servers: the wire both sides speak.

A kept-alive client connection that the gateway has authenticated and routed
is passed, as a file descriptor (``SCM_RIGHTS``), to the model server it was
routed to, which then answers that connection's requests itself, as long as
each names the same stage URL with the same API key. Anything else (another
URL or key, a preflight, a chunked body...) goes back to the gateway with the
bytes read of it, and the gateway decides again. Statistics and inference
log records of what a model server answered travel back as reports.

Each model server connects to the gateway's handoff socket (a Unix
``SOCK_SEQPACKET`` socket in the gateway's private folder) and keeps that
link; a message is a 4-byte header length, a JSON header, and raw bytes,
with at most one descriptor. Raw bytes longer than one message are sent in
``more`` messages that follow at once. Both ends are non-blocking and read
every message as it arrives; what a peer cannot take yet waits in an Outbox.

Header ops, gateway -> model server:
    ``take``    a connection (the descriptor) and its ``grant``
    ``recall``  send every held connection back (routes, keys or draining changed)
model server -> gateway:
    ``hello``   ``port`` (which upstream address this link serves), ``pid``
    ``back``    a connection (the descriptor), ``grant`` id, ``size`` of the raw bytes read of it
    ``more``    the next part of a ``back``'s raw bytes
    ``report``  ``requests`` per grant, inference ``logs``, ``closed`` connections
"""
from __future__ import annotations

import array
import asyncio
import contextlib
import json
import os
import random
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

HEADER = struct.Struct("!I")
MAX_PART = 48 * 1024  # raw bytes per message (a SEQPACKET message must fit the socket's send buffer)
MAX_MESSAGE = HEADER.size + 64 * 1024 + MAX_PART
SOCKET_NAME = "handoff.sock"
# Unix socket paths are limited to 108 bytes; a longer one is reached through its folder's descriptor
MAX_PATH = 100
MAX_WAITING = 64 << 20  # bytes a link may queue for a peer that is slow to read; then the link is given up


# what the gateway does to every inference request and answer, on whichever side answers it
SECRET_HEADER = b"x-easymaker-gateway-secret"
# request headers never forwarded (hop-by-hop, RFC 9110, and the gateway's own)
DROP_REQUEST = frozenset({b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
                          b"transfer-encoding", b"upgrade", b"content-length", b"host", b"authorization", b"x-api-key",
                          b"api-key", b"cookie", b"x-inference-id", b"expect", b"x-forwarded-for", b"x-forwarded-proto",
                          b"x-forwarded-host", SECRET_HEADER})
DROP_RESPONSE = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"te", b"trailer",
                           b"upgrade", b"proxy-authenticate"})
CORS = (b"Access-Control-Allow-Origin: *\r\n"
        b"Access-Control-Expose-Headers: X-Inference-Id, X-Easymaker-Stage\r\n")


def kept_response_headers(headers: list[tuple[bytes, bytes]]) -> list[bytes]:
    """A model server's answer headers as the client gets them (hop-by-hop and CORS ones are the gateway's)."""
    out = []
    for name, value in headers:
        lower = name.lower()
        if lower not in DROP_RESPONSE and not lower.startswith(b"access-control-"):
            out.append(name + b": " + value + b"\r\n")
    return out


def new_inference_id() -> bytes:
    """A UUID of version 7 (RFC 9562): the Unix time in milliseconds, then 74 random bits. Unique,
    not secret, and in time order, so that the log search's index of inference ids grows at its end
    instead of rewriting pages all over it (core/log_index.py). Made without a UUID object (this is
    per request)."""
    h = "%032x" % ((time.time_ns() // 1_000_000) << 80 | random.getrandbits(80) & UUID7_CLEAR | UUID7_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}".encode()


UUID7_CLEAR = ~((0xF << 76) | (0x3 << 62))  # the version nibble and the variant bits
UUID7_SET = (0x7 << 76) | (0x2 << 62)


def api_key(name: bytes, value: bytes, key: str | None) -> str | None:
    """The API key a request header gives (``Authorization: Bearer``, then ``x-api-key``/``api-key``),
    given the one found so far; ``name`` is lower case."""
    if name == b"authorization":
        scheme, _, token = value.partition(b" ")
        if scheme.lower() == b"bearer" and token.strip():
            return token.strip().decode("latin-1")
    elif (name == b"x-api-key" or name == b"api-key") and not key:
        return value.decode("latin-1")
    return key


def encode(header: dict[str, Any], raw: bytes = b"") -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return HEADER.pack(len(head)) + head + raw


def decode(message: bytes) -> tuple[dict[str, Any], bytes]:
    (size,) = HEADER.unpack_from(message)
    end = HEADER.size + size
    return json.loads(message[HEADER.size:end]), message[end:]


def frames(header: dict[str, Any], raw: bytes = b"") -> list[bytes]:
    """One message and its ``more`` messages."""
    first, rest = raw[:MAX_PART], raw[MAX_PART:]
    out = [encode(dict(header, size=len(raw)) if rest else header, first)]
    out += [encode({"op": "more"}, rest[i:i + MAX_PART]) for i in range(0, len(rest), MAX_PART)]
    return out


class Outbox:
    """A link's sending side. Links are non-blocking (the event loop watches
    them), and a peer's socket queues only a few messages (``max_dgram_qlen``):
    what it cannot take yet waits here, in order, and goes out when the link is
    writable. A descriptor that waits is a duplicate, so the caller may close
    its own at once."""

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop, on_error: Callable[[OSError], None]):
        self.sock = sock
        self.loop = loop
        self.on_error = on_error
        self.waiting: deque[tuple[bytes, int | None]] = deque()
        self.waiting_bytes = 0

    def send(self, header: dict[str, Any], raw: bytes = b"", fd: int | None = None) -> None:
        """Raises OSError when the link is broken or its peer has stopped reading."""
        out = frames(header, raw)
        for i, data in enumerate(out):
            with_fd = fd if i == 0 else None
            if not self.waiting:
                try:
                    self._send_one(data, with_fd)
                    continue
                except BlockingIOError:
                    self.loop.add_writer(self.sock.fileno(), self._writable)
            if self.waiting_bytes + len(data) > MAX_WAITING:
                raise BlockingIOError("the peer of a handoff link stopped reading")
            self.waiting.append((data, os.dup(with_fd) if with_fd is not None else None))
            self.waiting_bytes += len(data)

    def _send_one(self, data: bytes, fd: int | None) -> None:
        if fd is None:
            self.sock.send(data)
        else:
            self.sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])

    def _writable(self) -> None:
        while self.waiting:
            data, fd = self.waiting[0]
            try:
                self._send_one(data, fd)
            except BlockingIOError:
                return
            except OSError as exc:
                self.close()
                self.on_error(exc)
                return
            self.waiting.popleft()
            self.waiting_bytes -= len(data)
            if fd is not None:
                os.close(fd)
        self.loop.remove_writer(self.sock.fileno())

    def close(self) -> None:
        """Forget what waits (its descriptors are closed: those connections end)."""
        if self.waiting:
            try:
                self.loop.remove_writer(self.sock.fileno())
            except (ValueError, OSError):
                pass
        for _data, fd in self.waiting:
            if fd is not None:
                os.close(fd)
        self.waiting.clear()
        self.waiting_bytes = 0


def receive(sock: socket.socket) -> tuple[dict[str, Any], bytes, int | None] | None:
    """The next message, raising BlockingIOError when none is waiting; None when the peer left."""
    data, fds, flags, _addr = socket.recv_fds(sock, MAX_MESSAGE, 4, socket.MSG_DONTWAIT)
    if not data:
        for fd in fds:
            os.close(fd)
        return None
    for fd in fds[1:]:  # never more than one is sent: a stray one is not kept open
        os.close(fd)
    if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
        for fd in fds[:1]:
            os.close(fd)
        raise ValueError("a handoff message was cut short")
    header, raw = decode(data)
    return header, raw, (fds[0] if fds else None)


def receive_all(sock: socket.socket, inbox: Inbox) -> tuple[list[tuple[dict[str, Any], bytes, int | None]], bool]:
    """Every whole message waiting, and whether the link is still open (False: the peer left).
    Raises OSError or ValueError when the link is broken."""
    out = []
    while True:
        try:
            message = receive(sock)
        except BlockingIOError:
            return out, True
        if message is None:
            return out, False
        whole = inbox.add(*message)
        if whole is not None:
            out.append(whole)


def accept(listener: socket.socket) -> socket.socket:
    sock, _ = listener.accept()
    sock.setblocking(False)
    return sock


class Inbox:
    """Whole messages from what ``receive`` gives: a message whose ``size`` is more
    than its raw bytes is completed by the ``more`` messages that follow it."""

    def __init__(self) -> None:
        self._open: tuple[dict[str, Any], list[bytes], int | None] | None = None
        self._have = 0

    def add(self, header: dict[str, Any], raw: bytes, fd: int | None) -> tuple[dict[str, Any], bytes, int | None] | None:
        if self._open is not None:
            if header.get("op") != "more":
                raise ValueError("a handoff message was not completed")
            first, parts, first_fd = self._open
            parts.append(raw)
            self._have += len(raw)
            if self._have < first["size"]:
                return None
            self._open = None
            return first, b"".join(parts), first_fd
        size = header.get("size")
        if size is not None and size > len(raw):
            self._open, self._have = (header, [raw], fd), len(raw)
            return None
        return header, raw, fd

    def discard(self) -> None:
        if self._open is not None and self._open[2] is not None:
            os.close(self._open[2])
        self._open = None


def peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


@contextlib.contextmanager
def _reachable(path: str) -> Iterator[str]:
    """The path to bind or connect to (through the folder's descriptor when the path is too long)."""
    if len(path.encode()) <= MAX_PATH:
        yield path
        return
    folder = os.open(os.path.dirname(path) or ".", os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{os.path.basename(path)}"
    finally:
        os.close(folder)


def listen(path: str) -> socket.socket:
    """The gateway's handoff socket (a stale one from an earlier process is replaced)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        with _reachable(path) as where:
            try:
                os.unlink(where)
            except FileNotFoundError:
                pass
            old = os.umask(0o177)  # the owner only: connections carry clients' API keys
            try:
                sock.bind(where)
            finally:
                os.umask(old)
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    return sock


def connect(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        with _reachable(path) as where:
            sock.connect(where)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
