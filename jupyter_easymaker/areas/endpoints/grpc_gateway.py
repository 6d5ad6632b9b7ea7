"""The inference gateway's v2 gRPC side: a grpc.aio server that relays the
Open Inference Protocol's ``inference.GRPCInferenceService`` (ServerLive,
ServerReady, ModelReady, ServerMetadata, ModelMetadata, ModelInfer) to the
chosen model server's gRPC port, as raw bytes (nothing is decoded but the
request's model name).

The decisions are the HTTP gateway's, asked of the same ``Gateway`` object
(resolve, authenticate, pick, release, record): any process that hosts a
``Gateway`` can start one with ``GrpcGateway(gateway, port=...).start()``.

A call names what it is for in its metadata:

``x-easymaker-endpoint``  the endpoint (name or id); required
``x-easymaker-stage``     a stage of it (default: the endpoint's default stage)
``authorization: Bearer <key>`` or ``x-api-key: <key>``  an API key of the endpoint
``x-easymaker-model``     for ServerLive/ServerReady/ServerMetadata only: which model's
                          server answers (default: the stage's first model); the
                          other methods are routed by the ``name``/``model_name``
                          of the request
``x-inference-id``        optional; the inference log's id (passed on to the model server)

Refusals are gRPC status codes with the HTTP gateway's messages
(UNAUTHENTICATED for a missing or wrong key, NOT_FOUND for an unknown
endpoint, stage or model, UNAVAILABLE when no server is ready).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import grpc

from jupyter_easymaker.areas.endpoints.routes import GatewayError, Target
from jupyter_easymaker.backend.serving.base import grpc_address
from jupyter_easymaker.catalogs.handoff import new_inference_id

if TYPE_CHECKING:
    from jupyter_easymaker.areas.endpoints.gateway import Gateway

log = logging.getLogger("jupyter_easymaker.endpoints.grpc")

SERVICE = "inference.GRPCInferenceService"
SERVER_METHODS = ("ServerLive", "ServerReady", "ServerMetadata")
MODEL_METHODS = ("ModelReady", "ModelMetadata", "ModelInfer")  # field 1 of their request is the model name
ENDPOINT_KEY = "x-easymaker-endpoint"
STAGE_KEY = "x-easymaker-stage"
MODEL_KEY = "x-easymaker-model"
INFERENCE_ID_KEY = "x-inference-id"
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)]

STATUS_TO_CODE = {400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED,
                  403: grpc.StatusCode.PERMISSION_DENIED, 404: grpc.StatusCode.NOT_FOUND,
                  429: grpc.StatusCode.RESOURCE_EXHAUSTED, 502: grpc.StatusCode.UNAVAILABLE,
                  503: grpc.StatusCode.UNAVAILABLE, 504: grpc.StatusCode.DEADLINE_EXCEEDED}
CODE_TO_STATUS = {grpc.StatusCode.OK: 200, grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.UNAUTHENTICATED: 401,
                  grpc.StatusCode.PERMISSION_DENIED: 403, grpc.StatusCode.NOT_FOUND: 404,
                  grpc.StatusCode.RESOURCE_EXHAUSTED: 429, grpc.StatusCode.UNIMPLEMENTED: 501,
                  grpc.StatusCode.UNAVAILABLE: 503, grpc.StatusCode.DEADLINE_EXCEEDED: 504,
                  grpc.StatusCode.CANCELLED: 499}


def _varint(data: memoryview, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7


def model_name(message: bytes) -> str:
    """Field 1 (a string) of a protobuf message: the model of ModelReady,
    ModelMetadata and ModelInfer requests. Other fields are skipped unread."""
    data, i = memoryview(message), 0
    while i < len(data):
        tag, i = _varint(data, i)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            _, i = _varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            length, i = _varint(data, i)
            if field == 1:
                return bytes(data[i:i + length]).decode("utf-8")
            i += length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return ""


def api_key(metadata: dict[str, str]) -> str | None:
    scheme, _, value = metadata.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return metadata.get("x-api-key") or None


class _Upstream(Exception):
    """The model server's own gRPC error, passed on as it is."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(details)
        self.code = code
        self.details = details


class GrpcGateway:
    def __init__(self, gateway: "Gateway", *, host: str = "127.0.0.1", port: int = 0,
                 timeout_seconds: float | None = None):
        self.gateway = gateway
        self.host = host
        self.port = port
        self.timeout_seconds = timeout_seconds if timeout_seconds is not None else gateway.options.gateway_timeout_seconds
        self.server: Any = None
        self._channels: dict[str, grpc.aio.Channel] = {}

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> int:
        """Listen (on the running event loop); answers the port."""
        server = grpc.aio.server(options=CHANNEL_OPTIONS)
        server.add_generic_rpc_handlers((_Handlers(self),))
        try:
            self.port = server.add_insecure_port(f"{self.host}:{self.port}")
        except RuntimeError as exc:
            raise OSError(f"the inference gateway's gRPC port {self.host}:{self.port} could not be bound: {exc}") from None
        await server.start()
        self.server = server
        log.info("easymaker: the inference gateway serves the v2 gRPC protocol on %s:%d", self.host, self.port)
        return self.port

    async def stop(self, grace: float = 5.0) -> None:
        if self.server is not None:
            await self.server.stop(grace)
            self.server = None
        channels, self._channels = self._channels, {}
        for channel in channels.values():
            await channel.close()

    def _channel(self, address: str) -> grpc.aio.Channel:
        channel = self._channels.get(address)
        if channel is None:
            channel = self._channels[address] = grpc.aio.insecure_channel(grpc_address(address), options=CHANNEL_OPTIONS)
        return channel

    # -- a call ------------------------------------------------------------------------
    async def relay(self, method: str, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        gateway = self.gateway
        started = time.perf_counter()
        metadata = {k.lower(): v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        inference_id = metadata.get(INFERENCE_ID_KEY) or new_inference_id().decode()
        target: Target | None = None
        key_id: str | None = None
        status = 500
        try:
            target = self._target(method, request, metadata)
            key_id = gateway.authenticate(target, api_key(metadata)).key_id
            if not target.model:
                models = gateway.models(target)
                if not models:
                    raise GatewayError(503, f"no model is ready on stage {target.stage.name!r}", target=target)
                target.model = models[0]
            response = await self._forward(target, method, request, context, inference_id)
            status = 200
            return response
        except GatewayError as exc:
            target = exc.target or target
            status = exc.status
            await context.abort(STATUS_TO_CODE.get(exc.status, grpc.StatusCode.UNKNOWN), exc.message)
        except _Upstream as exc:
            status = CODE_TO_STATUS.get(exc.code, 500)
            await context.abort(exc.code, exc.details)
        finally:
            gateway.record(target, inference_id=inference_id, method="GRPC", status=status,
                           latency_ms=(time.perf_counter() - started) * 1000, key_id=key_id)
        raise AssertionError("unreachable: context.abort raises")

    def _target(self, method: str, request: bytes, metadata: dict[str, str]) -> Target:
        endpoint = metadata.get(ENDPOINT_KEY, "").strip()
        if not endpoint:
            raise GatewayError(400, f"name the endpoint in the {ENDPOINT_KEY!r} metadata")
        if method in MODEL_METHODS:
            try:
                model = model_name(request)
            except (ValueError, UnicodeDecodeError) as exc:
                raise GatewayError(400, f"the {method} request is not a valid protobuf message: {exc}") from None
            if not model:
                raise GatewayError(400, f"the {method} request names no model")
        else:
            model = metadata.get(MODEL_KEY, "").strip()
        stage = metadata.get(STAGE_KEY, "").strip()
        path = f"{SERVICE}/{method}"
        target = self.gateway.resolve(endpoint, "/".join([stage, model, path] if stage else [model, path]))
        if stage and target.stage.name != stage:
            raise GatewayError(404, f"endpoint {target.endpoint.name!r} has no stage {stage!r}", target=target)
        return target

    async def _forward(self, target: Target, method: str, request: bytes, context: grpc.aio.ServicerContext,
                       inference_id: str) -> bytes:
        gateway = self.gateway
        remaining = context.time_remaining()
        timeout = min(remaining, self.timeout_seconds) if remaining is not None else self.timeout_seconds
        tried: set[str] = set()
        last: grpc.aio.AioRpcError | None = None
        while True:
            try:
                upstream = gateway.pick(target, tried)
            except GatewayError:
                if last is not None:  # every server refused: say why the last one did
                    raise _Upstream(last.code(), last.details() or "") from None
                raise
            try:
                call = self._channel(upstream.address).unary_unary(f"/{SERVICE}/{method}")
                return await call(request, timeout=timeout, metadata=((INFERENCE_ID_KEY, inference_id),))
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.UNAVAILABLE:
                    raise _Upstream(exc.code(), exc.details() or "") from None
                # a server that is stopping or not there: the next one; pick() ends the tries
                tried.add(upstream.address)
                last = exc
                channel = self._channels.pop(upstream.address, None)  # a new one if it comes back (none kept for a gone pod)
                if channel is not None:
                    await channel.close()
            finally:
                gateway.release(upstream)


class _Handlers(grpc.GenericRpcHandler):
    """The six methods as raw bytes in and out (no deserialisation)."""

    def __init__(self, owner: GrpcGateway):
        self._handlers = {}
        for method in (*SERVER_METHODS, *MODEL_METHODS):
            self._handlers[f"/{SERVICE}/{method}"] = grpc.unary_unary_rpc_method_handler(self._bind(owner, method))

    @staticmethod
    def _bind(owner: GrpcGateway, method: str):
        async def handle(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            return await owner.relay(method, request, context)

        return handle

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> Any:
        return self._handlers.get(handler_call_details.method)


class _Listener:
    """A started ``GrpcGateway`` as the gateway process's listeners are: ``close()``
    begins the stop, ``wait_closed()`` waits for calls in flight (their grace)."""

    def __init__(self, grpc_gateway: GrpcGateway):
        self.grpc_gateway = grpc_gateway
        self._stopping: Any = None

    def close(self) -> None:

        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self.grpc_gateway.stop())

    async def wait_closed(self) -> None:
        self.close()
        await self._stopping


async def start_listener(gateway: "Gateway", config: dict) -> _Listener:
    """The gateway process's listener (``gateway_process.py``): the v2 gRPC side on the
    ``grpc_host``/``grpc_port`` serving options, beside the HTTP one."""
    options = gateway.options
    grpc_gateway = GrpcGateway(gateway, host=options.grpc_host, port=options.grpc_port)
    await grpc_gateway.start()
    return _Listener(grpc_gateway)
