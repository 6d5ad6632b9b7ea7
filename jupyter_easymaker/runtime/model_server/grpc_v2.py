"""The Open Inference Protocol v2 over gRPC (``inference.GRPCInferenceService``)
served beside the HTTP app, on its own port, by the same process: it answers
from the same loaded predictor, through the same micro-batcher, on the same
event loop (grpc.aio runs on uvicorn's uvloop), so a gRPC and an HTTP request
can share one batch.

Inputs may come as typed ``contents`` or as ``raw_input_contents``; outputs
go back raw (``raw_output_contents``) when the request sent raw inputs or
asks ``binary_data_output``, typed otherwise (what KServe's clients read).
"""
from __future__ import annotations

import logging
import time
from typing import Any, Protocol

import grpc

from jupyter_easymaker.runtime.model_server import protocol_v2 as v2
from jupyter_easymaker.runtime.model_server.errors import (
    InvalidInput,
    ModelNotFound,
    ModelNotReady,
    NotSupported,
    ServingError,
)
from jupyter_easymaker.runtime.model_server.oip_grpc import grpc_predict_v2_pb2 as pb
from jupyter_easymaker.runtime.model_server.oip_grpc import grpc_predict_v2_pb2_grpc as pb_grpc
from jupyter_easymaker.runtime.model_server.tensors import RAW, array_to_raw, tensor_array


class ModelServer(Protocol):
    """What the gRPC side uses of the HTTP app (``app.py``), which starts it: named
    here rather than imported, so the two modules do not import each other."""

    name: str
    ready: bool
    stats: Any

    def model(self, name: str, version: str | None = None) -> Any: ...

    async def infer_v2(self, predictor: Any, body: dict) -> Any: ...

log = logging.getLogger("jupyter_easymaker.model_server.grpc")

# datatype -> the InferTensorContents field that carries it
CONTENTS_FIELD = {
    "BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
    "INT64": "int64_contents", "UINT8": "uint_contents", "UINT16": "uint_contents", "UINT32": "uint_contents",
    "UINT64": "uint64_contents", "FP32": "fp32_contents", "FP64": "fp64_contents", "BYTES": "bytes_contents",
}
STATUS_CODES = {InvalidInput: grpc.StatusCode.INVALID_ARGUMENT, ModelNotFound: grpc.StatusCode.NOT_FOUND,
                ModelNotReady: grpc.StatusCode.UNAVAILABLE, NotSupported: grpc.StatusCode.UNIMPLEMENTED}


def parameters_of(params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        choice = value.WhichOneof("parameter_choice")
        if choice is not None:
            out[key] = getattr(value, choice)
    return out


def set_parameters(target: Any, params: dict[str, Any]) -> None:
    for key, value in (params or {}).items():
        slot = target[key]
        if isinstance(value, bool):
            slot.bool_param = value
        elif isinstance(value, int):
            slot.int64_param = value
        elif isinstance(value, float):
            slot.double_param = value
        else:
            slot.string_param = str(value)


def request_body(request: Any) -> dict[str, Any]:
    """A ModelInferRequest in the REST JSON form (raw inputs under ``RAW``)."""
    raw = request.raw_input_contents
    if raw and len(raw) != len(request.inputs):
        raise InvalidInput(f"raw_input_contents has {len(raw)} entries for {len(request.inputs)} inputs")
    inputs = []
    for i, tensor in enumerate(request.inputs):
        item: dict[str, Any] = {"name": tensor.name, "datatype": tensor.datatype, "shape": list(tensor.shape)}
        if tensor.parameters:
            item["parameters"] = parameters_of(tensor.parameters)
        if raw:
            if tensor.HasField("contents"):
                raise InvalidInput(f"input {tensor.name}: contents must not be set when raw_input_contents is used")
            item[RAW] = raw[i]
        else:
            field = CONTENTS_FIELD.get(tensor.datatype)
            if field is None:
                raise InvalidInput(f"input {tensor.name}: datatype {tensor.datatype!r} has no typed contents "
                                   f"(FP16 must be sent in raw_input_contents)")
            values = getattr(tensor.contents, field)
            item["data"] = list(values)
        inputs.append(item)
    body: dict[str, Any] = {"inputs": inputs}
    if request.id:
        body["id"] = request.id
    if request.parameters:
        body["parameters"] = parameters_of(request.parameters)
    if request.outputs:
        body["outputs"] = [{"name": o.name, **({"parameters": parameters_of(o.parameters)} if o.parameters else {})}
                           for o in request.outputs]
    return body


def infer_response(response: dict[str, Any], raw: bool) -> Any:
    message = pb.ModelInferResponse(model_name=response.get("model_name", ""), model_version=response.get("model_version", ""),
                                    id=response.get("id") or "")
    set_parameters(message.parameters, response.get("parameters") or {})
    for tensor in response.get("outputs") or []:
        out = message.outputs.add(name=tensor["name"], datatype=tensor["datatype"], shape=tensor["shape"])
        set_parameters(out.parameters, tensor.get("parameters") or {})
        if raw:
            message.raw_output_contents.append(array_to_raw(tensor_array(tensor), tensor["datatype"]))
        elif tensor["datatype"] == "BYTES":
            out.contents.bytes_contents.extend(v if isinstance(v, bytes) else str(v).encode() for v in tensor["data"])
        elif tensor["datatype"] == "FP16":
            message.raw_output_contents.append(array_to_raw(tensor_array(tensor), "FP16"))
        else:
            getattr(out.contents, CONTENTS_FIELD[tensor["datatype"]]).extend(tensor["data"])
    return message


class InferenceServicer(pb_grpc.GRPCInferenceServiceServicer):
    def __init__(self, app: "ModelServer"):
        self.app = app

    async def ServerLive(self, request, context):  # noqa: N802 - the protocol's method names
        return pb.ServerLiveResponse(live=True)

    async def ServerReady(self, request, context):  # noqa: N802
        return pb.ServerReadyResponse(ready=self.app.ready)

    async def ModelReady(self, request, context):  # noqa: N802
        if request.name != self.app.name:
            await self._abort(context, ModelNotFound(request.name))
        if not self.app.ready:
            return pb.ModelReadyResponse(ready=False)
        try:
            self.app.model(request.name, request.version or None)
        except ServingError as exc:
            await self._abort(context, exc)
        return pb.ModelReadyResponse(ready=True)

    async def ServerMetadata(self, request, context):  # noqa: N802
        meta = v2.server_metadata()
        return pb.ServerMetadataResponse(name=meta["name"], version=meta["version"], extensions=meta["extensions"])

    async def ModelMetadata(self, request, context):  # noqa: N802
        try:
            meta = self.app.model(request.name, request.version or None).metadata()
        except ServingError as exc:
            await self._abort(context, exc)
        return pb.ModelMetadataResponse(
            name=meta["name"], versions=meta["versions"], platform=meta["platform"],
            inputs=[pb.ModelMetadataResponse.TensorMetadata(name=t["name"], datatype=t["datatype"], shape=t["shape"])
                    for t in meta["inputs"]],
            outputs=[pb.ModelMetadataResponse.TensorMetadata(name=t["name"], datatype=t["datatype"], shape=t["shape"])
                     for t in meta["outputs"]])

    async def ModelInfer(self, request, context):  # noqa: N802
        start = time.perf_counter()
        status = 500
        try:
            predictor = self.app.model(request.model_name, request.model_version or None)
            body = request_body(request)
            response = await self.app.infer_v2(predictor, body)
            params = body.get("parameters") or {}
            answer = infer_response(response, bool(request.raw_input_contents) or params.get("binary_data_output") is True)
            status = 200
            return answer
        except ServingError as exc:
            status = exc.status
            await self._abort(context, exc)
        except Exception as exc:  # noqa: BLE001 - the client gets the reason, as over HTTP
            log.exception("inference failed")
            await context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:  # GET /metrics counts gRPC inferences with HTTP's (by the HTTP code of the outcome)
            self.app.stats.add(status, time.perf_counter() - start)

    @staticmethod
    async def _abort(context: Any, exc: ServingError) -> None:
        code = next((c for kind, c in STATUS_CODES.items() if isinstance(exc, kind)), grpc.StatusCode.INTERNAL)
        await context.abort(code, exc.message)


async def start_grpc(app: "ModelServer", host: str, port: int) -> tuple[Any, int]:
    """A started grpc.aio server of ``app`` on ``host:port`` (0: any free port),
    on the running event loop, and the port it listens on."""
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)])
    pb_grpc.add_GRPCInferenceServiceServicer_to_server(InferenceServicer(app), server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as exc:
        raise OSError(f"the gRPC port {host}:{port} could not be bound: {exc}") from None
    await server.start()
    return server, bound
