"""The guide gives images no status table: a private image is usable once stored."""
from __future__ import annotations

from jupyter_easymaker.core.state_machine import _machine


class ImageStatus:
    ACTIVE = "ACTIVE"


IMAGE_MACHINE = _machine("image", ImageStatus.ACTIVE, {ImageStatus.ACTIVE: set()}, {ImageStatus.ACTIVE}, words=ImageStatus)
