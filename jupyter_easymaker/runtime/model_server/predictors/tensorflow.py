"""TensorFlow SavedModel (``saved_model.pb`` + ``variables/``), also inside
Triton's ``{version}/model.savedmodel``. Needs TensorFlow installed."""
from __future__ import annotations

import importlib.util
from typing import Any

from jupyter_easymaker.catalogs.artifacts import savedmodel_dir
from jupyter_easymaker.runtime.model_server.errors import ArtifactError, InvalidInput
from jupyter_easymaker.runtime.model_server.predictors.base import Predictor, call_model

NOT_INSTALLED = "TensorFlow is not installed in the serving environment: pip install tensorflow"


def available() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


class TensorFlowPredictor(Predictor):
    framework = "tensorflow"
    platform = "tensorflow_savedmodel"
    v2_single_output = False  # named inputs and outputs

    def _load(self) -> None:
        path = savedmodel_dir(self.model_dir)
        if not available():
            raise ArtifactError(NOT_INSTALLED, field="framework")
        import tensorflow as tf

        try:
            self.model = tf.saved_model.load(path)
        except Exception as exc:  # noqa: BLE001 - a broken SavedModel
            raise ArtifactError(f"the SavedModel could not be loaded: {exc}") from None
        signature = str(self.param("signature_name", "serving_default"))
        signatures = getattr(self.model, "signatures", {})
        if signature not in signatures:
            raise ArtifactError(f"the SavedModel has no signature {signature!r} (it has {sorted(signatures)})")
        self.fn = signatures[signature]
        _args, self.input_specs = self.fn.structured_input_signature
        self.output_specs = self.fn.structured_outputs

    def framework_version(self) -> str:
        import tensorflow as tf

        return tf.__version__

    def predict_batch(self, array: Any) -> Any:
        if len(self.input_specs) != 1:
            raise InvalidInput(f"this model takes {len(self.input_specs)} named inputs: use the v2 infer API")
        out = self.infer_arrays({next(iter(self.input_specs)): array})
        return next(iter(out.values()))

    def infer_arrays(self, arrays: dict[str, Any]) -> dict[str, Any]:
        import tensorflow as tf

        if len(arrays) == 1 and len(self.input_specs) == 1:
            arrays = {next(iter(self.input_specs)): next(iter(arrays.values()))}
        feed = {}
        for name, spec in self.input_specs.items():
            if name not in arrays:
                raise InvalidInput(f"missing input {name!r}; the model takes {sorted(self.input_specs)}")
            feed[name] = tf.convert_to_tensor(arrays[name], dtype=spec.dtype)
        out = call_model(lambda: self.fn(**feed))
        return {k: v.numpy() for k, v in out.items()}

    def input_metadata(self) -> list[dict[str, Any]]:
        from jupyter_easymaker.runtime.model_server.tensors import NUMPY_TO_V2

        return [{"name": n, "datatype": NUMPY_TO_V2.get(s.dtype.as_numpy_dtype().dtype.name, "FP32"),
                 "shape": [d if d is not None else -1 for d in s.shape.as_list()]} for n, s in self.input_specs.items()]

    def output_metadata(self) -> list[dict[str, Any]]:
        return [{"name": n, "datatype": "FP32", "shape": [-1]} for n in self.output_specs]
