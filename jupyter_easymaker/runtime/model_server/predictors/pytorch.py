"""PyTorch models, TorchServe style.

Layouts, in the order they are looked for:

* a ``.mar`` archive (TorchServe's model-archiver output), unpacked next to the server;
* ``handler.py`` + ``model.py`` + a weights file (``.pt``/``.pth``/``.bin``), plus
  optional ``extra/`` - the guide's appendix 11 table;
* a TorchScript file (``model.pt`` or the only ``*.pt``/``*.pth``), served with
  the default handler (float tensor in, tensor out);
* Triton's ``config.pbtxt`` + ``{version}/model.pt`` (TorchScript).
"""
from __future__ import annotations

import importlib.util
import inspect
import json
import os
import sys
import tempfile
import zipfile
from typing import Any

from jupyter_easymaker.catalogs.artifacts import pytorch_layout
from jupyter_easymaker.runtime.model_server.errors import ArtifactError, InvalidInput
from jupyter_easymaker.runtime.model_server.predictors.base import Predictor, call_model


class _DefaultHandler:
    """TorchScript: numbers in, numbers out."""

    def __init__(self, model: Any, device: Any):
        self.model, self.device = model, device

    def handle(self, data: Any, context: Any) -> Any:
        import torch

        x = data if isinstance(data, torch.Tensor) else torch.as_tensor(data, dtype=torch.float32)
        with torch.inference_mode():
            y = self.model(x.to(self.device))
        return y.cpu().numpy()


class PyTorchPredictor(Predictor):
    framework = "pytorch"
    platform = "pytorch_torchscript"

    def _load(self) -> None:
        try:
            import torch
        except ImportError as exc:
            raise ArtifactError("PyTorch models need torch: pip install 'jupyter-easymaker[ml]'", field="framework") from exc
        from jupyter_easymaker.runtime.model_server.predictors import torchserve_shim

        layout = pytorch_layout(self.model_dir)
        self.layout = layout["layout"]
        device = torch.device("cuda:0" if torch.cuda.is_available() and self.param("device", "") != "cpu" else "cpu")
        self.context = None
        try:
            if self.layout == "torchscript":
                model = torch.jit.load(layout["file"], map_location=device)
                model.eval()
                self.handler: Any = _DefaultHandler(model, device)
                return
            if self.layout == "mar":
                model_dir, manifest = self._unpack_mar(layout["archive"])
                handler_file = manifest["model"].get("handler", "handler.py")
            else:
                model_dir = self.model_dir
                manifest = {"model": {"modelName": self.name, "handler": layout["handler"],
                                      "modelFile": layout["model_file"], "serializedFile": layout["serialized_file"]}}
                handler_file = layout["handler"]
            self.platform = "pytorch_torchserve"
            torchserve_shim.install()
            self.context = torchserve_shim.Context(self.name, model_dir, manifest, 0 if device.type == "cuda" else None)
            extra = os.path.join(model_dir, "extra")
            for folder in (model_dir, extra):
                if os.path.isdir(folder) and folder not in sys.path:
                    sys.path.insert(0, folder)
            self.handler = self._handler_from(os.path.join(model_dir, handler_file))
            if hasattr(self.handler, "initialize"):
                self.handler.initialize(self.context)
        except ArtifactError:
            raise
        except Exception as exc:  # noqa: BLE001 - user code: the reason goes back to the user
            raise ArtifactError(f"the PyTorch model could not be loaded ({self.layout}): {type(exc).__name__}: {exc}") from None

    def _unpack_mar(self, archive: str) -> tuple[str, dict[str, Any]]:
        target = tempfile.mkdtemp(prefix=f"easymaker-mar-{self.name}-")
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if member.startswith("/") or ".." in member.split("/"):
                    raise ArtifactError(f"{os.path.basename(archive)} holds an unsafe path {member!r}")
            zf.extractall(target)
        manifest_path = os.path.join(target, "MAR-INF", "MANIFEST.json")
        if not os.path.isfile(manifest_path):
            raise ArtifactError(f"{os.path.basename(archive)} has no MAR-INF/MANIFEST.json")
        with open(manifest_path, encoding="utf-8") as fh:
            return target, json.load(fh)

    def _handler_from(self, path: str) -> Any:
        if not os.path.isfile(path):
            raise ArtifactError(f"handler file {os.path.basename(path)} is missing")
        spec = importlib.util.spec_from_file_location(f"easymaker_handler_{self.name.replace('-', '_')}", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        classes = [c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__
                   and (hasattr(c, "handle") or hasattr(c, "inference"))]
        if classes:
            # the most derived class defined in handler.py
            classes.sort(key=lambda c: len(c.__mro__), reverse=True)
            return classes[0]()
        if hasattr(module, "handle"):
            fn = module.handle

            class _FunctionHandler:
                def handle(self, data: Any, context: Any) -> Any:
                    return fn(data, context)

            return _FunctionHandler()
        raise ArtifactError("handler.py defines no handler class (with preprocess/inference/postprocess) and no handle(data, context) function")

    def framework_version(self) -> str:
        import torch

        return torch.__version__.split("+")[0]

    def _run(self, data: Any) -> Any:
        handler = self.handler
        if type(handler).__dict__.get("handle") is None and hasattr(handler, "preprocess") and hasattr(handler, "postprocess"):
            # TorchServe's handle() also records metrics: call the three steps directly
            return handler.postprocess(handler.inference(handler.preprocess(data)))
        return handler.handle(data, self.context)

    def prepare(self, instances: Any) -> Any:
        if self.layout == "torchscript":
            return super().prepare(instances)
        if not isinstance(instances, list):
            raise InvalidInput('Expected "instances" to be a list')
        return instances  # handler.py's preprocess gets the instances as sent (guide appendix 11)

    def predict_batch(self, array: Any) -> Any:
        import numpy as np

        data = array if self.layout == "torchscript" else array.tolist()
        return np.asarray(call_model(self._run, data))

    def predict_many(self, items: list[Any]) -> list[Any]:
        if self.layout == "torchscript" or not all(isinstance(i, list) for i in items):
            return super().predict_many(items)
        merged = [row for item in items for row in item]
        out = self.to_list(call_model(self._run, merged))
        if len(out) != len(merged):  # a handler that does not answer row by row
            return [self.to_list(call_model(self._run, item)) for item in items]
        results, offset = [], 0
        for item in items:
            results.append(out[offset: offset + len(item)])
            offset += len(item)
        return results

    def explain(self, instances: list) -> Any:
        if hasattr(self.handler, "explain_handle") and hasattr(self.handler, "preprocess"):
            data = call_model(self.handler.preprocess, instances)
            return self.to_list(call_model(self.handler.explain_handle, data, instances))
        return super().explain(instances)

    def input_metadata(self) -> list[dict[str, Any]]:
        return [{"name": "input-0", "datatype": "FP32", "shape": [-1, -1]}]

    def output_metadata(self) -> list[dict[str, Any]]:
        return [{"name": "output-0", "datatype": "FP32", "shape": [-1, -1]}]


