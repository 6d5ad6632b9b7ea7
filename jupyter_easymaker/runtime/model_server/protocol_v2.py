"""Open Inference Protocol v2 (KServe "V2" / Triton): server and model
metadata, health, and typed-tensor inference."""
from __future__ import annotations

import uuid
from typing import Any

from jupyter_easymaker._version import __version__
from jupyter_easymaker.runtime.model_server.errors import InvalidInput

SERVER_NAME = "jupyter-easymaker"
EXTENSIONS = ("binary_tensor_data",)  # runtime/model_server/binary_data.py


def server_metadata() -> dict[str, Any]:
    return {"name": SERVER_NAME, "version": __version__, "extensions": list(EXTENSIONS)}


def check_request(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("Expected the inference request to be a JSON object")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise InvalidInput('Expected "inputs" to be a non-empty list')
    return body


def single_input(body: dict[str, Any]) -> dict[str, Any] | None:
    """The request's only input tensor when it asks for nothing special (batchable)."""
    inputs = body["inputs"]
    if len(inputs) != 1 or body.get("outputs") or not isinstance(inputs[0], dict):
        return None
    return inputs[0]


def response_body(predictor: Any, body: dict[str, Any], output: Any) -> dict[str, Any]:
    from jupyter_easymaker.runtime.model_server.tensors import to_tensor

    return {"model_name": predictor.name, "model_version": predictor.version, "id": str(body.get("id") or uuid.uuid4()),
            "parameters": {}, "outputs": [to_tensor("output-0", output)]}
