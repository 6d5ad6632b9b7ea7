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
