"""Built-in algorithm ``sklearn-tabular``: scikit-learn on CSV tables.

Reads the ``train`` dataset (and optional ``validation`` / ``test``), fits a
preprocessing + estimator pipeline, prints validation metrics as ``name=value``
lines, writes them to TensorBoard and saves ``model.joblib`` + ``metadata.json``
into ``EM_MODEL_DIR``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared helper lives next to this file
from _algo_common import (  # noqa: E402
    DataError,
    ScalarLogger,
    add_hp,
    csv_files,
    dataset_path,
    emit,
    fail,
    log,
    parse_args,
    write_json,
)

TASKS = ["auto", "classification", "regression"]
MODELS = ["random_forest", "gradient_boosting", "linear"]
MAX_CLASSIFICATION_INTEGERS = 20  # task=auto: integer targets with more values are regression
MAX_CATEGORIES = 100  # per one-hot encoded column; rarer values share one column


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="scikit-learn on CSV tables (jupyter-easymaker built-in algorithm)")
    add_hp(p, "target", str, None, "column to predict (required)")
    add_hp(p, "task", str, "auto", "auto, classification or regression", choices=TASKS)
    add_hp(p, "model", str, "random_forest", "estimator family", choices=MODELS)
    add_hp(p, "n_estimators", int, 100, "number of trees")
    add_hp(p, "max_depth", int, 0, "maximum tree depth, 0 = estimator default")
    add_hp(p, "learning_rate", float, 0.1, "gradient boosting shrinkage")
    add_hp(p, "test_size", float, 0.2, "held-out fraction when no validation dataset is given")
    add_hp(p, "random_state", int, 42, "seed")
    add_hp(p, "drop_columns", str, "", "comma-separated columns to ignore")
    return p


def read_table(name: str, required: bool):
    import pandas as pd

    path = dataset_path(name)
    if not path:
        if required:
            raise DataError(f"dataset {name!r} is required (datasets.{name}, env EM_DATASET_{name.upper()})")
        return None
    frames, columns = [], None
    for file in csv_files(path, name):
        try:
            frame = pd.read_csv(file)
        except Exception as exc:  # noqa: BLE001 - any parse error is a data error
            raise DataError(f"dataset {name!r}: cannot read {file}: {exc}") from exc
        if columns is None:
            columns = list(frame.columns)
        elif list(frame.columns) != columns:
            raise DataError(f"dataset {name!r}: {file} has columns {list(frame.columns)}, expected {columns}")
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    if table.empty:
        raise DataError(f"dataset {name!r}: no rows in {path}")
    log(f"dataset {name}: {len(table)} rows, {len(columns)} columns from {path}")
    return table


def infer_task(y) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        return "classification"
    values = y.dropna()
    integral = pd.api.types.is_integer_dtype(y) or bool((values == values.round()).all())
    return "classification" if integral and values.nunique() <= MAX_CLASSIFICATION_INTEGERS else "regression"


def prepare(table, args, feature_columns: list[str] | None, name: str):
    """Split a table into features and target, with the column types the pipeline expects."""
    import pandas as pd

    if args.target not in table.columns:
        raise DataError(
            f"target column {args.target!r} not found in dataset {name!r}; columns are: {', '.join(map(str, table.columns))}"
        )
    missing_target = table[args.target].isna()
    if missing_target.any():
        log(f"dataset {name}: dropping {int(missing_target.sum())} rows without a target")
        table = table[~missing_target]
    if feature_columns is None:
        drop = [c.strip() for c in args.drop_columns.split(",") if c.strip()]
        unknown = [c for c in drop if c not in table.columns]
        if unknown:
            raise DataError(f"drop_columns: {', '.join(unknown)} not in dataset {name!r}; columns are: {', '.join(map(str, table.columns))}")
        feature_columns = [c for c in table.columns if c != args.target and c not in drop]
        if not feature_columns:
            raise DataError(f"dataset {name!r} has no feature columns besides the target {args.target!r}")
    else:
        missing = [c for c in feature_columns if c not in table.columns]
        if missing:
            raise DataError(f"dataset {name!r} lacks the feature columns {', '.join(missing)} of the train dataset")
    X = table[feature_columns].copy()
    for column in X.columns:
        if pd.api.types.is_bool_dtype(X[column]):
            X[column] = X[column].astype(float)  # bools as 0/1, so JSON true/false predicts the same
        elif not pd.api.types.is_numeric_dtype(X[column]):
            X[column] = X[column].where(X[column].isna(), X[column].astype(str))  # mixed types confuse the encoder
    return X, table[args.target], feature_columns


def build_pipeline(task: str, args, numeric: list[str], categorical: list[str]):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    transformers = []
    if numeric:
        transformers.append(("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric))
    if categorical:
        transformers.append((
            "categorical",
            Pipeline([
                ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES, sparse_output=False)),
            ]),
            categorical,
        ))
    preprocess = ColumnTransformer(transformers, remainder="drop")
    depth = args.max_depth or None
    seed = args.random_state
    if args.model == "random_forest":
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        cls = RandomForestClassifier if task == "classification" else RandomForestRegressor
        estimator = cls(n_estimators=args.n_estimators, max_depth=depth, random_state=seed, n_jobs=-1)
    elif args.model == "gradient_boosting":
        from sklearn.ensemble import (
            GradientBoostingClassifier,
            GradientBoostingRegressor,
        )

        cls = GradientBoostingClassifier if task == "classification" else GradientBoostingRegressor
        estimator = cls(n_estimators=args.n_estimators, learning_rate=args.learning_rate, max_depth=depth or 3, random_state=seed)
    else:
        from sklearn.linear_model import LogisticRegression, Ridge

        estimator = LogisticRegression(max_iter=1000, random_state=seed) if task == "classification" else Ridge(random_state=seed)
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def evaluate(pipeline, task: str, X, y) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics

    predicted = pipeline.predict(X)
    if task == "regression":
        return {
            "rmse": float(np.sqrt(metrics.mean_squared_error(y, predicted))),
            "mae": float(metrics.mean_absolute_error(y, predicted)),
            "r2": float(metrics.r2_score(y, predicted)) if len(y) > 1 else float("nan"),
        }
    result = {
        "accuracy": float(metrics.accuracy_score(y, predicted)),
        "f1_macro": float(metrics.f1_score(y, predicted, average="macro")),
    }
    if hasattr(pipeline, "predict_proba"):
        classes = pipeline.classes_
        try:
            result["log_loss"] = float(metrics.log_loss(y, pipeline.predict_proba(X), labels=classes))
        except ValueError as exc:  # e.g. a validation class the model never saw
            log(f"log_loss not computed: {exc}")
    return result


def staged_curve(pipeline, task: str, X, y):
    """Validation metric after each boosting stage, for a TensorBoard curve."""
    from sklearn import metrics

    model = pipeline.named_steps["model"]
    if not hasattr(model, "staged_predict"):
        return []
    Xt = pipeline.named_steps["preprocess"].transform(X)
    name = "accuracy" if task == "classification" else "rmse"
    curve = []
    for stage, predicted in enumerate(model.staged_predict(Xt), start=1):
        if task == "classification":
            value = metrics.accuracy_score(y, predicted)
        else:
            value = metrics.mean_squared_error(y, predicted) ** 0.5
        curve.append((stage, name, float(value)))
    return curve


def jsonable(values) -> list:
    return [v.item() if hasattr(v, "item") else v for v in values]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(build_parser(), argv)
    started = time.time()
    try:
        train = read_table("train", required=True)
        if not args.target:
            raise DataError(f"hyperparameter 'target' is required (--target COLUMN); columns are: {', '.join(map(str, train.columns))}")
        validation = read_table("validation", required=False)
        test = read_table("test", required=False)
        X, y, features = prepare(train, args, None, "train")
        task = infer_task(y) if args.task == "auto" else args.task
        if task == "regression":
            import pandas as pd

            if not pd.api.types.is_numeric_dtype(y):
                raise DataError(f"target {args.target!r} is not numeric: use task=classification")
        if task == "classification" and y.nunique() < 2:
            raise DataError(f"target {args.target!r} has a single class ({y.iloc[0]!r}): nothing to classify")
        if validation is not None:
            X_val, y_val, _ = prepare(validation, args, features, "validation")
            X_train, y_train = X, y
        else:
            from sklearn.model_selection import train_test_split

            stratify = None
            if task == "classification":
                counts = y.value_counts()
                if counts.min() >= 2 and round(len(y) * args.test_size) >= len(counts):
                    stratify = y
            if len(y) < 4:
                raise DataError(f"dataset 'train' has {len(y)} rows: too few to hold out a validation part")
            X_train, X_val, y_train, y_val = train_test_split(
                X, y, test_size=args.test_size, random_state=args.random_state, stratify=stratify
            )
    except DataError as exc:
        fail(str(exc))

    import pandas as pd

    numeric = [c for c in features if pd.api.types.is_numeric_dtype(X[c])]
    categorical = [c for c in features if c not in numeric]
    log(f"task={task} model={args.model}: {len(numeric)} numeric, {len(categorical)} categorical features; "
        f"{len(X_train)} train rows, {len(X_val)} validation rows")
    pipeline = build_pipeline(task, args, numeric, categorical)
    pipeline.fit(X_train, y_train)

    metrics = evaluate(pipeline, task, X_val, y_val)
    train_metrics = evaluate(pipeline, task, X_train, y_train)
    test_metrics = {}
    if test is not None:
        try:
            X_test, y_test, _ = prepare(test, args, features, "test")
        except DataError as exc:
            fail(str(exc))
        test_metrics = evaluate(pipeline, task, X_test, y_test)
    emit(**{f"train_{k}": v for k, v in train_metrics.items()})
    emit(**metrics)
    if test_metrics:
        emit(**{f"test_{k}": v for k, v in test_metrics.items()})

    steps = args.n_estimators if args.model != "linear" else 1
    tb = ScalarLogger(os.environ.get("EM_TENSORBOARD_LOG_DIR", ""))
    for stage, name, value in staged_curve(pipeline, task, X_val, y_val):
        tb.scalar(f"validation/{name}", value, stage)
    for name, value in metrics.items():
        tb.scalar(f"validation/{name}", value, steps)
    for name, value in train_metrics.items():
        tb.scalar(f"train/{name}", value, steps)
    for name, value in test_metrics.items():
        tb.scalar(f"test/{name}", value, steps)
    tb.close()

    import joblib
    import sklearn

    model_dir = os.environ.get("EM_MODEL_DIR") or os.path.abspath("model")
    os.makedirs(model_dir, exist_ok=True)
    joblib.dump(pipeline, os.path.join(model_dir, "model.joblib"))
    write_json(os.path.join(model_dir, "metadata.json"), {
        "algorithm": "sklearn-tabular",
        "framework": "scikit-learn",
        "framework_version": sklearn.__version__,
        "python_version": platform.python_version(),
        "task": task,
        "model": args.model,
        "target": args.target,
        "feature_columns": [str(c) for c in features],
        "numeric_columns": [str(c) for c in numeric],
        "categorical_columns": [str(c) for c in categorical],
        "classes": jsonable(pipeline.classes_) if task == "classification" else None,
        "metrics": {**metrics, **{f"train_{k}": v for k, v in train_metrics.items()}, **{f"test_{k}": v for k, v in test_metrics.items()}},
        "hyperparameters": vars(args),
        "train_rows": int(len(X_train)),
        "validation_rows": int(len(X_val)),
        "input_example": json.loads(X_val.head(1).to_json(orient="records")),
        "created_at": time.time(),
    })
    output_dir = os.environ.get("EM_OUTPUT_DIR")
    if output_dir and test is not None:
        os.makedirs(output_dir, exist_ok=True)
        pd.DataFrame({"target": y_test.to_numpy(), "prediction": pipeline.predict(X_test)}).to_csv(
            os.path.join(output_dir, "test_predictions.csv"), index=False
        )
    log(f"saved model.joblib and metadata.json to {model_dir} ({time.time() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
