"""Request and response models of the notebooks' API."""
from __future__ import annotations

from pydantic import BaseModel, Field

from jupyter_easymaker.core.names import NAME_PATTERN
from jupyter_easymaker.core.schemas import Description, Name, ResourceOut, StrictModel

MOUNT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class NotebookCreate(StrictModel):
    name: str = Name
    description: str = Description
    image: str = Field("", max_length=255, description="an image reference; default: the server's notebook image")
    instance_type: str | None = Field(None, description="default: the server's default instance type")
    boot_storage_gb: int = Field(50, ge=1, le=2048, description="boot storage (GB), emptied on every start; fixed after creation")
    data_storage_gb: int = Field(100, ge=1, le=16384, description="data storage (GB) at the data path; fixed after creation")
    nas_mount_name: str = Field("", max_length=64, description="directory name the NAS is mounted as")
    nas_path: str = Field("", max_length=1024, description="nas://{NAS ID}:/{path}")


class NotebookUpdate(StrictModel):
    """Name and description any time; the instance type only while STOPPED; storage sizes never."""

    name: str | None = Field(None, min_length=1, max_length=50, pattern=NAME_PATTERN.pattern)
    description: str | None = Field(None, max_length=255)
    instance_type: str | None = None
    boot_storage_gb: int | None = None
    data_storage_gb: int | None = None


class ScriptResultOut(BaseModel):
    name: str
    runnable: bool
    exit_code: int | None = None
    output: str | None = None


class StartupScriptsOut(BaseModel):
    scripts: list[ScriptResultOut]
    run_log: str


class NotebookOut(ResourceOut):
    image: str
    instance_type: str
    boot_storage_gb: int
    data_storage_gb: int
    nas_mount_name: str
    nas_path: str
    backend: str
    url: str = Field("", description="the proxy URL that opens the notebook (while ACTIVE)")
    data_path: str = ""
