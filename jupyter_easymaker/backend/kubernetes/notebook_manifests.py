"""Pure builders of the Kubernetes objects a notebook becomes, in the shape
Kubeflow Notebooks use:

* a ``StatefulSet`` of one replica (0 while the notebook is stopped) running
  the image's Jupyter server under the proxy prefix, with a
  ``volumeClaimTemplates`` entry for the data storage at the guide's data
  path (``/root/easymaker``), the boot storage as an ``emptyDir`` with a
  ``sizeLimit`` at the home (``/root``: emptied on every start), the NAS as
  an NFS volume under its mount directory name, the image's pull secret, and
  requests and limits from the instance type;
* a ``Service`` (ClusterIP) in front of the pod, which this server proxies to;
* a ``Secret`` holding the notebook's token (the pod reads it as
  ``JUPYTER_TOKEN``; the proxy adds it to every request).

Before Jupyter starts, the container runs the start-up scripts of
``/root/easymaker/cont-init.d`` with the guide's rules (as the local backend
does in :mod:`jupyter_easymaker.backend.notebooks.init_scripts`).
"""
from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass, field
from typing import Any

from jupyter_easymaker.backend.kubernetes.labels import (
    APP_NAME_KEY,
    ID_LABEL,
    KIND_LABEL,
    MANAGED_BY,
    MANAGED_BY_KEY,
    label_value,
    resource_name,
    selector_labels,
)
from jupyter_easymaker.backend.kubernetes.pods import ManifestError, container_resources

DATA_PATH = "/root/easymaker"
HOME_PATH = "/root"
NOTEBOOK_PORT = 8888
SERVICE_PORT = 80
CONTAINER = "notebook"
NOTEBOOK_ID_ANNOTATION = "easymaker/notebook-id"

# the guide's start-up scripts: in order, regular executable files whose first line starts with #!,
# each leaving {SCRIPT}.exitcode and {SCRIPT}.output; the whole run in cont-init.output; a failure stops the start
INIT_AND_START = r"""
set -u
D=/root/easymaker
mkdir -p "$D/custom-conda-envs" "$D/cont-init.d"
exec 3>"$D/cont-init.output"
for f in $(ls -1 "$D/cont-init.d" | LC_ALL=C sort); do
  case "$f" in *.exitcode|*.output) continue;; esac
  p="$D/cont-init.d/$f"
  [ -f "$p" ] && [ ! -L "$p" ] && [ -x "$p" ] || continue
  [ "$(head -c 2 "$p")" = "#!" ] || continue
  echo "[cont-init.d] $f: running" >&3
  "$p" >"$p.output" 2>&1 </dev/null; rc=$?
  echo "$rc" >"$p.exitcode"; cat "$p.output" >&3
  echo "[cont-init.d] $f: exited $rc" >&3
  if [ "$rc" -ne 0 ]; then echo "start-up script $f failed (exit code $rc)" >/dev/termination-log; exit 1; fi
done
echo "[cont-init.d] done" >&3
"""


@dataclass(frozen=True)
class NotebookManifest:
    notebook_id: str
    name: str  # the notebook's name (an annotation; objects are named from the id)
    image: str
    base_url: str  # the proxy prefix of this server
    cpu: float
    memory_mib: int
    gpu: int
    boot_storage_gb: int
    data_storage_gb: int
    token: str
    running: bool = True
    pull_secret_account_id: str | None = None
    nas_mount_name: str = ""
    nas_server: str = ""  # NFS server of the NAS
    nas_export: str = ""  # path on it
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    storage_class: str | None = None


def notebook_object_name(notebook_id: str) -> str:
    # the StatefulSet's pod is "{name}-0": stay well inside a DNS label
    return resource_name("nb", notebook_id, max_length=40)


def token_secret_name(notebook_id: str) -> str:
    return f"{notebook_object_name(notebook_id)}-token"


def pull_secret_name(account_id: str) -> str:
    return f"easymaker-registry-{account_id}"


def notebook_labels(notebook_id: str) -> dict[str, str]:
    return {MANAGED_BY_KEY: MANAGED_BY, APP_NAME_KEY: "easymaker-notebook", KIND_LABEL: "notebook",
            ID_LABEL: label_value(notebook_id), **selector_labels(notebook_id)}


def _metadata(m: NotebookManifest, name: str) -> dict[str, Any]:
    return {"name": name, "labels": notebook_labels(m.notebook_id),
            "annotations": {NOTEBOOK_ID_ANNOTATION: m.notebook_id, "easymaker/notebook-name": m.name}}


def start_command(base_url: str) -> list[str]:
    jupyter = (f"exec jupyter lab --ip=0.0.0.0 --port={NOTEBOOK_PORT} --no-browser --allow-root "
               f"--ServerApp.base_url={shlex.quote(base_url)} --ServerApp.root_dir={DATA_PATH} --ServerApp.allow_remote_access=True"
               )
    return ["/bin/sh", "-c", INIT_AND_START + jupyter + "\n"]


def token_secret(m: NotebookManifest) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": _metadata(m, token_secret_name(m.notebook_id)),
            "type": "Opaque", "data": {"token": base64.b64encode(m.token.encode()).decode()}}


def stateful_set(m: NotebookManifest) -> dict[str, Any]:
    if m.boot_storage_gb < 1 or m.data_storage_gb < 1:
        raise ManifestError("boot and data storage need at least 1 GB")
    if bool(m.nas_mount_name) != bool(m.nas_server and m.nas_export):
        raise ManifestError("a NAS needs a mount directory name, a server and an export path")
    name = notebook_object_name(m.notebook_id)
    mounts: list[dict[str, Any]] = [
        {"name": "boot", "mountPath": HOME_PATH},
        {"name": "data", "mountPath": DATA_PATH},
        {"name": "dshm", "mountPath": "/dev/shm"},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "boot", "emptyDir": {"sizeLimit": f"{m.boot_storage_gb}Gi"}},
        {"name": "dshm", "emptyDir": {"medium": "Memory"}},
    ]
    if m.nas_mount_name:
        mounts.append({"name": "nas", "mountPath": f"{HOME_PATH}/{m.nas_mount_name}"})
        volumes.append({"name": "nas", "nfs": {"server": m.nas_server, "path": m.nas_export}})
    container = {
        "name": CONTAINER,
        "image": m.image,
        "command": start_command(m.base_url),
        "env": [
            {"name": "JUPYTER_TOKEN", "valueFrom": {"secretKeyRef": {"name": token_secret_name(m.notebook_id), "key": "token"}}},
            {"name": "NB_PREFIX", "value": m.base_url},  # what Kubeflow's notebook images read
            {"name": "HOME", "value": HOME_PATH},
            {"name": "EASYMAKER_NOTEBOOK_ID", "value": m.notebook_id},
        ],
        "ports": [{"name": "notebook-port", "containerPort": NOTEBOOK_PORT, "protocol": "TCP"}],
        "resources": container_resources(m.cpu, m.memory_mib, m.gpu),
        "volumeMounts": mounts,
        "workingDir": DATA_PATH,
        "readinessProbe": {"tcpSocket": {"port": NOTEBOOK_PORT}, "periodSeconds": 5, "failureThreshold": 3},
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    pod_spec: dict[str, Any] = {
        "containers": [container],
        "volumes": volumes,
        "automountServiceAccountToken": False,  # user code gets no API credentials
        "terminationGracePeriodSeconds": 30,
    }
    if m.pull_secret_account_id:
        pod_spec["imagePullSecrets"] = [{"name": pull_secret_name(m.pull_secret_account_id)}]
    if m.node_selector:
        pod_spec["nodeSelector"] = dict(m.node_selector)
    if m.tolerations:
        pod_spec["tolerations"] = [dict(t) for t in m.tolerations]
    claim: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{m.data_storage_gb}Gi"}}}
    if m.storage_class:
        claim["storageClassName"] = m.storage_class
    labels = notebook_labels(m.notebook_id)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _metadata(m, name),
        "spec": {
            "replicas": 1 if m.running else 0,
            "serviceName": name,
            "selector": {"matchLabels": selector_labels(m.notebook_id)},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
            "volumeClaimTemplates": [{"metadata": {"name": "data", "labels": labels}, "spec": claim}],
            # the data storage goes with the notebook (the guide: deleting it deletes both storages)
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"},
        },
    }


def service(m: NotebookManifest) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(m, notebook_object_name(m.notebook_id)),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(m.notebook_id),
            "ports": [{"name": "http-notebook", "port": SERVICE_PORT, "targetPort": NOTEBOOK_PORT, "protocol": "TCP"}],
        },
    }


def service_address(notebook_id: str, namespace: str) -> str:
    """Where this server's proxy reaches the notebook (cluster DNS)."""
    return f"http://{notebook_object_name(notebook_id)}.{namespace}.svc:{SERVICE_PORT}"


def manifests(m: NotebookManifest) -> list[dict[str, Any]]:
    return [token_secret(m), service(m), stateful_set(m)]
