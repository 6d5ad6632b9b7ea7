"""Least privilege: the Roles of the Helm chart grant exactly the Kubernetes API
rights the code uses, as ``backend/kubernetes/rbac.py`` reads them from the
code; a call the Roles do not grant (or a grant nothing uses) fails here."""
from __future__ import annotations

import asyncio
import contextlib
import textwrap
from pathlib import Path

import pytest
import yaml

from jupyter_easymaker.backend.base import BackendError
from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend
from jupyter_easymaker.backend.kubernetes import rbac
from jupyter_easymaker.backend.kubernetes.rbac import (
    PIPELINE_RUNNER,
    SERVER,
    RbacDerivationError,
    api_calls,
    endpoint,
    request_right,
    required_rights,
    role_rules,
    rule_rights,
)
from jupyter_easymaker.backend.notebooks.kubernetes import KubernetesNotebookBackend
from jupyter_easymaker.backend.serving.base import AutoscalerSpec
from tests import kube_fixtures
from tests.test_backend_kubernetes import NAS, NFS, make_spec
from tests.test_endpoints_units import spec
from tests.test_notebooks_kubernetes import NOTEBOOK_ID, manifest
from tests.test_serving_kubernetes import serving_for

cluster = kube_fixtures.cluster  # the fixture
ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "deploy" / "helm" / "jupyter-easymaker" / "files" / "rbac"
RUNNER_EXAMPLE = ROOT / "images" / "kubernetes" / "pipeline-runner-rbac.yaml"
REGENERATE = "python -m jupyter_easymaker.backend.kubernetes.rbac --write deploy/helm/jupyter-easymaker/files/rbac"


@pytest.fixture(scope="module")
def calls() -> list[rbac.ApiCall]:
    return api_calls()


def chart_rights(identity: str) -> set[tuple[str, str, str]]:
    return rule_rights(yaml.safe_load((RULES_DIR / rbac.RULE_FILES[identity]).read_text()))


@pytest.mark.parametrize("identity", [SERVER, PIPELINE_RUNNER])
def test_the_chart_grants_exactly_what_the_code_calls(calls, identity):
    needed = required_rights(calls)[identity]
    granted = chart_rights(identity)
    missing = {c.right: c.where for c in calls if c.identity == identity and c.right not in granted}
    assert not missing, f"the code calls what the {identity} Role does not grant (regenerate: {REGENERATE}): {missing}"
    assert granted <= needed, f"the {identity} Role grants what no code uses: {sorted(granted - needed)}"


def test_the_rule_files_are_what_the_generator_writes(calls):
    for identity, name in rbac.RULE_FILES.items():
        assert (RULES_DIR / name).read_text() == rbac.rules_yaml(identity, calls), f"regenerate: {REGENERATE}"


def test_every_call_is_namespaced_and_each_backend_is_seen(calls):
    assert all(c.namespaced for c in calls), [c.where for c in calls if not c.namespaced]
    modules = {c.module for c in calls}
    for expected in ("jupyter_easymaker.backend.jobs.kubernetes", "jupyter_easymaker.backend.serving.kubernetes",
                     "jupyter_easymaker.backend.notebooks.kubernetes", "jupyter_easymaker.runtime.pipelines.kube_tasks"):
        assert expected in modules
    # custom objects are resolved to their group and plural, through the CRD check's constructor too
    rights = required_rights(calls)[SERVER]
    assert ("kubeflow.org", "pytorchjobs", "list") in rights and ("serving.kserve.io", "inferenceservices", "list") in rights
    assert ("metrics.k8s.io", "pods", "list") in rights


def test_the_standalone_pipeline_runner_rbac_grants_the_same():
    role = next(d for d in yaml.safe_load_all(RUNNER_EXAMPLE.read_text()) if d["kind"] == "Role")
    assert rule_rights(role["rules"]) == chart_rights(PIPELINE_RUNNER)


@pytest.mark.parametrize(
    "cls, method, right",
    [
        ("CoreV1Api", "read_namespaced_pod_log", ("", "pods/log", "get", True)),
        ("CoreV1Api", "list_namespaced_pod", ("", "pods", "list", True)),
        ("CoreV1Api", "delete_collection_namespaced_pod", ("", "pods", "deletecollection", True)),
        ("CoreV1Api", "create_namespace", ("", "namespaces", "create", False)),
        ("BatchV1Api", "read_namespaced_job_status", ("batch", "jobs/status", "get", True)),
        ("AppsV1Api", "patch_namespaced_deployment_scale", ("apps", "deployments/scale", "patch", True)),
        ("AppsV1Api", "replace_namespaced_stateful_set", ("apps", "statefulsets", "update", True)),
        ("AutoscalingV2Api", "create_namespaced_horizontal_pod_autoscaler",
         ("autoscaling", "horizontalpodautoscalers", "create", True)),
    ],
)
def test_client_methods_map_to_rbac_terms(cls, method, right):
    assert endpoint(cls, method).right() == right


def test_custom_objects_and_watches_map_to_rbac_terms():
    ep = endpoint("CustomObjectsApi", "list_namespaced_custom_object")
    assert ep.right("kubeflow.org", "pytorchjobs") == ("kubeflow.org", "pytorchjobs", "list", True)
    assert ep.right("kubeflow.org", "pytorchjobs", watch=True)[2] == "watch"
    assert request_right("GET", "/apis/batch/v1/namespaces/ml/jobs?watch=true", watch=True) == ("batch", "jobs", "watch", True)
    assert request_right("DELETE", "/api/v1/namespaces/ml/pods/em-1") == ("", "pods", "delete", True)


def write_package(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_the_reader_finds_direct_raw_forwarded_and_watched_calls(tmp_path):
    write_package(tmp_path, {
        "__init__.py": "",
        "consts.py": 'GROUP = "example.org"\nPLURAL = "widgets"\n',
        "server.py": '''
            from kubernetes import client, watch
            from pkg import consts as c
            from pkg.consts import PLURAL

            core, custom = client.CoreV1Api(), client.CustomObjectsApi()

            def go(call_json):
                call_json(core.read_namespaced_config_map, "x", "ns")          # raw JSON
                custom.patch_namespaced_custom_object(c.GROUP, "v1", "ns", PLURAL, "n", {})
                args = (c.GROUP, "v1", "ns", "gadgets")
                call_json(custom.list_namespaced_custom_object, *args)
                for _ in watch.Watch().stream(core.list_namespaced_event, "ns"):
                    pass

            class Check:
                def __init__(self, api, group, version, plural):
                    self.where = (group, version, "ns", plural)

                def probe(self):
                    custom.get_namespaced_custom_object(*self.where, "x")

            Check(None, "other.org", "v1", "things")
        ''',
        "runtime/__init__.py": "",
        "runtime/pipelines/__init__.py": "",
        "runtime/pipelines/executor.py": '''
            from kubernetes import client
            batch = client.BatchV1Api()
            batch.delete_namespaced_job("x", "ns")
        ''',
    })
    rights = required_rights(api_calls(tmp_path, "pkg"))
    assert rights[SERVER] == {
        ("", "configmaps", "get"),
        ("example.org", "widgets", "patch"),
        ("example.org", "gadgets", "list"),
        ("", "events", "watch"),
        ("", "events", "list"),
        ("other.org", "things", "get"),
    }
    assert rights[PIPELINE_RUNNER] == {("batch", "jobs", "delete")}
    assert role_rules(rights[SERVER])[0] == {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}


def test_a_custom_object_call_the_reader_cannot_resolve_is_an_error(tmp_path):
    write_package(tmp_path, {
        "__init__.py": "",
        "server.py": '''
            from kubernetes import client
            custom = client.CustomObjectsApi()

            def go(group):
                custom.list_namespaced_custom_object(group, "v1", "ns", "widgets")
        ''',
    })
    with pytest.raises(RbacDerivationError, match="server:6: list_namespaced_custom_object"):
        api_calls(tmp_path, "pkg")


def test_an_api_call_from_a_job_pod_without_an_identity_is_an_error(tmp_path):
    write_package(tmp_path, {
        "__init__.py": "",
        "runtime/__init__.py": "",
        "runtime/launcher.py": '''
            from kubernetes import client
            client.CoreV1Api().list_namespaced_pod("ns")
        ''',
    })
    with pytest.raises(RbacDerivationError, match="runtime.launcher:3: code inside job pods"):
        api_calls(tmp_path, "pkg")


@pytest.mark.asyncio
async def test_what_the_backend_sends_to_a_cluster_is_granted(cluster):
    """The emulator's record of a job's whole life (submit, status, logs, usage, stop,
    release, discover) against the Role: each request is one the chart allows."""
    backend = KubernetesBackend(namespace=kube_fixtures.NAMESPACE, image="registry.example.com/train:1",
                                api_client=cluster.api_client(), volume_mounts={NAS: NFS})
    spec = make_spec("job-rbac", registry_credentials={"acc": {"server": "r.example", "username": "u", "password": "p"}})
    handle = await asyncio.to_thread(backend.submit, spec)
    for step in (backend.status, backend.read_logs, backend.usage, backend.stop, backend.release):
        await asyncio.to_thread(step, handle)
    await asyncio.to_thread(backend.discover)
    granted = chart_rights(SERVER)
    sent = {(str(r.method.value).upper(), r.url.path) for r in cluster.emulator}
    assert len(sent) >= 8
    refused = {(m, p) for m, p in sent if request_right(m, p)[:3] not in granted}
    assert not refused, f"requests the server's Role does not grant: {sorted(refused)}"


@pytest.mark.asyncio
async def test_what_serving_and_notebooks_send_to_a_cluster_is_granted(cluster):
    """A model server's and a notebook's whole life on the emulator, each request against the Role."""
    for resource in ("apps/v1/deployments", "apps/v1/statefulsets", "autoscaling/v2/horizontalpodautoscalers",
                     kube_fixtures.POD_METRICS):
        cluster.emulator.resources[resource] = {}
    serving = serving_for(cluster)
    handle = await asyncio.to_thread(serving.start, spec(autoscaler=AutoscalerSpec(enabled=True, metric="cpu", threshold=75,
                                                                                 min_pods=1, max_pods=2)))
    for step in (serving.status, serving.usage, serving.read_logs):
        await asyncio.to_thread(step, handle)
    with contextlib.suppress(BackendError):  # the emulator may not serve the scale subresource: the request is sent
        await asyncio.to_thread(serving.scale, handle, 2)
    await asyncio.to_thread(serving.stop, handle)
    notebooks = KubernetesNotebookBackend(serving.api, kube_fixtures.NAMESPACE)
    await asyncio.to_thread(notebooks.apply, manifest())
    for step in (notebooks.status, notebooks.upstream, notebooks.restart, notebooks.delete):
        await asyncio.to_thread(step, NOTEBOOK_ID)
    granted = chart_rights(SERVER)
    sent = {(str(r.method.value).upper(), r.url.path) for r in cluster.emulator}
    kinds = {request_right(m, p)[1] for m, p in sent}
    assert {"deployments", "deployments/scale", "horizontalpodautoscalers", "statefulsets", "secrets"} <= kinds
    refused = {(m, p) for m, p in sent if request_right(m, p)[:3] not in granted}
    assert not refused, f"requests the server's Role does not grant: {sorted(refused)}"
