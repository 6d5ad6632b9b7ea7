"""Imported by the batch inference job's fork server before it forks any pod
worker: the framework's packages are imported once, and a scikit-learn model
is loaded once, so every worker (and every worker restarted after a timeout)
starts with them instead of paying the imports and the load again.

Models of other frameworks are loaded by each worker after the fork: torch,
onnxruntime and transformers start thread pools that do not survive a fork.
"""
from __future__ import annotations

import importlib
import json
import os
from typing import Any

PRELOAD_ENV = "EM_BATCH_PRELOAD"
FORK_SAFE_MODELS = ("scikit-learn",)

_model: Any = None
_key: str = ""


def _preload() -> None:
    global _model, _key
    raw = os.environ.get(PRELOAD_ENV)
    if not raw:
        return
    try:
        from jupyter_easymaker.runtime.batch_worker import BatchConfig, _Predictions
        from jupyter_easymaker.runtime.model_server.predictors import FRAMEWORKS, canonical_framework

        cfg = BatchConfig(framework="", model_dir="", input_path="", output_dir="")
        for key, value in json.loads(raw).items():
            setattr(cfg, key, value)
        framework = canonical_framework(cfg.framework)
        for package in FRAMEWORKS[framework][2]:
            importlib.import_module(package)
        if framework in FORK_SAFE_MODELS:
            _model, _key = _Predictions(cfg), raw
    except Exception:  # noqa: BLE001 - the worker loads it again and reports the error itself
        _model = None


def take(cfg_json: str) -> Any:
    """The model loaded here for this configuration, if any."""
    return _model if _model is not None and cfg_json == _key else None


_preload()
