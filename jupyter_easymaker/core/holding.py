"""What running work holds: one record per resource that keeps an instance
busy (a training's nodes, a trial, an endpoint's pods, a notebook ...), as
each area reports it for the dashboard's resource usage."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Held:
    kind: str  # the resource's kind in the guide's words: "training", "trial", "stage resource" ...
    resource_id: str  # the id its usage samples are recorded under
    name: str
    instance_type: str
    units: int = 1  # instances of that type (a training's nodes, a stage's instances)
    backend: str = "local"
    # where its usage is sampled when not under resource_id (an endpoint stage: its resources' pods)
    sampled_as: tuple[str, ...] = ()

    @property
    def sample_ids(self) -> tuple[str, ...]:
        return self.sampled_as or (self.resource_id,)
