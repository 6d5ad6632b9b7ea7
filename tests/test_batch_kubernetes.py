"""The jobs of a batch inference and of a model evaluation on the Kubernetes
backend: the entry point comes from the image, several instances become an
Indexed Job whose pods each take their share, and the manifests are valid."""
from __future__ import annotations

import json
import os

import pytest

from batch_models import save
from jupyter_easymaker.backend.kubernetes import job_manifests as manifests
from jupyter_easymaker.backend.kubernetes.labels import resource_name
from jupyter_easymaker.backend.kubernetes.pods import PodOptions
from jupyter_easymaker.catalogs.jobs import BATCH_INFERENCE_ENTRY, IMAGE_JOBS_DIR, MODEL_EVALUATION_ENTRY
from jupyter_easymaker.areas import AREAS
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.settings import Settings

try:
    from tests import kube_fixtures
except ImportError:
    import kube_fixtures


@pytest.fixture
def services(tmp_path):
    nas = tmp_path / "nas"
    nas.mkdir()
    settings = Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)], nas_mounts={"nas1": str(nas)})
    # the backends are only named here: these jobs are built, not submitted
    svc = Platform(settings, AREAS, {"local": object(), "kubernetes": object()})
    yield svc
    svc.db.close()


def test_batch_and_evaluation_jobs_on_kubernetes(services, tmp_path):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    nas = tmp_path / "nas"
    model_dir = save(LogisticRegression(max_iter=500).fit(X, y), str(nas / "iris"))
    (nas / "in").mkdir()
    (nas / "in" / "a.jsonl").write_text("[1, 2, 3, 4]\n")
    with open(nas / "eval.csv", "w") as fh:
        fh.write("a,b,c,d,label\n1,2,3,4,0\n")
    services.models.create({"name": "iris", "framework": "scikit-learn", "artifact_path": model_dir, "validate_artifact": False})
    batch = services.batch.create({
        "name": "k", "model_id": "iris", "input_path": "nas://nas1:/in", "output_path": "nas://nas1:/out", "backend": "kubernetes",
        "instance_count": 2, "pod_count": 4, "batch_size": 50, "timeout_seconds": 5, "include_glob": "*.jsonl", "max_run_seconds": 600})
    with services.db.session() as session:
        from jupyter_easymaker.areas.batch.tables import BatchInference
        from jupyter_easymaker.areas.evaluations.tables import ModelEvaluation

        spec = services.batch.job_spec(session.get(BatchInference, batch.id))
    assert (spec.source_dir, spec.entry_point, spec.nodes, spec.kind) == (IMAGE_JOBS_DIR, BATCH_INFERENCE_ENTRY, 2, "batch-inference")
    assert spec.datasets == {"input": str(nas / "in")} and spec.output_dir == str(nas / "out") and spec.model_dir == model_dir
    assert {k: spec.env[k] for k in ("EM_MODEL_FRAMEWORK", "EM_BATCH_POD_COUNT", "EM_BATCH_SIZE", "EM_BATCH_TIMEOUT", "EM_BATCH_INCLUDE")} == {
        "EM_MODEL_FRAMEWORK": "scikit-learn", "EM_BATCH_POD_COUNT": "4", "EM_BATCH_SIZE": "50", "EM_BATCH_TIMEOUT": "5.0",
        "EM_BATCH_INCLUDE": json.dumps(["*.jsonl"])}
    options = PodOptions(image="easymaker/training:test", volume_mounts={str(nas): {"nfs": {"server": "nas.local", "path": "/export"}}})
    name = resource_name(spec.kind, spec.job_id)
    job = manifests.job_manifest(spec, name=name, namespace="ml", options=options)
    assert job["spec"]["completionMode"] == "Indexed" and job["spec"]["completions"] == 2
    assert job["spec"]["activeDeadlineSeconds"] == 600
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert [m["mountPath"] for m in container["volumeMounts"] if m["mountPath"] == str(nas)] == [str(nas)]  # the image's entry point needs no volume
    for doc in (job, manifests.headless_service_manifest(spec, name=name, namespace="ml"), manifests.secret_manifest(spec, name, "ml")):
        kube_fixtures.validate_manifest(doc)

    evaluation = services.evaluations.create({
        "name": "e", "model_id": "iris", "class_names": ["a", "b", "c"], "input_path": "nas://nas1:/eval.csv", "target_field": "label",
        "output_path": "nas://nas1:/eval-out", "backend": "kubernetes", "instance_type": "cpu-2"})
    with services.db.session() as session:
        spec = services.evaluations.job_spec(session.get(ModelEvaluation, evaluation.id))
    assert (spec.source_dir, spec.entry_point, spec.instance_type.name) == (IMAGE_JOBS_DIR, MODEL_EVALUATION_ENTRY, "cpu-2")
    assert spec.datasets == {"predictions": str(nas / "eval-out")} and spec.output_dir == os.path.join(str(nas / "eval-out"), "evaluation")
    assert json.loads(spec.env["EM_EVAL_CLASS_NAMES"]) == ["a", "b", "c"] and spec.env["EM_EVAL_TASK"] == "classification"
    kube_fixtures.validate_manifest(manifests.job_manifest(spec, name=resource_name(spec.kind, spec.job_id), namespace="ml",
                                                           options=options))
