"""The built-in algorithms and the quickstart notebook, run for real through the job launcher."""
from __future__ import annotations

import ast
import csv
import glob
import importlib.util
import json
import math
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.catalogs.algorithms import (
    BUILTIN_ALGORITHMS,
    algorithm_source_dir,
    get_algorithm,
    validate_hyperparameters,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO_ROOT / "examples" / "quickstart.ipynb"
# Katib's default metrics format, which the platform scrapes
METRIC = re.compile(r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)")


# -- helpers -------------------------------------------------------------------
@dataclass
class Job:
    returncode: int
    stdout: str
    stderr: str
    state: dict[str, Any]
    spec: dict[str, Any]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def metrics(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for line in self.stdout.splitlines():
            if line.startswith("[easymaker]"):
                continue
            for match in METRIC.finditer(line):
                if match.group(2) not in ("", "+", "-"):
                    found.setdefault(match.group(1), []).append(float(match.group(2)))
        return found


def run_job(root: Path, entry_point: str, hyperparameters: dict[str, Any], datasets: dict[str, str], **fields: Any) -> Job:
    """Write a JobSpec file and run ``python -m jupyter_easymaker.runtime.launcher`` on it."""
    root.mkdir(parents=True, exist_ok=True)
    spec = JobSpec(
        job_id=f"test-{root.name}",
        name=root.name,
        kind="training",
        source_dir=fields.pop("source_dir", algorithm_source_dir()),
        entry_point=entry_point,
        hyperparameters={k: str(v) for k, v in hyperparameters.items()},
        datasets=datasets,
        model_dir=str(root / "model"),
        tensorboard_log_dir=str(root / "tensorboard"),
        checkpoint_dir=str(root / "checkpoints"),
        output_dir=str(root / "output"),
        work_dir=str(root / "work"),
        **fields,
    ).to_dict()
    spec_path = root / "spec.json"
    spec_path.write_text(json.dumps(spec))
    env = {k: v for k, v in os.environ.items() if not k.startswith("EM_")}  # no contract leaking in from outside
    env.update(
        EM_JOB_SPEC_FILE=str(spec_path),
        EM_LOCAL_NODES="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter_easymaker.runtime.launcher"],
        env=env, cwd=root, capture_output=True, text=True, timeout=300,
    )
    state = json.loads((root / "work" / "state.json").read_text())
    return Job(proc.returncode, proc.stdout, proc.stderr, state, spec)


def assert_succeeded(job: Job) -> None:
    assert job.returncode == 0 and job.state["phase"] == "SUCCEEDED", job.output[-4000:]


def tensorboard_scalars(logdir: str) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    files = glob.glob(os.path.join(logdir, "**", "events.out.tfevents.*"), recursive=True)
    assert files, f"no TensorBoard event file in {logdir}"
    scalars: dict[str, list[tuple[int, float]]] = {}
    for directory in {os.path.dirname(f) for f in files}:
        acc = EventAccumulator(directory)
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            scalars.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
        # tensorboard.summary.Writer stores scalars as tensors
        for tag in acc.Tags().get("tensors", []):
            scalars.setdefault(tag, []).extend((e.step, float(e.tensor_proto.float_val[0] if e.tensor_proto.float_val else 0)) for e in acc.Tensors(tag))
    return scalars


def load_script(name: str):
    path = os.path.join(algorithm_source_dir(), name)
    spec = importlib.util.spec_from_file_location(f"_em_test_{name[:-3]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def notebook_cell(tag: str) -> str:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    matches = ["".join(c["source"]) for c in cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(matches) == 1, f"one cell tagged {tag} expected"
    return matches[0]


# -- data ------------------------------------------------------------------------
def two_moons(n: int, seed: int, noise: float = 0.15) -> list[tuple[float, float, int]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        t = math.pi * rng.random()
        x, y = (math.cos(t), math.sin(t)) if label == 0 else (1 - math.cos(t), 0.5 - math.sin(t))
        rows.append((x + rng.gauss(0, noise), y + rng.gauss(0, noise), label))
    return rows


def write_csv(path: Path, header: list[str], rows) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path.parent)


def tabular_rows(n: int, seed: int):
    rng = random.Random(seed + 1)
    return [
        (round(x, 4), round(y, 4), rng.choice(["red", "green", "blue"]), rng.random() < 0.5, "yes" if label else "no")
        for x, y, label in two_moons(n, seed)
    ]


POSITIVE = ["great", "good", "excellent", "love", "wonderful", "amazing", "fantastic", "brilliant"]
NEGATIVE = ["bad", "awful", "terrible", "hate", "poor", "boring", "horrible", "dull"]
FILLER = ["the", "movie", "was", "plot", "acting", "a", "really", "film", "and", "story", "i", "it", "quite", "ending"]


def text_rows(n: int, seed: int):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        label = rng.choice(["positive", "negative"])
        words = rng.sample(FILLER, 6) + rng.sample(POSITIVE if label == "positive" else NEGATIVE, 2)
        rng.shuffle(words)
        rows.append((" ".join(words).capitalize() + ".", label))
    return rows


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("data")
    linear_rng = random.Random(7)
    regression = []
    for _ in range(300):
        a, b = linear_rng.uniform(-2, 2), linear_rng.uniform(-2, 2)
        regression.append((round(a, 4), round(b, 4), linear_rng.choice(["x", "y"]), round(3 * a - 2 * b + linear_rng.gauss(0, 0.2), 4)))
    header = ["x1", "x2", "color", "flag", "label"]
    return {
        "tabular_train": write_csv(root / "tabular" / "train" / "train.csv", header, tabular_rows(400, 0)),
        "tabular_test": write_csv(root / "tabular" / "test" / "test.csv", header, tabular_rows(200, 1)),
        "regression_train": write_csv(root / "regression" / "data.csv", ["a", "b", "group", "y"], regression),
        "text_train": write_csv(root / "text" / "train" / "reviews.csv", ["text", "label"], text_rows(300, 0)),
        "text_test": write_csv(root / "text" / "test" / "reviews.csv", ["text", "label"], text_rows(100, 1)),
    }


# -- registry and validation -------------------------------------------------------------
def test_registry_describes_runnable_algorithms():
    assert set(BUILTIN_ALGORITHMS) == {"sklearn-tabular", "torch-text-classifier"}
    for name, algorithm in BUILTIN_ALGORITHMS.items():
        assert algorithm["name"] == name
        for key in ("title", "description", "entry_point", "framework", "hyperparameters", "metrics", "datasets"):
            assert algorithm[key], f"{name}.{key}"
        assert os.path.isfile(os.path.join(algorithm_source_dir(), algorithm["entry_point"]))
        for hp in algorithm["hyperparameters"]:
            assert hp["type"] in ("int", "float", "str", "bool", "choice"), hp
            assert hp["description"]
            assert hp["type"] != "choice" or hp["default"] in hp["choices"]
        assert all(m["goal"] in ("minimize", "maximize") for m in algorithm["metrics"])
        assert any(d["name"] == "train" and d["required"] for d in algorithm["datasets"])


@pytest.mark.parametrize("name", sorted(BUILTIN_ALGORITHMS))
def test_registry_matches_script_arguments(name):
    """The registry and each script's argparse agree on names and defaults."""
    algorithm = BUILTIN_ALGORITHMS[name]
    parser = load_script(algorithm["entry_point"]).build_parser()
    defaults = {a.dest: a.default for a in parser._actions if a.dest != "help"}
    assert set(defaults) == {hp["name"] for hp in algorithm["hyperparameters"]}
    for hp in algorithm["hyperparameters"]:
        assert defaults[hp["name"]] == hp["default"], hp["name"]


def test_registry_module_is_import_light():
    code = (
        "import sys, jupyter_easymaker.catalogs.algorithms as a; a.validate_hyperparameters('sklearn-tabular', {'target': 'y'});"
        "heavy = [m for m in ('torch', 'sklearn', 'pandas', 'numpy', 'tensorboard') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


def test_validate_hyperparameters_fills_defaults_and_normalises():
    hps = validate_hyperparameters("sklearn-tabular", {"target": "label", "n_estimators": "50", "learning_rate": "1e-2", "max_depth": "4.0"})
    assert hps["target"] == "label" and hps["n_estimators"] == "50" and hps["max_depth"] == "4"
    assert hps["learning_rate"] == "0.01" and hps["model"] == "random_forest" and hps["task"] == "auto"
    text = validate_hyperparameters("torch-text-classifier", {"lowercase": "No", "epochs": 3})
    assert text["lowercase"] == "false" and text["epochs"] == "3" and text["text_column"] == "text"
    assert all(isinstance(v, str) for v in text.values())


@pytest.mark.parametrize(
    "name, hps, field, reason",
    [
        ("sklearn-tabular", {}, "target", "required"),
        ("sklearn-tabular", {"target": "  "}, "target", "required"),
        ("sklearn-tabular", {"target": "y", "colour": "red"}, "colour", "unknown"),
        ("sklearn-tabular", {"target": "y", "n_estimators": "many"}, "n_estimators", "integer"),
        ("sklearn-tabular", {"target": "y", "n_estimators": "2.5"}, "n_estimators", "integer"),
        ("sklearn-tabular", {"target": "y", "n_estimators": "0"}, "n_estimators", ">= 1"),
        ("sklearn-tabular", {"target": "y", "test_size": "0.95"}, "test_size", "<= 0.9"),
        ("sklearn-tabular", {"target": "y", "learning_rate": "nan"}, "learning_rate", "finite"),
        ("sklearn-tabular", {"target": "y", "model": "svm"}, "model", "one of"),
        ("torch-text-classifier", {"lowercase": "maybe"}, "lowercase", "true or false"),
        ("torch-text-classifier", {"learning_rate": "fast"}, "learning_rate", "number"),
        ("torch-text-classifier", {"validation_split": "-0.1"}, "validation_split", ">= 0"),
    ],
)
def test_validate_hyperparameters_errors_name_the_field(name, hps, field, reason):
    with pytest.raises(ValueError) as info:
        validate_hyperparameters(name, hps)
    message = str(info.value)
    assert message.startswith(f"hyperparameters.{field}: ") and reason in message, message


def test_unknown_algorithm_is_refused():
    with pytest.raises(ValueError, match=r"^algorithm\.name: .*sklearn-tabular"):
        get_algorithm("xgboost")
    with pytest.raises(ValueError, match=r"^algorithm\.name: "):
        validate_hyperparameters("xgboost", {})


# -- sklearn-tabular -------------------------------------------------------------------
def test_sklearn_tabular_classification(tmp_path, data):
    hps = validate_hyperparameters("sklearn-tabular", {"target": "label", "n_estimators": "50"})
    job = run_job(tmp_path / "sk", "sklearn_tabular.py", hps, {"train": data["tabular_train"], "test": data["tabular_test"]})
    assert_succeeded(job)
    metrics = job.metrics()
    assert metrics["accuracy"][-1] > 0.8 and metrics["test_accuracy"][-1] > 0.8, job.stdout
    assert 0.8 < metrics["f1_macro"][-1] <= 1.0
    assert 0 <= metrics["log_loss"][-1] < 0.7

    import joblib
    import pandas as pd

    model_dir = Path(job.spec["model_dir"])
    metadata = json.loads((model_dir / "metadata.json").read_text())
    assert metadata["task"] == "classification" and metadata["classes"] == ["no", "yes"]
    assert metadata["feature_columns"] == ["x1", "x2", "color", "flag"]
    assert metadata["categorical_columns"] == ["color"]
    assert metadata["metrics"]["accuracy"] == pytest.approx(metrics["accuracy"][-1], abs=1e-5)
    pipeline = joblib.load(model_dir / "model.joblib")
    test = pd.read_csv(os.path.join(data["tabular_test"], "test.csv"))
    test["flag"] = test["flag"].astype(float)
    accuracy = (pipeline.predict(test[metadata["feature_columns"]]) == test["label"]).mean()
    assert accuracy > 0.8
    assert pipeline.predict(pd.DataFrame([{"x1": 0.0, "x2": 1.0, "color": "purple", "flag": 1.0}]))[0] in ("no", "yes")

    scalars = tensorboard_scalars(job.spec["tensorboard_log_dir"])
    assert "validation/accuracy" in scalars and "test/accuracy" in scalars
    assert (Path(job.spec["output_dir"]) / "test_predictions.csv").is_file()


def test_sklearn_tabular_regression_with_linear_model(tmp_path, data):
    job = run_job(tmp_path / "reg", "sklearn_tabular.py", {"target": "y", "model": "linear"}, {"train": data["regression_train"]})
    assert_succeeded(job)
    metrics = job.metrics()
    assert metrics["r2"][-1] > 0.95 and metrics["rmse"][-1] < 0.5 and metrics["mae"][-1] < 0.4, job.stdout
    assert "accuracy" not in metrics
    metadata = json.loads((Path(job.spec["model_dir"]) / "metadata.json").read_text())
    assert metadata["task"] == "regression" and metadata["classes"] is None
    assert "validation/rmse" in tensorboard_scalars(job.spec["tensorboard_log_dir"])


def test_sklearn_tabular_missing_target_column_fails_clearly(tmp_path, data):
    job = run_job(tmp_path / "bad", "sklearn_tabular.py", {"target": "price"}, {"train": data["tabular_train"]})
    assert job.returncode != 0 and job.state["phase"] == "FAILED"
    assert "target column 'price' not found" in job.stderr
    assert "columns are: x1, x2, color, flag, label" in job.stderr


# -- torch-text-classifier ---------------------------------------------------------------
def test_torch_text_classifier_trains_checkpoints_and_resumes(tmp_path, data):
    import torch

    torch.set_num_threads(1)
    hps = {"epochs": 2, "batch_size": 16, "learning_rate": 0.05, "embedding_dim": 16, "hidden_dim": 8}
    first = run_job(tmp_path / "first", "torch_text_classifier.py", hps, {"train": data["text_train"], "test": data["text_test"]})
    assert_succeeded(first)
    metrics = first.metrics()
    assert metrics["epoch"] == [1.0, 2.0], first.stdout
    assert len(metrics["loss"]) == 2 and metrics["loss"][1] < metrics["loss"][0]
    assert metrics["val_accuracy"][-1] > 0.8 and metrics["test_accuracy"][-1] > 0.8, first.stdout
    assert any(re.fullmatch(r"epoch=2 loss=\S+ val_loss=\S+ val_accuracy=\S+", line) for line in first.stdout.splitlines())

    model_dir = first.spec["model_dir"]
    for name in ("model.pt", "vocab.json", "labels.json", "config.json"):
        assert os.path.isfile(os.path.join(model_dir, name)), name
    script = load_script("torch_text_classifier.py")
    model, vocab, labels, config = script.load_model(model_dir)
    assert labels == ["negative", "positive"] and config["hidden_dim"] == 8 and vocab["<pad>"] == 0
    predictions = script.predict(model, vocab, labels, ["What a wonderful, amazing film", "Boring and awful plot", ""])
    assert predictions[:2] == ["positive", "negative"]
    state = torch.load(os.path.join(model_dir, "model.pt"), weights_only=True)
    assert state["embedding.weight"].shape == (len(vocab), 16)

    scalars = tensorboard_scalars(first.spec["tensorboard_log_dir"])
    assert [step for step, _ in scalars["val_accuracy"]] == [1, 2] and "loss" in scalars
    assert os.path.isfile(os.path.join(first.spec["checkpoint_dir"], "checkpoint.pt"))

    second = run_job(
        tmp_path / "second", "torch_text_classifier.py", {**hps, "epochs": 4}, {"train": data["text_train"]},
        checkpoint_input_dir=first.spec["checkpoint_dir"],
    )
    assert_succeeded(second)
    assert "resumed from epoch 2" in second.stdout
    assert second.metrics()["epoch"] == [3.0, 4.0], second.stdout
    checkpoint = torch.load(os.path.join(second.spec["checkpoint_dir"], "checkpoint.pt"), weights_only=True)
    assert checkpoint["epoch"] == 4 and checkpoint["vocab"] == vocab
    assert json.loads((Path(second.spec["model_dir"]) / "config.json").read_text())["epochs"] == 4


def test_torch_text_classifier_under_torchrun(tmp_path, data):
    job = run_job(
        tmp_path / "ddp", "torch_text_classifier.py", {"epochs": 2, "learning_rate": 0.05, "embedding_dim": 16},
        {"train": data["text_train"]}, use_torchrun=True, nodes=1, nproc_per_node=2,
    )
    assert_succeeded(job)
    assert "distributed training: 2 processes, backend gloo" in job.output
    metrics = job.metrics()
    assert metrics["epoch"] == [1.0, 2.0], job.stdout  # rank 0 alone reports
    assert metrics["val_accuracy"][-1] > 0.8
    assert os.path.isfile(os.path.join(job.spec["model_dir"], "model.pt"))
    assert glob.glob(os.path.join(job.spec["tensorboard_log_dir"], "events.out.tfevents.*"))


def test_torch_text_classifier_missing_column_fails_clearly(tmp_path, data):
    job = run_job(tmp_path / "bad", "torch_text_classifier.py", {"text_column": "review"}, {"train": data["text_train"]})
    assert job.returncode != 0 and job.state["phase"] == "FAILED"
    assert "column 'review' not found" in job.stderr and "columns are: text, label" in job.stderr


# -- quickstart notebook -----------------------------------------------------------------
def test_quickstart_notebook_is_clean_and_uses_the_magics():
    notebook = json.loads(NOTEBOOK.read_text())
    code_cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code_cells)
    sources = ["".join(c["source"]) for c in code_cells]
    assert "%load_ext jupyter_easymaker" in sources
    first_line = notebook_cell("quickstart-train").splitlines()[0]
    assert first_line.startswith("%%easymaker train ")
    for option in ("--name quickstart-mlp", "--experiment quickstart", "--hp epochs=20", "--hp lr=0.05", "--dataset train={train_dir}", "--wait"):
        assert option in first_line
    assert any("%easymaker tensorboard quickstart-mlp" in s for s in sources)
    # paths are computed in the notebook, never written in as absolute ones
    assert not any(re.search(r"['\"]/(home|root|tmp|srv|mnt)/", s) for s in sources)

    # the built-in algorithm cell passes hyperparameters the registry accepts
    call = next(
        node for node in ast.walk(ast.parse(notebook_cell("quickstart-builtin")))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "create_training"
    )
    kwargs = {k.arg: k.value for k in call.keywords}
    algorithm = ast.literal_eval(kwargs["algorithm"])
    assert algorithm == {"type": "builtin", "name": "sklearn-tabular"}
    validate_hyperparameters(algorithm["name"], ast.literal_eval(kwargs["hyperparameters"]))


def test_quickstart_training_cell_runs_through_the_launcher(tmp_path):
    notebook_dir = tmp_path / "notebook"
    notebook_dir.mkdir()
    # the data cell is plain Python: run it where the notebook would be
    (notebook_dir / "make_data.py").write_text(notebook_cell("quickstart-data") + "\nprint('TRAIN_DIR=' + train_dir)\n")
    made = subprocess.run([sys.executable, "make_data.py"], cwd=notebook_dir, capture_output=True, text=True, timeout=60, check=True)
    train_dir = made.stdout.split("TRAIN_DIR=")[1].strip()
    assert os.path.isfile(os.path.join(train_dir, "train.csv"))

    source = tmp_path / "source"
    source.mkdir()
    body = notebook_cell("quickstart-train").split("\n", 1)[1]  # drop the %%easymaker line
    (source / "main.py").write_text(body)
    job = run_job(tmp_path / "quickstart", "main.py", {"epochs": 5, "lr": 0.05}, {"train": train_dir}, source_dir=str(source))
    assert_succeeded(job)
    metrics = job.metrics()
    assert metrics["epoch"] == [1.0, 2.0, 3.0, 4.0, 5.0], job.stdout
    assert metrics["accuracy"][-1] > 0.8 and metrics["loss"][-1] < metrics["loss"][0]

    import torch

    state = torch.load(os.path.join(job.spec["model_dir"], "model.pt"), weights_only=True)
    assert state["0.weight"].shape == (32, 2)
    scalars = tensorboard_scalars(job.spec["tensorboard_log_dir"])
    assert [step for step, _ in scalars["accuracy"]] == [1, 2, 3, 4, 5]
