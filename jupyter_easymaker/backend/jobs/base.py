"""The contract between the controller and an execution backend.

A backend runs a :class:`JobSpec` somewhere (processes on this host, pods on a
cluster) and answers questions about it through an opaque, JSON-serialisable
``handle`` that the controller stores. Backends never touch the store: every
fact they need is in the spec or the handle, which is what lets the controller
re-attach to a job after the server was killed.

All methods are synchronous; the controller calls them from worker threads."""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from jupyter_easymaker.backend.base import InstanceType, LogChunk, ResourceUsage


class JobPhase(str, enum.Enum):
    """What a backend can say about a job. The controller maps these onto the
    guide's statuses of the resource that owns the job."""

    QUEUED = "QUEUED"  # accepted, waiting for capacity
    STARTING = "STARTING"  # resources being created, dependencies installing
    RUNNING = "RUNNING"  # user code is running
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    STOPPED = "STOPPED"  # ended because stop() was called
    LOST = "LOST"  # the backend no longer knows the job


TERMINAL_PHASES = frozenset({JobPhase.SUCCEEDED, JobPhase.FAILED, JobPhase.STOPPED, JobPhase.LOST})


@dataclass
class JobSpec:
    """Everything needed to run one job, with storage paths already resolved.

    Paths are what the job should see: local paths for the local backend,
    local paths under configured mounts or ``obs://`` URIs for Kubernetes (the
    runtime launcher stages ``obs://`` inputs itself, identically on both).
    """

    job_id: str
    name: str
    kind: str  # "training" (later: "trial", "batch-inference", ...)
    source_dir: str
    entry_point: str
    hyperparameters: dict[str, str] = field(default_factory=dict)
    datasets: dict[str, str] = field(default_factory=dict)
    model_dir: str = ""
    output_dir: str = ""
    checkpoint_input_dir: str = ""
    checkpoint_dir: str = ""
    tensorboard_log_dir: str = ""
    work_dir: str = ""  # scratch space owned by the job (state files, staged data)
    image: str = ""
    instance_type: InstanceType = field(default_factory=lambda: InstanceType(name="default"))
    nodes: int = 1
    nproc_per_node: int = 1
    use_torchrun: bool = False
    max_run_seconds: float | None = None
    # the instance's data storage: the most the job's data directory (work_dir) may hold locally,
    # its pods' ephemeral storage on Kubernetes; None: no limit of its own
    data_storage_gb: float | None = None
    region: str = ""
    appkey: str = ""
    env: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    storage_options: dict[str, Any] = field(default_factory=dict)  # fsspec options for obs://
    # a command line run (in source_dir) instead of the entry point: a pipeline task's own
    command: list[str] = field(default_factory=list)
    # the Kubernetes service account of this job's pods, when it needs API rights of its own
    # (a pipeline run's executor creates its tasks' Jobs); empty: the backend's default
    service_account: str = ""
    # variables the job's processes get that no file may hold in clear (a model's Hugging Face
    # token): never in to_dict(); the local backend hands them over in the process environment,
    # the Kubernetes backend in a Secret the pods reference
    secret_env: dict[str, str] = field(default_factory=dict, repr=False)
    # the interpreter the job's code runs with on the local backend (an image's environment);
    # empty: the launcher's own, as when no image is named
    python: str = ""
    # registry logins the pods pull their image with: pull secret name -> {"server", "username",
    # "password"}; like secret_env never in to_dict(), made into dockerconfigjson Secrets by the
    # Kubernetes backend and ignored locally
    registry_credentials: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON (written to files and manifests), without ``secret_env``."""
        data = asdict(self)
        del data["secret_env"]
        data["pull_secrets"] = sorted(data.pop("registry_credentials"))  # their names only
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "JobSpec":
        data = dict(data)
        data.pop("secret_env", None)
        data.pop("registry_credentials", None)
        data.pop("pull_secrets", None)
        data["instance_type"] = InstanceType.from_dict(data.get("instance_type") or {"name": "default"})
        return cls(**data)


@dataclass
class JobState:
    phase: JobPhase
    reason: str = ""
    exit_code: int | None = None
    started_at: float | None = None  # epoch seconds when user code started
    finished_at: float | None = None

    @property
    def terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES


@runtime_checkable
class Backend(Protocol):
    name: str

    def capabilities(self) -> dict[str, Any]:
        """Facts the UI and the version handshake show (instance types, GPUs, ...)."""

    def submit(self, spec: JobSpec) -> dict[str, Any]:
        """Start the job and return its handle. Raises CapacityUnavailable when it
        must wait, BackendError when it cannot run at all."""

    def status(self, handle: dict[str, Any]) -> JobState:
        ...

    def read_logs(self, handle: dict[str, Any], offset: int = 0, limit: int = 1 << 20) -> LogChunk:
        """Log text produced since ``offset`` (stdout and stderr, all nodes)."""

    def stop(self, handle: dict[str, Any], grace_seconds: float = 10.0) -> None:
        """Ask the job to end (SIGTERM or pod deletion), force it after the grace."""

    def usage(self, handle: dict[str, Any]) -> ResourceUsage | None:
        ...

    def release(self, handle: dict[str, Any]) -> None:
        """Free what the job held once it has ended (slots, cluster objects)."""

    def adopt(self, handle: dict[str, Any]) -> None:
        """Re-register a job found in the store after a restart, so that capacity
        accounting knows it still holds resources."""
