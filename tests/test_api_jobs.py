"""Jobs beyond a single process: torchrun across local nodes, TF_CONFIG,
built-in algorithms, requirements.txt, inline sources and resource usage."""
from __future__ import annotations

import json
import re

DDP = """
import os, torch, torch.distributed as dist
dist.init_process_group("gloo")
t = torch.tensor([float(dist.get_rank() + 1)])
dist.all_reduce(t)
print(f"rank={dist.get_rank()} world={dist.get_world_size()} node={os.environ['NODE_RANK']} sum={t.item()}", flush=True)
dist.destroy_process_group()
"""


def custom(source, entry="train.py"):
    return {"type": "custom", "source_dir": source, "entry_point": entry}


async def test_torchrun_over_local_nodes(api, write_script):
    source = write_script(DDP)
    await api.post("trainings", {"name": "ddp", "experiment_name": "e", "algorithm": custom(source),
                                 "nodes": 2, "use_torchrun": True, "nproc_per_node": 2}, expect=201)
    done = await api.wait_status("ddp", timeout=180)
    logs = [r["body"] for r in (await api.get("trainings/ddp/logs"))["records"]]
    assert done["status"] == "COMPLETE", (done, logs[-20:])
    # ranks share their node's stdout, and an unbuffered print writes its text and its
    # newline apart, so two ranks' reports may land on one log line: read them as a stream
    reports = re.findall(r"rank=(\d+) world=(\d+) node=(\d+) sum=([\d.]+)", "\n".join(logs))
    assert sorted(int(rank) for rank, *_ in reports) == [0, 1, 2, 3], logs
    assert all(world == "4" and total == "10.0" for _, world, _, total in reports)
    assert {node for _, _, node, _ in reports} == {"0", "1"}


async def test_multi_node_without_torchrun_gets_tf_config(api, write_script):
    source = write_script("import json, os\nprint('TF ' + json.dumps([os.environ['RANK'], os.environ['WORLD_SIZE'], json.loads(os.environ['TF_CONFIG'])]))\n")
    await api.post("trainings", {"name": "tf", "experiment_name": "e", "algorithm": custom(source), "nodes": 3}, expect=201)
    done = await api.wait_status("tf")
    assert done["status"] == "COMPLETE"
    seen = [json.loads(r["body"][3:]) for r in (await api.get("trainings/tf/logs"))["records"] if r["body"].startswith("TF ")]
    assert sorted(int(rank) for rank, _, _ in seen) == [0, 1, 2]
    for rank, world, tf_config in seen:
        assert world == "3" and tf_config["task"] == {"type": "worker", "index": int(rank)}
        assert len(tf_config["cluster"]["worker"]) == 3


async def test_builtin_sklearn_algorithm(api, tmp_path):
    data = tmp_path / "tabular"
    data.mkdir()
    rows = ["x1,x2,label"] + [f"{i % 7},{(i * 3) % 5},{int(i % 7 > 3)}" for i in range(200)]
    (data / "train.csv").write_text("\n".join(rows) + "\n")
    algorithms = await api.get("algorithms")
    assert "sklearn-tabular" in {a["name"] for a in algorithms["items"]}
    bad = await api.post("trainings", {"name": "sk", "experiment_name": "e", "algorithm": {"type": "builtin", "name": "sklearn-tabular"},
                                       "hyperparameters": {"target": "label", "n_estimators": "many"}}, expect=422)
    assert bad["field"].startswith("hyperparameters")
    await api.post("trainings", {"name": "sk", "experiment_name": "e", "algorithm": {"type": "builtin", "name": "sklearn-tabular"},
                                 "hyperparameters": {"target": "label", "n_estimators": 20}, "datasets": [{"name": "train", "path": str(data)}]}, expect=201)
    done = await api.wait_status("sk", timeout=120)
    assert done["status"] == "COMPLETE", done
    metrics = {m["name"]: m["last"] for m in (await api.get("trainings/sk/metrics"))["metrics"]}
    assert metrics["accuracy"] > 0.9
    import os

    assert os.path.isfile(os.path.join(done["model_dir"], "model.joblib"))


async def test_inline_sources_and_requirements(api, tmp_path):
    # a local "package" the job's requirements.txt installs into its own environment
    pkg = tmp_path / "pkg"
    (pkg / "emdemo").mkdir(parents=True)
    (pkg / "emdemo" / "__init__.py").write_text("VALUE = 42\n")
    (pkg / "pyproject.toml").write_text('[project]\nname = "emdemo"\nversion = "1.0"\n[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n')
    import subprocess
    import sys

    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(pkg)], check=True)
    wheel = next(wheels.glob("emdemo-*.whl"))
    files = {"main.py": "import emdemo, helper\nprint('value', emdemo.VALUE, helper.NAME)\n", "helper.py": "NAME = 'inline'\n",
             "requirements.txt": f"{wheel}\n"}
    await api.post("trainings", {"name": "inl", "experiment_name": "e",
                                 "algorithm": {"type": "custom", "entry_point": "main.py", "source_files": files}}, expect=201)
    done = await api.wait_status("inl", timeout=180)
    logs = [r["body"] for r in (await api.get("trainings/inl/logs"))["records"]]
    assert done["status"] == "COMPLETE", logs[-20:]
    assert "value 42 inline" in logs


async def test_running_job_reports_resource_usage(api, write_script, jp_serverapp):
    jp_serverapp.web_app.settings["easymaker"].settings.usage_sample_seconds = 0.2
    source = write_script("import time\nx = bytearray(50 * 1024 * 1024)\nend = time.time() + 1.5\nwhile time.time() < end:\n    pass\n")
    await api.post("trainings", {"name": "busy", "experiment_name": "e", "algorithm": custom(source)}, expect=201)
    await api.wait_status("busy", "COMPLETE", timeout=30)
    usage = (await api.get("trainings/busy/metrics"))["usage"]
    assert usage, "no usage samples"
    assert max(u["memory_bytes"] for u in usage) > 50 * 1024 * 1024
    assert max(u["cpu_percent"] for u in usage) > 20


async def test_object_storage_inputs_are_staged_and_outputs_uploaded(api, jp_serverapp, tmp_path):
    """obs:// datasets are downloaded before the job and obs:// outputs uploaded
    after it, by the launcher inside the job (here through a directory-backed
    fsspec filesystem standing in for the S3 endpoint)."""
    store = tmp_path / "object-store"
    (store / "bucket" / "data").mkdir(parents=True)
    (store / "bucket" / "data" / "train.csv").write_text("a,b\n1,2\n")
    (store / "bucket" / "code").mkdir()
    (store / "bucket" / "code" / "main.py").write_text(
        "import os\nrows = open(os.path.join(os.environ['EM_DATASET_TRAIN'], 'train.csv')).read().splitlines()\n"
        "print('rows', len(rows))\nopen(os.path.join(os.environ['EM_MODEL_DIR'], 'model.bin'), 'w').write('weights')\n"
    )
    settings = jp_serverapp.web_app.settings["easymaker"].settings
    settings.obs_storage_options = {"protocol": "dir", "path": str(store)}
    await api.post("trainings", {"name": "obs", "experiment_name": "e",
                                 "algorithm": {"type": "custom", "source_dir": "obs://storage.example.com/bucket/code", "entry_point": "main.py"},
                                 "datasets": [{"name": "train", "path": "obs://storage.example.com/bucket/data"}],
                                 "output_path": "obs://storage.example.com/bucket/out"}, expect=201)
    done = await api.wait_status("obs", timeout=60)
    logs = [r["body"] for r in (await api.get("trainings/obs/logs"))["records"]]
    assert done["status"] == "COMPLETE", logs
    assert "rows 2" in logs
    assert (store / "bucket" / "out" / "model.bin").read_text() == "weights"
