"""Where the Kubernetes client's configuration comes from: the pod's service
account when the server runs in a cluster (found on its own), a kubeconfig
otherwise; made in one place (catalogs/kube_calls.api_client)."""
from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest
import yaml

from jupyter_easymaker.backend.base import BackendError
from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend
from jupyter_easymaker.backend.kubernetes.api import load_client
from jupyter_easymaker.catalogs.kube_calls import api_client, in_cluster
from tests import kube_fixtures

cluster = kube_fixtures.cluster  # the fixture
PACKAGE = Path(__file__).resolve().parents[1] / "jupyter_easymaker"
IN_POD = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}


def service_account(tmp_path: Path, token: str = "pod-token") -> Path:
    folder = tmp_path / "serviceaccount"
    folder.mkdir()
    (folder / "token").write_text(token)
    (folder / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (folder / "namespace").write_text("ml")
    return folder


def kubeconfig(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "dev",
        "clusters": [{"name": "dev", "cluster": {"server": server}}],
        "users": [{"name": "dev", "user": {"token": "kubeconfig-token"}}],
        "contexts": [{"name": "dev", "context": {"cluster": "dev", "user": "dev"}}],
    }))
    return path


def test_a_pod_with_a_service_account_is_found_in_cluster(tmp_path):
    folder = service_account(tmp_path)
    assert in_cluster(IN_POD, str(folder))
    assert not in_cluster({}, str(folder))  # not a pod
    assert not in_cluster(IN_POD, str(tmp_path / "missing"))  # a pod without a mounted token

    made = api_client(environ=IN_POD, service_account_dir=str(folder))
    assert made.configuration.host == "https://10.96.0.1:443"
    assert made.configuration.api_key["BearerToken"] == "bearer pod-token"
    assert made.configuration.ssl_ca_cert == str(folder / "ca.crt")


def test_outside_a_cluster_or_with_a_named_kubeconfig_the_kubeconfig_is_used(tmp_path):
    path = kubeconfig(tmp_path, "http://127.0.0.1:6443")
    folder = service_account(tmp_path)
    for environ in ({}, IN_POD):  # a named kubeconfig wins even inside a pod
        made = api_client(str(path), environ=environ, service_account_dir=str(folder))
        assert made.configuration.host == "http://127.0.0.1:6443"
        assert made.configuration.api_key["BearerToken"] == "Bearer kubeconfig-token"


def test_a_configuration_that_cannot_be_loaded_is_a_backend_error_naming_it(tmp_path):
    with pytest.raises(BackendError, match="from .*nowhere"):
        load_client(str(tmp_path / "nowhere"))
    with pytest.raises(BackendError, match="in-cluster service account"):
        load_client(None, True)  # this test process is no pod


@pytest.mark.asyncio
async def test_the_backend_reaches_the_cluster_its_kubeconfig_names(cluster, tmp_path):
    path = kubeconfig(tmp_path, str(cluster.server.url).rstrip("/"))
    backend = KubernetesBackend(namespace=kube_fixtures.NAMESPACE, kubeconfig=str(path), pytorchjob=False)
    assert await asyncio.to_thread(backend.discover) == []
    assert cluster.requests("GET", r"/apis/batch/v1/namespaces/default/jobs$")


def test_every_kubernetes_client_is_made_in_one_place():
    """No module but catalogs/kube_calls.py loads a client configuration or builds an ApiClient
    of the ``kubernetes`` client (other clients, e.g. Kubeflow Pipelines', are not the cluster's)."""
    makers = {"load_incluster_config", "load_kube_config", "new_client_from_config", "InClusterConfigLoader",
              "ApiClient", "KubeConfigLoader"}
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "kube_calls.py":
            continue
        tree = ast.parse(path.read_text())
        uses_kubernetes = any(
            isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "kubernetes"
            or isinstance(n, ast.Import) and any(a.name.split(".")[0] == "kubernetes" for a in n.names)
            for n in ast.walk(tree))
        for node in ast.walk(tree) if uses_kubernetes else ():
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in makers:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    assert not found, found
