"""The dashboard: counts, top endpoints and resource usage (guide: Dashboard)."""
from __future__ import annotations

from pydantic import BaseModel, Field


class DashboardCounts(BaseModel):
    active_notebooks: int = Field(..., description="running kernels of this server")
    complete_trainings: int
    running_trainings: int = Field(..., description="trainings that have not ended (queued, running, stopping)")
    failed_trainings: int = Field(..., description="FAIL TRAIN and CREATE FAILED")
    complete_hpo: int
    active_endpoints: int


class InstanceTypeUsage(BaseModel):
    instance_type: str
    cpu: float = Field(..., description="CPUs held by running jobs of this type")
    gpu: int
    memory_mib: int
    running: int


class Usage(BaseModel):
    used: float
    total: float = Field(..., description="0 where no backend reports its capacity")


class ResourceUsage(BaseModel):
    backends: dict[str, dict]
    by_instance_type: list[InstanceTypeUsage]
    cpu: Usage
    gpu: Usage


class DashboardOut(BaseModel):
    counts: DashboardCounts
    top_endpoints: list[dict] = Field(default_factory=list, description="top 3 endpoints by API calls, with success/failure per stage")
    resource_usage: ResourceUsage
    training_statuses: dict[str, int] = Field(default_factory=dict, description="trainings per status")
