"""A stand-in for TorchServe's ``ts.torch_handler.base_handler.BaseHandler``,
so handler.py files written for TorchServe load without TorchServe installed.

As in AI EasyMaker (guide appendix 11), ``preprocess`` receives the request's
``instances`` list itself, not TorchServe's ``[{"body": ...}]`` records.
"""
from __future__ import annotations

import importlib
import inspect
import os
import sys
import types
from typing import Any


class Context:
    """What TorchServe passes to ``initialize``: the model dir and the MAR manifest."""

    def __init__(self, model_name: str, model_dir: str, manifest: dict[str, Any], gpu_id: int | None = None):
        self.model_name = model_name
        self.system_properties = {"model_dir": model_dir, "gpu_id": gpu_id, "batch_size": 1, "server_name": "jupyter-easymaker"}
        self.manifest = manifest
        self.metrics = _NoMetrics()
        self.request_ids: dict[int, str] = {}

    def get_request_header(self, idx: int, key: str) -> None:
        return None


class _NoMetrics:
    def __getattr__(self, name: str):
        return lambda *a, **k: None


class BaseHandler:
    def __init__(self) -> None:
        self.model: Any = None
        self.mapping = None
        self.device: Any = None
        self.initialized = False
        self.context: Any = None
        self.manifest: dict[str, Any] | None = None

    def initialize(self, context: Context) -> None:
        import torch

        self.context = context
        props = context.system_properties
        gpu = props.get("gpu_id")
        self.device = torch.device(f"cuda:{gpu}" if gpu is not None and torch.cuda.is_available() else "cpu")
        self.manifest = context.manifest
        model_dir = props["model_dir"]
        model = self.manifest.get("model", {})
        serialized = model.get("serializedFile")
        weights = os.path.join(model_dir, serialized) if serialized else None
        if model.get("modelFile"):
            self.model = self._load_pickled_model(model_dir, model["modelFile"], weights)
        else:
            self.model = torch.jit.load(weights, map_location=self.device)
        self.model.to(self.device)
        self.model.eval()
        self.initialized = True

    def _load_pickled_model(self, model_dir: str, model_file: str, weights: str | None) -> Any:
        import torch

        module = fresh_import(os.path.splitext(model_file)[0], model_dir)
        classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
                   if c.__module__ == module.__name__ and issubclass(c, torch.nn.Module)]
        if len(classes) != 1:
            raise ValueError(f"{model_file} must define exactly one torch.nn.Module class, found {len(classes)}")
        if weights is None:
            return classes[0]()
        try:
            state = torch.load(weights, map_location=self.device, weights_only=True)
        except Exception:  # noqa: BLE001 - a whole pickled module rather than a state dict
            state = torch.load(weights, map_location=self.device, weights_only=False)
        if isinstance(state, torch.nn.Module):
            return state
        model = classes[0]()
        model.load_state_dict(state)
        return model

    def preprocess(self, data: Any) -> Any:
        import torch

        return torch.as_tensor(data, dtype=torch.float32, device=self.device)

    def inference(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        import torch

        with torch.inference_mode():
            return self.model(data, *args, **kwargs)

    def postprocess(self, data: Any) -> Any:
        return data.tolist()

    def handle(self, data: Any, context: Any) -> Any:
        return self.postprocess(self.inference(self.preprocess(data)))


def fresh_import(name: str, folder: str) -> Any:
    """Import ``name`` from ``folder``, not a same-named module of another model
    loaded earlier in this process (batch inference loads several)."""
    folder = os.path.realpath(folder)
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    old = sys.modules.get(name)
    if old is not None and os.path.dirname(os.path.realpath(getattr(old, "__file__", "") or "")) != folder:
        del sys.modules[name]
    return importlib.import_module(name)


def install() -> None:
    """Make ``from ts.torch_handler.base_handler import BaseHandler`` work when TorchServe is absent."""
    try:
        importlib.import_module("ts.torch_handler.base_handler")
        return
    except ImportError:
        pass
    ts = types.ModuleType("ts")
    ts.__path__ = []  # type: ignore[attr-defined]
    th = types.ModuleType("ts.torch_handler")
    th.__path__ = []  # type: ignore[attr-defined]
    bh = types.ModuleType("ts.torch_handler.base_handler")
    bh.BaseHandler = BaseHandler  # type: ignore[attr-defined]
    ctx = types.ModuleType("ts.context")
    ctx.Context = Context  # type: ignore[attr-defined]
    ts.torch_handler = th  # type: ignore[attr-defined]
    th.base_handler = bh  # type: ignore[attr-defined]
    ts.context = ctx  # type: ignore[attr-defined]
    sys.modules.update({"ts": ts, "ts.torch_handler": th, "ts.torch_handler.base_handler": bh, "ts.context": ctx})
