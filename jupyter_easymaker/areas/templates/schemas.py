from __future__ import annotations

from pydantic import Field

from jupyter_easymaker.core.job_fields import TrainingFields
from jupyter_easymaker.core.schemas import Description, Name, ResourceOut, StrictModel


class TemplateCreate(TrainingFields):
    name: str = Name
    description: str = Description


class TemplateFromTraining(StrictModel):
    """Save an existing training's fields as a new template."""

    name: str = Name
    description: str = Description


class TemplateOut(ResourceOut):
    spec: dict
    hyperparameter_names: list[str] = Field(default_factory=list)
