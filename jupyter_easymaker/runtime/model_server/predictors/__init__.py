"""One predictor per framework, imported lazily (torch, transformers and
onnxruntime load only when a model of theirs is served).

The in-process API that batch inference and evaluation use::

    predictor = load_predictor("scikit-learn", "/models/iris", {"method": "predict_proba"})
    predictor.predict([[5.1, 3.5, 1.4, 0.2]])          # OIP v1 predictions
    predictor.infer({"inputs": [...]})                 # OIP v2 response
    predictor.generate(prompt, GenerateOptions(...))   # text generation models
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from jupyter_easymaker.runtime.model_server.errors import ArtifactError
from jupyter_easymaker.runtime.model_server.predictors.base import GenerateOptions, Generation, Predictor

__all__ = ["FRAMEWORKS", "GenerateOptions", "Generation", "Predictor", "canonical_framework", "framework_available", "load_predictor"]

# framework -> (module, class, python packages it needs)
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
    """Whether this environment can serve ``name``, and the pip command when not."""
    _module, _cls, packages = FRAMEWORKS[canonical_framework(name)]
    missing = [p for p in packages if importlib.util.find_spec(p) is None]
    if not missing:
        return True, ""
    hint = "pip install tensorflow" if "tensorflow" in missing else "pip install 'jupyter-easymaker[serving]'"
    return False, f"{', '.join(missing)} not installed: {hint}"


def predictor_class(framework: str) -> type[Predictor]:
    module, cls, _ = FRAMEWORKS[canonical_framework(framework)]
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)


def load_predictor(framework: str, model_dir: str, params: dict[str, Any] | None = None, *, name: str = "model") -> Predictor:
    """Load a model for serving; raises ArtifactError (with ``field``) when it cannot be served."""
    ok, why = framework_available(framework)
    if not ok:
        raise ArtifactError(f"{framework} models cannot be served here: {why}", field="framework")
    params = {str(k): v for k, v in (params or {}).items()}
    return predictor_class(framework)(model_dir, params, name).load()
