"""The model frameworks the model server serves, the Hugging Face tasks, and
how a model's parameters reach its server.

Parameters are given to the server as arguments (the name as is) and as
environment variables (the name in SCREAMING_SNAKE_CASE), as the guide says.
"""
from __future__ import annotations

import importlib.util
import json
import re
from typing import Any, Mapping

__all__ = [
    "ALIASES",
    "FRAMEWORKS",
    "PARAMS_ENV",
    "TASKS",
    "TRITON",
    "ArtifactError",
    "canonical_framework",
    "framework_available",
    "normalize_task",
    "param_env",
    "screaming_snake",
]


class ArtifactError(Exception):
    """The artifact cannot be served: missing files, wrong format, a failed load.
    ``field`` says which model field is at fault (artifact_path or framework)."""

    def __init__(self, message: str, field: str = "artifact_path"):
        super().__init__(message)
        self.message = message
        self.field = field


# framework -> (predictor module, predictor class, python packages it needs)
FRAMEWORKS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "scikit-learn": ("sklearn", "SklearnPredictor", ("sklearn", "joblib")),
    "pytorch": ("pytorch", "PyTorchPredictor", ("torch",)),
    "huggingface": ("huggingface", "HuggingFacePredictor", ("transformers", "torch", "safetensors")),
    "onnx": ("onnx", "OnnxPredictor", ("onnxruntime",)),
    "tensorflow": ("tensorflow", "TensorFlowPredictor", ("tensorflow",)),
}
# the guide's Triton layouts are served by the same runtimes (config.pbtxt + {version}/model.*)
TRITON = {"tensorflow-triton": "tensorflow", "pytorch-triton": "pytorch", "onnx-triton": "onnx"}
ALIASES = {"sklearn": "scikit-learn", "scikit_learn": "scikit-learn", "torch": "pytorch", "hugging-face": "huggingface",
           "hugging_face": "huggingface", "transformers": "huggingface", "tf": "tensorflow", "onnxruntime": "onnx",
           **{k.replace("-", "_"): v for k, v in TRITON.items()}, **TRITON}


def canonical_framework(name: str) -> str:
    """The runtime serving ``name`` (``sklearn`` -> ``scikit-learn``, ``onnx-triton`` -> ``onnx``)."""
    key = (name or "").strip().lower().replace(" ", "-")
    key = ALIASES.get(key, key)
    if key not in FRAMEWORKS:
        known = ", ".join([*FRAMEWORKS, *TRITON])
        raise ArtifactError(f"unknown framework {name!r} (one of {known})", field="framework")
    return key


def framework_available(name: str) -> tuple[bool, str]:
    """Whether this environment can serve ``name``, and the pip command when not
    (looks the packages up without importing them)."""
    _module, _cls, packages = FRAMEWORKS[canonical_framework(name)]
    missing = [p for p in packages if importlib.util.find_spec(p) is None]
    if not missing:
        return True, ""
    hint = "pip install tensorflow" if "tensorflow" in missing else "pip install 'jupyter-easymaker[serving]'"
    return False, f"{', '.join(missing)} not installed: {hint}"


# -- Hugging Face tasks ---------------------------------------------------------------
TASKS = ("sequence_classification", "token_classification", "fill_mask", "text_generation", "text2text_generation")
_TASK_ALIASES = {"text_classification": "sequence_classification", "ner": "token_classification", "fill-mask": "fill_mask",
                 "causal_lm": "text_generation", "seq2seq": "text2text_generation"}


def normalize_task(value: str) -> str:
    task = value.strip().lower().replace("-", "_")
    task = _TASK_ALIASES.get(task, task)
    if task not in TASKS:
        raise ArtifactError(f"parameter task={value!r} is not supported (one of {', '.join(TASKS)})", field="parameters.task")
    return task


# -- parameters ------------------------------------------------------------------------
PARAMS_ENV = "EM_MODEL_PARAMS"

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_ENV = re.compile(r"[^A-Za-z0-9]+")


def screaming_snake(name: str) -> str:
    """``maxNewTokens`` / ``max-new-tokens`` / ``max new tokens`` -> ``MAX_NEW_TOKENS``."""
    return _NOT_ENV.sub("_", _CAMEL.sub("_", name)).strip("_").upper()


def param_env(params: Mapping[str, Any]) -> dict[str, str]:
    """The environment a model server gets for its parameters."""
    env = {screaming_snake(k): str(v) for k, v in params.items()}
    env[PARAMS_ENV] = json.dumps({k: str(v) for k, v in params.items()})
    return env
