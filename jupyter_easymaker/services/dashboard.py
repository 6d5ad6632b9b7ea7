"""The dashboard: a few grouped counts and what running jobs hold.

Kinds built later (tunings, endpoints) are counted from their tables when
those exist, so the dashboard needs no change when they arrive.
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from jupyter_easymaker.domain.statuses import TRAINING_ACTIVE, TrainingStatus
from jupyter_easymaker.store.tables import Base, Training

T = TrainingStatus
# candidates for the tables of later kinds: the first one that exists is counted
HPO_TABLES = ("hyperparameter_tunings", "tunings", "hpo_jobs")
ENDPOINT_TABLES = ("endpoints",)
# the job was handed to a backend, so it holds resources
HOLDING = TRAINING_ACTIVE - {T.CREATE_REQUESTED}


class DashboardService:
    def __init__(self, services: Any, backends: dict[str, Any]):
        self.services = services
        self.db = services.db
        self.settings = services.settings
        self.backends = backends

    def summary(self, *, active_notebooks: int) -> dict[str, Any]:
        with self.db.session() as session:
            statuses = dict(session.execute(select(Training.status, func.count()).group_by(Training.status)).all())
            holding = session.execute(select(Training.spec, Training.backend).where(Training.status.in_(HOLDING))).all()
        hpo = self._status_counts(HPO_TABLES)
        endpoints = self._status_counts(ENDPOINT_TABLES)
        return {
            "counts": {
                "active_notebooks": active_notebooks,
                "complete_trainings": statuses.get(T.COMPLETE, 0),
                "running_trainings": sum(n for s, n in statuses.items() if s in TRAINING_ACTIVE),
                "failed_trainings": statuses.get(T.FAIL_TRAIN, 0) + statuses.get(T.CREATE_FAILED, 0),
                "complete_hpo": hpo.get("COMPLETE", 0),
                "active_endpoints": endpoints.get("ACTIVE", 0),
            },
            "training_statuses": statuses,
            "top_endpoints": self.services.endpoints.top_endpoints(3) if hasattr(self.services, "endpoints") else [],
            "resource_usage": self._usage(holding),
        }

    def _status_counts(self, names: Iterable[str]) -> dict[str, int]:
        for name in names:
            table = Base.metadata.tables.get(name)
            if table is None or "status" not in table.c:
                continue
            try:
                with self.db.session() as session:
                    return dict(session.execute(select(table.c.status, func.count()).group_by(table.c.status)).all())
            except SQLAlchemyError:  # declared but not migrated yet
                return {}
        return {}

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
