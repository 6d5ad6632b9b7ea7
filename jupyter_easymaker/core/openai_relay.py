"""Relaying an OpenAI-compatible request to an upstream server (a loaded
model's server) and writing its answer back as it arrives: the status, the
content type, and each chunk (flushed at once when the answer is streamed as
server-sent events). Errors are written in OpenAI's shape
``{"error": {"message", "type", "param", "code"}}`` so that the official
``openai`` client raises the matching exception. Used by the LLM studio's and
the model files' OpenAI routes."""
from __future__ import annotations

import json
from typing import Any

from tornado import httpclient, web

CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_TIMEOUT_SECONDS = 600.0  # generation can be slow
RELAYED_HEADERS = ("content-type", "cache-control")

ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
    404: "invalid_request_error", 409: "invalid_request_error", 413: "invalid_request_error",
    422: "invalid_request_error", 429: "rate_limit_error",
}


def error_body(status: int, message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    kind = ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def openai_error(handler: web.RequestHandler, status: int, message: str, param: str | None = None,
                 code: str | None = None) -> None:
    """Finish ``handler`` with an error in OpenAI's shape."""
    if handler._finished:
        return
    handler.clear_header("Content-Type")
    handler.set_status(status)
    handler.set_header("Content-Type", "application/json")
    handler.finish(json.dumps(error_body(status, message, param, code)))


async def relay(handler: web.RequestHandler, url: str, body: Any, *,
                timeout: float = DEFAULT_TIMEOUT_SECONDS) -> int:
    """POST ``body`` (a JSON-able object, or bytes already encoded) to ``url``
    and write the upstream's answer back through ``handler`` chunk by chunk.
    Returns the upstream's status (502 when it could not be reached; then the
    error is written in OpenAI's shape). A GET is made when ``body`` is None."""
    started = False
    status = 502
    stream = False

    def on_header(line: str) -> None:
        nonlocal started, status, stream
        if line.startswith("HTTP/"):
            parts = line.split(" ", 2)
            try:
                status = int(parts[1])
            except (IndexError, ValueError):
                return
            if status == 100:  # an interim answer
                return
            handler.set_status(status)
            started = True
        elif ":" in line and started:
            name, _, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if name.lower() in RELAYED_HEADERS:
                handler.set_header(name, value)
                if name.lower() == "content-type" and value.startswith("text/event-stream"):
                    stream = True

    def on_chunk(chunk: bytes) -> None:
        handler.write(chunk)
        if stream:
            handler.flush()

    if body is None:
        payload, method = None, "GET"
    else:
        payload = body if isinstance(body, bytes | bytearray) else json.dumps(body).encode()
        method = "POST"
    request = httpclient.HTTPRequest(
        url, method=method, body=payload, headers={"Content-Type": "application/json"},
        header_callback=on_header, streaming_callback=on_chunk,
        connect_timeout=CONNECT_TIMEOUT_SECONDS, request_timeout=timeout,
    )
    try:
        await httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
    except (OSError, httpclient.HTTPClientError) as exc:
        if not started:
            openai_error(handler, 502, f"the model's server did not answer: {exc}", None, "upstream_unavailable")
            return 502
    if not handler._finished:
        handler.finish()
    return status
