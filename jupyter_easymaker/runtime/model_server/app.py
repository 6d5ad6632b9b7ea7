"""The model server's HTTP app: a plain ASGI callable (no framework between
uvicorn and the model, which is what makes it fast), routing the Open
Inference Protocol v1/v2 and OpenAI paths to one loaded predictor.

Every path is also answered under ``/{model_name}/...``, the guide's
appendix 10 form, so a gateway may forward with or without that prefix.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from jupyter_easymaker.runtime.model_server import binary_data
from jupyter_easymaker.runtime.model_server import openai_compat as oai
from jupyter_easymaker.runtime.model_server import protocol_v1 as v1
from jupyter_easymaker.runtime.model_server import protocol_v2 as v2
from jupyter_easymaker.runtime.model_server.batching import MicroBatcher
from jupyter_easymaker.runtime.model_server.errors import (
    ArtifactError,
    InvalidInput,
    ModelNotFound,
    ModelNotReady,
    ServingError,
)
from jupyter_easymaker.runtime.model_server.predictors import Predictor, load_predictor
from jupyter_easymaker.runtime.model_server.tensors import to_array

log = logging.getLogger("jupyter_easymaker.model_server")

JSON = [(b"content-type", b"application/json")]
SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]
DUMPS_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


@dataclass
class ServerConfig:
    name: str
    framework: str = ""
    model_dir: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    max_batch_size: int = 64
    max_latency_ms: float = 0.0
    default_max_tokens: int = 16
    exit_on_load_error: bool = False
    grpc_port: int | None = None  # the v2 gRPC protocol on this port (0: any free one); None: no gRPC
    grpc_host: str = "0.0.0.0"
    # the inference gateway's handoff socket (handoff.py): client connections it routes here are
    # answered here without the hop through it; None: every request comes through the gateway
    handoff_socket: str | None = None
    port: int = 0  # the HTTP port: which upstream address the gateway's link serves


class ClientGone(Exception):
    pass


@dataclass
class Payload:
    """A response body already encoded (the binary tensor data extension)."""

    data: bytes
    headers: list[tuple[bytes, bytes]]


async def read_body(receive: Callable[[], Awaitable[dict]]) -> bytes:
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone()
    body = message.get("body", b"")
    if not message.get("more_body"):
        return body
    chunks = [body]
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def send_json(send: Callable[[dict], Awaitable[None]], status: int, body: Any) -> None:
    data = orjson.dumps(body, option=DUMPS_OPTIONS)
    await send({"type": "http.response.start", "status": status,
                "headers": [*JSON, (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


class Stats:
    """Counters for ``GET /metrics`` (Prometheus text)."""

    def __init__(self) -> None:
        self.by_code: dict[int, int] = {}
        self.seconds = 0.0
        self.count = 0

    def add(self, status: int, seconds: float) -> None:
        self.by_code[status] = self.by_code.get(status, 0) + 1
        self.seconds += seconds
        self.count += 1

    def text(self, model: str, batcher: MicroBatcher | None) -> str:
        lines = ["# TYPE easymaker_requests_total counter"]
        lines += [f'easymaker_requests_total{{model="{model}",code="{c}"}} {n}' for c, n in sorted(self.by_code.items())]
        lines += ["# TYPE easymaker_request_duration_seconds summary",
                  f'easymaker_request_duration_seconds_sum{{model="{model}"}} {self.seconds:.6f}',
                  f'easymaker_request_duration_seconds_count{{model="{model}"}} {self.count}']
        if batcher is not None:
            lines += [f'easymaker_batches_total{{model="{model}"}} {batcher.batches}',
                      f'easymaker_batched_requests_total{{model="{model}"}} {batcher.items}']
        return "\n".join(lines) + "\n"


class ModelServer:
    """ASGI app serving one model. Give it a loaded ``predictor``, or a config
    to load from at start-up (live at once, ready when loaded)."""

    def __init__(self, config: ServerConfig, predictor: Predictor | None = None):
        self.config = config
        self.name = config.name
        self.predictor = predictor
        self.load_error: str | None = None
        self.batcher: MicroBatcher | None = None
        self.stats = Stats()
        self.on_fatal: Callable[[str], None] | None = None
        self.grpc_server: Any = None
        self.grpc_port: int | None = None  # where gRPC listens once started
        self.handoff: Any = None  # the gateway link (handoff.GatewayLink)
        self._handoff_task: asyncio.Task | None = None  # held: the loop keeps only a weak reference to tasks
        if predictor is not None:
            self._ready_up(predictor)

    # -- lifecycle -------------------------------------------------------------
    def _ready_up(self, predictor: Predictor) -> None:
        predictor.name = self.name
        self.predictor = predictor
        if predictor.batchable and self.config.max_batch_size > 1:
            self.batcher = MicroBatcher(predictor.predict_many, max_batch_size=self.config.max_batch_size,
                                        max_latency_ms=self.config.max_latency_ms)

    def load(self) -> None:
        try:
            predictor = load_predictor(self.config.framework, self.config.model_dir, self.config.params, name=self.name)
        except ArtifactError as exc:
            self.load_error = exc.message
        except Exception as exc:  # noqa: BLE001 - reported through readiness and the log
            self.load_error = f"{type(exc).__name__}: {exc}"
        else:
            self._ready_up(predictor)
            log.info("model %s (%s) ready in %.2fs", self.name, predictor.framework, predictor.load_seconds)
            return
        log.error("model %s failed to load: %s", self.name, self.load_error)
        if self.config.exit_on_load_error and self.on_fatal is not None:
            self.on_fatal(self.load_error)

    async def startup(self) -> None:
        if self.config.grpc_port is not None:
            from jupyter_easymaker.runtime.model_server.grpc_v2 import start_grpc

            self.grpc_server, self.grpc_port = await start_grpc(self, self.config.grpc_host, self.config.grpc_port)
            log.info("v2 gRPC protocol on port %d", self.grpc_port)
        if self.predictor is None:
            asyncio.get_running_loop().run_in_executor(None, self.load)
        if self.config.handoff_socket:
            from jupyter_easymaker.runtime.model_server.handoff import GatewayLink

            self.handoff = GatewayLink(self, self.config.handoff_socket, self.config.port)
            self._handoff_task = asyncio.get_running_loop().create_task(self.handoff.run())

    async def shutdown(self) -> None:
        if self.handoff is not None:
            await self.handoff.close()
            self.handoff = None
        if self.grpc_server is not None:
            await self.grpc_server.stop(grace=5)
            self.grpc_server = None

    @property
    def ready(self) -> bool:
        return self.predictor is not None and self.predictor.ready

    def model(self, name: str, version: str | None = None) -> Predictor:
        if name != self.name:
            raise ModelNotFound(name)
        if self.predictor is None:
            raise ModelNotReady(name, self.load_error or "")
        if version is not None and version != self.predictor.version:
            raise ModelNotFound(f"{name} (version {version})")
        return self.predictor

    # -- ASGI ------------------------------------------------------------------
    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    try:
                        await self.startup()
                    except OSError as exc:  # the gRPC port is taken
                        await send({"type": "lifespan.startup.failed", "message": str(exc)})
                        return
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.shutdown()
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def http(self, scope: dict, receive: Callable, send: Callable) -> None:
        start = time.perf_counter()
        method = scope["method"]
        parts = scope["path"].strip("/").split("/")
        if len(parts) > 1 and parts[0] == self.name and parts[1] in ("v1", "v2", "openai", "metrics"):
            parts = parts[1:]
        is_openai = parts[0] == "openai" or parts[-1] in ("completions",)
        try:
            result = await self.route(method, parts, receive, send, scope)
            if result is None:  # streamed
                self.stats.add(200, time.perf_counter() - start)
                return
            status, body = result
        except ClientGone:
            return
        except ServingError as exc:
            status = exc.status
            body = oai.error_body(exc) if is_openai else {"error": exc.message}
        except Exception as exc:
            log.exception("inference failed")
            status = 500
            message = f"{type(exc).__name__}: {exc}"
            body = oai.error_body(ServingError(message)) if is_openai else {"error": message}
        if isinstance(body, Payload):
            await send({"type": "http.response.start", "status": status,
                        "headers": [*body.headers, (b"content-length", str(len(body.data)).encode())]})
            await send({"type": "http.response.body", "body": body.data})
        elif isinstance(body, str):
            data = body.encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"text/plain; version=0.0.4"), (b"content-length", str(len(data)).encode())]})
            await send({"type": "http.response.body", "body": data})
        else:
            await send_json(send, status, body)
        self.stats.add(status, time.perf_counter() - start)

    async def json_body(self, receive: Callable) -> Any:
        raw = await read_body(receive)
        try:
            return orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"Unrecognized request format: {exc}") from None

    async def route(self, method: str, p: list[str], receive: Callable, send: Callable,
                    scope: dict | None = None) -> tuple[int, Any] | None:
        n = len(p)
        head = p[0]
        if head == "v2":
            if n >= 3 and p[1] == "models":
                name, version, rest = p[2], None, p[3:]
                if len(rest) >= 2 and rest[0] == "versions":
                    version, rest = rest[1], rest[2:]
                if not rest and method == "GET":
                    return 200, self.model(name, version).metadata()
                if rest == ["ready"] and method == "GET":
                    if name != self.name:
                        raise ModelNotFound(name)
                    if not self.ready:
                        return 503, {"name": name, "ready": False}
                    self.model(name, version)
                    return 200, {"name": name, "ready": True}
                if rest == ["infer"] and method == "POST":
                    predictor = self.model(name, version)
                    return 200, await self.infer_v2_http(predictor, scope or {}, receive)
            elif n == 1 and method == "GET":
                return 200, v2.server_metadata()
            elif n == 3 and p[1] == "health" and method == "GET":
                if p[2] == "live":
                    return 200, {"live": True}
                if p[2] == "ready":
                    return (200 if self.ready else 503), {"ready": self.ready}
        elif head == "v1":
            if n >= 2 and p[1] == "models":
                if n == 2 and method == "GET":
                    return 200, v1.models_body(self.name, bool(self.predictor and self.predictor.generative))
                if n in (3, 4):
                    name, verb = (p[2].split(":", 1) + [""])[:2] if n == 3 else (p[2], p[3])
                    if not verb and method == "GET":
                        if name != self.name:
                            raise ModelNotFound(name)
                        if not self.ready:
                            raise ModelNotReady(name, self.load_error or "")
                        return 200, v1.model_ready_body(name, True)
                    if verb in ("predict", "explain") and method == "POST":
                        predictor = self.model(name)
                        instances = v1.instances_of(await self.json_body(receive))
                        if verb == "predict":
                            return 200, v1.predictions_body(await self.predict_v1(predictor, instances))
                        result = await asyncio.get_running_loop().run_in_executor(None, predictor.explain, instances)
                        return 200, v1.explanations_body(result)
            elif p[1:] in (["completions"], ["chat", "completions"]) and method == "POST":
                return await self.openai(p[1:], receive, send)
        elif head == "openai" and n >= 3 and p[1] == "v1":
            if p[2:] in (["completions"], ["chat", "completions"]) and method == "POST":
                return await self.openai(p[2:], receive, send)
            if p[2:] == ["models"] and method == "GET":
                return 200, {"object": "list", "data": [{"id": self.name, "object": "model", "created": 0, "owned_by": "jupyter-easymaker"}]}
        elif head == "" and method == "GET":
            return 200, {"status": "alive"}
        elif head == "metrics" and n == 1 and method == "GET":
            return 200, self.stats.text(self.name, self.batcher)
        return 404, {"error": f"Not found: {method} /{'/'.join(p)}"}

    # -- inference -------------------------------------------------------------
    async def predict_v1(self, predictor: Predictor, instances: list) -> list:
        if self.batcher is not None:
            result = await self.batcher.submit(predictor.prepare(instances))
            return predictor.to_list(result)
        return await asyncio.get_running_loop().run_in_executor(None, predictor.predict, instances)

    async def infer_v2_http(self, predictor: Predictor, scope: dict, receive: Callable) -> dict[str, Any] | Payload:
        """JSON, or the binary tensor data extension when the request has its header or asks for binary outputs."""
        headers = dict(scope.get("headers") or ())
        raw = await read_body(receive)
        encoding = headers.get(b"content-encoding", b"identity").decode("latin-1").strip().lower()
        if encoding not in ("identity", ""):
            raw = binary_data.decompress(raw, encoding)
        header_length = headers.get(binary_data.HEADER.encode())
        body = binary_data.parse(raw, header_length.decode("latin-1") if header_length is not None else None)
        response = await self.infer_v2(predictor, body)
        data, json_length = binary_data.encode(response, body)
        if json_length is None:
            return Payload(data, JSON)
        return Payload(data, [(b"content-type", b"application/octet-stream"),
                              (binary_data.HEADER.encode(), str(json_length).encode())])

    async def infer_v2(self, predictor: Predictor, body: Any) -> dict[str, Any]:
        body = v2.check_request(body)
        binary_data.check_supported(body)
        tensor = v2.single_input(body)
        if self.batcher is not None and tensor is not None and predictor.v2_single_output:
            output = await self.batcher.submit(to_array(tensor))
            return v2.response_body(predictor, body, output)
        return await asyncio.get_running_loop().run_in_executor(None, predictor.infer, body)

    async def openai(self, kind: list[str], receive: Callable, send: Callable) -> tuple[int, Any] | None:
        chat = kind[0] == "chat"
        body = oai.check_common(await self.json_body(receive), self.name)
        predictor = self.model(self.name)
        if not predictor.generative:
            raise oai.OpenAIError(f"model {self.name} is a {predictor.framework} model without text generation", param="model")
        options = oai.options_from(body, int(predictor.param("max_new_tokens", 0) or self.config.default_max_tokens))
        if chat:
            prompts = [predictor.chat_prompt(oai.messages_of(body))]
        else:
            prompts = oai.prompts_of(body)
        if body.get("stream"):
            if len(prompts) != 1:
                raise oai.OpenAIError("streaming takes one prompt", param="prompt")
            await self.stream(send, receive, lambda: predictor.stream(prompts[0], options), oai.ChunkWriter(self.name, chat, oai.include_usage(body)))
            return None
        n = int(body.get("n") or 1)
        jobs = [p for p in prompts for _ in range(n)]
        # all at once: a batching predictor runs them together
        generations = list(await asyncio.gather(*(in_thread(predictor.generate, prompt, options) for prompt in jobs)))
        if chat:
            return 200, oai.chat_body(self.name, generations)
        echo = [p for p in jobs] if body.get("echo") else None
        return 200, oai.completion_body(self.name, generations, echo)

    async def stream(self, send: Callable, receive: Callable, make: Callable[[], Any], writer: oai.ChunkWriter) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        cancelled = threading.Event()

        def work() -> None:
            gen = make()
            try:
                for item in gen:
                    loop.call_soon_threadsafe(queue.put_nowait, ("item", item))
                    if cancelled.is_set():
                        break
            except BaseException as exc:  # noqa: BLE001 - reported in the stream
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
            finally:
                gen.close()
                loop.call_soon_threadsafe(queue.put_nowait, ("end", None))

        async def watch() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    cancelled.set()
                    return

        await send({"type": "http.response.start", "status": 200, "headers": SSE})
        worker = in_thread(work)
        watcher = asyncio.create_task(watch())

        async def event(payload: Any) -> None:
            await send({"type": "http.response.body", "body": b"data: " + orjson.dumps(payload) + b"\n\n", "more_body": True})

        try:
            first = writer.first()
            if first is not None:
                await event(first)
            while True:
                kind, item = await queue.get()
                if kind == "end":
                    break
                if kind == "error":
                    status = getattr(item, "status", 500)
                    await event(oai.error_body(item if isinstance(item, ServingError) else ServingError(f"{type(item).__name__}: {item}")) | {"status": status})
                    continue
                if isinstance(item, str):
                    if item:
                        await event(writer.piece(item))
                else:
                    for chunk in writer.last(item):
                        await event(chunk)
            await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})
        finally:
            cancelled.set()
            watcher.cancel()
            await worker


def in_thread(fn: Callable, *args: Any) -> asyncio.Future[Any]:
    """``fn(*args)`` on a thread of its own (not the default executor's few workers: a
    generation waits on the engine for its whole length, and many may wait at once)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)

    def run() -> None:
        try:
            value = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            loop.call_soon_threadsafe(settle, False, exc)
        else:
            loop.call_soon_threadsafe(settle, True, value)

    threading.Thread(target=run, daemon=True).start()
    return future


def create_app(config: ServerConfig, predictor: Predictor | None = None) -> ModelServer:
    return ModelServer(config, predictor)


CONFIG_ENV = "EM_MODEL_SERVER_CONFIG"


def app_from_env() -> ModelServer:
    """uvicorn factory for ``--workers N``: each worker process loads its own copy."""
    import json
    import os

    config = ServerConfig(**json.loads(os.environ[CONFIG_ENV]))
    server = ModelServer(config)

    def fatal(message: str) -> None:
        print(f"model server: the model failed to load: {message}", flush=True)
        os._exit(3)

    server.on_fatal = fatal
    return server
