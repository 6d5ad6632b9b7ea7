"""A RAG on the Kubernetes backend, against the kmock API server: its
ingestion is a Job running the image's entry point, its query server a
Deployment + Service (never a KServe InferenceService, which serves models),
the LLM key in the servers' Secret only, every manifest valid for 1.37."""
from __future__ import annotations

import asyncio
import json

import kubernetes_validate
import pytest

from jupyter_easymaker.areas import AREAS
from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend
from jupyter_easymaker.backend.kubernetes import job_manifests as manifests
from jupyter_easymaker.backend.kubernetes.labels import resource_name
from jupyter_easymaker.backend.kubernetes.pods import PodOptions
from jupyter_easymaker.catalogs.jobs import IMAGE_JOBS_DIR, RAG_INGESTION_ENTRY
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.settings import Settings
from tests import kube_fixtures

cluster = kube_fixtures.cluster  # the fixture
DEPLOYMENTS = "apps/v1/deployments"
ISVCS = "serving.kserve.io/v1beta1/inferenceservices"


async def call(fn, *args, **kwargs):
    return await asyncio.to_thread(fn, *args, **kwargs)


@pytest.mark.asyncio
async def test_rag_ingestion_job_and_query_server_on_kubernetes(cluster, tmp_path):
    for resource in (DEPLOYMENTS, ISVCS):
        cluster.emulator.resources[resource] = {}  # KServe is installed: the RAG's server is still a Deployment
    nas = tmp_path / "nas"
    (nas / "docs").mkdir(parents=True)
    (nas / "docs" / "a.txt").write_text("Hamburgers are delicious.")
    settings = Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)], nas_mounts={"nas1": str(nas)},
                        area_options={"rag": {"serving": {"kubernetes_image": "registry.example/rag:1"}}})
    # the RAG's folder (store, server settings, job outputs) is on storage the pods mount, like the NAS
    mounts = {str(tmp_path / "data"): {"nfs": {"server": "10.0.0.5", "path": "/easymaker"}},
              str(nas): {"nfs": {"server": "10.0.0.5", "path": "/nas1"}}}
    jobs = KubernetesBackend(namespace=kube_fixtures.NAMESPACE, api_client=cluster.api_client(), volume_mounts=mounts)
    platform = Platform(settings, AREAS, {"local": object(), "kubernetes": jobs})
    try:
        rags = platform.service("rag")
        rag = await call(rags.create, {
            "name": "kb", "data_path": "nas://nas1:/docs", "backend": "kubernetes", "instance_count": 2,
            "llm": {"type": "external", "base_url": "https://llm.example/v1", "model": "m", "api_key": "sk-very-secret"}})
        assert rag.backend == "kubernetes" and rag.llm.api_key_set and rag.vector_store.type == "faiss"
        assert "sk-very-secret" not in rag.model_dump_json()

        from jupyter_easymaker.areas.rag.tables import RagIngestion

        with platform.db.session() as session:
            ingestion = session.query(RagIngestion).one()
            spec = rags.ingestions.job_spec(ingestion)
        assert (spec.source_dir, spec.entry_point, spec.kind) == (IMAGE_JOBS_DIR, RAG_INGESTION_ENTRY, "rag-ingestion")
        assert spec.datasets == {"documents": str(nas / "docs")} and "EM_RAG_LLM_API_KEY" not in spec.secret_env
        config = json.load(open(spec.env["EM_RAG_CONFIG"]))
        assert config["chunking"] == {"size": 800, "overlap": 100} and config["store"]["type"] == "faiss"
        job = manifests.job_manifest(spec, name=resource_name(spec.kind, spec.job_id), namespace="ml",
                                     options=PodOptions(image="easymaker/training:test", volume_mounts=mounts))
        kube_fixtures.validate_manifest(job)

        server = await call(rags.server_spec, rag.id)
        backend = rags.serving_backends["kubernetes"]
        handle = await call(backend.start, server)
        assert handle["kind"] == "Deployment" and handle["desired"] == 2
        deployment = cluster.get(DEPLOYMENTS, handle["name"])
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["python", "-m", "jupyter_easymaker.runtime.rag.query_server"]
        assert container["args"][:2] == ["--config", rags.server_config_path(rag.id)] and container["image"] == "registry.example/rag:1"
        assert "sk-very-secret" not in json.dumps(deployment)
        secret = cluster.get(kube_fixtures.SECRETS, f"{handle['name']}-env")
        assert secret["stringData"]["EM_RAG_LLM_API_KEY"] == "sk-very-secret"
        for doc in (deployment, cluster.get(kube_fixtures.SERVICES, handle["name"]), secret):
            kubernetes_validate.validate(doc, kube_fixtures.K8S_VERSION, strict=True)
        assert cluster.names(ISVCS) == []
        await call(backend.stop, handle, 0.1)
        assert cluster.names(DEPLOYMENTS) == [] and cluster.names(kube_fixtures.SERVICES) == []
    finally:
        platform.close()
        platform.db.close()
