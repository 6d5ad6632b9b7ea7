"""The Helm chart (deploy/helm/jupyter-easymaker) rendered by Helm itself and every
manifest validated against the Kubernetes 1.37 schemas, for the default values
and for a values file with every option on.

Helm is the real one: Helm v4's Go SDK as a C library in the ``helm-python-sdk``
wheel (the test extra), so no helm binary is needed; ``render`` is ``helm
template`` and ``lint`` is ``helm lint``.
"""
from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes import client as k8s_client
from traitlets.config import Config

from jupyter_easymaker.backend.base import InstanceType
from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend
from jupyter_easymaker.backend.kubernetes import rbac
from jupyter_easymaker.backend.kubernetes.gateway_manifests import GATEWAY_NAME
from jupyter_easymaker.backend.serving.base import ServingOptions
from jupyter_easymaker.extension import EasyMakerExtension
from tests.kube_fixtures import K8S_VERSION

if os.environ.get("CI") == "true":  # CI installs the test extra: a missing Helm is a failure there
    import helm_python as helm
else:
    helm = pytest.importorskip("helm_python", reason="helm-python-sdk (the test extra) renders the chart")

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "jupyter-easymaker"
ALL_ON = Path(__file__).parent / "data" / "helm" / "values-all-on.yaml"
RELEASE, NAMESPACE = "em", "ml"


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with helm.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    docs = []
    for path, text in sorted(rendered.items()):
        if path.endswith(".yaml"):
            docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def all_on() -> dict[str, Any]:
    return yaml.safe_load(ALL_ON.read_text())


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def server_config(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (config_map,) = by_kind(docs, "ConfigMap")
    return json.loads(config_map["data"]["jupyter_server_config.json"])


@pytest.fixture(scope="module")
def default_docs() -> list[dict[str, Any]]:
    return render()


@pytest.fixture(scope="module")
def all_on_docs() -> list[dict[str, Any]]:
    return render(all_on())


def test_helm_lint_passes_strict_for_1_37():
    for values in (None, all_on()):
        report = helm.lint(str(CHART), values, strict=True, kube_version=f"v{K8S_VERSION}")
        problems = [m for m in report["messages"] if m["severity"] >= 2]
        assert not report["errors"] and not problems, report


@pytest.mark.parametrize("which", ["default", "all-on"])
def test_every_manifest_is_valid_for_1_37(which, default_docs, all_on_docs):
    docs = default_docs if which == "default" else all_on_docs
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "ConfigMap", "ServiceAccount", "Role", "RoleBinding", "Secret",
            "PersistentVolumeClaim"} <= kinds
    if which == "all-on":
        assert {"Ingress", "ClusterRole", "ClusterRoleBinding"} <= kinds
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_defaults_are_namespaced_and_least_privilege(default_docs):
    assert not by_kind(default_docs, "ClusterRole") and not by_kind(default_docs, "ClusterRoleBinding")
    assert not by_kind(default_docs, "Ingress")
    assert all(d["metadata"]["namespace"] == NAMESPACE for d in default_docs)
    roles = {r["metadata"]["name"]: r for r in by_kind(default_docs, "Role")}
    for identity in (rbac.SERVER, rbac.PIPELINE_RUNNER):
        granted = rbac.rule_rights(roles[f"{RELEASE}-jupyter-easymaker-{identity}"]["rules"])
        assert granted == rbac.required_rights(rbac.api_calls())[identity]
    (deployment,) = by_kind(default_docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    pod = deployment["spec"]["template"]["spec"]
    (sa,) = [s["metadata"]["name"] for s in by_kind(default_docs, "ServiceAccount") if "pipeline" not in s["metadata"]["name"]]
    assert pod["serviceAccountName"] == sa
    binding = next(b for b in by_kind(default_docs, "RoleBinding") if b["roleRef"]["name"].endswith("-server"))
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa, "namespace": NAMESPACE}]


def test_the_server_config_is_what_the_extension_and_backends_accept(default_docs, all_on_docs):
    traits = set(EasyMakerExtension.class_traits(config=True))
    serving_options = set(inspect.signature(ServingOptions).parameters)
    for docs in (default_docs, all_on_docs):
        config = server_config(docs)
        ext = config["EasyMakerExtension"]
        assert set(ext) <= traits, set(ext) - traits
        app = EasyMakerExtension(config=Config(config))  # each trait's type checked as the server does
        assert app.kubernetes == ext["kubernetes"] and app.data_dir == ext["data_dir"]
        backend = KubernetesBackend(**{"image": app.default_image, **app.kubernetes, "api_client": k8s_client.ApiClient()})
        assert backend.namespace == ext["kubernetes"]["namespace"]
        assert set(ext.get("serving", {})) <= serving_options
        for name, spec in ext["instance_types"].items():
            InstanceType.from_dict({"name": name, **spec})
    ext = server_config(default_docs)["EasyMakerExtension"]
    claim = by_kind(default_docs, "PersistentVolumeClaim")[0]["metadata"]["name"]
    # job pods see the data volume at the server's path; the client is found in the cluster
    assert ext["kubernetes"] == {"namespace": NAMESPACE,
                                 "volume_mounts": {"/root/easymaker": {"persistentVolumeClaim": {"claimName": claim}}},
                                 "watch": True, "resync_seconds": 300, "log_poll_seconds": 2, "job_reads_per_second": 20}
    assert ext["data_dir"].startswith("/root/easymaker/") and "db_url" not in ext
    gpu = InstanceType.from_dict({"name": "gpu-1", **ext["instance_types"]["gpu-1"]})
    assert gpu.gpu == 1 and gpu.tolerations == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert ext["area_options"]["pipelines"]["kubernetes_service_account"] == "easymaker-pipeline-runner"


def test_everything_on_reaches_the_server_and_the_jobs_namespace(all_on_docs):
    ext = server_config(all_on_docs)["EasyMakerExtension"]
    k8s = ext["kubernetes"]
    assert k8s["namespace"] == "ml-jobs" and k8s["service_account"] == "trainer" and k8s["pytorchjob"] is True
    assert k8s["image_pull_secrets"] == ["registry-login"] and k8s["gpu_metrics_url"].startswith("http://prometheus")
    assert set(k8s["volume_mounts"]) == {"/root/easymaker", "/mnt/nas1"}
    assert ext["area_options"]["pipelines"] == {"kubernetes_service_account": "team-a-pipelines", "parallelism": 4,
                                                "kfp_api_url": "http://ml-pipeline.kubeflow.svc.cluster.local:8888",
                                                "kfp_namespace": "team-a"}
    assert ext["retention_days"] == 30 and ext["default_instance_type"] == "a100-1"
    # the Roles and the runner's account live where the jobs run; the server's account where it runs
    for role in by_kind(all_on_docs, "Role") + by_kind(all_on_docs, "RoleBinding"):
        assert role["metadata"]["namespace"] == "ml-jobs"
    runner = next(s for s in by_kind(all_on_docs, "ServiceAccount") if s["metadata"]["name"] == "team-a-pipelines")
    assert runner["metadata"]["namespace"] == "ml-jobs"
    (crds,) = by_kind(all_on_docs, "ClusterRole")
    assert crds["rules"] == [{"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"],
                              "verbs": ["get", "list"]}]
    # PostgreSQL's URL is in a Secret and reaches the server through its environment only
    secret = next(s for s in by_kind(all_on_docs, "Secret") if "url" in s["data"])
    assert "postgresql" not in json.dumps(server_config(all_on_docs))
    deployments = {d["metadata"]["labels"]["app.kubernetes.io/component"]: d for d in by_kind(all_on_docs, "Deployment")}
    assert set(deployments) == {"server"}  # the server applies the gateway itself: no second copy from the chart
    env = {e["name"]: e for e in deployments["server"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["EASYMAKER_DB_URL"]["valueFrom"]["secretKeyRef"]["name"] == secret["metadata"]["name"]
    # the gateway values become the server's serving options, which the serving backend accepts
    serving = ServingOptions.from_dict(ext["serving"])
    assert (serving.kubernetes_gateway, serving.kubernetes_gateway_replicas, serving.kubernetes_gateway_cpu,
            serving.kubernetes_gateway_memory, serving.kubernetes_gateway_service_type) == (True, 2, "2", "1Gi", "LoadBalancer")
    assert serving.kubernetes_gateway_node_selector == {"pool": "system"}
    assert serving.kubernetes_gateway_tolerations[0]["key"] == "dedicated"
    assert serving.kubernetes_image == "registry.example.com/ml/serving:0.1.0"  # `serving` kept beside them
    assert serving.gateway_public_url == "https://inference.example.com"  # the URLs users are shown: the Ingress
    ingresses = {i["spec"]["rules"][0]["host"]: i for i in by_kind(all_on_docs, "Ingress")}
    assert set(ingresses) == {"lab.example.com", "inference.example.com"}
    gateway_route = ingresses["inference.example.com"]
    assert gateway_route["metadata"]["namespace"] == "ml-jobs"  # beside the Service the server applies
    assert gateway_route["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": GATEWAY_NAME, "port": {"name": "http"}}
    server = deployments["server"]["spec"]["template"]["spec"]
    assert server["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/easymaker/api"
    assert server["imagePullSecrets"] == [{"name": "registry-login"}]


def test_the_secret_settings_file_sets_the_database_url(all_on_docs, monkeypatch):
    (config_map,) = by_kind(all_on_docs, "ConfigMap")
    config = Config()
    monkeypatch.setenv("EASYMAKER_DB_URL", "postgresql+psycopg://u:p@db/easymaker")
    exec(config_map["data"]["jupyter_server_config.py"], {"get_config": lambda: config})  # noqa: S102 - our own template
    assert config.EasyMakerExtension.db_url == "postgresql+psycopg://u:p@db/easymaker"


def test_jupyterhub_single_user_keeps_only_config_and_rbac(monkeypatch):
    docs = render({"jupyterhub": {"singleUser": True}})
    assert {d["kind"] for d in docs} == {"ConfigMap", "ServiceAccount", "Role", "RoleBinding"}
    assert set(server_config(docs)) == {"EasyMakerExtension"}  # the hub's spawner sets the ServerApp
    assert server_config(docs)["EasyMakerExtension"]["kubernetes"]["volume_mounts"] == {}  # no chart volume
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    # each hub user's store and job folders on the volume job pods mount too
    shared = {"/mnt/users": {"nfs": {"server": "10.0.0.5", "path": "/users"}}}
    docs = render({"jupyterhub": {"singleUser": True, "userDataRoot": "/mnt/users"},
                   "storage": {"extraVolumeMounts": shared}})
    ext = server_config(docs)["EasyMakerExtension"]
    assert "data_dir" not in ext and ext["kubernetes"]["volume_mounts"] == shared
    config = Config()
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    exec(by_kind(docs, "ConfigMap")[0]["data"]["jupyter_server_config.py"], {"get_config": lambda: config})  # noqa: S102
    assert config.EasyMakerExtension.data_dir == "/mnt/users/alice/.easymaker"


def test_the_gateway_can_be_turned_off_and_its_values_are_checked():
    docs = render({"gateway": {"enabled": False, "ingress": {"enabled": True}}})
    assert server_config(docs)["EasyMakerExtension"]["serving"]["kubernetes_gateway"] is False
    assert [i["spec"]["rules"][0]["host"] for i in by_kind(docs, "Ingress")] == []  # no route to a gateway that is not there
    with pytest.raises(helm.HelmValuesError, match="gateway/replicas"):
        render({"gateway": {"replicas": 0}})


def test_existing_claim_and_no_persistence():
    docs = render({"storage": {"persistence": {"existingClaim": "team-nfs"}}})
    assert not by_kind(docs, "PersistentVolumeClaim")
    volumes = by_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "team-nfs"}} in volumes
    docs = render({"storage": {"persistence": {"enabled": False}}})
    assert not by_kind(docs, "PersistentVolumeClaim")
    assert server_config(docs)["EasyMakerExtension"]["kubernetes"]["volume_mounts"] == {}


def test_values_are_checked_by_the_chart_schema():
    with pytest.raises(helm.HelmValuesError, match="namspace"):
        render({"jobs": {"namspace": "ml-jobs"}})  # a misspelled value is refused, not ignored
    with pytest.raises(helm.HelmValuesError, match="cpu"):
        render({"instanceTypes": {"big": {"cpu": "two", "memory_mib": 1024}}})
    # a built-in instance type is dropped by setting it to null (Helm merges maps)
    types = server_config(render({"instanceTypes": {"cpu-4": None}}))["EasyMakerExtension"]["instance_types"]
    assert "cpu-4" not in types and "cpu-1" in types


def test_the_values_docs_kubernetes_md_shows_render_valid_manifests():
    """The install guide's values (step 3) and its JupyterHub values for the chart, as written."""
    text = (ROOT / "docs" / "kubernetes.md").read_text()
    block = text.split("Write your values (`my-values.yaml`):", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    docs = render(yaml.safe_load(block))
    assert by_kind(docs, "Role")[0]["metadata"]["namespace"] == "ml-jobs"
    hub = {"jupyterhub": {"singleUser": True, "userDataRoot": "/mnt/easymaker-users"},
           "storage": {"extraVolumeMounts": {"/mnt/easymaker-users": {"persistentVolumeClaim": {"claimName": "easymaker-users"}}}}}
    assert "userDataRoot: /mnt/easymaker-users" in " ".join(text.split())  # the guide names these values
    for doc in docs + render(hub):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
