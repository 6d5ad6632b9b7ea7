"""Server settings the services need, independent of traitlets so that
services and controller can be built and tested without a Jupyter server."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from jupyter_easymaker.backend.base import InstanceType

# the folder of the data dir where experiments' runs write TensorBoard logs (one folder per experiment)
TENSORBOARD_FOLDER = "tensorboard"

DEFAULT_INSTANCE_TYPES = {
    "cpu-1": InstanceType(name="cpu-1", cpu=1, memory_mib=2048, description="1 vCPU, 2 GiB"),
    "cpu-2": InstanceType(name="cpu-2", cpu=2, memory_mib=4096, description="2 vCPU, 4 GiB"),
    "cpu-4": InstanceType(name="cpu-4", cpu=4, memory_mib=8192, description="4 vCPU, 8 GiB"),
    "gpu-1": InstanceType(name="gpu-1", cpu=4, memory_mib=16384, gpu=1, description="4 vCPU, 16 GiB, 1 GPU"),
}


def host_instance_types(cpu: float, memory_mib: int, gpus: int) -> dict[str, InstanceType]:
    """Instance types that fit what this host can hand out: ``cpu-N`` for N = 1, 2, 4 ...
    up to its CPUs (and all of them), 2 GiB per vCPU as far as its memory goes, and
    ``gpu-N`` for each power of two up to its GPUs with their share of CPU and memory."""
    cores = max(1, int(cpu))
    counts = sorted({n for n in (2 ** i for i in range(cores.bit_length())) if n <= cores} | {cores})
    types: dict[str, InstanceType] = {}
    for n in counts:
        memory = max(256, min(2048 * n, memory_mib))
        types[f"cpu-{n}"] = InstanceType(name=f"cpu-{n}", cpu=n, memory_mib=memory,
                                         description=f"{n} vCPU, {memory / 1024:g} GiB")
    for g in sorted({n for n in (2 ** i for i in range(max(gpus, 0).bit_length())) if n <= gpus} | ({gpus} if gpus else set())):
        share = g / gpus
        n, memory = max(1, int(cores * share)), max(256, int(memory_mib * share))
        types[f"gpu-{g}"] = InstanceType(name=f"gpu-{g}", cpu=n, memory_mib=memory, gpu=g,
                                         description=f"{n} vCPU, {memory / 1024:.0f} GiB, {g} GPU")
    return types


@dataclass
class Settings:
    data_dir: str
    db_url: str = ""
    local_roots: list[str] = field(default_factory=list)
    nas_mounts: dict[str, str] = field(default_factory=dict)
    obs_storage_options: dict[str, Any] = field(default_factory=dict)
    instance_types: dict[str, InstanceType] = field(default_factory=lambda: dict(DEFAULT_INSTANCE_TYPES))
    default_instance_type: str = "cpu-1"
    default_backend: str = "local"
    default_image: str = "jupyter-easymaker/training:latest"
    region: str = "local"
    appkey: str = ""
    controller_interval: float = 0.5
    stop_grace_seconds: float = 10.0
    usage_sample_seconds: float = 5.0
    retention_days: int = 120
    base_url: str = "/"  # the Jupyter server's, for URLs the product hands out
    # the logType of structured log records (the guide's queries use "NHNCloud-AIEasyMaker")
    log_type: str = "jupyter-easymaker"
    # options of one area by its name (endpoints: serving options; tensorboard: idle and start limits)
    area_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = os.path.abspath(self.data_dir)
        if not self.db_url:
            self.db_url = f"sqlite:///{os.path.join(self.data_dir, 'easymaker.db')}"
        if self.data_dir not in self.local_roots:
            self.local_roots = [*self.local_roots, self.data_dir]

    def path(self, *parts: str) -> str:
        return os.path.join(self.data_dir, *parts)

    def options(self, area: str) -> dict[str, Any]:
        return dict(self.area_options.get(area) or {})
