"""The dashboard (guide: 대시보드): the service-usage counts each area owns, the
most called endpoints, and the resource usage of every kind of running work
by instance type, with the most-used resource per core type (CPU, GPU).

Areas answer through the questions their record names (``counts``,
``holds``), so a new area joins the dashboard without a change here."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from jupyter_easymaker.core.holding import Held
from jupyter_easymaker.core.tables import ResourceSample


class DashboardService:
    def __init__(self, platform: Any):
        self.platform = platform
        self.settings = platform.settings
        self.backends = platform.backends

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for area in self.platform.areas.values():
            if area.counts:
                counts.update(getattr(self.platform.service(area.name), area.counts)())
        top = self.platform.service("endpoints").top_endpoints(3) if "endpoints" in self.platform.areas else []
        return {"counts": counts, "top_endpoints": top, "resource_usage": self.usage(self.holding())}

    def holding(self) -> list[Held]:
        """What every area's running work holds. Only loaded areas are asked: one not
        loaded has no work in progress (the controller loads those that have)."""
        held: list[Held] = []
        for name in self.platform.loaded():
            area = self.platform.areas.get(name)
            if area is not None and area.holds:
                held.extend(getattr(self.platform.service(name), area.holds)())
        return held

    def latest_samples(self, ids: list[str]) -> dict[str, ResourceSample]:
        """The newest usage sample of each resource id that has one."""
        if not ids:
            return {}
        with self.platform.db.session() as session:
            newest = (select(func.max(ResourceSample.id)).where(ResourceSample.resource_id.in_(ids))
                      .group_by(ResourceSample.resource_id))
            rows = session.scalars(select(ResourceSample).where(ResourceSample.id.in_(newest))).all()
            session.expunge_all()
        return {r.resource_id: r for r in rows}

    def usage(self, held: list[Held]) -> dict[str, Any]:
        types = self.settings.instance_types
        rows: dict[str, dict[str, Any]] = {
            name: {"instance_type": name, "core_type": "GPU" if it.gpu else "CPU", "cpu": 0.0, "gpu": 0,
                   "memory_mib": 0, "running": 0, "by_kind": {}}
            for name, it in sorted(types.items())
        }
        held_by_backend: dict[str, tuple[float, int]] = {}
        samples = self.latest_samples(sorted({i for h in held for i in h.sample_ids}))
        resources: list[dict[str, Any]] = []
        for h in held:
            it = types.get(h.instance_type)
            row = rows.setdefault(h.instance_type, {"instance_type": h.instance_type, "core_type": "CPU", "cpu": 0.0,
                                                    "gpu": 0, "memory_mib": 0, "running": 0, "by_kind": {}})
            cpu, gpu, memory = (it.cpu * h.units, it.gpu * h.units, it.memory_mib * h.units) if it else (0.0, 0, 0)
            row["running"] += 1
            row["cpu"] += cpu
            row["gpu"] += gpu
            row["memory_mib"] += memory
            row["by_kind"][h.kind] = row["by_kind"].get(h.kind, 0) + 1
            c, g = held_by_backend.get(h.backend, (0.0, 0))
            held_by_backend[h.backend] = (c + cpu, g + gpu)
            resources.append(self._resource(h, row["core_type"], [samples[i] for i in h.sample_ids if i in samples]))
        cpu, gpu, capabilities = self._totals(held_by_backend)
        return {
            "backends": capabilities,
            "by_instance_type": [dict(r, cpu=round(r["cpu"], 3)) for r in rows.values()],
            "cpu": cpu,
            "gpu": gpu,
            "resources": resources,
            "top_by_core_type": self._top(resources),
        }

    @staticmethod
    def _resource(h: Held, core_type: str, samples: list[ResourceSample]) -> dict[str, Any]:
        """One holder with its latest measured usage (summed over its pods)."""
        gpu = [s.gpu_percent for s in samples if s.gpu_percent is not None]
        return {
            "kind": h.kind, "id": h.resource_id, "name": h.name, "instance_type": h.instance_type, "units": h.units,
            "core_type": core_type, "backend": h.backend, "sampled": bool(samples),
            "cpu_percent": round(sum(s.cpu_percent or 0.0 for s in samples), 2),
            "memory_bytes": sum(s.memory_bytes or 0 for s in samples),
            "gpu_percent": round(sum(gpu), 2) if gpu else None,
            "sampled_at": max(s.time for s in samples).isoformat() if samples else None,
        }

    @staticmethod
    def _top(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The guide's resource usage: per core type, the resource that uses the most
        (GPU utilisation on GPU types, CPU on CPU types; measured ones before the rest)."""
        out = []
        for core_type in ("CPU", "GPU"):
            mine = [r for r in resources if r["core_type"] == core_type]
            if not mine:
                continue
            key = "gpu_percent" if core_type == "GPU" else "cpu_percent"
            best = max(mine, key=lambda r: (r["sampled"], r[key] or 0.0, r["memory_bytes"]))
            out.append({**best, "metric": key, "value": best[key] or 0.0})
        return out

    def _totals(self, held_by_backend: dict[str, tuple[float, int]]) -> tuple[dict, dict, dict]:
        capabilities = {name: b.capabilities() for name, b in self.backends.items()}
        cpu_used = gpu_used = 0.0
        cpu_total, gpu_total = 0.0, 0  # stays 0 where no backend reports its capacity
        for name, caps in capabilities.items():
            held_cpu, held_gpu = held_by_backend.get(name, (0.0, 0))
            # a backend that reports its capacity knows best what is held
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
        return ({"used": round(cpu_used, 3), "total": cpu_total}, {"used": gpu_used, "total": gpu_total}, capabilities)
