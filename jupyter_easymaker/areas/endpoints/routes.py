"""The inference gateway's route table and its URLs: plain data, light enough
for the gateway's request handler to import when the server starts (the
gateway itself, with the store, loads with the endpoints area)."""
from __future__ import annotations

from dataclasses import dataclass, field

from jupyter_easymaker.areas.endpoints.statuses import StageStatus

ROUTABLE_STAGES = frozenset({StageStatus.ACTIVE, StageStatus.DEPLOY_IN_PROGRESS, StageStatus.DEPLOY_FAILED})
INFERENCE_PREFIX = "easymaker/inference"


def stage_path(endpoint_name: str, stage_name: str | None = None) -> str:
    """The stage URL (default stage URL without a stage) relative to the server's base URL."""
    return f"{INFERENCE_PREFIX}/{endpoint_name}" + (f"/{stage_name}" if stage_name else "")


class GatewayError(Exception):
    def __init__(self, status: int, message: str, *, target: "Target | None" = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.target = target


@dataclass(frozen=True)
class Upstream:
    resource_id: str
    address: str


@dataclass
class ModelRoute:
    name: str
    upstreams: list[Upstream]
    turn: int = 0


@dataclass
class StageRoute:
    stage_id: str
    name: str
    status: str
    models: dict[str, ModelRoute] = field(default_factory=dict)

    @property
    def routable(self) -> bool:
        return self.status in ROUTABLE_STAGES


@dataclass
class EndpointRoute:
    endpoint_id: str
    name: str
    default_stage_id: str | None
    stages: dict[str, StageRoute] = field(default_factory=dict)  # by name

    @property
    def default_stage(self) -> StageRoute | None:
        return next((s for s in self.stages.values() if s.stage_id == self.default_stage_id), None)


@dataclass
class Target:
    endpoint: EndpointRoute
    stage: StageRoute
    model: str
    path: str  # the model server path, without a leading slash
