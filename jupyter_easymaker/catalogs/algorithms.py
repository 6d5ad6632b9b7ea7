"""Built-in training algorithms: a registry the server, the UI and the client read.

Each algorithm is a script in ``runtime/algorithms/`` that follows the job
contract (``--key value`` arguments, ``EM_*`` variables, ``name=value`` metric
lines), so a training that uses one is an ordinary training whose source
directory is :func:`algorithm_source_dir` and whose entry point is the
script's file name. The scripts import scikit-learn / torch themselves,
inside the job.
"""
from __future__ import annotations

import copy
import math
from typing import Any

from jupyter_easymaker.catalogs.jobs import IMAGE_DIR, runtime_dir

__all__ = [
    "BUILTIN_ALGORITHMS",
    "IMAGE_ALGORITHM_DIR",
    "algorithm_source_dir",
    "get_algorithm",
    "validate_hyperparameters",
]

# Where the images under images/ link the scripts' directory, so that a pod
# can find them without knowing the image's site-packages path.
IMAGE_ALGORITHM_DIR = f"{IMAGE_DIR}/algorithms"

_TRAIN_CSV = "one or more .csv files with a header row (all top-level .csv files are concatenated)"

BUILTIN_ALGORITHMS: dict[str, dict[str, Any]] = {
    "sklearn-tabular": {
        "name": "sklearn-tabular",
        "title": "Tabular classification / regression (scikit-learn)",
        "description": (
            "Random forest, gradient boosting or a linear model on CSV tables. Numeric columns are "
            "imputed and scaled, text/categorical columns one-hot encoded. Saves the fitted "
            "scikit-learn pipeline as model.joblib with metadata.json."
        ),
        "entry_point": "sklearn_tabular.py",
        "framework": "scikit-learn",
        "distributed": False,
        "model_files": ["model.joblib", "metadata.json"],
        "hyperparameters": [
            {"name": "target", "type": "str", "default": None, "required": True,
             "description": "Name of the column to predict."},
            {"name": "task", "type": "choice", "default": "auto", "choices": ["auto", "classification", "regression"],
             "description": "auto: classification for text/bool targets and integers with at most 20 values, else regression."},
            {"name": "model", "type": "choice", "default": "random_forest",
             "choices": ["random_forest", "gradient_boosting", "linear"],
             "description": "Estimator family (linear = logistic regression / ridge)."},
            {"name": "n_estimators", "type": "int", "default": 100, "min": 1, "max": 5000,
             "description": "Number of trees (random_forest, gradient_boosting)."},
            {"name": "max_depth", "type": "int", "default": 0, "min": 0, "max": 1000,
             "description": "Maximum tree depth; 0 keeps the estimator's default (unlimited for random forest, 3 for gradient boosting)."},
            {"name": "learning_rate", "type": "float", "default": 0.1, "min": 1e-6, "max": 10.0,
             "description": "Shrinkage of gradient boosting."},
            {"name": "test_size", "type": "float", "default": 0.2, "min": 0.01, "max": 0.9,
             "description": "Fraction of train held out for validation when no validation dataset is given."},
            {"name": "random_state", "type": "int", "default": 42, "min": 0, "max": 2**31 - 1,
             "description": "Seed of the split and the estimator."},
            {"name": "drop_columns", "type": "str", "default": "",
             "description": "Comma-separated columns to ignore (ids, leaks)."},
        ],
        "metrics": [
            {"name": "accuracy", "goal": "maximize", "task": "classification", "description": "Validation accuracy."},
            {"name": "f1_macro", "goal": "maximize", "task": "classification", "description": "Validation macro-averaged F1."},
            {"name": "log_loss", "goal": "minimize", "task": "classification", "description": "Validation log loss (estimators with predict_proba)."},
            {"name": "rmse", "goal": "minimize", "task": "regression", "description": "Validation root mean squared error."},
            {"name": "mae", "goal": "minimize", "task": "regression", "description": "Validation mean absolute error."},
            {"name": "r2", "goal": "maximize", "task": "regression", "description": "Validation coefficient of determination."},
        ],
        "datasets": [
            {"name": "train", "required": True, "format": "csv",
             "description": f"Training table: {_TRAIN_CSV}; must contain the target column."},
            {"name": "validation", "required": False, "format": "csv",
             "description": "Validation table with the same columns; without it test_size of train is held out."},
            {"name": "test", "required": False, "format": "csv",
             "description": "Test table; its metrics are printed with a test_ prefix (test_accuracy, test_rmse, ...)."},
        ],
    },
    "torch-text-classifier": {
        "name": "torch-text-classifier",
        "title": "Text classification (PyTorch)",
        "description": (
            "Bag-of-words text classifier: regex word tokens, a vocabulary of the most frequent words, "
            "an EmbeddingBag and a linear or one-hidden-layer head. Checkpoints every epoch and resumes "
            "from a checkpoint input; runs data-parallel under torchrun (gloo on CPU, nccl on GPU)."
        ),
        "entry_point": "torch_text_classifier.py",
        "framework": "pytorch",
        "distributed": True,
        "model_files": ["model.pt", "config.json", "vocab.json", "labels.json"],
        "hyperparameters": [
            {"name": "text_column", "type": "str", "default": "text", "description": "Column holding the text."},
            {"name": "label_column", "type": "str", "default": "label", "description": "Column holding the class label."},
            {"name": "epochs", "type": "int", "default": 5, "min": 1, "max": 1000, "description": "Total epochs (a resumed run continues up to this)."},
            {"name": "batch_size", "type": "int", "default": 32, "min": 1, "max": 65536, "description": "Examples per step and process."},
            {"name": "learning_rate", "type": "float", "default": 0.01, "min": 1e-7, "max": 10.0, "description": "Adam learning rate."},
            {"name": "embedding_dim", "type": "int", "default": 64, "min": 2, "max": 4096, "description": "Word embedding size."},
            {"name": "hidden_dim", "type": "int", "default": 0, "min": 0, "max": 8192, "description": "Hidden layer size; 0 = linear head."},
            {"name": "max_vocab", "type": "int", "default": 20000, "min": 10, "max": 10_000_000, "description": "Vocabulary size, including <pad> and <unk>."},
            {"name": "lowercase", "type": "bool", "default": True, "description": "Lower-case text before tokenizing."},
            {"name": "validation_split", "type": "float", "default": 0.1, "min": 0.0, "max": 0.9,
             "description": "Fraction of train held out when no validation dataset is given; 0 = none."},
            {"name": "seed", "type": "int", "default": 42, "min": 0, "max": 2**31 - 1, "description": "Seed of the split, the initialisation and the shuffling."},
        ],
        "metrics": [
            {"name": "loss", "goal": "minimize", "description": "Mean training cross-entropy of the epoch."},
            {"name": "val_loss", "goal": "minimize", "description": "Validation cross-entropy."},
            {"name": "val_accuracy", "goal": "maximize", "description": "Validation accuracy."},
            {"name": "test_accuracy", "goal": "maximize", "description": "Accuracy on the test dataset, after training."},
        ],
        "datasets": [
            {"name": "train", "required": True, "format": "csv",
             "description": f"Training texts: {_TRAIN_CSV}; columns text_column and label_column."},
            {"name": "validation", "required": False, "format": "csv", "description": "Validation texts with the same columns."},
            {"name": "test", "required": False, "format": "csv", "description": "Test texts with the same columns."},
        ],
    },
}


def algorithm_source_dir() -> str:
    """The directory holding the algorithm scripts (a training's source_dir)."""
    return runtime_dir("algorithms")


def get_algorithm(name: str) -> dict[str, Any]:
    try:
        return copy.deepcopy(BUILTIN_ALGORITHMS[name])
    except KeyError:
        raise ValueError(
            f"algorithm.name: unknown built-in algorithm {name!r}; choose one of {', '.join(sorted(BUILTIN_ALGORITHMS))}"
        ) from None


_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def _format(value: Any, kind: str) -> str:
    if kind == "bool":
        return "true" if value else "false"
    if kind == "float":
        return repr(float(value))
    return str(value)


def _convert(key: str, raw: Any, spec: dict[str, Any]) -> Any:
    kind = spec["type"]
    text = str(raw).strip()
    if kind == "int":
        try:
            value: Any = int(text)
        except ValueError:
            # accept "10.0" from UIs that send numbers as floats, not "10.5"
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not number.is_integer():
                raise ValueError(f"hyperparameters.{key}: expected an integer, got {raw!r}") from None
            value = int(number)
    elif kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"hyperparameters.{key}: expected a number, got {raw!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"hyperparameters.{key}: expected a finite number, got {raw!r}")
    elif kind == "bool":
        if text.lower() in _TRUE:
            value = True
        elif text.lower() in _FALSE:
            value = False
        else:
            raise ValueError(f"hyperparameters.{key}: expected true or false, got {raw!r}")
    elif kind == "choice":
        if text not in spec["choices"]:
            raise ValueError(f"hyperparameters.{key}: must be one of {', '.join(spec['choices'])}, got {raw!r}")
        value = text
    else:
        value = str(raw)
        if spec.get("required") and not text:
            raise ValueError(f"hyperparameters.{key}: required, must not be empty")
    if kind in ("int", "float"):
        if "min" in spec and value < spec["min"]:
            raise ValueError(f"hyperparameters.{key}: must be >= {spec['min']}, got {raw!r}")
        if "max" in spec and value > spec["max"]:
            raise ValueError(f"hyperparameters.{key}: must be <= {spec['max']}, got {raw!r}")
    return value


def validate_hyperparameters(name: str, hps: dict[str, Any]) -> dict[str, str]:
    """Check a built-in algorithm's hyperparameters and return them complete.

    The result holds every hyperparameter of the algorithm as a string: the
    given ones normalised (``"1e-2"`` -> ``"0.01"``, ``"yes"`` -> ``"true"``),
    the missing ones at their defaults, so a training records what it ran with.
    """
    algorithm = get_algorithm(name)
    specs = {hp["name"]: hp for hp in algorithm["hyperparameters"]}
    given = dict(hps or {})
    for key in given:
        if key not in specs:
            raise ValueError(
                f"hyperparameters.{key}: unknown hyperparameter of {name}; known: {', '.join(specs)}"
            )
    result: dict[str, str] = {}
    for key, spec in specs.items():
        raw = given.get(key)
        if raw is None or (str(raw).strip() == "" and spec["type"] != "str"):
            if spec.get("required"):
                raise ValueError(f"hyperparameters.{key}: required by {name}")
            if spec.get("default") is not None:
                result[key] = _format(spec["default"], spec["type"])
            continue
        result[key] = _format(_convert(key, raw, spec), spec["type"])
    return result
