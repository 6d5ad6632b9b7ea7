"""The dashboard: counts, top endpoints and resource usage (guide: Dashboard)."""
from __future__ import annotations

from pydantic import BaseModel, Field


class DashboardCounts(BaseModel, extra="allow"):
    """The guide's service usage; each area adds the counts it owns."""

    active_notebooks: int = Field(0, description="notebooks ACTIVE (HEALTHY)")
    complete_trainings: int = 0
    running_trainings: int = Field(0, description="trainings that have not ended (queued, running, stopping)")
    failed_trainings: int = Field(0, description="FAIL TRAIN and CREATE FAILED")
    complete_hpo: int = 0
    active_endpoints: int = 0


class InstanceTypeUsage(BaseModel):
    instance_type: str
    core_type: str = Field(..., description="CPU or GPU")
    cpu: float = Field(..., description="CPUs held by running work of this type")
    gpu: int
    memory_mib: int
    running: int = Field(..., description="resources of this type running")
    by_kind: dict[str, int] = Field(default_factory=dict, description="running resources of this type per kind")


class Usage(BaseModel):
    used: float
    total: float = Field(..., description="0 where no backend reports its capacity")


class HeldResource(BaseModel):
    kind: str = Field(..., description="training, trial, batch inference, endpoint stage, notebook ...")
    id: str
    name: str
    instance_type: str
    units: int = Field(..., description="instances of that type it holds")
    core_type: str
    backend: str
    sampled: bool = Field(..., description="whether its usage has been measured")
    cpu_percent: float
    memory_bytes: int
    gpu_percent: float | None
    sampled_at: str | None


class TopResource(HeldResource):
    metric: str = Field(..., description="what ranks it: gpu_percent on GPU types, cpu_percent on CPU types")
    value: float


class ResourceUsage(BaseModel):
    backends: dict[str, dict]
    by_instance_type: list[InstanceTypeUsage]
    cpu: Usage
    gpu: Usage
    resources: list[HeldResource] = Field(default_factory=list, description="every running resource and its latest usage")
    top_by_core_type: list[TopResource] = Field(default_factory=list,
                                                description="per core type, the resource that uses the most")


class DashboardOut(BaseModel):
    counts: DashboardCounts
    top_endpoints: list[dict] = Field(default_factory=list, description="top 3 endpoints by API calls, with success/failure per stage")
    resource_usage: ResourceUsage
