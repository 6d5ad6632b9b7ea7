"""The v2 binary tensor data extension over HTTP (KServe / Triton
``binary_tensor_data``): a request body may be a JSON header of
``Inference-Header-Content-Length`` bytes followed by the raw bytes of the
inputs that carry ``parameters.binary_data_size``, in the order of
``inputs``; outputs are answered the same way when asked for
(``parameters.binary_data`` on an output, ``parameters.binary_data_output``
on the request).

What the server does not offer is refused with a 400 naming it: the shared
memory and classification extensions, and binary sizes that do not add up.
"""
from __future__ import annotations

from typing import Any

import orjson

from jupyter_easymaker.runtime.model_server.errors import InvalidInput
from jupyter_easymaker.runtime.model_server.tensors import RAW, array_to_raw, tensor_array

HEADER = "inference-header-content-length"
EXTENSION = "binary_tensor_data"
SHARED_MEMORY = ("shared_memory_region", "shared_memory_byte_size", "shared_memory_offset")


def parse(raw: bytes, header_length: str | None) -> Any:
    """The request's JSON (inputs given in binary carry their bytes under ``RAW``)."""
    if header_length is None:
        body = _loads(raw)
        for i, tensor in enumerate(body.get("inputs") or [] if isinstance(body, dict) else []):
            params = tensor.get("parameters") if isinstance(tensor, dict) else None
            if isinstance(params, dict) and "binary_data_size" in params:
                raise InvalidInput(f"input {tensor.get('name', f'inputs[{i}]')}: parameters.binary_data_size needs the "
                                   f"Inference-Header-Content-Length header (the length of the JSON before the binary data)")
        return body
    try:
        length = int(header_length)
    except ValueError:
        raise InvalidInput(f"Inference-Header-Content-Length must be an integer, got {header_length!r}") from None
    if not 0 <= length <= len(raw):
        raise InvalidInput(f"Inference-Header-Content-Length is {length} but the body has only {len(raw)} bytes")
    body = _loads(raw[:length])
    if not isinstance(body, dict):
        raise InvalidInput("Expected the inference request to be a JSON object")
    binary = memoryview(raw)[length:]
    offset = 0
    for i, tensor in enumerate(body.get("inputs") or []):
        params = tensor.get("parameters") if isinstance(tensor, dict) else None
        if not isinstance(params, dict) or "binary_data_size" not in params:
            continue
        size = params["binary_data_size"]
        name = tensor.get("name", f"inputs[{i}]")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidInput(f"input {name}: parameters.binary_data_size must be a non-negative integer")
        if "data" in tensor:
            raise InvalidInput(f"input {name}: has both data and parameters.binary_data_size")
        if offset + size > len(binary):
            raise InvalidInput(f"input {name}: binary_data_size {size} runs past the end of the body "
                               f"({len(binary) - offset} binary bytes left)")
        tensor[RAW] = binary[offset:offset + size]
        offset += size
    if offset != len(binary):
        raise InvalidInput(f"the body has {len(binary)} bytes after the JSON header but the inputs' "
                           f"binary_data_size add up to {offset}")
    return body


def decompress(raw: bytes, encoding: str) -> bytes:
    """A request body sent with ``Content-Encoding: gzip`` or ``deflate`` (tritonclient's request compression)."""
    import zlib

    if encoding not in ("gzip", "deflate"):
        raise InvalidInput(f"Content-Encoding {encoding!r} is not supported (gzip, deflate or none)")
    try:
        return zlib.decompress(raw, 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    except zlib.error as exc:
        raise InvalidInput(f"the body is not valid {encoding} data: {exc}") from None


def _loads(raw: bytes | memoryview) -> Any:
    try:
        return orjson.loads(raw) if len(raw) else {}
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"Unrecognized request format: {exc}") from None


def check_supported(body: dict[str, Any]) -> None:
    """A 400 for what a request asks of extensions this server does not offer."""
    for kind in ("inputs", "outputs"):
        for i, tensor in enumerate(body.get(kind) or []):
            params = tensor.get("parameters") if isinstance(tensor, dict) else None
            if not isinstance(params, dict):
                continue
            name = tensor.get("name", f"{kind}[{i}]")
            shm = [p for p in SHARED_MEMORY if p in params]
            if shm:
                raise InvalidInput(f"{kind[:-1]} {name}: {', '.join(shm)}: the shared memory extension is not supported "
                                   f"(send the data in the request, as JSON or binary)")
            if kind == "outputs" and "classification" in params:
                raise InvalidInput(f"output {name}: parameters.classification: the classification extension is not supported")


def binary_choice(request: dict[str, Any]) -> tuple[bool, dict[str, bool]]:
    """The request's default (``parameters.binary_data_output``) and each named
    output's own choice (``parameters.binary_data``)."""
    params = request.get("parameters")
    default = isinstance(params, dict) and params.get("binary_data_output") is True
    own: dict[str, bool] = {}
    for tensor in request.get("outputs") or []:
        p = tensor.get("parameters") if isinstance(tensor, dict) else None
        if isinstance(p, dict):
            flag = p.get("binary_data", p.get("binary_data_output"))
            if isinstance(flag, bool):
                own[str(tensor.get("name"))] = flag
    return default, own


def encode(response: dict[str, Any], request: dict[str, Any]) -> tuple[bytes, int | None]:
    """The response body, and the JSON header's length when some output went binary."""
    default, own = binary_choice(request)
    chunks: list[bytes] = []
    for tensor in response.get("outputs") or []:
        name = tensor.get("name")
        if own.get(str(name), default):
            data = array_to_raw(tensor_array(tensor), tensor["datatype"])
            del tensor["data"]
            tensor["parameters"] = {**(tensor.get("parameters") or {}), "binary_data_size": len(data)}
            chunks.append(data)
    header = orjson.dumps(response, option=orjson.OPT_SERIALIZE_NUMPY)
    if not chunks:
        return header, None
    return b"".join([header, *chunks]), len(header)
