"""The dashboard: a few counts from the areas that hold work (through their
services), the most called endpoints, and what running jobs hold."""
from __future__ import annotations

from typing import Any


class DashboardService:
    def __init__(self, platform: Any):
        self.platform = platform
        self.settings = platform.settings
        self.backends = platform.backends

    def summary(self, *, active_notebooks: int) -> dict[str, Any]:
        trainings = self.platform.service("trainings").dashboard_counts()
        tunings = self.platform.service("tuning").dashboard_counts()
        endpoints = self.platform.service("endpoints")
        return {
            "counts": {"active_notebooks": active_notebooks, **trainings["counts"], **tunings, **endpoints.dashboard_counts()},
            "training_statuses": trainings["statuses"],
            "top_endpoints": endpoints.top_endpoints(3),
            "resource_usage": self._usage(self.platform.service("trainings").holding()),
        }

    def _usage(self, holding: list[tuple[dict, str]]) -> dict[str, Any]:
        types = self.settings.instance_types
        rows: dict[str, dict[str, Any]] = {
            name: {"instance_type": name, "cpu": 0.0, "gpu": 0, "memory_mib": 0, "running": 0} for name in sorted(types)
        }
        held_by_backend: dict[str, tuple[float, int]] = {}
        for spec, backend in holding:
            name = (spec or {}).get("instance_type") or self.settings.default_instance_type
            nodes = int((spec or {}).get("nodes") or 1)
            it = types.get(name)
            row = rows.setdefault(name, {"instance_type": name, "cpu": 0.0, "gpu": 0, "memory_mib": 0, "running": 0})
            cpu, gpu = (it.cpu * nodes, it.gpu * nodes) if it else (0.0, 0)
            row["running"] += 1
            row["cpu"] += cpu
            row["gpu"] += gpu
            row["memory_mib"] += it.memory_mib * nodes if it else 0
            c, g = held_by_backend.get(backend, (0.0, 0))
            held_by_backend[backend] = (c + cpu, g + gpu)
        capabilities = {name: b.capabilities() for name, b in self.backends.items()}
        cpu_used = gpu_used = 0.0
        cpu_total, gpu_total = 0.0, 0  # stays 0 where no backend reports its capacity
        for name, caps in capabilities.items():
            held_cpu, held_gpu = held_by_backend.get(name, (0.0, 0))
            # a backend that reports its capacity knows best what is held (other job kinds too)
            if isinstance(caps.get("cpu"), (int, float)) and isinstance(caps.get("free_cpu"), (int, float)):
                cpu_total += caps["cpu"]
                cpu_used += caps["cpu"] - caps["free_cpu"]
            else:
                cpu_used += held_cpu
            if isinstance(caps.get("gpus"), int) and isinstance(caps.get("free_gpus"), int):
                gpu_total += caps["gpus"]
                gpu_used += caps["gpus"] - caps["free_gpus"]
            else:
                gpu_used += held_gpu
        return {
            "backends": capabilities,
            "by_instance_type": [dict(r, cpu=round(r["cpu"], 3)) for r in rows.values()],
            "cpu": {"used": round(cpu_used, 3), "total": cpu_total},
            "gpu": {"used": gpu_used, "total": gpu_total},
        }
