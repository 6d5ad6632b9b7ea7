from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from jupyter_easymaker.core.schemas import Description, Name, ResourceOut, StrictModel

# the guide's 분류 (registry services); NCR is what the guide's cloud connects, the others
# are what a self-hosted cluster pulls from
RegistryType = Literal["NCR", "DOCKER_HUB", "OTHER"]
DOCKER_HUB_ADDRESS = "https://index.docker.io/v1/"
# a registry host: name or IPv4 with an optional port (what a docker config's "auths" key holds)
_HOST = re.compile(r"^(?:https?://)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?/?$")
MASKED = "********"


class RegistryCredentials(StrictModel):
    """The guide's second edit: the registry id and password, changed together."""

    username: str = Field(..., min_length=1, max_length=255, description="the registry id (NCR: the User Access Key)")
    password: str = Field(..., min_length=1, max_length=1024, description="the registry password (NCR: the User Secret Key); stored encrypted")

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        if value != value.strip() or any(c.isspace() for c in value):
            raise ValueError("must not contain spaces")
        return value


class RegistryAccountCreate(RegistryCredentials):
    name: str = Name
    description: str = Description
    registry_type: RegistryType = "NCR"
    registry_address: str = Field("", max_length=255, description="the registry host (NCR: xxx-kr1-registry.container.nhncloud.com); Docker Hub needs none")


def registry_address(registry_type: str, address: str) -> str:
    """The account's registry host, checked (ValueError says why)."""
    address = address.strip()
    if registry_type == "DOCKER_HUB":
        return address or DOCKER_HUB_ADDRESS
    if not address:
        raise ValueError("required for an NCR or other registry")
    if not _HOST.match(address):
        raise ValueError("not a registry host (host[:port])")
    return address.rstrip("/")


class RegistryAccountOut(ResourceOut):
    registry_type: str
    registry_address: str
    username: str
    password: str = Field(MASKED, description="always masked")
    images: list[str] = Field(default_factory=list, description="names of the images that use this account")
    warnings: list[str] = Field(default_factory=list, description="what the change may disturb (running work using its images)")
