"""The contract between the endpoint controller and a serving backend.

Jobs end; model servers run until told to stop, so they get their own small
protocol next to the job ``Backend``: start / status / scale / stop. A
:class:`ServerSpec` describes the servers of one stage resource (N pods of
the model server CLI); the backend answers with an opaque, JSON-serialisable
handle the controller stores, exactly like jobs. Backends never touch the
store. Methods are synchronous; the controller calls them from threads.
"""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from jupyter_easymaker.backend.base import BackendError, InstanceType, ResourceUsage

__all__ = [
    "AutoscalerSpec",
    "BackendError",
    "ServerPhase",
    "ServerSpec",
    "ServerState",
    "ServingBackend",
    "ServingOptions",
    "model_server_args",
]

MODEL_SERVER_MODULE = "jupyter_easymaker.runtime.model_server"
READY_PATH = "/v2/health/ready"


class ServerPhase(str, enum.Enum):
    STARTING = "STARTING"  # processes / pods starting, model loading
    READY = "READY"  # at least the minimum of pods answer ready
    FAILED = "FAILED"  # cannot come up (crash loop, bad artifact, bad image)
    STOPPED = "STOPPED"  # stop() finished
    LOST = "LOST"  # the backend no longer knows the servers


@dataclass
class AutoscalerSpec:
    """The guide's pod autoscaler: grow by CPU or memory use over a threshold
    (percent of the pod's allocation), between ``min_pods`` and ``max_pods``."""

    enabled: bool = False
    metric: str = "cpu"  # cpu | memory | concurrency (in-flight requests per pod, KServe's default)
    threshold: float = 80.0
    min_pods: int = 1
    max_pods: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ServerSpec:
    """Everything needed to run the servers of one stage resource."""

    server_id: str  # the stage resource id
    name: str  # a readable name: "{endpoint}-{stage}-{model}"
    endpoint_id: str
    stage_id: str
    model_id: str
    model_name: str
    model_dir: str  # where the artifact is (local path, mount path or obs:// URI)
    framework: str
    task: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    image: str = ""
    instance_type: InstanceType = field(default_factory=lambda: InstanceType(name="default"))
    cpu: float = 1.0  # per pod
    memory_mib: int = 1024  # per pod
    gpu: int = 0  # per pod
    pods: int = 1  # initial pod count
    autoscaler: AutoscalerSpec = field(default_factory=AutoscalerSpec)
    node_autoscaler: dict[str, Any] = field(default_factory=dict)
    work_dir: str = ""  # scratch space owned by the servers (state, logs)
    env: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    storage_options: dict[str, Any] = field(default_factory=dict)
    # variables the model server gets that no file may hold in clear (a model's Hugging Face
    # token): never in to_dict(); the local backend keeps them in memory and hands them over in
    # the process environment, the Kubernetes backend in the servers' Secret
    secret_env: dict[str, str] = field(default_factory=dict, repr=False)
    # another server than the model server (a RAG's query server): its module and arguments,
    # to which --host and --port are added; it answers READY_PATH as the model server does
    server_module: str = MODEL_SERVER_MODULE
    server_args: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON (written to server.json), without ``secret_env``."""
        data = asdict(self)
        del data["secret_env"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ServerSpec":
        data = dict(data)
        data.pop("secret_env", None)
        data["instance_type"] = InstanceType.from_dict(data.get("instance_type") or {"name": "default"})
        data["autoscaler"] = AutoscalerSpec(**(data.get("autoscaler") or {}))
        return cls(**data)


@dataclass
class PodState:
    name: str
    ready: bool
    address: str = ""  # base URL, e.g. http://127.0.0.1:41234
    node: str = ""
    restarts: int = 0
    reason: str = ""


@dataclass
class ServerState:
    phase: ServerPhase
    reason: str = ""
    pods: list[PodState] = field(default_factory=list)
    desired: int = 0  # pods the backend is asked to run now

    @property
    def ready_pods(self) -> list[PodState]:
        return [p for p in self.pods if p.ready]

    @property
    def addresses(self) -> list[str]:
        return [p.address for p in self.pods if p.ready and p.address]

    @property
    def nodes(self) -> int:
        return len({p.node for p in self.pods if p.node})


@dataclass
class ServingOptions:
    """Server-wide settings of endpoints (the extension's ``serving`` option)."""

    gateway_timeout_seconds: float = 600.0  # generation can be slow
    gateway_connect_timeout_seconds: float = 5.0
    gateway_max_clients: int = 256
    # the inference gateway's v2 gRPC port (areas/endpoints/grpc_gateway.py, served by the gateway
    # process); 0: no gRPC gateway
    grpc_port: int = 0
    grpc_host: str = "127.0.0.1"
    # the gateway process (areas/endpoints/gateway_process.py): where it listens (port 0: a free port,
    # kept across its restarts), the URL the REST answers show for it (default http://{host}:{port}/),
    # listeners added to it ("module:function"), and whether it keeps serving while the Jupyter server is stopped
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 0
    gateway_public_url: str = ""
    gateway_listeners: list = field(default_factory=list)
    gateway_outlives_server: bool = True
    # local model servers take the gateway's kept-alive client connections over once it has routed and
    # authenticated them (areas/endpoints/gateway_handoff.py): no hop through the gateway after that
    gateway_handoff: bool = True
    # the gateway process's CPU priority, in nice steps below the Jupyter server's (processes.lower_priority):
    # inference traffic that takes every core of the host leaves JupyterLab and the kernels first; 0: level
    gateway_nice: int = 10
    stats_flush_seconds: float = 2.0
    inference_log_sample_rate: float = 1.0  # failures are always logged
    inference_log_max_per_flush: int = 5000
    drain_timeout_seconds: float = 30.0  # how long old servers may finish in-flight requests
    start_timeout_seconds: float = 600.0  # model load time allowed before CREATE FAILED
    autoscale_interval_seconds: float = 5.0
    scale_down_cooldown_seconds: float = 60.0
    local_host: str = "127.0.0.1"
    # local model servers' CPU priority below the Jupyter server's (nice steps), as gateway_nice
    local_nice: int = 10
    health_timeout_seconds: float = 2.0
    max_restarts: int = 3  # a pod that crashes this often before ever being ready fails its resource
    reserved_cpu: float = 0.1  # per instance: the guide's "basic usage" kept out of allocations
    reserved_memory_mib: int = 256
    kubernetes_image: str = ""  # model server image (default: the serving image)
    kubernetes_inferenceservice: bool | None = None  # None: use KServe when its CRD is served
    # how the gateway reaches a stage resource's Service (a port-forward or ingress can be put here)
    kubernetes_address_template: str = "http://{service}.{namespace}.svc.cluster.local:{port}"
    # the inference gateway as a Deployment + Service of its own on the cluster (when the kubernetes
    # backend is on); its store must be reachable from the cluster (default: the server's db_url)
    kubernetes_gateway: bool = True
    kubernetes_gateway_replicas: int = 1
    kubernetes_gateway_db_url: str = ""
    # its pods' size and placement, and its Service's type (an Ingress may point at that Service)
    kubernetes_gateway_cpu: str = "1"
    kubernetes_gateway_memory: str = "512Mi"
    kubernetes_gateway_node_selector: dict = field(default_factory=dict)
    kubernetes_gateway_tolerations: list = field(default_factory=list)
    kubernetes_gateway_service_type: str = "ClusterIP"

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "ServingOptions":
        known = set(cls.__dataclass_fields__)
        data = dict(data or {})
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown serving option(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return cls(**data)


# A model server serves the v2 gRPC protocol on the port after its HTTP port
# (8080/8081 in a pod, 80/81 on its Service, P/P+1 locally), so a server's gRPC
# address follows from the HTTP address stored for it.
GRPC_PORT_OFFSET = 1


def grpc_address(address: str) -> str:
    """``host:port`` of the v2 gRPC protocol of the model server at HTTP ``address``."""
    parts = urlsplit(address)
    if not parts.hostname:
        raise ValueError(f"not a server address: {address!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port + GRPC_PORT_OFFSET}"


def model_server_args(spec: ServerSpec, host: str, port: int) -> list[str]:
    """The server's CLI arguments (after ``python -m {spec.server_module}``);
    a model server also serves gRPC on ``port + GRPC_PORT_OFFSET``."""
    if spec.server_module != MODEL_SERVER_MODULE:
        return [*spec.server_args, "--host", host, "--port", str(port)]
    args = ["--model", spec.model_name, "--model-dir", spec.model_dir, "--framework", spec.framework]
    if spec.task:
        args += ["--task", spec.task]
    for key, value in spec.parameters.items():
        args += ["--param", f"{key}={value}"]
    return args + ["--host", host, "--port", str(port), "--grpc-port", str(port + GRPC_PORT_OFFSET)]


@runtime_checkable
class ServingBackend(Protocol):
    name: str

    def capabilities(self) -> dict[str, Any]:
        ...

    def start(self, spec: ServerSpec) -> dict[str, Any]:
        """Create the servers and return their handle (idempotent: a second
        start of the same server id answers the existing handle)."""

    def status(self, handle: dict[str, Any]) -> ServerState:
        """Where the servers stand; also restarts crashed local pods."""

    def scale(self, handle: dict[str, Any], pods: int) -> dict[str, Any]:
        """Run ``pods`` pods; answers the (possibly changed) handle. Pods being
        removed must already be out of the gateway's routes (drained)."""

    def drain_candidates(self, handle: dict[str, Any], pods: int) -> list[str]:
        """Addresses that scaling down to ``pods`` would remove."""

    def stop(self, handle: dict[str, Any], grace_seconds: float = 10.0) -> None:
        """Stop every pod and remove what the servers held (idempotent)."""

    def usage(self, handle: dict[str, Any]) -> list[ResourceUsage]:
        """One sample per running pod (empty when unknown)."""

    def read_logs(self, handle: dict[str, Any], tail: int = 200) -> str:
        """The last lines the servers wrote (all pods)."""

    def adopt(self, handle: dict[str, Any], secret_env: dict[str, str] | None = None) -> None:
        """Re-attach to servers found in the store after a restart; ``secret_env``
        is their spec's again, for pods started from now on (it is in no file)."""

    @property
    def autoscales_itself(self) -> bool:
        """True when the platform scales pods (HorizontalPodAutoscaler, KServe)."""
