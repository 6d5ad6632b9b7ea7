from __future__ import annotations

from jupyter_easymaker.core.schemas import Description, Name, ResourceOut, StrictModel


class ExperimentCreate(StrictModel):
    name: str = Name
    description: str = Description


class ExperimentOut(ResourceOut):
    training_count: int = 0
    tensorboard_log_dir: str = ""
