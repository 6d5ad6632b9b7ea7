"""The server-wide methods of :class:`jupyter_easymaker.client.Client`: what
no area owns (the handshake, the OpenAPI document, built-in algorithms,
instance types, the event stream)."""
from __future__ import annotations

from typing import Iterator


class ServerClient:
    """Mixed into Client: needs ``_get`` and ``_sse``."""

    def info(self) -> dict:
        """Server version and capabilities."""
        return self._get("")

    def openapi(self) -> dict:
        return self._get("openapi.json")

    def algorithms(self) -> list[dict]:
        """Built-in algorithms with their hyperparameters and metrics."""
        return self._get("algorithms")["items"]

    def instance_types(self) -> list[dict]:
        """Instance types jobs can ask for (the default is ``info()['capabilities']['default_instance_type']``)."""
        return self._get("instance-types")["items"]

    def events(self) -> Iterator[dict]:
        """Resource changes as they happen (an endless generator)."""
        for _event, _id, payload in self._sse("events", {}):
            yield payload
