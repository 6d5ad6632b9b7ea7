"""Open Inference Protocol v1 (KServe's "V1", the TensorFlow Serving shape)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.runtime.model_server.errors import InvalidInput


def instances_of(body: Any) -> list:
    """``{"instances": [...]}`` (or TF Serving's ``{"inputs": [...]}``)."""
    if not isinstance(body, dict):
        raise InvalidInput("Expected the request body to be a JSON object")
    if "instances" in body:
        instances = body["instances"]
    elif "inputs" in body and not (isinstance(body["inputs"], list) and body["inputs"] and isinstance(body["inputs"][0], dict) and "datatype" in body["inputs"][0]):
        instances = body["inputs"]
    else:
        raise InvalidInput('Expected "instances" in the request body')
    if not isinstance(instances, list):
        raise InvalidInput('Expected "instances" to be a list')
    return instances


def models_body(name: str, openai_list: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"models": [name]}
    if openai_list:  # the same path is the OpenAI client's models.list()
        body.update({"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "jupyter-easymaker"}]})
    return body


def model_ready_body(name: str, ready: bool) -> dict[str, Any]:
    return {"name": name, "ready": ready}


def predictions_body(predictions: list) -> dict[str, Any]:
    return {"predictions": predictions}


def explanations_body(explanations: Any) -> dict[str, Any]:
    return {"explanations": explanations}
