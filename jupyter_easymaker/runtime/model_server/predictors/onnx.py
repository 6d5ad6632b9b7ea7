"""ONNX models on onnxruntime: ``model.onnx`` (or the only ``*.onnx``), or
Triton's ``config.pbtxt`` + ``{version}/model.onnx``."""
from __future__ import annotations

import os
from typing import Any

from jupyter_easymaker.catalogs.artifacts import onnx_artifact
from jupyter_easymaker.runtime.model_server.errors import ArtifactError, InvalidInput
from jupyter_easymaker.runtime.model_server.predictors.base import Predictor, call_model

# onnxruntime's type strings -> (numpy dtype, v2 datatype)
ORT_TYPES = {
    "tensor(float)": ("float32", "FP32"), "tensor(double)": ("float64", "FP64"), "tensor(float16)": ("float16", "FP16"),
    "tensor(int64)": ("int64", "INT64"), "tensor(int32)": ("int32", "INT32"), "tensor(int16)": ("int16", "INT16"),
    "tensor(int8)": ("int8", "INT8"), "tensor(uint8)": ("uint8", "UINT8"), "tensor(bool)": ("bool", "BOOL"),
    "tensor(string)": ("object", "BYTES"),
}


def _dims(shape: list) -> list[int]:
    return [d if isinstance(d, int) else -1 for d in shape]


class OnnxPredictor(Predictor):
    framework = "onnx"
    platform = "onnxruntime_onnx"
    v2_single_output = False  # named inputs and outputs

    def _load(self) -> None:
        path = onnx_artifact(self.model_dir)
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ArtifactError("ONNX models need onnxruntime: pip install 'jupyter-easymaker[serving]'", field="framework") from exc
        options = ort.SessionOptions()
        threads = int(self.param("intra_op_threads", 0) or 0)
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(path, sess_options=options, providers=ort.get_available_providers())
        except Exception as exc:  # noqa: BLE001 - a corrupt or unsupported graph
            raise ArtifactError(f"{os.path.basename(path)} could not be loaded by onnxruntime: {exc}") from None
        self.inputs = self.session.get_inputs()
        self.outputs = self.session.get_outputs()
        self.output_names = [o.name for o in self.outputs]
        # v1 answers with this output: a parameter, else "probabilities" is skipped for the label when both exist
        self.v1_output = str(self.param("output_name", "") or self.output_names[0])
        if self.v1_output not in self.output_names:
            raise ArtifactError(f"parameter output_name={self.v1_output!r}: the model's outputs are {self.output_names}", field="parameters.output_name")

    def framework_version(self) -> str:
        import onnxruntime

        return onnxruntime.__version__

    def _feed(self, arrays: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        feed = {}
        known = {i.name: i for i in self.inputs}
        if len(arrays) == 1 and len(known) == 1 and next(iter(arrays)) not in known:
            arrays = {self.inputs[0].name: next(iter(arrays.values()))}  # one unnamed input: take it
        for name, meta in known.items():
            if name not in arrays:
                raise InvalidInput(f"missing input {name!r}; the model takes {sorted(known)}")
            dtype = ORT_TYPES.get(meta.type, ("float32", ""))[0]
            value = arrays[name]
            feed[name] = value.astype(dtype, copy=False) if value.dtype != np.dtype(dtype) else value
        return feed

    def _run(self, feed: dict[str, Any], names: list[str]) -> list[Any]:
        return call_model(self.session.run, names, feed)

    def predict_batch(self, array: Any) -> Any:
        if len(self.inputs) != 1:
            raise InvalidInput(f"this model takes {len(self.inputs)} named inputs: use the v2 infer API")
        out = self._run(self._feed({self.inputs[0].name: array}), [self.v1_output])[0]
        return self._plain(out)

    @staticmethod
    def _plain(value: Any) -> Any:
        # skl2onnx's ZipMap gives a list of {class: probability} dicts
        return value

    def infer_arrays(self, arrays: dict[str, Any]) -> dict[str, Any]:
        feed = self._feed(arrays)
        names = [o.name for o in self.outputs if o.type.startswith("tensor(")]
        return dict(zip(names, self._run(feed, names)))

    def input_metadata(self) -> list[dict[str, Any]]:
        return [{"name": i.name, "datatype": ORT_TYPES.get(i.type, ("", i.type))[1], "shape": _dims(i.shape)} for i in self.inputs]

    def output_metadata(self) -> list[dict[str, Any]]:
        return [{"name": o.name, "datatype": ORT_TYPES.get(o.type, ("", o.type))[1], "shape": _dims(o.shape or [])} for o in self.outputs]
