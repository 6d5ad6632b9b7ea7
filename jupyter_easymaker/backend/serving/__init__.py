"""Long-running servers (model servers, RAG query servers): local processes,
and Deployments on Kubernetes when that job backend is configured."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.backend.serving.base import ServingOptions


def serving_backends(job_backends: dict[str, Any], options: ServingOptions, *,
                     handoff_socket: str = "") -> dict[str, Any]:
    """Model servers as local processes, and on Kubernetes when that job backend is configured.
    Local model servers link to the gateway's ``handoff_socket`` when one is given."""
    from jupyter_easymaker.backend.serving.local import LocalServingBackend

    backends: dict[str, Any] = {"local": LocalServingBackend(options, handoff_socket=handoff_socket)}
    if "kubernetes" in job_backends:
        from jupyter_easymaker.backend.serving.kubernetes import (
            KubernetesServingBackend,
        )

        backends["kubernetes"] = KubernetesServingBackend(job_backends["kubernetes"], options)
    return backends
