"""Estimators skl2onnx has no converter for as they are, pickled by the
compilation tests (a module of their own so that the artifact check's
subprocess can unpickle them)."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression


class NearestMeanClassifier(ClassifierMixin, BaseEstimator):
    """A classifier of its own: nothing in skl2onnx knows how to convert it."""

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.classes_ = np.unique(y)
        self.means_ = np.stack([X[np.asarray(y) == c].mean(axis=0) for c in self.classes_])
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        distances = ((np.asarray(X, dtype=float)[:, None, :] - self.means_[None]) ** 2).sum(axis=2)
        return self.classes_[distances.argmin(axis=1)]


class SharpenedLogisticRegression(LogisticRegression):
    """Probabilities sharpened after the logistic model: a converter registered
    for it as if it were a plain LogisticRegression produces a graph that
    answers differently, which only the comparison on a sample reveals."""

    def predict_proba(self, X):
        p = super().predict_proba(X) ** 3
        return p / p.sum(axis=1, keepdims=True)


def register_as_logistic_regression() -> None:
    from skl2onnx import update_registered_converter
    from skl2onnx.operator_converters.linear_classifier import (
        convert_sklearn_linear_classifier,
    )
    from skl2onnx.shape_calculators.linear_classifier import (
        calculate_linear_classifier_output_shapes,
    )

    update_registered_converter(SharpenedLogisticRegression, "SharpenedLogisticRegression",
                                calculate_linear_classifier_output_shapes, convert_sklearn_linear_classifier,
                                options={"zipmap": [True, False, "columns"], "nocl": [True, False], "raw_scores": [True, False]})
