"""Imported by the batch inference job's fork server before it forks any pod
worker: the framework's packages are imported once, and a scikit-learn model
is loaded once, so every worker (and every worker restarted after a timeout)
starts with them instead of paying the imports and the load again.

Models of other frameworks are loaded by each worker after the fork: torch,
onnxruntime and transformers start thread pools that do not survive a fork.
The preloaded model is handed to :mod:`jupyter_easymaker.runtime.batch_worker`,
whose workers take it when their configuration matches.
"""
from __future__ import annotations

import importlib
import json
import os

PRELOAD_ENV = "EM_BATCH_PRELOAD"
FORK_SAFE_MODELS = ("scikit-learn",)


def _preload() -> None:
    raw = os.environ.get(PRELOAD_ENV)
    if not raw:
        return
    try:
        from jupyter_easymaker.catalogs.frameworks import (
            FRAMEWORKS,
            canonical_framework,
        )
        from jupyter_easymaker.runtime.batch_worker import (
            BatchConfig,
            _Predictions,
            keep_preloaded,
        )

        cfg = BatchConfig(framework="", model_dir="", input_path="", output_dir="")
        for key, value in json.loads(raw).items():
            setattr(cfg, key, value)
        framework = canonical_framework(cfg.framework)
        for package in FRAMEWORKS[framework][2]:
            importlib.import_module(package)
        if framework in FORK_SAFE_MODELS:
            keep_preloaded(raw, _Predictions(cfg))
    except Exception:  # noqa: BLE001 - the worker loads it again and reports the error itself
        pass


_preload()
