"""What every framework's predictor offers; the HTTP layer and batch inference
call only this interface."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from jupyter_easymaker.runtime.model_server.errors import (
    ArtifactError,
    InferenceError,
    InvalidInput,
    NotSupported,
)
from jupyter_easymaker.runtime.model_server.tensors import to_array, to_tensor


@dataclass
class Generation:
    """A finished text generation (OpenAI completions)."""

    text: str
    finish_reason: str  # "stop" or "length"
    prompt_tokens: int
    completion_tokens: int


@dataclass
class GenerateOptions:
    max_tokens: int = 16
    temperature: float = 1.0
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    seed: int | None = None


class Predictor:
    """One loaded model. Subclasses implement ``load`` and ``predict_batch``
    (or override ``predict`` / ``infer`` when their inputs are not arrays)."""

    framework = ""
    platform = ""  # the v2 metadata "platform"
    # predict(a + b) == predict(a) + predict(b): concurrent requests may be merged
    batchable = True
    # OpenAI completions / chat completions are offered
    generative = False
    # v2 answers are one "output-0" tensor from predict_batch, so v2 requests may be batched too
    v2_single_output = True

    def __init__(self, model_dir: str, params: dict[str, str] | None = None, name: str = "model"):
        self.model_dir = model_dir
        self.params = dict(params or {})
        self.name = name
        self.version = str(self.params.get("model_version") or "1")
        self.ready = False
        self.load_seconds = 0.0

    # -- lifecycle -------------------------------------------------------------
    def load(self) -> "Predictor":
        start = time.monotonic()
        self._load()
        self.load_seconds = time.monotonic() - start
        self.ready = True
        return self

    def _load(self) -> None:
        raise NotImplementedError

    def framework_version(self) -> str:
        return ""

    def describe(self) -> dict[str, Any]:
        """What validation reports back about the loaded artifact."""
        meta = self.metadata()
        return {"framework": self.framework, "framework_version": self.framework_version(), "inputs": meta["inputs"],
                "outputs": meta["outputs"], "generative": self.generative, "load_seconds": round(self.load_seconds, 3)}

    # -- OIP v1 ----------------------------------------------------------------
    def predict(self, instances: list) -> list:
        """v1 ``{"instances": [...]}`` -> ``predictions``."""
        return self.to_list(self.predict_many([self.prepare(instances)])[0])

    def prepare(self, instances: Any) -> Any:
        """v1 instances -> the unit ``predict_many`` merges (an ndarray by default)."""
        return self.as_array(instances)

    def explain(self, instances: list) -> Any:
        raise NotSupported(f"explain is not supported for {self.framework} models")

    # -- OIP v2 ----------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "versions": [self.version], "platform": self.platform,
                "inputs": self.input_metadata(), "outputs": self.output_metadata()}

    def input_metadata(self) -> list[dict[str, Any]]:
        return []

    def output_metadata(self) -> list[dict[str, Any]]:
        return []

    def infer(self, request: dict[str, Any]) -> dict[str, Any]:
        """A whole v2 inference request -> a v2 response (no batching across requests)."""
        arrays = self.v2_inputs(request)
        outputs = self.infer_arrays(arrays)
        return self.v2_response(request, outputs)

    def v2_inputs(self, request: dict[str, Any]) -> dict[str, Any]:
        inputs = request.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise InvalidInput('Expected "inputs" to be a non-empty list')
        arrays = {}
        for i, tensor in enumerate(inputs):
            if not isinstance(tensor, dict):
                raise InvalidInput(f"inputs[{i}] must be an object")
            arrays[str(tensor.get("name", f"input-{i}"))] = to_array(tensor)
        return arrays

    def infer_arrays(self, arrays: dict[str, Any]) -> dict[str, Any]:
        """Named input arrays -> named output arrays. Default: one input, one output."""
        if len(arrays) != 1:
            raise InvalidInput(f"this {self.framework} model takes exactly one input tensor, got {len(arrays)}")
        return {"output-0": self.predict_batch(next(iter(arrays.values())))}

    def v2_response(self, request: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
        wanted = [o.get("name") for o in request.get("outputs") or [] if isinstance(o, dict)]
        if wanted:
            missing = [w for w in wanted if w not in outputs]
            if missing:
                raise InvalidInput(f"unknown output(s) {missing}; this model has {sorted(outputs)}")
            outputs = {k: outputs[k] for k in wanted}
        body: dict[str, Any] = {"model_name": self.name, "model_version": self.version, "id": str(request.get("id") or ""),
                                "parameters": {}, "outputs": [to_tensor(k, v) for k, v in outputs.items()]}
        return body

    # -- batching --------------------------------------------------------------
    def predict_batch(self, array: Any) -> Any:
        """Rows in, one result per row out (an ndarray or list of the same length)."""
        raise NotSupported(f"{self.framework} models do not take array inputs")

    def predict_many(self, items: list[Any]) -> list[Any]:
        """Several requests' inputs (arrays) in one call; the micro-batcher's unit of work."""
        import numpy as np

        if len(items) == 1:
            return [self.predict_batch(items[0])]
        first = items[0]
        if all(isinstance(a, np.ndarray) and a.dtype == first.dtype and a.shape[1:] == first.shape[1:] and a.ndim >= 1 for a in items):
            out = self.predict_batch(np.concatenate(items))
            results, offset = [], 0
            for a in items:
                results.append(out[offset: offset + len(a)])
                offset += len(a)
            return results
        return [self.predict_batch(a) for a in items]

    # -- generation ------------------------------------------------------------
    def generate(self, prompt: str, options: GenerateOptions) -> Generation:
        raise NotSupported(f"text generation is not supported by this {self.framework} model")

    def stream(self, prompt: str, options: GenerateOptions) -> Iterator[str | Generation]:
        """Text pieces as they are produced, then the final Generation (text = all of it)."""
        result = self.generate(prompt, options)
        yield result.text
        yield result

    def chat_prompt(self, messages: list[dict[str, Any]]) -> str:
        raise NotSupported(f"chat is not supported by this {self.framework} model")

    # -- helpers ---------------------------------------------------------------
    @staticmethod
    def as_array(instances: Any, dtype: str | None = None) -> Any:
        import numpy as np

        if not isinstance(instances, list):
            raise InvalidInput('Expected "instances" to be a list')
        try:
            array = np.asarray(instances, dtype=dtype)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"instances cannot form a tensor: {exc}") from None
        if array.dtype == object and dtype is None:
            raise InvalidInput("instances must be rows of numbers of equal length")
        return array

    @staticmethod
    def to_list(value: Any) -> list:
        return value.tolist() if hasattr(value, "tolist") else list(value)

    def param(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    def find_files(self, *suffixes: str) -> list[str]:
        found = []
        for folder, _dirs, names in os.walk(self.model_dir):
            for n in sorted(names):
                if n.endswith(suffixes):
                    found.append(os.path.join(folder, n))
        return sorted(found)


def call_model(fn, *args: Any) -> Any:
    """Run user/framework code, turning its failures into a 500 with the message."""
    try:
        return fn(*args)
    except (InvalidInput, NotSupported, InferenceError):
        raise
    except ValueError as exc:  # frameworks signal wrong input shapes this way
        raise InvalidInput(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - the client gets the reason
        raise InferenceError(f"{type(exc).__name__}: {exc}") from None


def require_dir(path: str) -> None:
    if not path or not os.path.isdir(path):
        raise ArtifactError(f"the model artifact directory {path!r} does not exist")
