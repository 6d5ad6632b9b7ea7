"""What other areas get from an image: where their work runs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Purpose = Literal["training", "notebook"]


@dataclass(frozen=True)
class ImageRuntime:
    name: str  # the image's name ("" when none was named)
    container_image: str  # the reference a pod runs ("": the backend's default)
    python: str | None  # the local backend's interpreter (None: the server's own, as without an image)
    pull_secret_account_id: str | None  # the registry account a pod pulls the image with
