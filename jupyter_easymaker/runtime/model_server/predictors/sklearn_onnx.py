"""scikit-learn models compiled to ONNX Runtime with skl2onnx.

A model is compiled only when skl2onnx converts it and the compiled graph
answers like the original on a validation sample (labels equal, and
probabilities or regression values within tolerance); otherwise it stays on
scikit-learn and :class:`Compiled` says why. ONNX Runtime predicts a single
row of a 100-tree forest in microseconds instead of milliseconds, and it
releases the GIL while it runs.

Converting and checking takes about a second for a forest, so the outcome
(the graph, or the reason it was not used) is cached under the model
server's cache directory, keyed by the artifact's hash and the library
versions: the model's artifact check compiles once, and a model server that
starts later on the same host loads the cached graph.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("jupyter_easymaker.model_server")

CACHE_ENV = "EM_MODEL_CACHE_DIR"
COMPILED_TEXT = "compiled to ONNX Runtime"
# a float32 graph against float64 scikit-learn: relative error of single precision, with room for sums over many trees
RTOL = 1e-4
ATOL = 1e-5
SAMPLE_ROWS = 256
# bump when what is cached changes meaning
CACHE_FORMAT = "1"


@dataclass
class Compiled:
    """The outcome of compiling one model: a session, or the reason there is none."""

    session: Any = None
    reason: str = ""
    dtype: str = "float32"
    label_name: str = ""
    proba_name: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    cached: bool = False  # read from the cache rather than converted and checked now

    @property
    def ok(self) -> bool:
        return self.session is not None

    def describe(self) -> str:
        return COMPILED_TEXT if self.ok else f"served by scikit-learn: {self.reason}"


def cache_dir() -> str:
    base = os.environ.get(CACHE_ENV) or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "jupyter-easymaker", "models")
    return os.path.join(base, "onnx")


def artifact_key(path: str) -> str:
    # versions from the installed metadata: importing skl2onnx takes seconds, and a cached graph does not need it
    from importlib.metadata import version

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    versions = "|".join(version(package) for package in ("scikit-learn", "skl2onnx", "onnxruntime"))
    digest.update(f"|{CACHE_FORMAT}|{versions}".encode())
    return digest.hexdigest()


def session_options(threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # one request is a handful of rows: more threads cost more to wake than they save, and concurrent
    # requests already run side by side (ONNX Runtime releases the GIL)
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return options


def compile_model(model: Any, artifact_path: str, model_dir: str, n_features: int | None, threads: int = 1) -> Compiled:
    """The model on ONNX Runtime if it converts and matches; else the reason. Never raises."""
    from importlib.util import find_spec

    missing = [name for name in ("onnxruntime", "skl2onnx") if find_spec(name) is None]
    if missing:
        return Compiled(reason=f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed")
    if not n_features:
        return Compiled(reason="the model does not say how many features it takes (no n_features_in_)")
    if isinstance(getattr(model, "classes_", None), list):
        return Compiled(reason="multi-output classifiers are not compiled")
    try:
        key = artifact_key(artifact_path)
    except (OSError, ImportError) as exc:
        return Compiled(reason=f"the artifact could not be read for its hash: {exc}")
    folder = cache_dir()
    graph_path, meta_path = os.path.join(folder, key + ".onnx"), os.path.join(folder, key + ".json")
    cached = _read_cache(graph_path, meta_path, threads)
    if cached is not None:
        return cached
    try:
        outcome, graph = _convert_and_check(model, model_dir, n_features, threads)
    except Exception as exc:  # noqa: BLE001 - a model of a shape nothing here expected: serve it as it is
        outcome, graph = Compiled(reason=f"it could not be checked: {_first_line(exc)}"), None
    _write_cache(folder, graph_path, meta_path, outcome, graph)
    return outcome


def _read_cache(graph_path: str, meta_path: str, threads: int) -> Compiled | None:
    try:
        with open(meta_path) as fh:
            meta = json.load(fh)
        if not meta.get("compiled"):
            return Compiled(reason=str(meta.get("reason") or "not compiled"), meta=meta["meta"], cached=True)
        import onnxruntime as ort

        session = ort.InferenceSession(graph_path, sess_options=session_options(threads), providers=["CPUExecutionProvider"])
        return Compiled(session=session, dtype=meta["dtype"], label_name=meta["label_name"], proba_name=meta["proba_name"],
                        meta=meta["meta"], cached=True)
    except (OSError, ValueError, KeyError):
        return None
    except Exception as exc:  # noqa: BLE001 - a damaged cache entry is compiled again
        log.warning("cached ONNX graph %s could not be loaded (%s); compiling again", graph_path, exc)
        return None


def _write_cache(folder: str, graph_path: str, meta_path: str, outcome: Compiled, graph: bytes | None) -> None:
    """Best effort: a read-only cache only costs the next start the conversion."""
    meta = {"compiled": outcome.ok, "reason": outcome.reason, "dtype": outcome.dtype,
            "label_name": outcome.label_name, "proba_name": outcome.proba_name, "meta": outcome.meta}
    try:
        os.makedirs(folder, exist_ok=True)
        if graph is not None:
            _atomic_write(graph_path, graph)
        _atomic_write(meta_path, json.dumps(meta).encode())
    except OSError as exc:
        log.info("the compiled model is not cached (%s)", exc)


def _atomic_write(path: str, data: bytes) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _convert_and_check(model: Any, model_dir: str, n_features: int, threads: int) -> tuple[Compiled, bytes | None]:
    import numpy as np

    sample = validation_sample(model, model_dir, n_features)
    try:
        expected = _expected(model, sample)
    except Exception as exc:  # noqa: BLE001 - the model itself cannot predict the sample
        return Compiled(reason=f"scikit-learn could not predict the validation sample: {_first_line(exc)}"), None
    reasons = []
    for dtype in _precisions(model):
        try:
            graph = _convert(model, n_features, dtype)
        except Exception as exc:  # noqa: BLE001 - any converter failure is a reason to stay on scikit-learn
            reasons.append(f"skl2onnx cannot convert {_model_name(model)}: {_first_line(exc)}")
            break  # a missing converter does not appear in the other precision
        try:
            import onnxruntime as ort

            session = ort.InferenceSession(graph, sess_options=session_options(threads), providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - e.g. an operator the runtime lacks in this precision
            reasons.append(f"ONNX Runtime cannot run the {dtype} graph: {_first_line(exc)}")
            continue
        outcome = Compiled(session=session, dtype=dtype, **_output_names(session, expected))
        mismatch = _mismatch(outcome, sample.astype(dtype), expected, np)
        if mismatch is None:
            outcome.meta = {"sample_rows": len(sample), "predict_ndim": int(np.ndim(expected["predict"]))}
            return outcome, graph
        reasons.append(f"the {dtype} graph does not match on the validation sample ({mismatch})")
    return Compiled(reason="; ".join(reasons)), None


def _precisions(model: Any) -> tuple[str, ...]:
    """The graph precisions to try, best first. Trees: float32, which is what scikit-learn
    compares thresholds in, so the graph answers exactly alike. Anything else: float64 first,
    because a sample cannot know the scale of real inputs, and single precision on large
    feature values (a linear model on values near 1e7) would answer differently there."""
    final = _final_estimator(model)
    trees = hasattr(final, "tree_") or any(hasattr(t, "tree_") for t in _flat(getattr(final, "estimators_", None)))
    return ("float32", "float64") if trees else ("float64", "float32")


def _flat(estimators: Any) -> list:
    if estimators is None:
        return []
    import numpy as np

    return list(np.ravel(np.asarray(estimators, dtype=object)))


def _convert(model: Any, n_features: int, dtype: str) -> bytes:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    tensor = FloatTensorType if dtype == "float32" else DoubleTensorType
    # zipmap off: probabilities as one [N, classes] tensor, not a list of {class: p} maps
    options = {"zipmap": False} if hasattr(model, "predict_proba") else None
    onx = convert_sklearn(model, initial_types=[("input", tensor([None, n_features]))], options=options)
    return onx.SerializeToString()


def _expected(model: Any, sample: Any) -> dict[str, Any]:
    out = {"predict": model.predict(sample)}
    if hasattr(model, "predict_proba") and hasattr(model, "classes_"):
        try:
            out["predict_proba"] = model.predict_proba(sample)
        except AttributeError:  # e.g. SVC(probability=False) exposes the method but refuses it
            pass
    return out


def _output_names(session: Any, expected: dict[str, Any]) -> dict[str, str]:
    names = [o.name for o in session.get_outputs()]
    proba = "probabilities" if "predict_proba" in expected and "probabilities" in names else ""
    return {"label_name": "label" if "label" in names else names[0], "proba_name": proba}


def _mismatch(compiled: Compiled, sample: Any, expected: dict[str, Any], np: Any) -> str | None:
    got = run_outputs(compiled, sample)
    labels = shape_like(got["predict"], np.ndim(expected["predict"]), np)
    want = expected["predict"]
    if want.dtype.kind in "fc":  # regression values
        if not np.allclose(labels, want, rtol=RTOL, atol=ATOL * max(1.0, float(np.abs(want).max(initial=0.0)))):
            return f"largest difference {float(np.abs(labels - want).max()):.3g} in predictions"
    elif not np.array_equal(labels.astype(want.dtype), want):
        return f"{int((labels.astype(want.dtype) != want).sum())} of {len(want)} labels differ"
    if "predict_proba" in expected:
        if "predict_proba" not in got:
            return "the graph has no probabilities output"
        want_p = expected["predict_proba"]
        if got["predict_proba"].shape != want_p.shape or not np.allclose(got["predict_proba"], want_p, rtol=RTOL, atol=ATOL):
            return f"largest difference {float(np.abs(got['predict_proba'] - want_p).max()):.3g} in probabilities"
    return None


def run_outputs(compiled: Compiled, rows: Any) -> dict[str, Any]:
    """The graph's answers for ``rows`` (already in the graph's dtype): ``predict`` and, when it has them, ``predict_proba``."""
    names = [compiled.label_name] + ([compiled.proba_name] if compiled.proba_name else [])
    values = compiled.session.run(names, {"input": rows})
    out = {"predict": values[0]}
    if compiled.proba_name:
        out["predict_proba"] = values[1]
    return out


def shape_like(value: Any, ndim: int, np: Any) -> Any:
    """ONNX regressors answer [N, 1] where scikit-learn answers [N] (``ndim`` 1)."""
    value = np.asarray(value)
    if ndim == 1 and value.ndim == 2 and value.shape[1] == 1:
        return value[:, 0]
    return value


# -- the validation sample ----------------------------------------------------------------------
def validation_sample(model: Any, model_dir: str, n_features: int, rows: int = SAMPLE_ROWS, seed: int = 0) -> Any:
    """Rows of realistic feature values, from what the model knows about its data.

    Why this is adequate: a conversion goes wrong in one of two ways, a graph
    that computes a different function (wrong coefficient or class order, a
    missing step) or one that computes the same function less precisely.
    The first shows at any point where the model's answer varies; the second
    shows only near decision boundaries. So the sample puts values where the
    model's answer changes: for trees, on both sides of every split threshold
    the trees use (thresholds are midpoints between training values, so they
    are feature values the model has seen); with a scaler, the training
    distribution it recorded (mean and spread, or the range); for linear
    models, a spread that moves each feature's contribution by about one
    unit of the decision function; and around a stored input example
    (``metadata.json``'s ``input_example``) when the training saved one.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    center, spread = _scale_hints(model, n_features, np)
    example = _input_example(model_dir, n_features, np)
    if example is not None:
        center = example.mean(axis=0)
        spread = np.where(spread > 0, spread, np.maximum(np.abs(center) * 0.1, 1e-3))
    sample = center + spread * rng.standard_normal((rows, n_features))
    if example is not None:
        sample[: len(example)] = example[:rows]
    thresholds = _tree_thresholds(model, n_features, np)
    if thresholds is not None:
        # half the rows spread over the range the splits cover; the other half: every feature
        # just below or just above one of its own split thresholds
        half = rows // 2
        for j, values in enumerate(thresholds):
            if len(values):
                low, high = float(values[0]), float(values[-1])
                margin = max((high - low) * 0.1, 1e-3)
                if example is None:
                    sample[:half, j] = rng.uniform(low - margin, high + margin, size=half)
                picked = rng.choice(values, size=half)
                offset = np.maximum(np.abs(picked) * 1e-3, 1e-4) * rng.choice([-1.0, 1.0], size=half)
                sample[half:half * 2, j] = picked + offset
    return sample


def _final_estimator(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def _scale_hints(model: Any, n_features: int, np: Any) -> tuple[Any, Any]:
    center, spread = np.zeros(n_features), np.ones(n_features)
    first = model.steps[0][1] if getattr(model, "steps", None) else model
    if getattr(first, "mean_", None) is not None and getattr(first, "scale_", None) is not None and len(first.mean_) == n_features:
        return np.asarray(first.mean_, float), np.asarray(first.scale_, float)  # StandardScaler: the training distribution
    if getattr(first, "data_min_", None) is not None and len(first.data_min_) == n_features:
        low, high = np.asarray(first.data_min_, float), np.asarray(first.data_max_, float)  # MinMaxScaler: the training range
        return (low + high) / 2, np.maximum((high - low) / 4, 1e-6)
    coef = getattr(_final_estimator(model), "coef_", None)
    if coef is not None and np.ndim(coef) >= 1 and np.shape(coef)[-1] == n_features:
        weight = np.abs(np.atleast_2d(coef)).max(axis=0)
        spread = 1.0 / np.where(weight > 1e-12, weight, 1.0)
    return center, spread


def _tree_thresholds(model: Any, n_features: int, np: Any) -> list | None:
    final = _final_estimator(model)
    trees = []
    if hasattr(final, "tree_"):
        trees = [final.tree_]
    elif hasattr(final, "estimators_"):
        trees = [t.tree_ for t in _flat(final.estimators_) if hasattr(t, "tree_")]
    if not trees or final is not model:  # thresholds of a pipeline's last step are in transformed units
        return None
    per_feature: list[list] = [[] for _ in range(n_features)]
    for tree in trees:
        inner = tree.feature >= 0
        for f, t in zip(tree.feature[inner], tree.threshold[inner]):
            per_feature[f].append(t)
    return [np.unique(np.asarray(v, float)) for v in per_feature]


def _input_example(model_dir: str, n_features: int, np: Any) -> Any:
    path = os.path.join(model_dir, "metadata.json") if os.path.isdir(model_dir) else ""
    try:
        with open(path) as fh:
            example = json.load(fh).get("input_example")
        rows = [list(r.values()) if isinstance(r, dict) else r for r in (example or [])]
        array = np.asarray(rows, dtype=float)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return array if array.ndim == 2 and array.shape[1] == n_features and len(array) else None


def _model_name(model: Any) -> str:
    steps = getattr(model, "steps", None)
    return f"Pipeline({', '.join(type(s).__name__ for _n, s in steps)})" if steps else type(model).__name__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
