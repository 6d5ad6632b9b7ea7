"""This host's NVIDIA GPUs as ``nvidia-smi`` reports them: which there are, and
how busy each is. What the local backends (jobs and model servers) share;
without ``nvidia-smi`` on PATH the host has no GPU and usage is unknown."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from typing import Any


def detect_gpus() -> list[int]:
    """GPU indices this host has, from nvidia-smi when present."""
    if os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        return []
    smi = shutil.which("nvidia-smi")
    if not smi:
        return []
    try:
        out = subprocess.run([smi, "-L"], check=False, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [i for i, line in enumerate(l for l in out.splitlines() if l.startswith("GPU "))]


def read_gpus() -> dict[int, tuple[float, int]]:
    """GPU index -> (utilisation percent, memory used in bytes), one nvidia-smi call
    for all; empty when there is no nvidia-smi or it fails (usage is best effort)."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return {}
    try:
        out = subprocess.run(
            [smi, "--query-gpu=index,utilization.gpu,memory.used", "--format=csv,noheader,nounits"],
            check=False, capture_output=True, text=True, timeout=5,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    readings: dict[int, tuple[float, int]] = {}
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3 or not parts[0].isdigit():
            continue
        try:  # "[N/A]" where a GPU does not report one of them
            readings[int(parts[0])] = (float(parts[1]), int(float(parts[2]) * 1024 * 1024))
        except ValueError:
            continue
    return readings


def gpu_usage(gpus: Iterable[int], readings: dict[int, tuple[float, int]] | None = None) -> dict[str, Any]:
    """``gpu_percent`` (the mean over ``gpus``) and ``gpu_memory_bytes`` (their sum) as
    ResourceUsage takes them; empty when none of them is read. ``readings`` from one
    ``read_gpus()`` serve several callers (the pods of one server)."""
    wanted = list(gpus)
    if not wanted:
        return {}
    if readings is None:
        readings = read_gpus()
    seen = [readings[g] for g in wanted if g in readings]
    if not seen:
        return {}
    return {"gpu_percent": sum(u for u, _ in seen) / len(seen), "gpu_memory_bytes": sum(m for _, m in seen)}
