"""The local DAG executor (runtime/pipelines) on real compiled pipelines from the
shared data folder (kfp-ir, see its SOURCES.md): the outputs Kubeflow's own
local runner expects, failures, exit handlers, retries, the cache, a kill and a
restart on the same run dir, a stop, parallelism. Each run is the job's entry
point started as a process, as the job lifecycle starts it."""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyter_easymaker.catalogs.jobs import PIPELINE_TASK_LINE, format_pipeline_task
from jupyter_easymaker.runtime.pipelines import conditions
from jupyter_easymaker.runtime.pipelines.executor import collect, dag_outputs
from jupyter_easymaker.runtime.pipelines.resolve import Outcome, local_command
from jupyter_easymaker.runtime.pipelines.spec import cast

SHARED = Path(os.environ.get("EASYMAKER_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
IR = SHARED / "kfp-ir"
pytestmark = pytest.mark.skipif(not IR.is_dir(), reason=f"the compiled KFP pipelines are not here ({IR}); "
                                                      "set EASYMAKER_SHARED_DATA to the shared data folder")
HAS_SKLEARN = all(importlib.util.find_spec(m) for m in ("sklearn", "pandas"))


@dataclass
class Run:
    code: int
    result: dict[str, Any]
    lines: list[dict[str, Any]]
    run_dir: Path

    @property
    def states(self) -> dict[str, str]:
        """Each task's last state."""
        return {line["task"]: line["state"] for line in self.lines}

    def last(self, task: str) -> dict[str, Any]:
        return [line for line in self.lines if line["task"] == task][-1]

    @property
    def output(self) -> Any:
        return self.result["outputs"]["parameters"].get("Output")

    def log(self, task: str) -> str:
        return (self.run_dir / "tasks" / task.replace("/", "__") / "log.txt").read_text()


def load(name: str) -> tuple[dict, dict | None]:
    docs = [d for d in yaml.safe_load_all((IR / name).read_text()) if d]
    return docs[0], (docs[1] if len(docs) > 1 else None)


def make_run_dir(run_dir: Path, spec: dict, parameters: dict | None = None, *, platform: dict | None = None,
                 cache_dir: Path | None = None, parallelism: int | None = None) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "pipeline_spec.json").write_text(json.dumps(spec))
    if platform:
        (run_dir / "platform_spec.json").write_text(json.dumps(platform))
    (run_dir / "run.json").write_text(json.dumps({
        "parameters": parameters or {}, "run_name": run_dir.name, "cache_dir": str(cache_dir) if cache_dir else None,
        "parallelism": parallelism, "job_id": f"job-{run_dir.name}"}))
    return run_dir


def start(run_dir: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "jupyter_easymaker.runtime.jobs.pipeline_run"],
                            env={**os.environ, "EM_PIPELINE_RUN_DIR": str(run_dir)}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def finish(proc: subprocess.Popen, run_dir: Path, timeout: float = 120) -> Run:
    out, _ = proc.communicate(timeout=timeout)
    result = json.loads((run_dir / "result.json").read_text())
    lines = [json.loads(m.group(1)) for m in map(PIPELINE_TASK_LINE.match, out.splitlines()) if m]
    return Run(proc.returncode, result, lines, run_dir)


@contextlib.contextmanager
def started(run_dir: Path) -> Iterator[subprocess.Popen]:
    """The executor running; stopped (SIGTERM, then SIGKILL) if the test left it running."""
    proc = start(run_dir)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()


def execute(run_dir: Path) -> Run:
    return finish(start(run_dir), run_dir)


def run_file(root: Path, name: str, parameters: dict | None = None, **options: Any) -> Run:
    spec, platform = load(name)
    return execute(make_run_dir(root, spec, parameters, platform=platform, **options))


# -- SOURCES.md's expected results (and the other pipelines that run on this host) --------
def _artifacts_written(run: Run) -> bool:
    """Every file artifact a root task made is there (metrics live in their metadata)."""
    artifacts = [item for line in run.lines if line["state"] == "SUCCEEDED" and "/" not in line["task"]
                 for items in (line.get("outputs") or {}).get("artifacts", {}).values() for item in items
                 if not item["type"]["schemaTitle"].endswith("Metrics")]
    return bool(artifacts) and all(os.path.exists(item["uri"]) for item in artifacts)


def _metrics(run: Run) -> list[dict]:
    return [item["metadata"] for line in run.lines if line["state"] == "SUCCEEDED"
            for items in (line.get("outputs") or {}).get("artifacts", {}).values() for item in items
            if item["type"]["schemaTitle"] in ("system.Metrics", "system.ClassificationMetrics")]


def _exit_tasks_ran(run: Run) -> bool:
    spec = json.loads((run.run_dir / "pipeline_spec.json").read_text())
    exit_tasks = [name for name, task in spec["root"]["dag"]["tasks"].items()
                  if (task.get("triggerPolicy") or {}).get("strategy") == "ALL_UPSTREAM_TASKS_COMPLETED"]
    return bool(exit_tasks) and all(run.states.get(name) == "SUCCEEDED" for name in exit_tasks)


JQ = shutil.which("jq") is not None
Check = Callable[[Run], Any]
CASES: list[tuple[str, dict, str, Check | None]] = [
    ("valid/add_numbers.yaml", {"a": 5, "b": 5}, "SUCCEEDED", lambda r: r.output == 10),
    ("valid/concat_message.yaml", {"message1": "Hello ", "message2": "World!"}, "SUCCEEDED",
     lambda r: r.output == "Hello World!"),
    ("valid/identity.yaml", {"value": "test_value"}, "SUCCEEDED", lambda r: r.output == "test_value"),
    ("valid/nested_return.yaml", {}, "SUCCEEDED", lambda r: r.output == [{"A_a": "1", "B_b": "2"}, {"A_a": "10", "B_b": "20"}]),
    # ParallelFor [1,2,3] of double -> Collected [2,4,6]; its jq container component runs where jq is installed
    ("valid/parameters_simple.yaml", {}, "SUCCEEDED" if JQ else "FAILED",
     lambda r: r.output == [2, 4, 6] and r.last("add")["outputs"]["parameters"]["Output"] == 12
     and (not JQ or r.last("add-container")["outputs"]["parameters"]["sum"] == 12)),
    ("valid/flip_coin.yaml", {}, "SUCCEEDED",
     lambda r: r.last("flip-coin")["outputs"]["parameters"]["Output"] in ("heads", "tails")),
    ("valid/collected_parameters.yaml", {}, "SUCCEEDED",
     lambda r: r.last("collecting-parameters")["outputs"]["parameters"]["Output"] == ["model_id_s1", "model_id_s2", "model_id_s3"]),
    ("valid/pipeline_with_collected_artifacts.yaml", {}, "SUCCEEDED", lambda r: r.output == "0,1,2"),
    ("valid/local_execution_pipeline_with_oneof.yaml", {"pick_a": True}, "SUCCEEDED", lambda r: r.output == "selected:A"),
    ("valid/local_execution_pipeline_with_oneof.yaml", {"pick_a": False}, "SUCCEEDED",
     lambda r: r.output == "selected:B" and r.states["condition-branches-1/condition-2"] == "SKIPPED"),
    ("valid/local_execution_pipeline_with_k8s_only_methods.yaml", {"message": "hello"}, "SUCCEEDED",
     lambda r: r.output == "hello" and "cpu / memory / accelerator settings are not applied" in r.log("echo")),
    ("valid/component_with_env_variable.yaml", {"var_name": "KFP_TEST_ENV_VAR"}, "SUCCEEDED",
     lambda r: r.output == "env_var_value"),
    ("valid/local_execution_pipeline_with_exit_handler.yaml", {"message": "hi"}, "SUCCEEDED", _exit_tasks_ran),
    ("valid/pipeline_with_exit_handler.yaml", {}, "FAILED",
     lambda r: _exit_tasks_ran(r) and r.states["exit-handler-1/fail-op"] == "FAILED"
     and "Exit handler has worked!" in r.log("print-op") and "exit-handler-1/fail-op" in r.result["error"]),
    ("valid/pipeline_with_multiple_exit_handlers.yaml", {}, "FAILED", _exit_tasks_ran),
    ("valid/pipeline_with_task_final_status.yaml", {}, "FAILED",
     lambda r: "Pipeline status:  FAILED" in r.log("exit-op")),
    ("valid/fail_v2.yaml", {}, "FAILED", lambda r: "exited with code 1" in r.result["error"]),
    ("valid/dict_input.yaml", {"struct": {"test_key": "test_value"}}, "SUCCEEDED", None),
    ("valid/pipeline_with_loops.yaml", {"loop_parameter": ["item1", "item2", "item3"]}, "SUCCEEDED",
     lambda r: sorted(t for t in r.states if t.startswith("for-loop-1.")) ==
     ["for-loop-1.0", "for-loop-1.0/print-text", "for-loop-1.1", "for-loop-1.1/print-text", "for-loop-1.2",
      "for-loop-1.2/print-text"]),
    ("valid/pipeline_with_nested_loops.yaml", {}, "SUCCEEDED", None),
    ("valid/pipeline_with_parallelfor_parallelism.yaml", {"loop_parameter": ["item1", "item2", "item3"]}, "SUCCEEDED", None),
    ("valid/pipeline_with_parallelfor_pipeline_param.yaml", {"prefix": "test-prefix", "loop_parameter": ["a", "b"]},
     "SUCCEEDED", None),
    ("valid/pipeline_with_parallelfor_list_artifacts_GH-12033.yaml", {}, "SUCCEEDED", None),
    ("valid/nested_with_parameters.yaml", {}, "SUCCEEDED", lambda r: r.output == [[4, 6, 8], [6, 8, 10], [8, 10, 12]]),
    ("valid/parameters_complex.yaml", {}, "SUCCEEDED", None),
    ("valid/multiple_parameters_namedtuple.yaml", {}, "SUCCEEDED", None),
    ("valid/mixed_parameters.yaml", {}, "SUCCEEDED", None),
    ("valid/component_with_optional_inputs.yaml", {}, "SUCCEEDED", None),
    ("valid/pipeline_with_condition.yaml", {}, "SUCCEEDED", None),
    ("valid/pipeline_with_nested_conditions.yaml", {}, "SUCCEEDED", None),
    ("valid/if_elif_else_complex.yaml", {}, "SUCCEEDED", None),
    ("valid/if_else_with_oneof_artifacts.yaml", {}, "SUCCEEDED", None),
    ("valid/pipeline_in_pipeline.yaml", {}, "SUCCEEDED", None),
    ("valid/pipeline_in_pipeline_complex.yaml", {}, "SUCCEEDED", None),
    ("valid/artifacts_simple.yaml", {}, "SUCCEEDED", None),
    ("valid/artifacts_complex.yaml", {}, "SUCCEEDED", None),
    ("valid/lightweight_python_functions_pipeline.yaml", {"message": "hi"}, "SUCCEEDED", _artifacts_written),
    ("valid/lightweight_python_functions_with_outputs.yaml",
     {"first_message": "Hello", "second_message": " World", "first_number": 10, "second_number": 20}, "SUCCEEDED",
     _artifacts_written),
    # the component logs random.randint(0, 100): 0 is an accuracy too
    ("valid/output_metrics.yaml", {}, "SUCCEEDED", lambda r: any(0 <= m.get("accuracy", -1) <= 100 for m in _metrics(r))),
    ("valid/pipeline_with_metrics_outputs.yaml", {}, "SUCCEEDED", lambda r: len(_metrics(r)) >= 1),
    # container components: their programs run here (echo, sh, python); the image is only noted
    ("valid/hello_world.yaml", {}, "SUCCEEDED", lambda r: "hello world" in r.log("echo")),
    ("valid/container_no_input.yaml", {}, "SUCCEEDED", None),
    ("valid/container_component_with_no_inputs.yaml", {}, "SUCCEEDED", None),
    ("valid/sequential_v1.yaml", {"param1": "First", "param2": "Second"}, "SUCCEEDED",
     lambda r: "First" in r.log("echo") and "Second" in r.log("echo-2")),
    ("valid/pipeline_with_after.yaml", {}, "SUCCEEDED", None),
    ("valid/producer_consumer_param_pipeline.yaml", {}, "SUCCEEDED", None),
    ("valid/arguments_parameters.yaml", {"param1": "a", "param2": "b"}, "SUCCEEDED", lambda r: "a-b" in r.log("echo")),
    # ... and those whose program this host lacks fail saying so
    ("valid/container_with_artifact_output.yaml", {"num_epochs": 1}, "FAILED", None),  # sh: run.sh is not here
    ("valid/container_io.yaml", {"text": "x"}, "FAILED",
     lambda r: "program 'my_program' not found on this host (image registry.access.redhat.com/ubi9/python-311:latest)"
     in r.result["error"]),
    ("legacy-2.0.0/lightweight_python_functions_pipeline.yaml", {"message": "hi"}, "SUCCEEDED", _artifacts_written),
    ("legacy-2.0.0/pipeline_in_pipeline.yaml", {}, "SUCCEEDED", None),
    ("legacy-2.0.0/pipeline_with_condition.yaml", {}, "SUCCEEDED", None),
    ("legacy-2.0.0/pipeline_with_exit_handler.yaml", {}, "FAILED", _exit_tasks_ran),
    ("legacy-2.0.0/pipeline_with_loops.yaml", {"loop_parameter": ["a", "b"]}, "SUCCEEDED", None),
    ("legacy-2.0.0/pipeline_with_metrics_outputs.yaml", {}, "SUCCEEDED", lambda r: len(_metrics(r)) >= 1),
]
if HAS_SKLEARN:
    CASES += [
        ("valid/iris_pipeline_compiled.yaml", {}, "SUCCEEDED",
         lambda r: _artifacts_written(r) and any("confusionMatrix" in m for m in _metrics(r))),
        ("valid/metrics_visualization_v2.yaml", {}, "SUCCEEDED", lambda r: len(_metrics(r)) >= 2),
    ]


@pytest.fixture(scope="module")
def shared_runs(tmp_path_factory) -> list[Run]:
    """Every case at once: each executor is its own process, so they overlap."""
    root = tmp_path_factory.mktemp("shared-runs")

    def one(index: int) -> Run:
        name, parameters, _, _ = CASES[index]
        return run_file(root / f"{index:02d}-{Path(name).stem[:40]}", name, parameters)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, range(len(CASES))))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{c[0]}{json.dumps(c[1])[:30]}" for c in CASES])
def test_a_shared_pipeline_ends_as_kfp_expects(shared_runs, index):
    name, _, state, check = CASES[index]
    run = shared_runs[index]
    assert run.result["state"] == state, (name, run.result)
    assert run.code == (0 if state == "SUCCEEDED" else 1)
    assert run.lines and all(line["state"] in ("RUNNING", "SUCCEEDED", "SKIPPED", "FAILED", "CACHED")
                             for line in run.lines)
    journal = [json.loads(line) for line in (run.run_dir / "journal.jsonl").read_text().splitlines()]
    assert [(j["task"], j["state"]) for j in journal] == [(line["task"], line["state"]) for line in run.lines]
    if check is not None:
        assert check(run), (name, run.result, run.states)


def test_retries_until_an_attempt_succeeds(tmp_path):
    counter = tmp_path / "counter"
    run = run_file(tmp_path / "r", "valid/local_execution_pipeline_with_retry.yaml", {"counter_path": str(counter)})
    assert (run.code, run.output) == (0, "attempt=2")
    task = run.last("flaky")
    assert (task["state"], task["attempt"]) == ("SUCCEEDED", 2)
    retried = [line for line in run.lines if line.get("retrying")]
    assert len(retried) == 1 and retried[0]["error"] == "exited with code 1"


def test_ignore_upstream_failure_runs_the_cleanup_and_the_run_fails(tmp_path):
    marker = tmp_path / "marker.txt"
    run = run_file(tmp_path / "r", "valid/local_execution_pipeline_with_ignore_upstream_failure.yaml",
                   {"marker_path": str(marker)})
    assert (run.code, run.result["state"]) == (1, "FAILED")
    assert marker.read_text() == "cleanup_ran"
    assert run.states == {"fail-always": "FAILED", "write-marker": "SUCCEEDED"}


def test_the_second_identical_run_is_a_cache_hit(tmp_path):
    cache = tmp_path / "cache"
    first = run_file(tmp_path / "a", "valid/pipeline_with_caching.yaml", {"x": 1}, cache_dir=cache)
    second = run_file(tmp_path / "b", "valid/pipeline_with_caching.yaml", {"x": 1}, cache_dir=cache)
    other = run_file(tmp_path / "c", "valid/pipeline_with_caching.yaml", {"x": 2}, cache_dir=cache)
    uncached = run_file(tmp_path / "d", "valid/pipeline_with_caching.yaml", {"x": 1})
    assert (first.output, second.output, other.output, uncached.output) == (2, 2, 3, 2)
    assert first.states == {"add-one": "SUCCEEDED"} and second.states == {"add-one": "CACHED"}
    assert other.states == {"add-one": "SUCCEEDED"} and uncached.states == {"add-one": "SUCCEEDED"}


def test_cached_artifacts_are_copied_into_the_run_and_outlive_the_first_run(tmp_path):
    cache = tmp_path / "cache"
    first = run_file(tmp_path / "a", "valid/lightweight_python_functions_pipeline.yaml", {"message": "hi"},
                     cache_dir=cache)
    shutil.rmtree(first.run_dir)  # the first run's folder purged
    second = run_file(tmp_path / "b", "valid/lightweight_python_functions_pipeline.yaml", {"message": "hi"},
                      cache_dir=cache)
    assert second.states == {"preprocess": "CACHED", "train": "CACHED"}  # train keyed by its inputs' content
    model = second.last("train")["outputs"]["artifacts"]["model"][0]["uri"]
    assert model.startswith(str(second.run_dir / "tasks" / "train" / "outputs")) and os.path.getsize(model) > 0


def test_importer_makes_an_artifact_of_a_constant_or_an_input_uri(tmp_path):
    spec, _ = load("valid/pipeline_with_importer.yaml")
    first, second = tmp_path / "one.txt", tmp_path / "two.txt"
    first.write_text("first data")
    second.write_text("second data")
    spec["deploymentSpec"]["executors"]["exec-importer"]["importer"]["artifactUri"]["constant"] = str(first)
    spec["root"]["dag"]["tasks"]["importer"]["inputs"]["parameters"]["uri"]["runtimeValue"]["constant"] = str(first)
    run = execute(make_run_dir(tmp_path / "r", spec, {"dataset2": str(second)}))
    assert run.result["state"] == "SUCCEEDED", run.result
    imported = run.last("importer")["outputs"]["artifacts"]["artifact"][0]
    assert (imported["uri"], imported["metadata"], imported["type"]["schemaTitle"]) == (str(first), {"key": "value"},
                                                                                         "system.Dataset")
    assert run.last("condition-1/importer-2")["outputs"]["artifacts"]["artifact"][0]["uri"] == str(second)
    assert "Dataset: first data" in run.log("train") and "Dataset: second data" in run.log("condition-1/train-2")


def test_a_component_compiled_alone_runs_as_the_root_task(tmp_path):
    spec, _ = load("valid/add_numbers.yaml")
    component = spec["components"]["comp-add-numbers"]
    alone = {**spec, "root": {**component, "outputDefinitions": component["outputDefinitions"]}}
    run = execute(make_run_dir(tmp_path / "r", alone, {"a": 2.0, "b": "3"}))  # integers cast from a float and text
    assert (run.code, run.output, run.states) == (0, 5, {"root": "SUCCEEDED"})
    assert run.last("root")["name"] == "add-numbers"


# -- a synthetic pipeline of container components: python3 -c scripts ---------------------
def _script(body: str) -> dict:
    return {"container": {"image": "python:3.11", "command": ["python3", "-c", body]}}


STEP = """
import os, sys, time
count, gate, out_param, out_artifact = sys.argv[1:5]
with open(count, 'a') as f:
    f.write('x')
deadline = time.time() + 60  # a test that failed midway leaves nothing running for long
while gate != '-' and not os.path.exists(gate) and time.time() < deadline:
    time.sleep(0.02)
os.makedirs(os.path.dirname(out_param), exist_ok=True)
open(out_param, 'w').write(str(len(open(count).read())) + sys.argv[5])
os.makedirs(os.path.dirname(out_artifact), exist_ok=True)
open(out_artifact, 'w').write('artifact of ' + count)
"""


def _step_task(name: str, count: str, gate: str, after: str | None = None) -> dict:
    task: dict[str, Any] = {
        "taskInfo": {"name": name}, "componentRef": {"name": "comp-step"},
        "inputs": {"parameters": {"count": {"componentInputParameter": count},
                                  "gate": {"componentInputParameter": gate},
                                  "suffix": {"runtimeValue": {"constant": ""}}}}}
    if after:
        task["dependentTasks"] = [after]
        task["inputs"]["parameters"]["suffix"] = {"taskOutputParameter": {"producerTask": after, "outputParameterKey": "value"}}
        task["inputs"]["artifacts"] = {"previous": {"taskOutputArtifact": {"producerTask": after, "outputArtifactKey": "data"}}}
    return task


def chain_spec(length: int = 3) -> dict:
    """first -> second -> third: each counts its runs in a file, waits for its gate file
    ("-": none), passes a value and an artifact on."""
    names = ["first", "second", "third"][:length]
    params = {f"{n}_{kind}": {"parameterType": "STRING"} for n in names for kind in ("count", "gate")}
    tasks = {n: _step_task(n, f"{n}_count", f"{n}_gate", names[i - 1] if i else None) for i, n in enumerate(names)}
    return {
        "pipelineInfo": {"name": "chain"}, "schemaVersion": "2.1.0", "sdkVersion": "kfp-2.15.2",
        "components": {"comp-step": {
            "executorLabel": "exec-step",
            "inputDefinitions": {"parameters": {"count": {"parameterType": "STRING"}, "gate": {"parameterType": "STRING"},
                                                "suffix": {"parameterType": "STRING"}},
                                 "artifacts": {"previous": {"artifactType": {"schemaTitle": "system.Artifact"},
                                                            "isOptional": True}}},
            "outputDefinitions": {"parameters": {"value": {"parameterType": "STRING"}},
                                  "artifacts": {"data": {"artifactType": {"schemaTitle": "system.Artifact"}}}}}},
        "deploymentSpec": {"executors": {"exec-step": {"container": {
            "image": "python:3.11", "command": ["python3", "-c", STEP],
            "args": ["{{$.inputs.parameters['count']}}", "{{$.inputs.parameters['gate']}}",
                     "{{$.outputs.parameters['value'].output_file}}", "{{$.outputs.artifacts['data'].path}}",
                     "{{$.inputs.parameters['suffix']}}"]}}}},
        "root": {"inputDefinitions": {"parameters": params}, "dag": {
            "tasks": tasks,
            "outputs": {"parameters": {"Output": {"valueFromParameter": {"producerSubtask": names[-1],
                                                                          "outputParameterKey": "value"}}}}}},
    }


def _chain_parameters(tmp_path: Path, gates: dict[str, str]) -> dict[str, str]:
    return {**{f"{n}_count": str(tmp_path / f"{n}.count") for n in ("first", "second", "third")},
            **{f"{n}_gate": gates.get(n, "-") for n in ("first", "second", "third")}}


def _wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _journal(run_dir: Path) -> list[dict]:
    if not (run_dir / "journal.jsonl").exists():
        return []
    return [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines() if line.strip()]


def test_a_killed_executor_restarted_never_repeats_a_finished_task_nor_loses_its_outputs(tmp_path):
    gate = tmp_path / "gate"
    run_dir = make_run_dir(tmp_path / "r", chain_spec(), _chain_parameters(tmp_path, {"second": str(gate)}))

    def second_pids() -> list[int]:
        return [j["pid"] for j in _journal(run_dir) if j["task"] == "second" and j["state"] == "RUNNING"]

    try:
        with started(run_dir) as proc:
            _wait_for(lambda: bool(second_pids()))  # first finished, second is running
            os.kill(proc.pid, signal.SIGKILL)  # the executor only: its task process lives on, as after a node loss
            proc.communicate()
        orphan = second_pids()[0]
        orphan_tmp = next(j["tmp_dir"] for j in _journal(run_dir) if j.get("pid") == orphan)
        assert _alive(orphan) and os.path.isdir(orphan_tmp)
        with started(run_dir) as proc:
            _wait_for(lambda: len(second_pids()) == 2)  # second started again...
            # ...after the restarted executor ended what the killed one left running, and its temporary folder
            assert not _alive(orphan) and not os.path.exists(orphan_tmp)
            gate.write_text("open")
            run = finish(proc, run_dir)
    finally:
        gate.write_text("open")
    assert (run.code, run.result["state"]) == (0, "SUCCEEDED"), run.result
    assert (tmp_path / "first.count").read_text() == "x"  # first ran once
    assert (tmp_path / "second.count").read_text() == "xx"  # second was cut short, so it ran again
    assert "first" not in run.states
    # each step's value is its run count followed by the value it got: first "1", second
    # (run twice) "2" + "1" from first's journaled outputs, third "1" + "21"
    assert run.output == "121"
    second_input = json.loads((run_dir / "tasks" / "second" / "executor_input.json").read_text())
    previous = second_input["inputs"]["artifacts"]["previous"]["artifacts"][0]["uri"]
    assert Path(previous).read_text().startswith("artifact of ")


def loop_spec() -> dict:
    """ParallelFor over [0, 1, 2] of the counting step (its files named by the item);
    the steps' values collected as the pipeline's output."""
    spec = chain_spec(1)
    item = "{{$.inputs.parameters['folder']}}/{{$.inputs.parameters['item']}}"
    spec["components"]["comp-for-loop-1"] = {
        "inputDefinitions": {"parameters": {"folder": {"parameterType": "STRING"}, "item": {"parameterType": "NUMBER_INTEGER"}}},
        "outputDefinitions": {"parameters": {"values": {"parameterType": "LIST"}}},
        "dag": {"outputs": {"parameters": {"values": {"valueFromParameter": {"producerSubtask": "step",
                                                                            "outputParameterKey": "value"}}}},
                "tasks": {"step": {
                    "taskInfo": {"name": "step"}, "componentRef": {"name": "comp-step"},
                    "inputs": {"parameters": {
                        "count": {"runtimeValue": {"constant": item + ".count"}},
                        "gate": {"runtimeValue": {"constant": item + ".gate"}},
                        "suffix": {"runtimeValue": {"constant": ""}},
                        "folder": {"componentInputParameter": "folder"}, "item": {"componentInputParameter": "item"}}}}}}}
    spec["root"] = {"inputDefinitions": {"parameters": {"folder": {"parameterType": "STRING"}}}, "dag": {
        "tasks": {"for-loop-1": {
            "taskInfo": {"name": "for-loop-1"}, "componentRef": {"name": "comp-for-loop-1"},
            "inputs": {"parameters": {"folder": {"componentInputParameter": "folder"}}},
            "parameterIterator": {"itemInput": "item", "items": {"raw": "[0, 1, 2]"}}}},
        "outputs": {"parameters": {"Output": {"valueFromParameter": {"producerSubtask": "for-loop-1",
                                                                     "outputParameterKey": "values"}}}}}}
    return spec


def test_a_restarted_loop_reruns_only_the_iterations_that_had_not_finished(tmp_path):
    for opened in (0, 1):
        (tmp_path / f"{opened}.gate").write_text("open")
    run_dir = make_run_dir(tmp_path / "r", loop_spec(), {"folder": str(tmp_path)})
    try:
        with started(run_dir) as proc:
            _wait_for(lambda: {"for-loop-1.0/step", "for-loop-1.1/step"} <= {
                j["task"] for j in _journal(run_dir) if j["state"] == "SUCCEEDED"}
                and any(j["task"] == "for-loop-1.2/step" and j["state"] == "RUNNING" for j in _journal(run_dir)))
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate()
        (tmp_path / "2.gate").write_text("open")
        run = execute(run_dir)
    finally:
        (tmp_path / "2.gate").write_text("open")
    assert (run.code, run.output) == (0, ["1", "1", "2"]), run.result
    assert [(tmp_path / f"{i}.count").read_text() for i in range(3)] == ["x", "x", "xx"]
    assert {t for t in run.states if t.endswith("/step")} == {"for-loop-1.2/step"}


def test_sigterm_stops_the_run_kills_its_tasks_and_exits_143(tmp_path):
    gate = tmp_path / "gate"  # never opened
    run_dir = make_run_dir(tmp_path / "r", chain_spec(), _chain_parameters(tmp_path, {"second": str(gate)}))
    with started(run_dir) as proc:
        _wait_for(lambda: any(j["task"] == "second" and j["state"] == "RUNNING" for j in _journal(run_dir)))
        pid = next(j["pid"] for j in _journal(run_dir) if j["task"] == "second" and j["state"] == "RUNNING")
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        run = finish(proc, run_dir, timeout=20)
    assert run.code == 143 and time.monotonic() - began < 5
    assert run.result["state"] == "CANCELED"
    assert run.states == {"first": "SUCCEEDED", "second": "CANCELED", "third": "CANCELED"}
    assert not _alive(pid)


def _sleepers(count: int, seconds: float, loop_limit: int | None = None) -> dict:
    """`count` tasks that each record when they run: independent tasks, or (loop_limit)
    the iterations of one ParallelFor with that parallelismLimit."""
    body = ("import sys, time; start = time.time(); time.sleep(float(sys.argv[2]));"
            "open(sys.argv[1], 'w').write(f'{start} {time.time()}')")
    component = {"executorLabel": "exec-sleep", "inputDefinitions": {"parameters": {
        "record": {"parameterType": "STRING"}, "seconds": {"parameterType": "NUMBER_DOUBLE"}}}}
    executor = {"container": {"image": "python:3.11", "command": ["python3", "-c", body],
                              "args": ["{{$.inputs.parameters['record']}}", "{{$.inputs.parameters['seconds']}}"]}}
    spec: dict[str, Any] = {"pipelineInfo": {"name": "sleepers"}, "schemaVersion": "2.1.0",
                            "components": {"comp-sleep": component}, "deploymentSpec": {"executors": {"exec-sleep": executor}},
                            "root": {"inputDefinitions": {"parameters": {"folder": {"parameterType": "STRING"}}}}}
    if loop_limit is None:
        spec["root"]["dag"] = {"tasks": {f"sleep-{i}": {
            "taskInfo": {"name": f"sleep-{i}"}, "componentRef": {"name": "comp-sleep"},
            "inputs": {"parameters": {"record": {"runtimeValue": {"constant": "{{$.inputs.parameters['folder']}}/" + str(i)}},
                                      "folder": {"componentInputParameter": "folder"},
                                      "seconds": {"runtimeValue": {"constant": seconds}}}}} for i in range(count)}}
        return spec
    spec["components"]["comp-for-loop-1"] = {
        "inputDefinitions": {"parameters": {"folder": {"parameterType": "STRING"}, "item": {"parameterType": "NUMBER_INTEGER"}}},
        "dag": {"tasks": {"sleep": {
            "taskInfo": {"name": "sleep"}, "componentRef": {"name": "comp-sleep"},
            "inputs": {"parameters": {
                "record": {"runtimeValue": {"constant": "{{$.inputs.parameters['folder']}}/{{$.inputs.parameters['item']}}"}},
                "folder": {"componentInputParameter": "folder"}, "item": {"componentInputParameter": "item"},
                "seconds": {"runtimeValue": {"constant": seconds}}}}}}}}
    spec["root"]["dag"] = {"tasks": {"for-loop-1": {
        "taskInfo": {"name": "for-loop-1"}, "componentRef": {"name": "comp-for-loop-1"},
        "inputs": {"parameters": {"folder": {"componentInputParameter": "folder"}}},
        "parameterIterator": {"itemInput": "item", "items": {"raw": json.dumps(list(range(count)))}},
        "iteratorPolicy": {"parallelismLimit": loop_limit}}}}
    return spec


def _most_at_once(folder: Path) -> int:
    spans = [tuple(map(float, path.read_text().split())) for path in folder.iterdir()]
    return max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)


@pytest.mark.parametrize(("parallelism", "loop_limit", "expected"), [(2, None, 2), (4, None, 4), (4, 1, 1)])
def test_task_processes_run_in_parallel_up_to_the_limits(tmp_path, parallelism, loop_limit, expected):
    folder = tmp_path / "records"
    folder.mkdir()
    run = execute(make_run_dir(tmp_path / "r", _sleepers(4, 0.4, loop_limit), {"folder": str(folder)},
                               parallelism=parallelism))
    assert run.result["state"] == "SUCCEEDED", run.result
    assert len(list(folder.iterdir())) == 4
    assert _most_at_once(folder) == expected


# -- the pieces ------------------------------------------------------------------------------
def test_conditions_read_kfps_cel_subset_and_nothing_else():
    values = {"n": 7, "s": "heads", "b": True, "f": "3.5"}
    holds = [
        "int(inputs.parameter_values['n']) > 5", "inputs.parameter_values['s'] == 'heads'",
        "!(inputs.parameter_values['s'] == 'tails')", "inputs.parameter_values['b'] == true",
        "double(inputs.parameter_values['f']) >= 3.5 && (inputs.parameter_values['n'] < 10 || false)",
        "string(inputs.parameter_values['n']) == '7'", "int(inputs.parameter_values['f']) == 3", "-1 < 0",
    ]
    for condition in holds:
        assert conditions.evaluate(condition, values) is True, condition
    assert conditions.evaluate("inputs.parameter_values['b'] == 1", values) is False  # CEL: true is not 1
    for bad in ("__import__('os')", "inputs.__class__", "open('x')", "inputs.parameter_values['missing'] == 1",
                "inputs.parameter_values['s'] > 1", "1 +", "'unclosed"):
        with pytest.raises(conditions.ConditionError):
            conditions.evaluate(bad, values)


def test_integer_inputs_are_cast_from_floats_and_text():
    assert cast(3.0, "NUMBER_INTEGER") == 3 and isinstance(cast(3.0, "NUMBER_INTEGER"), int)
    assert cast("12", "NUMBER_INTEGER") == 12 and cast(2, "NUMBER_DOUBLE") == 2.0
    assert cast("true", "BOOLEAN") is True and cast('{"a": 1}', "STRUCT") == {"a": 1}


def test_oneof_takes_the_branch_that_produced_and_loops_collect_lists():
    dag = {"outputs": {"parameters": {"out": {"valueFromOneof": {"parameterSelectors": [
        {"producerSubtask": "a", "outputParameterKey": "x"}, {"producerSubtask": "b", "outputParameterKey": "y"}]}}}}}
    assert dag_outputs(dag, {"a": Outcome("SKIPPED"), "b": Outcome("SUCCEEDED", {"y": 2})})[0] == {"out": 2}
    body = {"dag": {"outputs": {"parameters": {"v": {}}, "artifacts": {"a": {}}}}}
    art = {"uri": "/x"}
    assert collect(body, [Outcome("SUCCEEDED", {"v": 1}, {"a": [art]}), Outcome("SUCCEEDED", {"v": 2}, {"a": [art]})]) == \
        ({"v": [1, 2]}, {"a": [art, art]})


def test_the_pip_install_prefix_of_lightweight_components_is_dropped():
    spec, _ = load("valid/iris_pipeline_compiled.yaml")
    command = spec["deploymentSpec"]["executors"]["exec-train-model"]["container"]["command"]
    local, notes = local_command(command)
    assert local[:2] == ["sh", "-ec"] and "pip install" not in json.dumps(local)
    assert notes and "pandas==2.2.0" in notes[0] and "scikit-learn==1.4.0" in notes[0]
    legacy, _ = load("legacy-2.0.0/pipeline_with_loops.yaml")
    old = next(iter(legacy["deploymentSpec"]["executors"].values()))["container"]["command"]
    assert "kfp.dsl.executor_main" in local_command(old)[0][2]


def test_progress_lines_round_trip():
    line = format_pipeline_task({"task": "a.1/b", "state": "RUNNING", "attempt": 1})
    assert json.loads(PIPELINE_TASK_LINE.match(line).group(1))["task"] == "a.1/b"
