"""Request and response shapes of endpoints, stages, stage resources, API keys
and API statistics (the guide's fields)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from jupyter_easymaker.core.names import MAX_DESCRIPTION, NAME_PATTERN
from jupyter_easymaker.core.schemas import (
    Description,
    Name,
    ResourceOut,
    StatusEventOut,
    StrictModel,
)

DEFAULT_STAGE_NAME = "default"
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?)?\s*$", re.IGNORECASE)
# Kubernetes quantity suffixes -> MiB; a bare number is MiB already
_MIB = {"": 1.0, "ki": 1 / 1024, "mi": 1.0, "gi": 1024.0, "ti": 1024.0 ** 2,
        "k": 1e3 / 2 ** 20, "m": 1e6 / 2 ** 20, "g": 1e9 / 2 ** 20, "t": 1e12 / 2 ** 20}


def memory_mib(value: Any) -> int:
    """512, "512", "512Mi", "2Gi", "1.5G" -> MiB."""
    if isinstance(value, bool):
        raise ValueError("must be MiB as a number or a quantity like 512Mi or 2Gi")
    if isinstance(value, (int, float)):
        amount = float(value)
    else:
        match = _MEMORY.match(str(value))
        if not match:
            raise ValueError("must be MiB as a number or a quantity like 512Mi or 2Gi")
        unit = (match.group(2) or "").lower()
        amount = float(match.group(1)) * _MIB[unit]
    if amount < 16:
        raise ValueError("must be at least 16 MiB")
    return int(round(amount))


class NodeAutoscaler(StrictModel):
    """The guide's node autoscaler of a stage's instances."""

    enabled: bool = False
    min_nodes: int = Field(1, ge=1, le=100)
    max_nodes: int = Field(1, ge=1, le=100)
    scale_down_enabled: bool = True
    scale_down_threshold: int = Field(50, ge=1, le=100, description="resource use (%) under which a node may be removed")
    scale_down_time_minutes: int = Field(10, ge=1, le=1440, description="minutes a node stays under the threshold first")
    scale_down_delay_minutes: int = Field(10, ge=1, le=1440, description="minutes after a scale-up before scale-down is considered")

    @model_validator(mode="after")
    def _order(self) -> "NodeAutoscaler":
        if self.max_nodes < self.min_nodes:
            raise ValueError("max_nodes must not be less than min_nodes")
        return self


class PodAutoscaler(StrictModel):
    """The guide's pod autoscaler: more pods when CPU or memory use passes the
    threshold (percent of each pod's allocation)."""

    enabled: bool = False
    metric: Literal["cpu", "memory"] = Field("cpu", description="the guide's 증설 단위: CPU or Memory")
    threshold: float = Field(80.0, gt=0, le=100, description="utilisation (%) of the pod's allocation that adds pods")
    min_pods: int | None = Field(None, ge=1, le=100, description="default: the pod count")
    max_pods: int | None = Field(None, ge=1, le=100, description="default: twice the pod count")


class StageResourceCreate(StrictModel):
    model: str = Field(..., min_length=1, max_length=64, description="model id or name")
    description: str = Description
    allocation_percent: float | None = Field(None, gt=0, le=100,
                                             description="share (%) of an instance's usable resources per pod")
    cpu: float | None = Field(None, gt=0, le=1024, description="CPU cores per pod (instead of a share)")
    memory: int | str | None = Field(None, description="memory per pod: MiB or a quantity like 512Mi / 2Gi")
    gpu: int | None = Field(None, ge=0, le=16, description="GPUs per pod")
    pod_count: int = Field(1, ge=1, le=100)
    pod_autoscaler: PodAutoscaler = Field(default_factory=PodAutoscaler)

    @field_validator("memory")
    @classmethod
    def _memory(cls, value: Any) -> Any:
        return None if value is None else memory_mib(value)

    @model_validator(mode="after")
    def _scaling(self) -> "StageResourceCreate":
        auto = self.pod_autoscaler
        if auto.enabled:
            low = auto.min_pods or self.pod_count
            high = auto.max_pods or max(low, 2 * self.pod_count)
            if high < low:
                raise ValueError("pod_autoscaler.max_pods must not be less than min_pods")
        return self


class StageFields(StrictModel):
    description: str = Description
    instance_type: str | None = Field(None, description="instance type name (default: the server's default)")
    instance_count: int = Field(1, ge=1, le=100)
    node_autoscaler: NodeAutoscaler = Field(default_factory=NodeAutoscaler)
    resources: list[StageResourceCreate] = Field(..., min_length=1, max_length=20)


class EndpointCreate(StageFields):
    """A new endpoint with its default stage."""

    name: str = Name
    description: str = Description
    stage_name: str = Field(DEFAULT_STAGE_NAME, min_length=1, max_length=50, pattern=NAME_PATTERN.pattern)
    stage_description: str = Description
    backend: str | None = None


class StageCreate(StageFields):
    """A new stage on an existing endpoint (to test a model next to the default stage)."""

    name: str = Name


class DefaultStageChange(StrictModel):
    stage: str = Field(..., min_length=1, max_length=64, description="stage id or name")


class ApiKeyCreate(StrictModel):
    name: str = Field("", max_length=50)


class StageUpdate(StrictModel):
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)


# -- answers ------------------------------------------------------------------------
class AllocationOut(BaseModel):
    cpu: float
    memory_mib: int
    gpu: int
    allocation_percent: float | None = None


class StageResourceOut(BaseModel):
    id: str
    endpoint_id: str
    stage_id: str
    model_id: str
    model_name: str
    framework: str = ""
    description: str
    status: str
    status_reason: str
    allocation: AllocationOut
    pod_count: int
    pod_autoscaler: dict
    pods_ready: int
    pods_total: int
    resource_path: str = Field("", description="the guide's API Gateway resource path: {stage URL}/{model}")
    predict_url: str = ""
    backend: str
    created_at: datetime
    updated_at: datetime
    history: list[StatusEventOut] | None = None


class StageOut(BaseModel):
    id: str
    endpoint_id: str
    name: str
    description: str
    status: str
    status_reason: str
    is_default: bool
    gateway_status: str
    url: str = Field("", description="the stage URL (under the Jupyter server's base URL)")
    gateway_url: str = Field("", description="the stage URL on the inference gateway's own port (the fast one)")
    instance_type: str
    instance_count: int
    node_autoscaler: dict
    nodes: int
    pods_ready: int
    pods_total: int
    resources: list[StageResourceOut] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    history: list[StatusEventOut] | None = None


class EndpointOut(ResourceOut):
    backend: str
    default_stage_id: str | None
    default_stage_name: str | None = None
    default_stage_url: str = ""
    default_stage_gateway_url: str = Field("", description="the default stage URL on the inference gateway's own port")
    gateway_status: str = ""
    stage_count: int = 0
    stages: list[StageOut] | None = None
    history: list[StatusEventOut] | None = None
    api_key: "ApiKeyOut | None" = Field(None, description="the endpoint's first API key: only in the answer that created it")


class ApiKeyOut(BaseModel):
    id: str
    endpoint_id: str
    name: str
    masked: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    key: str | None = Field(None, description="the key itself: only in the answer that created it")


class StatsPoint(BaseModel):
    time: datetime
    calls: int
    success: int
    failure: int
    latency_ms: dict


class StageStatsOut(BaseModel):
    endpoint_id: str
    stage_id: str
    stage_name: str
    interval_seconds: int
    since: datetime
    until: datetime
    totals: StatsPoint
    points: list[StatsPoint]


EndpointOut.model_rebuild()
