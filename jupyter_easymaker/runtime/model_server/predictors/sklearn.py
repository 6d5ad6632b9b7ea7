"""scikit-learn models saved with joblib (``model.joblib``, or one ``*.joblib`` / ``*.pkl``).

Served through ONNX Runtime when skl2onnx converts the model and the graph
answers like it (see :mod:`.sklearn_onnx`; the parameter ``compile=false``
turns that off); otherwise by scikit-learn, one prediction at a time.
"""
from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from jupyter_easymaker.catalogs.artifacts import sklearn_artifact
from jupyter_easymaker.runtime.model_server.errors import ArtifactError, InvalidInput
from jupyter_easymaker.runtime.model_server.predictors.base import Predictor, call_model
from jupyter_easymaker.runtime.model_server.predictors.sklearn_onnx import (
    Compiled,
    compile_model,
    run_outputs,
    shape_like,
)

METHODS = ("predict", "predict_proba", "decision_function")
COMPILED_METHODS = ("predict", "predict_proba")
OFF = ("false", "0", "no", "off")


class SklearnPredictor(Predictor):
    framework = "scikit-learn"
    platform = "sklearn"

    def _load(self) -> None:
        path = sklearn_artifact(self.model_dir)
        try:
            import joblib
        except ImportError as exc:
            raise ArtifactError("scikit-learn models need joblib and scikit-learn: pip install 'jupyter-easymaker[serving]'", field="framework") from exc
        try:
            self.model = joblib.load(path)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad artifact
            raise ArtifactError(f"{os.path.basename(path)} could not be loaded with joblib: {type(exc).__name__}: {exc}") from None
        if not hasattr(self.model, "predict"):
            raise ArtifactError(f"{os.path.basename(path)} holds a {type(self.model).__name__}, which has no predict()")
        self.method = str(self.param("method", "predict"))
        if self.method not in METHODS or not hasattr(self.model, self.method):
            raise ArtifactError(f"parameter method={self.method!r}: the model has no such method (use one of {', '.join(m for m in METHODS if hasattr(self.model, m))})", field="parameters.method")
        self._fn = getattr(self.model, self.method)
        self.n_features = getattr(self.model, "n_features_in_", None)
        classes = getattr(self.model, "classes_", None)
        self.classes = classes if hasattr(classes, "dtype") else None  # a list of arrays for multi-output models
        self.compiled = self._compile(path)
        if not self.compiled.ok:
            _single_threaded(self.model)
        # scikit-learn holds the GIL for much of a prediction: predictions running side by side in
        # threads only fight over it (and over the event loop's turn), so they run one at a time
        self._lock = threading.Lock()

    def _compile(self, path: str) -> Compiled:
        if str(self.param("compile", "true")).strip().lower() in OFF:
            return Compiled(reason="the model parameter compile is false")
        if self.method not in COMPILED_METHODS:
            return Compiled(reason=f"method {self.method} is not compiled")
        try:
            threads = int(self.param("intra_op_threads", 0) or 0) or 1
        except ValueError:
            raise ArtifactError("parameter intra_op_threads: a whole number of threads", field="parameters.intra_op_threads") from None
        return compile_model(self.model, path, self.model_dir, self.n_features, threads)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "compiled": self.compiled.ok, "serving": self.compiled.describe()}

    def framework_version(self) -> str:
        import sklearn

        return sklearn.__version__

    def predict_batch(self, array: Any) -> Any:
        if array.ndim == 1:
            array = array.reshape(1, -1) if self.n_features and array.shape[0] == self.n_features else array.reshape(-1, 1)
        if self.n_features is not None and array.ndim == 2 and array.shape[1] != self.n_features:
            raise InvalidInput(f"expected {self.n_features} features per instance, got {array.shape[1]}")
        if self.compiled.ok:
            return call_model(self._run_compiled, array)
        with self._lock:
            return call_model(self._fn, array)

    def _run_compiled(self, array: Any) -> Any:
        import numpy as np

        if array.ndim != 2:
            raise InvalidInput(f"expected rows of {self.n_features} features, got an array of shape {list(array.shape)}")
        try:
            rows = array.astype(self.compiled.dtype, copy=False)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"instances must be numbers: {exc}") from None
        out = run_outputs(self.compiled, rows)
        if self.method == "predict_proba":
            return out["predict_proba"].astype(np.float64, copy=False)
        labels = out["predict"]
        if self.classes is not None:
            return labels.astype(self.classes.dtype, copy=False)
        return shape_like(labels, int(self.compiled.meta.get("predict_ndim", 1)), np).astype(np.float64, copy=False)

    def explain(self, instances: list) -> Any:
        """Per-feature contributions: coef * x for linear models, else the model's feature importances."""
        import numpy as np

        array = self.as_array(instances, "float64")
        if hasattr(self.model, "coef_"):
            coef = np.atleast_2d(self.model.coef_)
            return [(coef * row).tolist() for row in array]
        if hasattr(self.model, "feature_importances_"):
            return [self.model.feature_importances_.tolist() for _ in array]
        return super().explain(instances)

    def input_metadata(self) -> list[dict[str, Any]]:
        return [{"name": "input-0", "datatype": "FP64", "shape": [-1, self.n_features or -1]}]

    def output_metadata(self) -> list[dict[str, Any]]:
        classes = self.classes
        if self.method == "predict" and classes is not None:
            from jupyter_easymaker.runtime.model_server.tensors import v2_datatype

            return [{"name": "output-0", "datatype": v2_datatype(classes), "shape": [-1]}]
        return [{"name": "output-0", "datatype": "FP64", "shape": [-1] if self.method == "predict" else [-1, -1]}]


def _single_threaded(model: Any) -> None:
    """A model trained with ``n_jobs=-1`` would start a pool of threads for every
    prediction of a few rows, costing far more than the prediction."""
    # not a scikit-learn estimator with parameters (a bare object with predict): leave it as it is
    with contextlib.suppress(Exception):
        keys = [k for k in model.get_params(deep=True) if k == "n_jobs" or k.endswith("__n_jobs")]
        if keys:
            model.set_params(**{k: 1 for k in keys})
