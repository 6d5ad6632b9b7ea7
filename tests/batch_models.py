"""Models and data for the batch inference and evaluation tests. A module of
its own so that pickled models can be loaded by the job's worker processes
(they get this folder on PYTHONPATH)."""
from __future__ import annotations

import functools
import json
import os
import time


class SlowModel:
    """y = x0 + x1; a row with x0 == 999 hangs, a row with x0 == -1 kills the process."""

    n_features_in_ = 2

    def predict(self, X):
        import numpy as np

        X = np.asarray(X, dtype=float)
        if (X[:, 0] == 999).any():
            time.sleep(60)
        if (X[:, 0] == -1).any():
            os._exit(3)
        return X.sum(axis=1)


def save(model, folder: str) -> str:
    import joblib

    os.makedirs(folder, exist_ok=True)
    joblib.dump(model, os.path.join(folder, "model.joblib"))
    return folder


def write_jsonl(path: str, rows, raw_lines: dict[int, str] | None = None) -> str:
    """Rows as JSON lines; ``raw_lines`` puts a verbatim line before row i."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        for i, row in enumerate(rows):
            if raw_lines and i in raw_lines:
                fh.write(raw_lines[i] + "\n")
            fh.write(json.dumps(row) + "\n")
    return path


def read_jsonl(path: str) -> list[dict]:
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


@functools.lru_cache(maxsize=None)
def breast_cancer():
    """(model, X, y): 569 rows, 30 features, a scaled logistic regression fit on half of them."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, C=0.05)).fit(X[::2], y[::2])
    return model, X, y


@functools.lru_cache(maxsize=None)
def diabetes():
    """(model, X, y): a ridge regression of the diabetes dataset."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True)
    return Ridge(alpha=0.5).fit(X, y), X, y
