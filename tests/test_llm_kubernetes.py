"""A fine-tuning on the Kubernetes backend, against the kmock API server: the
job runs the image's fine-tuning entry point with its config (written into the
work dir, on storage the pods mount) named in its environment, the Hugging
Face token only in the job's Secret, and the Job manifest valid for 1.37."""
from __future__ import annotations

import asyncio
import json
import os
import sys

import kubernetes_validate
import pytest

from jupyter_easymaker.areas import AREAS
from jupyter_easymaker.backend.jobs.kubernetes import KubernetesBackend
from jupyter_easymaker.backend.kubernetes import job_manifests as manifests
from jupyter_easymaker.backend.kubernetes.labels import resource_name
from jupyter_easymaker.backend.kubernetes.pods import PodOptions
from jupyter_easymaker.catalogs.jobs import IMAGE_JOBS_DIR, LLM_FINETUNE_ENTRY
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.settings import Settings
from tests import kube_fixtures

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llm_builders

cluster = kube_fixtures.cluster  # the fixture


async def call(fn, *args, **kwargs):
    return await asyncio.to_thread(fn, *args, **kwargs)


@pytest.mark.asyncio
async def test_finetune_job_on_kubernetes(cluster, tmp_path):
    nas = tmp_path / "nas"
    nas.mkdir()
    base = llm_builders.build_tiny_llama(str(nas / "tiny-llama"))
    (nas / "train.jsonl").write_text(json.dumps({"messages": [{"role": "user", "content": "hi"},
                                                              {"role": "assistant", "content": "HELLO"}]}) + "\n")
    settings = Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)], nas_mounts={"nas1": str(nas)})
    mounts = {str(tmp_path / "data"): {"nfs": {"server": "10.0.0.5", "path": "/easymaker"}},
              str(nas): {"nfs": {"server": "10.0.0.5", "path": "/nas1"}}}
    jobs = KubernetesBackend(namespace=kube_fixtures.NAMESPACE, api_client=cluster.api_client(), volume_mounts=mounts)
    platform = Platform(settings, AREAS, {"local": object(), "kubernetes": jobs})
    try:
        llm = platform.service("llm")
        await call(llm.register, {"name": "tiny", "path": "nas://nas1:/tiny-llama", "token": "hf_very_secret_token"})
        model = await call(llm.create_finetune, {
            "name": "tiny-sft", "base_model": "tiny", "data_path": "nas://nas1:/train.jsonl", "backend": "kubernetes",
            "instance_type": "gpu-1", "method": "qlora", "lora": {"r": 4, "alpha": 8, "target_modules": "all-linear"},
            "training": {"max_steps": 3, "batch_size": 2}})
        assert model.backend == "kubernetes" and model.status == "TRAINING" and model.finetune["method"] == "qlora"
        assert "hf_very_secret" not in model.model_dump_json()

        from jupyter_easymaker.areas.llm.tables import LlmModel

        with platform.db.session() as session:
            row = session.get(LlmModel, model.id)
            session.expunge(row)
        spec = llm.finetunes.job_spec(row)
        assert (spec.source_dir, spec.entry_point, spec.kind) == (IMAGE_JOBS_DIR, LLM_FINETUNE_ENTRY, "llm-finetune")
        assert spec.secret_env == {"HF_TOKEN": "hf_very_secret_token"} and spec.instance_type.gpu == 1
        with open(spec.env["EM_LLM_FINETUNE_CONFIG"]) as fh:  # noqa: ASYNC230 - a small local file
            config = json.load(fh)
        assert config["base"] == {"path": base, "format": "huggingface"} and config["method"] == "qlora"
        assert config["data"]["train_path"] == str(nas / "train.jsonl") and config["lora"]["target_modules"] == "all-linear"
        assert config["training"]["max_steps"] == 3 and config["checkpoint_dir"] == spec.checkpoint_dir
        assert config["output_dir"] == spec.output_dir and spec.work_dir.endswith(os.path.join("attempts", "1"))

        job = manifests.job_manifest(spec, name=resource_name(spec.kind, spec.job_id), namespace="ml",
                                     options=PodOptions(image="easymaker/training-gpu:test", volume_mounts=mounts))
        kube_fixtures.validate_manifest(job)
        assert "hf_very_secret" not in json.dumps(job)
        container = job["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["limits"]["nvidia.com/gpu"] in (1, "1")

        # submitted for real: the Job and its Secret, the token only in the Secret
        handle = await call(jobs.submit, spec)
        created = cluster.get(kube_fixtures.JOBS, handle["name"])
        kubernetes_validate.validate(created, kube_fixtures.K8S_VERSION, strict=True)
        assert "hf_very_secret" not in json.dumps(created)
        secrets = [cluster.get(kube_fixtures.SECRETS, n) for n in cluster.names(kube_fixtures.SECRETS)]
        assert any("hf_very_secret_token" in json.dumps(s) for s in secrets)

        # a restart gets a fresh work dir (a new job) and keeps the checkpoint dir
        with platform.db.session() as session:
            stored = session.get(LlmModel, model.id)
            llm.set_status(session, stored, "TRAINING CANCELLED", "stopped")
        restarted = await call(llm.restart, "tiny-sft")
        assert restarted.status == "TRAINING"
        with platform.db.session() as session:
            again = session.get(LlmModel, model.id)
            session.expunge(again)
        second = llm.finetunes.job_spec(again)
        assert second.job_id != spec.job_id and second.work_dir != spec.work_dir
        assert second.checkpoint_dir == spec.checkpoint_dir
    finally:
        platform.close()
        platform.db.close()
