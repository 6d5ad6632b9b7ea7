"""The contract between the controller and an execution backend.

A backend runs a :class:`JobSpec` somewhere (processes on this host, pods on a
cluster) and answers questions about it through an opaque, JSON-serialisable
``handle`` that the controller stores. Backends never touch the store: every
fact they need is in the spec or the handle, which is what lets the controller
re-attach to a job after the server was killed.

All methods are synchronous; the controller calls them from worker threads."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable


@dataclass(frozen=True)
class InstanceType:
    """A named bundle of resources a job asks for."""

    name: str
    cpu: float = 1.0
    memory_mib: int = 2048
    gpu: int = 0
    node_selector: dict[str, str] = field(default_factory=dict)
    # Kubernetes tolerations of its pods (e.g. of a GPU node pool's taint), as in a PodSpec
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "InstanceType":
        return cls(
            name=str(data["name"]),
            cpu=float(data.get("cpu", 1.0)),
            memory_mib=int(data.get("memory_mib", 2048)),
            gpu=int(data.get("gpu", 0)),
            node_selector=dict(data.get("node_selector") or {}),
            tolerations=[dict(t) for t in data.get("tolerations") or []],
            description=str(data.get("description", "")),
        )


@dataclass
class ResourceUsage:
    """One sample of what a job uses right now."""

    time: float
    cpu_percent: float = 0.0  # 100 = one core
    memory_bytes: int = 0
    gpu_percent: float | None = None
    gpu_memory_bytes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LogChunk:
    text: str
    offset: int  # pass back to read_logs() to continue after this chunk


def changes_seen(backends: Iterable[Any]) -> int:
    """All changes of watched objects that the watching backends among ``backends`` have
    seen (a count that moves on each): a reconciler compares one number per tick instead
    of asking every job or server whether it changed."""
    total = 0
    for backend in backends:
        seen = getattr(backend, "changes_seen", None)
        if seen is not None:
            total += seen()
    return total


class BackendError(Exception):
    """The backend could not do what was asked; the message is shown to users."""


class CapacityUnavailable(BackendError):
    """Not enough free resources right now; the job should stay queued."""
