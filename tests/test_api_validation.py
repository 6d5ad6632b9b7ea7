"""Bad input answers 4xx naming the field, and stores nothing."""
from __future__ import annotations

import pytest


def body(source, **extra):
    base = {"name": "t1", "experiment_name": "exp", "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"}}
    base.update(extra)
    return base


@pytest.fixture
def source(write_script):
    return write_script("print('ok')\n")


CASES = [
    ("wrong type", {"nodes": "x"}, "nodes"),
    ("bool for int", {"max_run_seconds": "soon"}, "max_run_seconds"),
    ("bad name", {"name": "has space"}, "name"),
    ("long name", {"name": "x" * 51}, "name"),
    ("unknown field", {"epochs": 3}, "epochs"),
    ("101 hyperparameters", {"hyperparameters": {f"h{i}": i for i in range(101)}}, "hyperparameters"),
    ("11 datasets", {"datasets": [{"name": f"d{i}", "path": "/tmp"} for i in range(11)]}, "datasets"),
    ("duplicate dataset names", {"datasets": [{"name": "a", "path": "/tmp"}, {"name": "A", "path": "/tmp"}]}, "datasets"),
    ("traversal", {"datasets": [{"name": "d", "path": "/tmp/../etc"}]}, "datasets[0].path"),
    ("outside roots", {"datasets": [{"name": "d", "path": "/etc"}]}, "datasets[0].path"),
    ("relative path", {"output_path": "relative/dir"}, "output_path"),
    ("nas traversal", {"checkpoint_path": "nas://nas1:/../escape"}, "checkpoint_path"),
    ("unknown nas", {"checkpoint_path": "nas://nope:/x"}, "checkpoint_path"),
    ("bad obs", {"output_path": "obs://only-endpoint"}, "output_path"),
    ("unknown instance type", {"instance_type": "huge"}, "instance_type"),
    ("unknown backend", {"backend": "slurm"}, "backend"),
    ("unconfigured backend", {"backend": "kubernetes"}, "backend"),
    ("entry point escapes", {"algorithm": {"type": "custom", "source_dir": "/tmp", "entry_point": "../x.py"}}, "algorithm.entry_point"),
    ("unknown built-in", {"algorithm": {"type": "builtin", "name": "nope"}}, "algorithm.name"),
    ("unknown experiment", {"experiment_name": None, "experiment_id": "no-such-experiment"}, "experiment_id"),
    ("no experiment", {"experiment_name": None}, "body"),
    ("unknown template", {"template_id": "no-such-template"}, "template_id"),
]


@pytest.mark.parametrize("label,change,field", CASES, ids=[c[0] for c in CASES])
async def test_bad_training_input_names_the_field(api, source, label, change, field):
    answer = await api.post("trainings", body(source, **change))
    assert answer["field"] == field, answer
    assert answer["error"]
    page = await api.get("trainings")
    assert page["total"] == 0


async def test_missing_algorithm_and_wrong_json(api):
    answer = await api.post("trainings", {"name": "t1", "experiment_name": "e"}, expect=422)
    assert answer["field"] == "algorithm"
    code, text = await api.call("POST", "trainings", "{not json", raw=True)
    assert code == 422 and '"field": "body"' in text
    code, _ = await api.call("POST", "trainings", "[1, 2]", raw=True)
    assert code == 422


async def test_missing_entry_point_file(api, source):
    answer = await api.post("trainings", body(source, algorithm={"type": "custom", "source_dir": source, "entry_point": "nope.py"}), expect=422)
    assert answer["field"] == "algorithm.entry_point"


async def test_duplicate_names_conflict_and_keep_the_first(api, source):
    first = await api.post("trainings", body(source), expect=201)
    again = await api.post("trainings", body(source), expect=409)
    assert again["field"] == "name"
    assert (await api.get("trainings/t1"))["id"] == first["id"]
    await api.post("experiments", {"name": "exp"}, expect=409)


async def test_hundred_hyperparameters_and_ten_datasets_are_fine(api, source, tmp_path):
    datasets = []
    for i in range(10):
        (tmp_path / f"d{i}").mkdir()
        datasets.append({"name": f"d{i}", "path": str(tmp_path / f"d{i}")})
    created = await api.post("trainings", body(source, hyperparameters={f"h{i}": i for i in range(100)}, datasets=datasets), expect=201)
    assert len(created["spec"]["hyperparameters"]) == 100


async def test_unknown_resources_are_404(api):
    for path in ("trainings/nope", "experiments/nope", "training-templates/nope", "trainings/nope/logs", "trainings/nope/metrics"):
        answer = await api.get(path, expect=404)
        assert "does not exist" in answer["error"]
    await api.post("trainings/nope/stop", expect=404)


async def test_inline_sources_must_stay_inside(api):
    answer = await api.post("trainings", {"name": "t1", "experiment_name": "e", "algorithm": {
        "type": "custom", "entry_point": "main.py", "source_files": {"main.py": "print(1)", "../evil.py": "x"}}}, expect=422)
    assert answer["field"] == "algorithm.source_files"
