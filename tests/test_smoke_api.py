


async def test_training_runs_to_complete(api, write_script):
    source = write_script("import os, sys\nprint('hello', sys.argv[1:])\nprint('loss=0.5 step=1')\nprint('loss=0.25 step=2')\n")
    created = await api.post("trainings", {
        "name": "t1", "experiment_name": "exp1",
        "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"},
        "hyperparameters": {"epochs": 3},
    }, expect=201)
    assert created["status"] == "CREATE REQUESTED"
    done = await api.wait_status("t1")
    assert done["status"] == "COMPLETE", done
    logs = await api.get("trainings/t1/logs")
    bodies = [r["body"] for r in logs["records"]]
    assert any("hello ['--epochs', '3']" in b for b in bodies), bodies
    metrics = await api.get("trainings/t1/metrics")
    assert metrics["metrics"][0]["values"] == [0.5, 0.25]
