"""scikit-learn models compiled to ONNX Runtime: which models are compiled,
which fall back and why, the ``compile`` parameter, the cache, the real
model server answering alike with and without compilation, and the
artifact check over REST."""
from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys

import httpx
import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from jupyter_easymaker.runtime.model_server import load_predictor, parse_params
from jupyter_easymaker.runtime.model_server.predictors.sklearn_onnx import (
    CACHE_ENV,
    COMPILED_TEXT,
)
from tests.custom_estimators import (
    NearestMeanClassifier,
    SharpenedLogisticRegression,
    register_as_logistic_regression,
)
from tests.test_magics import client, line, magics, run, server_url, shell  # noqa: F401 - fixtures
from tests.test_model_server import serving


@pytest.fixture(autouse=True)
def model_cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def saved(folder, model) -> str:
    os.makedirs(folder, exist_ok=True)
    joblib.dump(model, os.path.join(folder, "model.joblib"))
    return str(folder)


def iris_split():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0)


def forest_split():
    X, y = make_classification(n_samples=1500, n_features=20, n_informative=10, random_state=0)
    return train_test_split(X, y, test_size=0.2, random_state=0)


def regression_split():
    X, y = make_regression(n_samples=600, n_features=8, noise=5.0, random_state=0)
    return train_test_split(X, y, test_size=0.2, random_state=0)


def assert_alike(compiled, plain, rows):
    """The compiled and the scikit-learn predictor answer held-out rows alike:
    labels exactly, numbers within single precision."""
    a, b = np.asarray(compiled.predict(rows)), np.asarray(plain.predict(rows))
    assert a.shape == b.shape
    if b.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(b).max())))
    else:
        assert a.tolist() == b.tolist()


@pytest.mark.parametrize("kind", ["logistic_regression", "random_forest", "gradient_boosting_regressor", "scaled_pipeline"])
def test_models_are_compiled_and_answer_like_scikit_learn(tmp_path, kind):
    if kind == "logistic_regression":
        X_train, X_test, y_train, _ = iris_split()
        model = LogisticRegression(max_iter=500).fit(X_train, y_train)
    elif kind == "random_forest":
        X_train, X_test, y_train, _ = forest_split()
        model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train)
    elif kind == "gradient_boosting_regressor":
        X_train, X_test, y_train, _ = regression_split()
        model = GradientBoostingRegressor(random_state=0).fit(X_train, y_train)
    else:  # string labels and features far from unit scale, through a scaler
        X_train, X_test, y_train, _ = iris_split()
        names = np.array(["setosa", "versicolor", "virginica"])
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X_train * 100, names[y_train])
        X_test = X_test * 100
    folder = saved(tmp_path / kind, model)
    rows = X_test.tolist()
    methods = ["predict", "predict_proba"] if hasattr(model, "predict_proba") else ["predict"]
    for method in methods:
        compiled = load_predictor("scikit-learn", folder, {"method": method})
        plain = load_predictor("scikit-learn", folder, {"method": method, "compile": "false"})
        info = compiled.describe()
        assert info["compiled"] is True and info["serving"] == COMPILED_TEXT, info
        assert compiled.compiled.session is not None and not plain.compiled.ok
        assert_alike(compiled, plain, rows)
        # v2 answers keep scikit-learn's datatypes (FP64 numbers, the classes' own type)
        request = {"inputs": [{"name": "input-0", "shape": [2, len(rows[0])], "datatype": "FP64", "data": [*rows[0], *rows[1]]}]}
        out_c, out_p = compiled.infer(request), plain.infer(request)
        assert [(o["datatype"], o["shape"]) for o in out_c["outputs"]] == [(o["datatype"], o["shape"]) for o in out_p["outputs"]]


def test_linear_models_are_compiled_in_double_precision(tmp_path):
    """Features near 1e7 whose difference is the answer: float32 cannot hold them
    apart, and a validation sample cannot know that real inputs are that large,
    so models other than trees get a double-precision graph."""
    rng = np.random.default_rng(0)
    X = 1e7 + rng.uniform(0, 10, size=(300, 2))
    model = LinearRegression().fit(X, X[:, 0] - X[:, 1])
    p = load_predictor("scikit-learn", saved(tmp_path / "big", model))
    assert p.compiled.ok and p.compiled.dtype == "float64", p.describe()["serving"]
    np.testing.assert_allclose(p.predict(X[:5].tolist()), model.predict(X[:5]), rtol=1e-9, atol=1e-6)


def test_a_model_skl2onnx_cannot_convert_stays_on_scikit_learn_and_says_why(tmp_path):
    X_train, X_test, y_train, _ = iris_split()
    model = NearestMeanClassifier().fit(X_train, y_train)
    p = load_predictor("scikit-learn", saved(tmp_path / "custom", model))
    info = p.describe()
    assert info["compiled"] is False
    assert info["serving"].startswith("served by scikit-learn: skl2onnx cannot convert NearestMeanClassifier"), info["serving"]
    assert p.predict(X_test.tolist()) == model.predict(X_test).tolist()


def test_a_graph_that_answers_differently_is_not_used(tmp_path):
    register_as_logistic_regression()  # converts it as a plain LogisticRegression: its sharpening is lost
    X_train, X_test, y_train, _ = iris_split()
    model = SharpenedLogisticRegression(max_iter=500).fit(X_train, y_train)
    p = load_predictor("scikit-learn", saved(tmp_path / "sharpened", model), {"method": "predict_proba"})
    reason = p.describe()["serving"]
    assert not p.compiled.ok and "does not match on the validation sample" in reason and "in probabilities" in reason, reason
    np.testing.assert_allclose(p.predict(X_test.tolist()), model.predict_proba(X_test))


def test_the_compile_parameter_and_the_cache(tmp_path, model_cache):
    X_train, X_test, y_train, _ = iris_split()
    folder = saved(tmp_path / "iris", LogisticRegression(max_iter=500).fit(X_train, y_train))
    off = load_predictor("scikit-learn", folder, {"compile": "false"})
    assert off.describe()["serving"] == "served by scikit-learn: the model parameter compile is false"
    assert parse_params([], [], {"COMPILE": "false"}) == {"compile": "false"}  # as the model server reads it from its environment
    assert not os.path.exists(model_cache)  # nothing was compiled
    first = load_predictor("scikit-learn", folder)
    assert first.compiled.ok and sorted(p.suffix for p in model_cache.rglob("*") if p.is_file()) == [".json", ".onnx"]
    # the next load (a model server after the artifact check) reads the cached graph instead of converting again
    again = load_predictor("scikit-learn", folder)
    assert not first.compiled.cached and again.compiled.cached
    assert again.compiled.ok and again.compiled.meta == first.compiled.meta
    assert again.predict(X_test.tolist()) == first.predict(X_test.tolist())
    # a model server process started afterwards loads the graph without importing skl2onnx (seconds of start-up)
    probe = ("import sys; from jupyter_easymaker.runtime.model_server import load_predictor; "
             f"p = load_predictor('scikit-learn', {folder!r}); print(p.compiled.cached, 'skl2onnx' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["True", "False"], done.stderr
    # a fallback is cached too, with its reason
    custom = saved(tmp_path / "custom", NearestMeanClassifier().fit(X_train, y_train))
    reason = load_predictor("scikit-learn", custom).describe()["serving"]
    cached = load_predictor("scikit-learn", custom)
    assert cached.compiled.cached and cached.describe()["serving"] == reason


@pytest.mark.parametrize("max_batch_size", [64, 1])
def test_the_model_server_answers_alike_with_and_without_compilation(tmp_path, max_batch_size):
    X_train, X_test, y_train, _ = forest_split()
    folder = saved(tmp_path / "forest", RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train))
    rows = X_test[:40].tolist()
    answers = {}
    for compile_ in ("true", "false"):
        params = {"method": "predict_proba", "compile": compile_}
        with serving("forest", "scikit-learn", folder, params, max_batch_size=max_batch_size) as base, \
                httpx.Client(base_url=base, timeout=30) as http:
            v1 = http.post("/v1/models/forest:predict", json={"instances": rows}).json()["predictions"]

            def one(row, http=http):  # concurrent single-row requests: batched, or run side by side
                body = {"inputs": [{"name": "input-0", "shape": [1, 20], "datatype": "FP32", "data": row}]}
                r = http.post("/v2/models/forest/infer", json=body)
                assert r.status_code == 200, r.text
                return r.json()["outputs"][0]["data"]

            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                v2 = list(pool.map(one, rows))
        answers[compile_] = (np.asarray(v1), np.asarray(v2))
    for compiled, plain in zip(answers["true"], answers["false"]):
        assert compiled.shape == plain.shape == (40, 2)
        np.testing.assert_allclose(compiled, plain, atol=1e-6)
        assert compiled.argmax(axis=1).tolist() == plain.argmax(axis=1).tolist()


async def test_the_artifact_check_says_how_the_model_is_served(api, tmp_path):
    X_train, _X_test, y_train, _ = forest_split()
    forest = saved(tmp_path / "forest", RandomForestClassifier(n_estimators=10, random_state=0).fit(X_train, y_train))
    custom = saved(tmp_path / "custom", NearestMeanClassifier().fit(X_train, y_train))
    compiled = await api.post("models", {"name": "forest", "framework": "scikit-learn", "artifact_path": forest}, expect=201)
    assert compiled["artifact_info"]["serving"] == COMPILED_TEXT and compiled["artifact_info"]["compiled"] is True
    assert compiled["status_reason"].endswith("; compiled to ONNX Runtime"), compiled["status_reason"]
    off = await api.post("models", {"name": "forest-plain", "framework": "scikit-learn", "artifact_path": forest,
                                    "parameters": {"compile": False}}, expect=201)
    assert off["parameters"] == {"compile": "false"}
    assert off["artifact_info"]["serving"] == "served by scikit-learn: the model parameter compile is false"
    fallback = await api.get("models/" + (await api.post("models", {"name": "nearest", "framework": "scikit-learn",
                                                                    "artifact_path": custom}, expect=201))["id"])
    assert "served by scikit-learn: skl2onnx cannot convert NearestMeanClassifier" in fallback["status_reason"]


async def test_the_client_and_the_magics_turn_compilation_off(shell, magics, client, tmp_path):  # noqa: F811
    X_train, _X_test, y_train, _ = iris_split()
    folder = saved(tmp_path / "iris", LogisticRegression(max_iter=500).fit(X_train, y_train))
    off = "served by scikit-learn: the model parameter compile is false"
    via_client = await run(client.create_model, name="iris-client", framework="scikit-learn", artifact_path=folder,
                           parameters={"compile": False})
    assert via_client["artifact_info"]["serving"] == off
    via_magic = await line(shell, f"models create iris-magic --framework scikit-learn --artifact {folder} --param compile=false")
    assert via_magic["parameters"] == {"compile": "false"} and via_magic["artifact_info"]["serving"] == off
    compiled = await line(shell, f"models create iris-compiled --framework scikit-learn --artifact {folder}")
    assert compiled["artifact_info"]["serving"] == COMPILED_TEXT
