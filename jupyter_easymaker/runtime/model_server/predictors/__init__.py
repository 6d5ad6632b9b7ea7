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
from typing import Any

from jupyter_easymaker.catalogs.frameworks import (
    FRAMEWORKS,
    ArtifactError,
    canonical_framework,
    framework_available,
)
from jupyter_easymaker.runtime.model_server.predictors.base import (
    GenerateOptions,
    Generation,
    Predictor,
)

__all__ = ["FRAMEWORKS", "GenerateOptions", "Generation", "Predictor", "canonical_framework", "framework_available", "load_predictor"]


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
