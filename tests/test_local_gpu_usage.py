"""GPU usage on the local backends, read through nvidia-smi for the GPUs a
process was given in CUDA_VISIBLE_DEVICES: a job's, and each model-server pod's
in the stage's monitoring next to CPU and memory. This host has no GPU: a fake
``nvidia-smi`` on PATH stands in for the driver's tool (the true boundary)."""
from __future__ import annotations

import os
import stat
import time

import pytest

from jupyter_easymaker.backend.nvidia_smi import gpu_usage, read_gpus
from tests.test_api_endpoints import register, server_pids, wait_endpoint, wait_for  # noqa: F401 - server_pids: a fixture
from tests.server_config import server_config

MiB = 1024 * 1024


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path):
    return server_config(easymaker_data, tmp_path, instance_types={"gpu-2": {"cpu": 2, "memory_mib": 4096, "gpu": 2}},
                         serving={"stats_flush_seconds": 0.2, "start_timeout_seconds": 60.0, "max_restarts": 1})


@pytest.fixture
def fake_smi(tmp_path, monkeypatch):
    """An ``nvidia-smi`` that lists two GPUs and answers the usage query from a file
    (index, utilisation %, memory used MiB per line), as the real one prints it."""
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    readings = tmp_path / "smi-readings.csv"
    readings.write_text("0, 37, 1024\n1, 90, 2048\n2, 5, 100\n")
    script = folder / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\n"
        "case \"$1\" in\n"
        "  -L) printf 'GPU 0: Fake GPU (UUID: GPU-0)\\nGPU 1: Fake GPU (UUID: GPU-1)\\n' ;;\n"
        "  --query-gpu=index,utilization.gpu,memory.used) cat \"$FAKE_SMI_READINGS\" ;;\n"
        "  *) echo \"unexpected: $*\" >&2; exit 2 ;;\n"
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SMI_READINGS", str(readings))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return readings


def test_readings_per_gpu_and_the_mean_over_a_pods_gpus(fake_smi):
    fake_smi.write_text("0, 37, 1024\n1, [N/A], 2048\n2, 5, 100\n")
    readings = read_gpus()
    assert readings == {0: (37.0, 1024 * MiB), 2: (5.0, 100 * MiB)}  # a GPU that reports [N/A] is skipped
    assert gpu_usage([0, 2], readings) == {"gpu_percent": 21.0, "gpu_memory_bytes": 1124 * MiB}
    assert gpu_usage([1], readings) == {} and gpu_usage([], readings) == {}


def test_no_nvidia_smi_no_gpu_usage(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert read_gpus() == {} and gpu_usage([0]) == {}


def test_a_jobs_gpus_are_the_ones_it_was_given(fake_smi, tmp_path):
    from jupyter_easymaker.backend.base import InstanceType
    from jupyter_easymaker.backend.jobs.base import JobSpec
    from jupyter_easymaker.backend.jobs.local import LocalBackend

    algo = tmp_path / "algo"
    algo.mkdir()
    seen = tmp_path / "cuda-visible-devices"
    seen.mkdir()
    (algo / "train.py").write_text(  # each job leaves a file named by the GPUs it sees
        f"import os, time\nopen(os.path.join({str(seen)!r}, os.environ['CUDA_VISIBLE_DEVICES']), 'w').close()\ntime.sleep(30)\n")
    backend = LocalBackend(cpu=4, memory_mib=1 << 14, gpus=[0, 1])
    spec = JobSpec(job_id="job-gpu", name="j", kind="training", source_dir=str(algo), entry_point="train.py",
                   work_dir=str(tmp_path / "work"), model_dir=str(tmp_path / "model"),
                   instance_type=InstanceType(name="gpu-1", cpu=1, memory_mib=1024, gpu=1))
    other = JobSpec(**{**spec.__dict__, "job_id": "job-gpu-2", "work_dir": str(tmp_path / "work-2")})
    first = backend.submit(spec)
    second = backend.submit(other)
    try:
        deadline = time.monotonic() + 30
        while len(os.listdir(seen)) < 2:
            assert time.monotonic() < deadline, "the jobs did not start"
            time.sleep(0.05)
        assert sorted(os.listdir(seen)) == ["0", "1"]  # one GPU each
        usage = backend.usage(first)
        assert usage.gpu_percent == 37.0 and usage.gpu_memory_bytes == 1024 * MiB
        usage = backend.usage(second)  # the next job got the other GPU
        assert usage.gpu_percent == 90.0 and usage.gpu_memory_bytes == 2048 * MiB
    finally:
        for handle in (first, second):
            backend.stop(handle, grace_seconds=1)
        deadline = time.monotonic() + 15
        while not all(backend.status(h).terminal for h in (first, second)) and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.mark.usefixtures("server_pids")  # no model server left behind
async def test_stage_monitoring_shows_each_pods_gpu_beside_cpu_and_memory(api, jp_serverapp, tmp_path, fake_smi):
    jp_serverapp.web_app.settings["easymaker"].settings.usage_sample_seconds = 0.2
    await register(api, tmp_path)
    await register(api, tmp_path, name="iris-cpu")
    await api.post("endpoints", {"name": "gpu-ep", "instance_type": "gpu-2", "resources": [
        {"model": "iris", "pod_count": 2, "cpu": 0.5, "memory": "512Mi", "gpu": 1},
        {"model": "iris-cpu", "cpu": 0.5, "memory": "512Mi"}]}, expect=201)
    await wait_endpoint(api, "gpu-ep")

    async def sampled():
        monitoring = await api.get("endpoints/gpu-ep/stages/default/monitoring")
        by_model = {r["model_name"]: r["usage"] for r in monitoring["resources"]}
        return by_model if all(by_model.values()) else None

    usage = await wait_for(sampled, 30, "usage samples of both resources")
    gpu_sample = usage["iris"][-1]
    # its two pods hold GPU 0 and GPU 1 (one each, in turn): their mean utilisation, their memory together
    assert gpu_sample["gpu_percent"] == pytest.approx((37 + 90) / 2)
    assert gpu_sample["gpu_memory_bytes"] == (1024 + 2048) * MiB
    assert gpu_sample["memory_bytes"] > 0 and gpu_sample["cpu_percent"] >= 0
    cpu_sample = usage["iris-cpu"][-1]
    assert cpu_sample["gpu_percent"] is None and cpu_sample["gpu_memory_bytes"] is None
    assert cpu_sample["memory_bytes"] > 0

    # the GPUs get busier: the next samples say so
    fake_smi.write_text("0, 80, 4096\n1, 60, 2048\n")

    async def busier():
        monitoring = await api.get("endpoints/gpu-ep/stages/default/monitoring")
        last = next(r for r in monitoring["resources"] if r["model_name"] == "iris")["usage"][-1]
        return last if last["gpu_percent"] == pytest.approx(70.0) else None

    last = await wait_for(busier, 30, "a sample of the busier GPUs")
    assert last["gpu_memory_bytes"] == 6144 * MiB
    await api.call("DELETE", "endpoints/gpu-ep", expect=204)
