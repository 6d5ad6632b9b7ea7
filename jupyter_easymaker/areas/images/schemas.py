from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from jupyter_easymaker.core.schemas import Description, Name, ResourceOut, StrictModel

ImageType = Literal["NOTEBOOK", "TRAINING"]
Framework = Literal["PYTHON", "PYTORCH", "TENSORFLOW"]


class ImageCreate(StrictModel):
    name: str = Name
    description: str = Description
    address: str = Field(..., min_length=1, max_length=512, description="the container image reference in the registry")
    image_type: ImageType = Field(..., description="NOTEBOOK or TRAINING")
    framework: Framework = Field("PYTHON", description="what the image's base image carries (checked in local_python)")
    registry_account_id: str | None = Field(None, description="an existing registry account (name or id)")
    registry_account: dict[str, Any] | None = Field(None, description="a new registry account created with the image (the account's create body)")
    local_python: str = Field("", max_length=1024, description="local backend: the interpreter (absolute path) or conda environment name its jobs run with; empty: the server's own")


class ImageOut(ResourceOut):
    builtin: bool = False
    address: str
    image_type: str
    core_type: str | None = None
    framework: str
    framework_version: str = ""
    python_version: str = ""
    registry_account_id: str | None = None
    registry_account_name: str | None = None
    local_python: str = ""
    available: bool = Field(True, description="whether this server can run the image's work locally")
    unavailable_reason: str = ""


class BaseImagesOut(BaseModel):
    items: list[ImageOut]
    total: int
