"""The RAG's query server: a plain ASGI app answering questions with OpenAI
Chat Completions' shapes, the retrieved passages attached as ``sources``.

    python -m jupyter_easymaker.runtime.rag.query_server --config server.json --host H --port P

Routes: ``POST /rag/v1/query`` (the guide's path) and ``POST
/rag/v1/chat/completions`` / ``/v1/chat/completions`` (the ``openai``
client's), ``POST /v1/retrieve`` (passages only), ``GET /v2/health/live`` and
``/v2/health/ready``. The server follows the store's live generation (a
sync needs no restart) and re-reads its configuration file when it changes
(a new prompt template or top-k needs none either). Secrets come from the
environment: ``EM_RAG_STORE_URL`` (pgvector) and ``EM_RAG_LLM_API_KEY``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from jupyter_easymaker.runtime.rag.llm import ChatClient, LlmError
from jupyter_easymaker.runtime.rag.prompt import (
    BadRequest,
    build_messages,
    check_messages,
)
from jupyter_easymaker.runtime.rag.retrieval import MODES, NotIndexed, Retriever
from jupyter_easymaker.runtime.rag.stores.base import StoreError

log = logging.getLogger("jupyter_easymaker.rag")

JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]
QUERY_PATHS = ("/rag/v1/query", "/rag/v1/chat/completions", "/v1/chat/completions", "/chat/completions")
PASSED_OPTIONS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed", "presence_penalty",
                  "frequency_penalty")
MAX_BODY = 4 * 1024 * 1024


class HttpError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param = status, message, param

    def body(self) -> dict[str, Any]:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": None}}


class Config:
    """The server's settings file, re-read when it changes."""

    def __init__(self, path: str):
        self.path = path
        self.mtime = 0.0
        self.data: dict[str, Any] = {}
        self.refresh()

    def refresh(self) -> dict[str, Any]:
        mtime = os.stat(self.path).st_mtime
        if mtime != self.mtime:
            with open(self.path, encoding="utf-8") as fh:
                self.data = json.load(fh)
            self.mtime = mtime
        return self.data


def source_out(hit: Any) -> dict[str, Any]:
    return {"file": hit.file, "chunk": int(hit.chunk), "score": round(float(hit.score), 6), "text": hit.text}


class QueryApp:
    def __init__(self, config_path: str):
        from jupyter_easymaker.runtime.rag.stores import open_store

        self.config = Config(config_path)
        data = self.config.data
        store = dict(data["store"])
        if store.get("type") == "pgvector":
            store["url"] = os.environ.get("EM_RAG_STORE_URL", "")
        self.retriever = Retriever(open_store(store, data["store_root"]), data["embedding"]["model"])
        self.ready = threading.Event()
        self.load_error = ""
        self._llms: dict[tuple[str, str], ChatClient] = {}
        self._turn = 0
        threading.Thread(target=self._warm_up, name="rag-warm-up", daemon=True).start()

    def _warm_up(self) -> None:
        try:
            self.retriever.embedder.encode_query("warm up")
            self.retriever.store.searcher()
            self.ready.set()
        except Exception as exc:
            self.load_error = str(exc)
            log.exception("the RAG query server could not load its embedding model")

    def llm(self) -> ChatClient:
        """A client of the LLM; with several servers (the pods of an LLM the RAG serves), each in turn."""
        spec = self.config.data.get("llm") or {}
        urls = spec.get("base_urls") or []
        if not urls:
            raise HttpError(503, "this RAG's LLM has no server ready")
        self._turn += 1
        url = urls[self._turn % len(urls)]
        client = self._llms.get((url, spec.get("model") or ""))
        if client is None:
            client = ChatClient(url, spec.get("model") or "", os.environ.get("EM_RAG_LLM_API_KEY", ""))
            self._llms[(url, spec.get("model") or "")] = client
        return client

    # -- ASGI ----------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        try:
            if path == "/v2/health/live":
                return await self.reply(send, 200, {"live": True})
            if path == "/v2/health/ready":
                if self.ready.is_set():
                    return await self.reply(send, 200, {"ready": True})
                return await self.reply(send, 503, {"ready": False, "reason": self.load_error or "loading the embedding model"})
            if method != "POST":
                raise HttpError(405 if path in (*QUERY_PATHS, "/v1/retrieve") else 404, f"{method} {path} is not served")
            body = await self.read_json(receive)
            if path == "/v1/retrieve":
                return await self.reply(send, 200, await self.retrieve(body))
            if path in QUERY_PATHS:
                return await self.query(send, body)
            raise HttpError(404, f"{path} is not served")
        except HttpError as exc:
            await self.reply(send, exc.status, exc.body())
        except Exception as exc:
            log.exception("RAG request failed")
            await self.reply(send, 500, HttpError(500, f"{type(exc).__name__}: {exc}").body())

    @staticmethod
    async def read_json(receive: Callable) -> dict[str, Any]:
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                raise HttpError(413, f"the body is larger than {MAX_BODY // 1024 // 1024} MB")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        try:
            body = json.loads(b"".join(chunks) or b"null")
        except ValueError as exc:
            raise HttpError(400, f"the body is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise HttpError(400, "the body must be a JSON object")
        return body

    @staticmethod
    async def reply(send: Callable, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        await send({"type": "http.response.start", "status": status, "headers": [*JSON_HEADERS, (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})

    # -- retrieval ---------------------------------------------------------------------------
    def settings(self, body: dict[str, Any]) -> tuple[str, int]:
        retrieval = self.config.refresh().get("retrieval") or {}
        mode = body.get("retrieval_mode", body.get("mode")) or retrieval.get("mode", "hybrid")
        top_k = body.get("top_k", retrieval.get("top_k", 5))
        if mode not in MODES:
            raise HttpError(400, f"mode must be one of {', '.join(MODES)}", "mode")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 100:
            raise HttpError(400, "top_k must be an integer from 1 to 100", "top_k")
        return mode, top_k

    async def search(self, query: str, mode: str, top_k: int) -> Any:
        if not self.ready.is_set():
            raise HttpError(503, self.load_error or "the query server is still loading its embedding model")
        try:
            return await asyncio.to_thread(self.retriever.search, query, mode, top_k)
        except (NotIndexed, StoreError) as exc:  # nothing published yet, or the store is unreachable
            raise HttpError(503, str(exc)) from None

    async def retrieve(self, body: dict[str, Any]) -> dict[str, Any]:
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            raise HttpError(400, "query must be a non-empty string", "query")
        mode, top_k = self.settings(body)
        found = await self.search(query, mode, top_k)
        return {"mode": mode, "top_k": top_k, "took_ms": round(found.took_ms, 3), "generation": found.generation,
                "sources": [source_out(h) for h in found.hits]}

    # -- questions ---------------------------------------------------------------------------
    async def query(self, send: Callable, body: dict[str, Any]) -> None:
        config = self.config.refresh()
        if body.get("model") not in (None, config.get("name")):
            raise HttpError(404, f"this server answers for RAG {config.get('name')!r}, not {body.get('model')!r}", "model")
        try:
            history, question = check_messages(body.get("messages"))
        except BadRequest as exc:
            raise HttpError(400, exc.message, exc.param) from None
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise HttpError(400, "stream must be true or false", "stream")
        mode, top_k = self.settings(body)
        found = await self.search(question, mode, top_k)
        messages = build_messages(config.get("prompt_template") or "{context}\n\n{question}", history, question, found.hits)
        llm_spec = config.get("llm") or {}
        options = {"max_tokens": llm_spec.get("max_tokens", 512), "temperature": llm_spec.get("temperature", 0.2)}
        options.update({k: body[k] for k in PASSED_OPTIONS if k in body})
        sources = [source_out(h) for h in found.hits]
        answer_id, created, name = f"ragcmpl-{uuid.uuid4().hex}", int(time.time()), config.get("name") or ""
        if not stream:
            try:
                completion = await self.llm().complete(messages, options)
            except LlmError as exc:
                raise HttpError(exc.status, exc.message) from None
            choice = (completion.get("choices") or [{}])[0]
            message = choice.get("message") or {}
            out = {"id": answer_id, "object": "chat.completion", "created": created, "model": name,
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": message.get("content") or ""},
                                "finish_reason": choice.get("finish_reason") or "stop"}],
                   "sources": sources, "retrieval": {"mode": mode, "top_k": top_k, "took_ms": round(found.took_ms, 3),
                                                     "generation": found.generation}}
            usage = completion.get("usage")
            if isinstance(usage, dict) and all(isinstance(usage.get(k), int) for k in ("prompt_tokens", "completion_tokens", "total_tokens")):
                out["usage"] = {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
            return await self.reply(send, 200, out)
        await self.stream_answer(send, messages, options, sources, answer_id, created, name)

    async def stream_answer(self, send: Callable, messages: list[dict[str, Any]], options: dict[str, Any],
                            sources: list[dict[str, Any]], answer_id: str, created: int, name: str) -> None:
        llm = self.llm()
        chunks = llm.stream(messages, options)
        try:  # the first chunk decides the status: an LLM that refuses is an error, not an empty stream
            first = await chunks.__anext__()
        except StopAsyncIteration:
            first = None
        except LlmError as exc:
            raise HttpError(exc.status, exc.message) from None

        def event(delta: dict[str, Any], finish: str | None, **extra: Any) -> bytes:
            chunk = {"id": answer_id, "object": "chat.completion.chunk", "created": created, "model": name,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return b"data: " + json.dumps(chunk, ensure_ascii=False).encode("utf-8") + b"\n\n"

        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        await send({"type": "http.response.body", "body": event({"role": "assistant", "content": ""}, None, sources=sources),
                    "more_body": True})
        finish = "stop"
        try:
            item = first
            while item is not None:
                choice = (item.get("choices") or [{}])[0]
                content = (choice.get("delta") or {}).get("content")
                if content:
                    await send({"type": "http.response.body", "body": event({"content": content}, None), "more_body": True})
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
                try:
                    item = await chunks.__anext__()
                except StopAsyncIteration:
                    item = None
        except LlmError as exc:  # the status is sent: say it in the stream
            error = {"error": {"message": exc.message, "type": "server_error", "param": None, "code": None}}
            await send({"type": "http.response.body", "body": b"data: " + json.dumps(error).encode() + b"\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": event({}, finish), "more_body": True})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m jupyter_easymaker.runtime.rag.query_server")
    parser.add_argument("--config", required=True, help="the server's settings (JSON)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import uvicorn

    uvicorn.run(QueryApp(args.config), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
