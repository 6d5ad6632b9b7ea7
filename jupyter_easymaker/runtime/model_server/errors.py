"""Errors of the model server, with KServe's HTTP codes and messages, so that
clients written against KServe read the same answers; and ArtifactError, the
catalogs' error for an artifact that cannot be served."""
from __future__ import annotations

from jupyter_easymaker.catalogs.frameworks import ArtifactError

__all__ = ["ArtifactError", "InferenceError", "InvalidInput", "ModelNotFound", "ModelNotReady", "NotSupported", "ServingError"]


class ServingError(Exception):
    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(ServingError):
    status = 400


class ModelNotFound(ServingError):
    status = 404

    def __init__(self, name: str):
        super().__init__(f"Model with name {name} does not exist.")


class ModelNotReady(ServingError):
    status = 503

    def __init__(self, name: str, detail: str = ""):
        super().__init__(f"Model with name {name} is not ready." + (f" {detail}" if detail else ""))


class InferenceError(ServingError):
    status = 500


class NotSupported(ServingError):
    status = 501
