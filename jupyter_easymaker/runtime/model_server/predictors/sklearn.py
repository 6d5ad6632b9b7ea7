"""scikit-learn models saved with joblib (``model.joblib``, or one ``*.joblib`` / ``*.pkl``)."""
from __future__ import annotations

import os
from typing import Any

from jupyter_easymaker.catalogs.artifacts import sklearn_artifact
from jupyter_easymaker.runtime.model_server.errors import ArtifactError, InvalidInput
from jupyter_easymaker.runtime.model_server.predictors.base import Predictor, call_model

METHODS = ("predict", "predict_proba", "decision_function")


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

    def framework_version(self) -> str:
        import sklearn

        return sklearn.__version__

    def predict_batch(self, array: Any) -> Any:
        if array.ndim == 1:
            array = array.reshape(1, -1) if self.n_features and array.shape[0] == self.n_features else array.reshape(-1, 1)
        if self.n_features is not None and array.ndim == 2 and array.shape[1] != self.n_features:
            raise InvalidInput(f"expected {self.n_features} features per instance, got {array.shape[1]}")
        return call_model(self._fn, array)

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
        classes = getattr(self.model, "classes_", None)
        if self.method == "predict" and classes is not None:
            from jupyter_easymaker.runtime.model_server.tensors import v2_datatype

            return [{"name": "output-0", "datatype": v2_datatype(classes), "shape": [-1]}]
        return [{"name": "output-0", "datatype": "FP64", "shape": [-1] if self.method == "predict" else [-1, -1]}]
