"""A pipeline run's tasks as Kubernetes Jobs: the run's executor (a real process,
as in the run's pod) creates one batch/v1 Job per task attempt from the
template the server builds, against the kmock API server; the test plays the
kubelet, running each Job's container command on this machine with its env and
working dir (the run's folder is on storage every pod mounts at the same path).
Every Job is valid for Kubernetes 1.37; a kill of the executor mid-task neither
loses nor repeats a finished task; a stop deletes the running task's Job."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from jupyter_easymaker.backend.jobs.base import InstanceType, JobSpec
from jupyter_easymaker.backend.kubernetes.job_manifests import pipeline_task_job_template
from jupyter_easymaker.backend.kubernetes.pods import PodOptions
from jupyter_easymaker.catalogs.jobs import PIPELINE_TASK_JOBS_ENV
from jupyter_easymaker.runtime.pipelines.kube_tasks import TASK_JOB_LABEL, task_job, task_resources
from jupyter_easymaker.runtime.pipelines.launch import Launch

try:
    from tests import kube_fixtures
    from tests.server_config import kubeconfig_file
    from tests.test_api_kubernetes import threaded_cluster  # noqa: F401 - fixture
except ImportError:
    import kube_fixtures
    from server_config import kubeconfig_file
    from test_api_kubernetes import threaded_cluster  # noqa: F401 - fixture

JOBS = kube_fixtures.JOBS
REPO = Path(__file__).resolve().parents[1]

PIPELINE_SOURCE = '''
from kfp import compiler, dsl

@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b

@dsl.component(base_image="python:3.11")
def double(x: int) -> int:
    import time
    time.sleep(float(__import__("os").environ.get("DOUBLE_SLEEP", "0")))
    return 2 * x

@dsl.pipeline(name="add-double")
def add_double(a: int = 1, b: int = 2, claim: str = "datasets") -> int:
    total = add(a=a, b=b).set_cpu_limit("500m").set_memory_limit("256M")
    doubled = double(x=total.output).set_env_variable("DOUBLE_SLEEP", "{sleep}")
{settings}
    return doubled.output

compiler.Compiler().compile(add_double, "{path}")
'''


# the double task's Kubernetes settings, written with the kfp-kubernetes SDK
KUBERNETES_SETTINGS = """
    from kfp import kubernetes
    kubernetes.use_secret_as_env(doubled, secret_name="db", secret_key_to_env={"password": "DB_PASSWORD"})
    kubernetes.use_secret_as_volume(doubled, secret_name="tls", mount_path="/etc/tls", optional=True)
    kubernetes.use_config_map_as_env(doubled, config_map_name="cfg", config_map_key_to_env={"mode": "MODE"})
    kubernetes.mount_pvc(doubled, pvc_name=claim, mount_path="/datasets")
    kubernetes.add_node_selector(doubled, label_key="disk", label_value="ssd")
    kubernetes.add_toleration(doubled, key="dedicated", operator="Equal", value="ml", effect="NoSchedule")
    kubernetes.add_pod_label(doubled, label_key="team", label_value="vision")
    kubernetes.add_pod_annotation(doubled, annotation_key="owner", annotation_value="kim")
    kubernetes.set_image_pull_secrets(doubled, ["private-registry"])
    kubernetes.set_image_pull_policy(doubled, "IfNotPresent")
    kubernetes.use_field_path_as_env(doubled, env_name="POD_NAME", field_path="metadata.name")
    kubernetes.set_timeout(doubled, 600)
    kubernetes.empty_dir_mount(doubled, volume_name="scratch", mount_path="/scratch", medium="Memory", size_limit="1Gi")
    kubernetes.add_node_affinity(doubled, match_expressions=[{"key": "zone", "operator": "In", "values": ["a"]}])
"""


def compile_pipeline(path: Path, sleep: float = 0.0, settings: str = "") -> tuple[dict, dict | None]:
    """The pipeline as the installed kfp compiles it (its pip step then pins the kfp that is
    here), and its platform spec."""
    pytest.importorskip("kfp")
    source = path.with_suffix(".py")  # kfp reads each component's source from its file
    source.write_text(PIPELINE_SOURCE.replace("{path}", str(path)).replace("{sleep}", str(sleep))
                      .replace("{settings}", settings))
    done = subprocess.run([sys.executable, str(source)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    spec, *platform = [d for d in yaml.safe_load_all(path.read_text()) if d]
    return spec, (platform[0] if platform else None)


def make_run(tmp_path: Path, sleep: float = 0.0, settings: str = "") -> tuple[Path, dict]:
    run_dir = tmp_path / "data" / "pipeline-runs" / "run-1"
    run_dir.mkdir(parents=True)
    spec, platform = compile_pipeline(tmp_path / "p.yaml", sleep, settings)
    (run_dir / "pipeline_spec.json").write_text(json.dumps(spec))
    if platform:
        (run_dir / "platform_spec.json").write_text(json.dumps(platform))
    (run_dir / "run.json").write_text(json.dumps({"parameters": {"a": 2, "b": 3}, "run_name": "k", "cache_dir": None,
                                                  "parallelism": 2, "job_id": "run-1"}))
    spec = JobSpec(job_id="run-1", name="k", kind="pipeline-run", source_dir="/opt/easymaker/jobs", entry_point="pipeline_run.py",
                   output_dir=str(run_dir), instance_type=InstanceType(name="cpu-2", cpu=2, memory_mib=2048),
                   labels={"easymaker/experiment-id": "e1"})
    options = PodOptions(image="ghcr.io/jupyter-easymaker/training:latest",
                         volume_mounts={str(tmp_path): {"persistentVolumeClaim": {"claimName": "workspace"}}},
                         service_account="easymaker", image_pull_secrets=("registry",))
    return run_dir, pipeline_task_job_template(spec, namespace="default", options=options)


def kubeconfig(tmp_path: Path, cluster) -> Path:
    return kubeconfig_file(str(cluster.server.url), tmp_path)


def start_executor(run_dir: Path, template: dict, config: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    env.update({"EM_PIPELINE_RUN_DIR": str(run_dir), PIPELINE_TASK_JOBS_ENV: json.dumps(template), "KUBECONFIG": str(config)})
    return subprocess.Popen([sys.executable, "-m", "jupyter_easymaker.runtime.jobs.pipeline_run"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


class Kubelet:
    """Runs each new task Job's container command here, as its pod would, and
    writes the pod, its log and the Job's status back into the emulator."""

    def __init__(self, cluster, *, hold: set[str] | None = None):
        self.cluster = cluster
        self.seen: list[str] = []
        self.hold = hold or set()  # tasks whose Jobs are left running (a pod still at work)
        self.held: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "Kubelet":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for name in self.cluster.names(JOBS):
                if name not in self.seen:
                    self.seen.append(name)
                    self.run(name)
            time.sleep(0.05)

    def run(self, name: str) -> None:
        job = self.cluster.get(JOBS, name)
        kube_fixtures.validate_manifest(job)
        task = job["metadata"]["annotations"]["easymaker/pipeline-task"]
        pod = f"{name}-x1"
        if task in self.hold:
            self.held.append(name)
            self.cluster.add_pod(pod, job, phase="Running")
            self.cluster.set_status(JOBS, name, {"active": 1})
            return
        container = job["spec"]["template"]["spec"]["containers"][0]
        env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               "HOME": os.environ.get("HOME", "/tmp"), "PIP_NO_INDEX": "1"}  # the image's kfp is this one: no download
        env.update({e["name"]: e["value"] for e in container["env"] if "value" in e})  # not the Secrets
        done = subprocess.run(container["command"], cwd=container["workingDir"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=180)
        self.cluster.logs[pod] = done.stdout
        code = done.returncode
        self.cluster.add_pod(pod, job, phase="Succeeded" if code == 0 else "Failed",
                             container_state={"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}})
        self.cluster.set_status(JOBS, name, {"succeeded": 1} if code == 0 else
                                {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]})


def journal(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines() if line.strip()]


def wait_for(check, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what or "condition not reached"
        time.sleep(0.05)


def test_each_task_runs_as_a_kubernetes_job(tmp_path, threaded_cluster):
    cluster = threaded_cluster
    run_dir, template = make_run(tmp_path)
    with Kubelet(cluster) as kubelet:
        proc = start_executor(run_dir, template, kubeconfig(tmp_path, cluster))
        out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    result = json.loads((run_dir / "result.json").read_text())
    assert result["state"] == "SUCCEEDED" and result["outputs"]["parameters"] == {"Output": 10}, result
    # one Job per task, in dependency order, each deleted once its end was read
    bodies = {b["metadata"]["name"]: b for b in cluster.created_bodies() if b.get("kind") == "Job"}
    assert [bodies[n]["metadata"]["annotations"]["easymaker/pipeline-task"] for n in kubelet.seen] == ["add", "double"]
    wait_for(lambda: not cluster.names(JOBS), 10, "the task Jobs were not deleted")
    add, double = (bodies[n] for n in kubelet.seen)
    pod = add["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["image"] == "python:3.11" and container["workingDir"] == str(run_dir / "tasks" / "add")
    # the component's own command, KFP's pip step included (the image need not hold kfp)
    assert container["command"][:2] == ["sh", "-c"] and "pip install" in container["command"][2]
    # the component's limits, requests no higher; the other task keeps the run's instance type
    assert container["resources"] == {"requests": {"cpu": "500m", "memory": "256M"}, "limits": {"cpu": "500m", "memory": "256M"}}
    assert double["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "2000m", "memory": "2048Mi"}
    assert {"name": "DOUBLE_SLEEP", "value": "0.0"} in double["spec"]["template"]["spec"]["containers"][0]["env"]
    # the run's storage at the same path, no API credentials, the run's pull secret
    assert pod["spec"]["volumes"][0]["persistentVolumeClaim"] == {"claimName": "workspace"}
    assert pod["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] == str(tmp_path)
    assert pod["spec"]["automountServiceAccountToken"] is False and "serviceAccountName" not in pod["spec"]
    assert pod["spec"]["imagePullSecrets"] == [{"name": "registry"}]
    labels = add["metadata"]["labels"]
    assert labels["easymaker/kind"] == "pipeline-task" and labels["easymaker/pipeline-run"] == "run-1"
    assert "easymaker/id" not in labels  # the run's own pods stay the only ones its selector picks
    assert pod["metadata"]["labels"][TASK_JOB_LABEL] == add["metadata"]["name"]
    # each pod's log became its task's log
    assert "[easymaker] attempt 1 of 1: image python:3.11 runs as a Kubernetes Job in namespace default" in (
        run_dir / "tasks" / "add" / "log.txt").read_text()
    assert "Wrote executor output" in (run_dir / "tasks" / "double" / "log.txt").read_text()
    states = [(r["task"], r["state"]) for r in journal(run_dir)]
    assert states == [("add", "RUNNING"), ("add", "SUCCEEDED"), ("double", "RUNNING"), ("double", "SUCCEEDED")]
    assert journal(run_dir)[0]["k8s_job"] == kubelet.seen[0]


def test_a_tasks_kubernetes_settings_shape_its_job(tmp_path, threaded_cluster):
    pytest.importorskip("kfp.kubernetes")
    cluster = threaded_cluster
    run_dir, template = make_run(tmp_path, settings=KUBERNETES_SETTINGS)
    with Kubelet(cluster) as kubelet:
        proc = start_executor(run_dir, template, kubeconfig(tmp_path, cluster))
        out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    bodies = {b["metadata"]["name"]: b for b in cluster.created_bodies() if b.get("kind") == "Job"}
    add, double = (bodies[n] for n in kubelet.seen)  # both valid for 1.37 (the kubelet checked)
    assert "tolerations" not in add["spec"]["template"]["spec"]  # the settings are the double task's alone
    pod = double["spec"]["template"]
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e.get("valueFrom") for e in container["env"]}
    assert env["DB_PASSWORD"] == {"secretKeyRef": {"name": "db", "key": "password", "optional": False}}
    assert env["MODE"]["configMapKeyRef"]["name"] == "cfg" and env["POD_NAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert volumes[mounts["/datasets"]]["persistentVolumeClaim"] == {"claimName": "datasets"}  # the pipeline's input
    assert volumes[mounts["/etc/tls"]]["secret"] == {"secretName": "tls", "optional": True}
    assert volumes[mounts["/scratch"]]["emptyDir"] == {"medium": "Memory", "sizeLimit": "1Gi"}
    assert mounts[str(tmp_path)].startswith("storage-")  # the run's storage stays
    assert pod["spec"]["nodeSelector"] == {"disk": "ssd"}
    assert pod["spec"]["tolerations"] == [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}]
    assert pod["metadata"]["labels"]["team"] == "vision" and pod["metadata"]["annotations"] == {"owner": "kim"}
    assert pod["metadata"]["labels"][TASK_JOB_LABEL] == double["metadata"]["name"]
    assert pod["spec"]["imagePullSecrets"] == [{"name": "registry"}, {"name": "private-registry"}]
    assert container["imagePullPolicy"] == "IfNotPresent" and pod["spec"]["activeDeadlineSeconds"] == 600
    log = (run_dir / "tasks" / "double" / "log.txt").read_text()
    assert "WARNING: these Kubernetes settings of the task are not applied: nodeAffinity" in log


def test_a_tasks_kubernetes_settings_are_named_when_it_runs_locally(tmp_path):
    pytest.importorskip("kfp.kubernetes")
    run_dir, _ = make_run(tmp_path, settings=KUBERNETES_SETTINGS)
    env = {k: v for k, v in os.environ.items() if k != PIPELINE_TASK_JOBS_ENV}
    done = subprocess.run([sys.executable, "-m", "jupyter_easymaker.runtime.jobs.pipeline_run"], text=True, timeout=300,
                          env={**env, "EM_PIPELINE_RUN_DIR": str(run_dir)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert done.returncode == 0, done.stdout
    log = (run_dir / "tasks" / "double" / "log.txt").read_text()
    assert "WARNING: its Kubernetes settings (activeDeadlineSeconds, configMapAsEnv, emptyDirMounts," in log
    assert "apply to Kubernetes Jobs only, not to a local process" in log
    assert "Kubernetes settings" not in (run_dir / "tasks" / "add" / "log.txt").read_text()


def test_a_killed_executor_restarts_without_repeating_a_finished_task(tmp_path, threaded_cluster):
    cluster = threaded_cluster
    run_dir, template = make_run(tmp_path)
    config = kubeconfig(tmp_path, cluster)
    with Kubelet(cluster, hold={"double"}) as kubelet:
        proc = start_executor(run_dir, template, config)
        wait_for(lambda: kubelet.held, 120, "the second task's Job was not created")
        os.killpg(proc.pid, signal.SIGKILL)  # the run's pod is lost while its second task runs
        proc.wait(10)
        left = kubelet.held[0]
        assert cluster.exists(JOBS, left)
        kubelet.hold.clear()
        again = start_executor(run_dir, template, config)
        out, _ = again.communicate(timeout=300)
    assert again.returncode == 0, out
    assert "ended what task double ran under an earlier executor" in out
    bodies = {b["metadata"]["name"]: b for b in cluster.created_bodies() if b.get("kind") == "Job"}
    tasks = [bodies[n]["metadata"]["annotations"]["easymaker/pipeline-task"] for n in kubelet.seen]
    assert tasks == ["add", "double", "double"]  # add once; double again after the kill
    assert not cluster.exists(JOBS, left)  # the leftover Job was deleted by the new executor
    assert [r["state"] for r in journal(run_dir) if r["task"] == "add"] == ["RUNNING", "SUCCEEDED"]
    assert json.loads((run_dir / "result.json").read_text())["outputs"]["parameters"] == {"Output": 10}


def test_a_stop_deletes_the_running_tasks_job(tmp_path, threaded_cluster):
    cluster = threaded_cluster
    run_dir, template = make_run(tmp_path)
    with Kubelet(cluster, hold={"double"}) as kubelet:
        proc = start_executor(run_dir, template, kubeconfig(tmp_path, cluster))
        wait_for(lambda: kubelet.held, 120, "the second task's Job was not created")
        os.kill(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143, out
    assert not cluster.exists(JOBS, kubelet.held[0])
    assert [r["state"] for r in journal(run_dir) if r["task"] == "double"][-1] == "CANCELED"
    assert json.loads((run_dir / "result.json").read_text())["state"] == "CANCELED"


def test_a_pod_that_cannot_pull_its_image_fails_the_task(tmp_path, threaded_cluster):
    cluster = threaded_cluster
    run_dir, template = make_run(tmp_path)
    seen: list[str] = []

    def refuse() -> None:  # every task's pod waits on an image that cannot be pulled
        deadline = time.monotonic() + 120
        while not seen and time.monotonic() < deadline:
            for name in cluster.names(JOBS):
                seen.append(name)
                cluster.add_pod(f"{name}-x1", cluster.get(JOBS, name), phase="Pending", container_state={
                    "waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "python:3.11"'}})
                cluster.logs[f"{name}-x1"] = ""
            time.sleep(0.05)

    thread = threading.Thread(target=refuse, daemon=True)
    thread.start()
    proc = start_executor(run_dir, template, kubeconfig(tmp_path, cluster))
    out, _ = proc.communicate(timeout=300)
    thread.join(5)
    assert proc.returncode == 1, out
    error = json.loads((run_dir / "result.json").read_text())["error"]
    assert "its pod cannot start: ImagePullBackOff: Back-off pulling image" in error and "(image python:3.11)" in error
    wait_for(lambda: not cluster.names(JOBS), 10, "the failed task's Job was not deleted")


def test_task_resources_follow_the_component():
    run = {"requests": {"cpu": "2000m", "memory": "2048Mi"}, "limits": {"cpu": "2000m", "memory": "2048Mi"}}
    assert task_resources(run, {}) == run
    # KFP 2.0's numeric fields (cpu in cores, memory in GB) and the newer strings
    assert task_resources(run, {"cpuLimit": 0.5, "memoryLimit": 1.5}) == {
        "requests": {"cpu": "500m", "memory": "1500000000"}, "limits": {"cpu": "500m", "memory": "1500000000"}}
    # a request above the run's limit drops that limit instead of making an invalid pod
    assert task_resources(run, {"resourceCpuRequest": "4"}) == {
        "requests": {"cpu": "4", "memory": "2048Mi"}, "limits": {"memory": "2048Mi"}}
    assert task_resources(run, {"accelerator": {"resourceType": "nvidia.com/gpu", "resourceCount": "1"}})["limits"][
        "nvidia.com/gpu"] == "1"
    assert task_resources({}, {"accelerator": {"type": "NVIDIA_TESLA_T4", "count": "2"}}) == {
        "limits": {"nvidia.com/gpu": "2"}}


def test_a_task_job_is_valid_with_any_task_name(tmp_path):
    template = pipeline_task_job_template(
        JobSpec(job_id="r" * 80, name="k", kind="pipeline-run", source_dir="/opt/easymaker/jobs", entry_point="p.py",
                output_dir=str(tmp_path / "run")),
        namespace="ns", options=PodOptions(image="img", volume_mounts={str(tmp_path): {"emptyDir": {}}}))
    launch = Launch(task_id="condition-1/for-loop-2/print-msg", attempt=3, argv=["echo", 1], env={"A": "b"},
                    cwd=str(tmp_path / "run" / "tasks" / "x"), log_path="/dev/null", image="alpine:3")
    job = task_job(template, "em-task-rrrrrrrr-0123abcd-3-beef", launch)
    kube_fixtures.validate_manifest(job)
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "1"]
    assert job["metadata"]["annotations"]["easymaker/pipeline-task"] == "condition-1/for-loop-2/print-msg"
    assert template["metadata"].get("name") is None  # the template itself is left as it was


def test_the_runner_role_is_valid():
    docs = [d for d in yaml.safe_load_all((REPO / "images" / "kubernetes" / "pipeline-runner-rbac.yaml").read_text()) if d]
    assert {d["kind"] for d in docs} == {"ServiceAccount", "Role", "RoleBinding"}
    for doc in docs:
        kube_fixtures.validate_manifest(doc)
    role = next(d for d in docs if d["kind"] == "Role")
    granted = {(g, r): set(rule["verbs"]) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    # what the executor calls (tests/test_kubernetes_rbac.py derives the whole list from the code)
    assert {"create", "delete"} <= granted["batch", "jobs"] and "get" in granted["batch", "jobs/status"]
    assert "get" in granted["", "pods/log"]
    assert "list" in granted["", "pods"]
