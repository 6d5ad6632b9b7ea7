"""Notebooks on Kubernetes: create the token Secret, the Service and the
StatefulSet; stop and start by scaling to 0 and 1; read readiness from the
StatefulSet and its pod; delete all three (the data claim goes with the
StatefulSet's retention policy). The proxy reaches the Service's address."""
from __future__ import annotations

import base64
from typing import Any

from jupyter_easymaker.backend.base import BackendError
from jupyter_easymaker.backend.kubernetes.api import MERGE_PATCH, KubernetesApi
from jupyter_easymaker.backend.kubernetes.informers import STATEFULSETS
from jupyter_easymaker.backend.kubernetes.notebook_manifests import (
    NotebookManifest,
    manifests,
    notebook_object_name,
    service_address,
    token_secret_name,
)
from jupyter_easymaker.backend.notebooks.local import NotebookPhase, NotebookState


class KubernetesNotebookBackend:
    name = "kubernetes"

    def __init__(self, api: KubernetesApi, namespace: str = "default"):
        self.api = api
        self.namespace = namespace

    def apply(self, m: NotebookManifest) -> dict[str, Any]:
        """Create the objects (those that exist are kept), then set the replicas the notebook wants."""
        for doc in manifests(m):
            kind = doc["kind"]
            fn = {"Secret": self.api.core.create_namespaced_secret, "Service": self.api.core.create_namespaced_service,
                  "StatefulSet": self.api.apps.create_namespaced_stateful_set}[kind]
            self.api.create(fn, self.namespace, doc, what=f"create the notebook's {kind}")
        self.scale(m.notebook_id, 1 if m.running else 0)
        return {"backend": self.name, "notebook_id": m.notebook_id, "namespace": self.namespace,
                "name": notebook_object_name(m.notebook_id)}

    def scale(self, notebook_id: str, replicas: int) -> None:
        patched = self.api.ignore_missing(self.api.apps.patch_namespaced_stateful_set, notebook_object_name(notebook_id),
                                          self.namespace, {"spec": {"replicas": replicas}}, what="scale the notebook",
                                          _content_type=MERGE_PATCH)
        if patched is None:
            raise BackendError(f"the StatefulSet of notebook {notebook_id} does not exist")

    def restart(self, notebook_id: str) -> None:
        """A reboot: the StatefulSet makes its pod again (the boot storage starts empty, the data claim stays)."""
        self.api.ignore_missing(self.api.core.delete_namespaced_pod, f"{notebook_object_name(notebook_id)}-0", self.namespace,
                                what="restart the notebook's pod")

    def _cached(self, notebook_id: str) -> dict | None:
        """The StatefulSet from the job backend's cache when it keeps one for this namespace and has seen it."""
        informers = self.api.informers
        if informers is None or informers.namespace != self.namespace:
            return None
        informer = informers.synced(STATEFULSETS)
        return informer.get(notebook_object_name(notebook_id)) if informer is not None else None

    def status(self, notebook_id: str) -> NotebookState:
        sts = self._cached(notebook_id) or self.api.ignore_missing(self.api.apps.read_namespaced_stateful_set, notebook_object_name(notebook_id),
                                      self.namespace, what="read the notebook's StatefulSet")
        if sts is None:
            return NotebookState(NotebookPhase.STOPPED, "its StatefulSet is gone")
        if int((sts.get("spec") or {}).get("replicas") or 0) == 0:
            return NotebookState(NotebookPhase.STOPPED)
        if int((sts.get("status") or {}).get("readyReplicas") or 0) >= 1:
            return NotebookState(NotebookPhase.READY)
        return NotebookState(NotebookPhase.STARTING)

    def upstream(self, notebook_id: str) -> tuple[str, str]:
        secret = self.api.ignore_missing(self.api.core.read_namespaced_secret, token_secret_name(notebook_id),
                                         self.namespace, what="read the notebook's token")
        if secret is None:
            raise BackendError("the notebook's token is gone")
        return service_address(notebook_id, self.namespace), base64.b64decode(secret["data"]["token"]).decode()

    def delete(self, notebook_id: str) -> None:
        name = notebook_object_name(notebook_id)
        for fn, obj in ((self.api.apps.delete_namespaced_stateful_set, name), (self.api.core.delete_namespaced_service, name),
                        (self.api.core.delete_namespaced_secret, token_secret_name(notebook_id))):
            self.api.ignore_missing(fn, obj, self.namespace, what="delete the notebook")
