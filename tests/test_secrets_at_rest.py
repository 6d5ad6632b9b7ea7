"""Secrets reach the jobs and model servers that need them without entering
any file in clear, and a job's files are its owner's only.

A model with a Hugging Face token is run by every kind of work that receives
a secret: a batch inference, a model evaluation (its batch inference) and an
endpoint; its model (``secret_probe.TokenProbe``) fails unless the token is in
its process's environment, so a finished job proves the token arrived. The
Jupyter server is then killed and restarted and a model server pod killed: the
pod started again gets the token too (it is in no file to read it back from).
Afterwards no file under the data directory holds the token, nor its base64.
On Kubernetes the token goes into a Secret that the pods reference; never into
a plain env value of a Job, PyTorchJob or Deployment.
"""
from __future__ import annotations

import base64
import csv
import json
import os
import secrets
import signal
import stat
import time
import urllib.error
import urllib.request

import psutil
import pytest

from jupyter_easymaker.backend.base import InstanceType
from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.backend.kubernetes import job_manifests as jm
from jupyter_easymaker.backend.kubernetes import serving_manifests as sm
from jupyter_easymaker.backend.kubernetes.pods import PodOptions
from jupyter_easymaker.backend.serving.base import ServerSpec
from secret_probe import TokenProbe, digest
from server_process import ServerProcess

try:  # whether tests/ is a package decides how its helper module is found
    from tests import kube_fixtures
except ImportError:
    import kube_fixtures

TESTS = os.path.dirname(os.path.abspath(__file__))
TOKEN = "hf_" + secrets.token_hex(20)  # new every run: found in a file only if written there
FINAL = {"COMPLETE", "FAIL BATCH INFERENCE", "FAIL MODEL EVALUATION", "STOPPED", "CREATE FAILED", "ACTIVE", "DEPLOY FAILED"}


def encodings(secret: str) -> dict[str, bytes]:
    """The secret as bytes, and the part of its base64 (standard and URL-safe) that is
    the same wherever it starts in a longer encoded text."""
    raw = secret.encode()
    found = {"clear": raw}
    for shift in range(3):  # the secret's offset in the encoded text, modulo 3
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            text = encode(b"\0" * shift + raw + b"\0\0\0")
            found[f"{name}+{shift}"] = text[4:-8]
    return found


def files_holding(root: str, secret: str) -> list[str]:
    hits = []
    forms = encodings(secret)
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue  # a link is read where it points; a socket (the gateway's handoff) holds no bytes
            with open(path, "rb") as fh:
                data = fh.read()
            hits += [f"{os.path.relpath(path, root)} ({form})" for form, value in forms.items() if value in data]
    return hits


# -- the specs and manifests ---------------------------------------------------------------
def test_specs_leave_their_secrets_out_of_what_is_written():
    job = JobSpec(job_id="j", name="n", kind="batch-inference", source_dir="/s", entry_point="e.py", env={"A": "1"},
                  secret_env={"HF_TOKEN": TOKEN})
    assert "secret_env" not in job.to_dict() and TOKEN not in json.dumps(job.to_dict()) and TOKEN not in repr(job)
    assert JobSpec.from_dict({**job.to_dict(), "secret_env": {"X": "y"}}).secret_env == {}
    server = ServerSpec(server_id="s", name="n", endpoint_id="e", stage_id="st", model_id="m", model_name="m", model_dir="/m",
                        framework="scikit-learn", env={"A": "1"}, secret_env={"HF_TOKEN": TOKEN})
    assert TOKEN not in json.dumps(server.to_dict()) and TOKEN not in repr(server)
    assert ServerSpec.from_dict(server.to_dict()).env == {"A": "1"}


def k8s_job_spec(**kw) -> JobSpec:
    return JobSpec(job_id="job-1", name="batch", kind="batch-inference", source_dir="/opt/easymaker/jobs",
                   entry_point="batch_inference.py", model_dir="/mnt/nas1/model", work_dir="/easymaker/work",
                   instance_type=InstanceType(name="cpu", cpu=1, memory_mib=1024), env={"EM_MODEL_NAME": "m"},
                   secret_env={"HF_TOKEN": TOKEN}, **kw)


@pytest.mark.parametrize("nodes", [1, 3])
def test_kubernetes_jobs_reference_their_secrets_in_the_jobs_secret(nodes):
    spec = k8s_job_spec(nodes=nodes)
    options = PodOptions(image="registry/jobs:1", volume_mounts={"/mnt/nas1": {"nfs": {"server": "10.0.0.5", "path": "/export"}}})
    build = jm.pytorchjob_manifest if nodes > 1 else jm.job_manifest
    job = build(spec, name="em-batch-job-1", namespace="ml", options=options)
    secret = jm.secret_manifest(spec, "em-batch-job-1", "ml")
    for doc in (job, secret):
        kube_fixtures.validate_manifest(doc)
    assert TOKEN not in json.dumps(job)
    templates = [r["template"] for r in job["spec"]["pytorchReplicaSpecs"].values()] if nodes > 1 else [job["spec"]["template"]]
    for template in templates:
        (container,) = template["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["HF_TOKEN"] == {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "em-batch-job-1", "key": "env.HF_TOKEN"}}}
        assert env["EM_MODEL_NAME"]["value"] == "m"
    assert secret["stringData"]["env.HF_TOKEN"] == TOKEN
    assert TOKEN not in secret["stringData"][jm.SPEC_SECRET_KEY]  # the spec the launcher reads does not repeat it


def test_kubernetes_model_servers_get_their_secrets_from_the_servers_secret():
    spec = ServerSpec(server_id="0b7c6a2e-1f4e-4c1e-9a57-6a3b9f4c1d20", name="ep-default-m", endpoint_id="e", stage_id="s",
                      model_id="m", model_name="m", model_dir="/mnt/nas1/m", framework="scikit-learn", env={"METHOD": "predict"},
                      secret_env={"HF_TOKEN": TOKEN})
    options = PodOptions(image="registry/serving:1", volume_mounts={"/mnt/nas1": {"nfs": {"server": "10.0.0.5", "path": "/export"}}})
    name = sm.server_name(spec.server_id)
    deployment = sm.deployment_manifest(spec, name=name, namespace="ml", options=options)
    secret = sm.env_secret_manifest(spec, name=name, namespace="ml")
    for doc in (deployment, secret):
        kube_fixtures.validate_manifest(doc)
    assert TOKEN not in json.dumps(deployment)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": sm.env_secret_name(name)}}]
    assert secret["stringData"] == {"METHOD": "predict", "HF_TOKEN": TOKEN}


# -- jobs and model servers on this host -------------------------------------------------------
def wait(server: ServerProcess, path: str, statuses=FINAL, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = server.request("GET", path)
        if row["status"] in statuses:
            return row
        assert time.monotonic() < deadline, f"{path} stayed {row['status']} ({row.get('status_reason')})"
        time.sleep(0.2)


def pods(data: str) -> list[dict]:
    found = []
    for folder, _dirs, files in os.walk(os.path.join(data, "endpoints")):
        if "server.json" in files:
            with open(os.path.join(folder, "server.json")) as fh:
                found += json.load(fh)["pods"]
    return found


def live(pod: dict) -> psutil.Process | None:
    try:
        proc = psutil.Process(pod["pid"])
        return proc if abs(proc.create_time() - pod["create_time"]) < 0.01 else None
    except psutil.NoSuchProcess:
        return None


def predict(server: ServerProcess, key: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}/easymaker/inference/gated-ep/gated/v1/models/gated/predict",
                                     data=json.dumps({"instances": [[1.0, 2.0]]}).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Every kind of work that receives the model's token, run to its end; the data directory."""
    root = tmp_path_factory.mktemp("secrets")
    data = str(root / "data")
    model_dir = root / "gated"
    model_dir.mkdir()
    import joblib

    joblib.dump(TokenProbe(digest(TOKEN)), model_dir / "model.joblib")
    with open(root / "eval.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["f0", "f1", "label"])
        writer.writerows([[i, i + 1, i % 2] for i in range(10)])
    extra = [f"--EasyMakerExtension.local_roots=['{root}']", "--EasyMakerExtension.serving={'max_restarts': 3}"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", TESTS)  # jobs and model servers unpickle TokenProbe
        server = ServerProcess(str(root), data, extra=extra).start()
        try:
            model = server.request("POST", "models", {"name": "gated", "framework": "scikit-learn", "artifact_path": str(model_dir),
                                                      "validate_artifact": False, "huggingface_token": TOKEN})
            assert model["huggingface_token"] == f"****{TOKEN[-4:]}"
            server.request("POST", "batch-inferences", {"name": "gated-batch", "model_id": "gated", "input_records": [[1, 2], [3, 4]]})
            server.request("POST", "model-evaluations", {"name": "gated-eval", "model_id": "gated", "class_names": ["a", "b"],
                                                         "input_path": str(root / "eval.csv"), "input_format": "CSV",
                                                         "target_field": "label"})
            key = server.request("POST", "endpoints", {"name": "gated-ep", "resources": [{"model": "gated", "cpu": 0.2}]})["api_key"]["key"]
            batch = wait(server, "batch-inferences/gated-batch")
            assert batch["status"] == "COMPLETE", batch["status_reason"]  # the job had the token
            evaluation = wait(server, "model-evaluations/gated-eval")
            assert evaluation["status"] == "COMPLETE", evaluation["status_reason"]
            endpoint = wait(server, "endpoints/gated-ep", timeout=90)
            assert endpoint["status"] == "ACTIVE", endpoint["status_reason"]
            assert predict(server, key) == {"predictions": [1]}
            (pod,) = pods(data)
            assert live(pod).environ()["HF_TOKEN"] == TOKEN
        finally:
            server.kill()
        # a restarted server gives the token to a pod it starts again, though no file holds it
        restarted = ServerProcess(str(root), data, port=server.port, extra=extra).start()
        try:
            os.killpg(pod["pid"], signal.SIGKILL)
            deadline = time.monotonic() + 60
            while True:
                again = [p for p in pods(data) if p["pid"] != pod["pid"] and live(p) is not None]
                if again and wait(restarted, "endpoints/gated-ep")["stages"][0]["pods_ready"] == 1:
                    break
                assert time.monotonic() < deadline, pods(data)
                time.sleep(0.2)
            assert live(again[0]).environ()["HF_TOKEN"] == TOKEN
            assert predict(restarted, key) == {"predictions": [1]}
        finally:
            restarted.stop()
            for p in pods(data):
                if live(p) is not None:
                    os.killpg(p["pid"], signal.SIGKILL)
            gateway = os.path.join(data, "gateway", "process.json")
            if os.path.exists(gateway):  # the inference gateway outlives its server by design
                with open(gateway) as fh:
                    state = json.load(fh)
                if live(state) is not None:
                    os.killpg(state["pid"], signal.SIGKILL)
    return data


def test_no_file_under_the_data_directory_holds_the_token(ran):
    assert files_holding(ran, TOKEN) == []
    names = {name for _folder, _dirs, files in os.walk(ran) for name in files}
    assert {"spec.json", "handle.json", "state.json", "server.json", "easymaker.db"} <= names  # the scan saw them


def test_the_scan_would_see_a_token_written_in_clear_or_base64(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"env": {"HF_TOKEN": TOKEN}}))
    (tmp_path / "b.bin").write_bytes(b"xx" + base64.b64encode(b"prefix-" + TOKEN.encode() + b"-suffix"))
    hits = files_holding(str(tmp_path), TOKEN)
    assert "a.json (clear)" in hits and "b.bin (base64+1)" in hits and {h.split()[0] for h in hits} == {"a.json", "b.bin"}


def test_job_and_server_files_are_their_owners_only(ran):
    checked = 0
    for folder, _dirs, files in os.walk(ran):
        if os.path.basename(folder) == "job" or "server.json" in files:
            assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
            for name in files:
                assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) & 0o077 == 0, os.path.join(folder, name)
                checked += 1
    assert checked >= 12  # spec, handle, state and output log of three jobs; server.json and a pod log
    assert stat.S_IMODE(os.stat(os.path.join(ran, "secret.key")).st_mode) == 0o600
