"""The product's pipeline runs against Kubeflow Pipelines' own local runner,
``kfp.local.SubprocessRunner(use_venv=False)``, on the same compiled pipelines in
the same run. Prints figures; it is not a test.

Ours is the product's path: a real server on its defaults (local backend,
controller interval 0.5 s), the pipeline uploaded, a run created through the REST
API; the run's executor asks for each task attempt as a job of its own on the job
lifecycle. For context, the executor alone on a run folder (each task a process of
its own, no server) is shown in the overhead table.

1. Per-task overhead: a chain of 10 lightweight components compiled here, each
   returning time.time() from its first line. Overhead of a task = when its code
   starts - when its upstream task wrote its outputs (executor_output.json's
   mtime), measured the same way for every runner: what a runner spends between
   two tasks (noticing the end, scheduling, starting the next job or process,
   kfp.local's per-task pip step, the interpreter and kfp imports).
2. End to end: the shared pipelines with an expected output (kfp-ir/SOURCES.md)
   that kfp.local can run (lightweight Python components only; none that
   pip-installs extra packages, which would change this environment), wall
   seconds each. Ours: from the POST of the run to its final status seen (20 ms
   polling), the run's job and every task's job included; kfp.local: the
   `component(**args)` call inside an interpreter that already imported kfp (its
   ~3 s import not counted).

Each lightweight task of KFP pip-installs `kfp==<compiler version>`; so that
kfp.local does not change this environment, BOTH runners get copies of the files
whose `kfp==X` pins name the installed kfp (pip then finds it satisfied). The
product's executor drops that pip step by design; kfp.local runs it, as it does
for its users. The environment's packages are compared before and after.

    .venv/bin/python benchmarks/pipelines.py [--repeat N] [--chain N] [--only WORD ...] [--keep]
"""
from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
IR = Path(os.environ.get("EASYMAKER_SHARED_DATA") or ROOT.parent / "shared" / "data") / "kfp-ir"
ENTRY = "jupyter_easymaker.runtime.jobs.pipeline_run"
sys.path.insert(0, str(ROOT))

from _server import ServerProcess  # noqa: E402 - the benchmarks' folder is on the path when run as a script

from jupyter_easymaker.runtime.pipelines.resolve import local_command  # noqa: E402

# (file, arguments; "{tmp}" becomes a fresh path per run)
CASES: list[tuple[str, dict[str, Any]]] = [
    ("valid/add_numbers.yaml", {"a": 5, "b": 5}),
    ("valid/concat_message.yaml", {"message1": "Hello ", "message2": "World!"}),
    ("valid/identity.yaml", {"value": "test_value"}),
    ("valid/nested_return.yaml", {}),
    ("valid/flip_coin.yaml", {}),
    ("valid/collected_parameters.yaml", {}),
    ("valid/pipeline_with_collected_artifacts.yaml", {}),
    ("valid/local_execution_pipeline_with_oneof.yaml", {"pick_a": True}),
    ("valid/local_execution_pipeline_with_oneof.yaml", {"pick_a": False}),
    ("valid/local_execution_pipeline_with_retry.yaml", {"counter_path": "{tmp}"}),
    ("valid/pipeline_with_caching.yaml", {"x": 1}),
    ("valid/local_execution_pipeline_with_exit_handler.yaml", {"message": "hi"}),
    ("valid/local_execution_pipeline_with_ignore_upstream_failure.yaml", {"marker_path": "{tmp}"}),
    ("valid/fail_v2.yaml", {}),
    ("valid/local_execution_pipeline_with_k8s_only_methods.yaml", {"message": "hello"}),
    ("valid/component_with_env_variable.yaml", {"var_name": "KFP_TEST_ENV_VAR"}),
    ("valid/dict_input.yaml", {"struct": {"test_key": "test_value"}}),
    ("valid/pipeline_with_loops.yaml", {"loop_parameter": ["item1", "item2", "item3"]}),
    ("valid/pipeline_with_parallelfor_pipeline_param.yaml", {"prefix": "test-prefix", "loop_parameter": ["a", "b"]}),
    ("valid/multiple_parameters_namedtuple.yaml", {}),
    ("valid/mixed_parameters.yaml", {}),
    ("valid/component_with_optional_inputs.yaml", {}),
    ("valid/lightweight_python_functions_pipeline.yaml", {"message": "hi"}),
    ("valid/lightweight_python_functions_with_outputs.yaml",
     {"first_message": "Hello", "second_message": " World", "first_number": 10, "second_number": 20}),
    ("valid/output_metrics.yaml", {}),
    ("valid/pipeline_with_metrics_outputs.yaml", {}),
    ("valid/parameters_simple.yaml", {}),
    ("valid/iris_pipeline_compiled.yaml", {}),
]

KFP_LOCAL = r'''
import json, sys, time
import kfp
from kfp import local
from kfp.components import load_component_from_file
path, args, root = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root, raise_on_error=False)
component = load_component_from_file(path)
started = time.perf_counter()
task = component(**args)
elapsed = time.perf_counter() - started
try:
    output = task.output
except Exception:
    output = None
if not isinstance(output, (str, int, float, bool, list, dict, type(None))):
    output = None
print("RESULT " + json.dumps({"seconds": elapsed, "output": output}))
'''

CHAIN = r'''
import sys
from kfp import compiler, dsl

@dsl.component(base_image="python:3.11")
def stamp(previous: float) -> float:
    import time
    return time.time()

@dsl.pipeline(name="stamp-chain")
def chain(start: float = 0.0):
    task = stamp(previous=start)
    task.set_caching_options(False)
    for _ in range(int(sys.argv[2]) - 1):
        task = stamp(previous=task.output)
        task.set_caching_options(False)

compiler.Compiler().compile(chain, sys.argv[1])
'''
_PIN = re.compile(r"kfp==[0-9A-Za-z.\-+]+")


def packages() -> dict[str, str]:
    return {d.metadata["Name"].lower(): d.version for d in importlib.metadata.distributions()}


def pinned_copy(path: Path, version: str, folder: Path) -> Path:
    out = folder / path.name
    out.write_text(_PIN.sub(f"kfp=={version}", path.read_text()))
    return out


def kfp_cannot(path: Path) -> str | None:
    """Why kfp.local cannot run this file here, if it cannot."""
    spec = next(d for d in yaml.safe_load_all(path.read_text()) if d)
    for executor in spec["deploymentSpec"]["executors"].values():
        command = (executor.get("container") or {}).get("command") or []
        if "executor_main" not in json.dumps(command):
            return "a container component (its SubprocessRunner runs Python components only)"
        if local_command(command)[1]:
            return "its tasks pip-install pinned packages (that would change this environment)"
    return None


def fill(args: dict[str, Any], folder: Path) -> dict[str, Any]:
    return {k: (tempfile.mktemp(dir=folder) if v == "{tmp}" else v) for k, v in args.items()}


class Ours:
    """A server on its defaults, and runs of uploaded pipelines through its REST API."""

    FINAL = ("COMPLETE", "FAIL PIPELINE RUN", "STOPPED", "CREATE FAILED")

    def __init__(self, folder: Path):
        self.data = folder / "server-data"
        self.server = ServerProcess(str(folder), str(self.data),
                                    extra=["--EasyMakerExtension.controller_interval=0.5"]).start()
        self.uploaded: dict[Path, str] = {}
        self.count = 0

    def pipeline(self, path: Path) -> str:
        if path not in self.uploaded:
            name = f"p{len(self.uploaded)}"
            self.server.request("POST", "pipelines", {"name": name, "filename": path.name, "content": path.read_text()})
            while self.server.request("GET", f"pipelines/{name}")["status"] != "ACTIVE":
                time.sleep(0.02)
            self.uploaded[path] = name
        return self.uploaded[path]

    def run(self, path: Path, args: dict[str, Any]) -> tuple[float, dict[str, Any], Path]:
        pipeline = self.pipeline(path)
        self.count += 1
        name = f"r{self.count}"
        started = time.perf_counter()
        created = self.server.request("POST", "pipeline-runs", {"name": name, "pipeline_name": pipeline,
                                                                 "experiment_name": "bench", "parameters": args})
        while (row := self.server.request("GET", f"pipeline-runs/{name}"))["status"] not in self.FINAL:
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        result = row.get("result") or {"state": row["status"], "outputs": {"parameters": {}}}
        return elapsed, result, self.data / "pipeline-runs" / created["id"]

    def close(self) -> None:
        self.server.stop()


def run_executor_alone(path: Path, args: dict[str, Any], folder: Path) -> tuple[float, dict[str, Any], Path]:
    spec = next(d for d in yaml.safe_load_all(path.read_text()) if d)
    run_dir = Path(tempfile.mkdtemp(dir=folder, prefix="ours-"))
    (run_dir / "pipeline_spec.json").write_text(json.dumps(spec))
    (run_dir / "run.json").write_text(json.dumps({"parameters": args, "run_name": run_dir.name, "cache_dir": None,
                                                  "parallelism": None, "job_id": run_dir.name}))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", ENTRY], capture_output=True, text=True, cwd=ROOT, check=False,
                   env={**os.environ, "EM_PIPELINE_RUN_DIR": str(run_dir)})
    elapsed = time.perf_counter() - started
    result = json.loads((run_dir / "result.json").read_text())
    return elapsed, result, run_dir


def run_kfp_local(path: Path, args: dict[str, Any], folder: Path) -> tuple[float, Any, Path]:
    root = Path(tempfile.mkdtemp(dir=folder, prefix="kfp-"))
    proc = subprocess.run([sys.executable, "-c", KFP_LOCAL, str(path), json.dumps(args), str(root)],
                          capture_output=True, text=True, check=False)
    found = re.findall(r"RESULT (\{.*\})", proc.stdout)  # kfp's log lines may run into it
    if not found:
        tail = [ln for ln in (proc.stderr + proc.stdout).strip().splitlines() if ln.strip()][-1:] or ["no output"]
        raise RuntimeError(tail[0][:140])
    data = json.loads(found[-1])
    return data["seconds"], data["output"], root


def stamps(folder: Path) -> dict[str, tuple[float, float]]:
    """task -> (its code's time.time(), when it wrote executor_output.json)."""
    found = {}
    for output in folder.rglob("executor_output.json"):
        values = json.loads(output.read_text()).get("parameterValues") or {}
        if "Output" in values:
            found[output.parent.name] = (float(values["Output"]), output.stat().st_mtime)
    return found


def overheads(found: dict[str, tuple[float, float]], length: int) -> list[float]:
    names = ["stamp"] + [f"stamp-{i}" for i in range(2, length + 1)]
    return [found[b][0] - found[a][1] for a, b in itertools.pairwise(names) if a in found and b in found]


def journal_gaps(run_dir: Path) -> list[float]:
    """Ours only, from the journal: upstream SUCCEEDED recorded -> downstream process started."""
    entries = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    ended = {e["task"]: e["at"] for e in entries if e["state"] == "SUCCEEDED"}
    started = {e["task"]: e["at"] for e in entries if e["state"] == "RUNNING"}
    names = sorted(ended, key=ended.get)
    return [started[b] - ended[a] for a, b in itertools.pairwise(names) if b in started]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per pipeline and runner (best time counts)")
    parser.add_argument("--chain", type=int, default=10, help="tasks in the overhead chain")
    parser.add_argument("--only", nargs="*", help="pipeline file names containing these words")
    parser.add_argument("--keep", action="store_true", help="keep the run folders (removed by default)")
    options = parser.parse_args()
    before = packages()
    version = before["kfp"]
    folder = Path(tempfile.mkdtemp(prefix="easymaker-pipelines-bench-"))
    print(f"kfp {version} installed; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
          f"ours: a server on its defaults, parallelism {os.cpu_count()}, each task a job on the local backend")
    print(f"both runners run copies of the YAMLs with every kfp==X pin rewritten to kfp=={version}")

    # 1. per-task overhead
    chain_path = folder / "stamp_chain.yaml"
    (folder / "stamp_chain.py").write_text(CHAIN)
    subprocess.run([sys.executable, str(folder / "stamp_chain.py"), str(chain_path), str(options.chain)], check=True,
                   capture_output=True)
    ours = Ours(folder)
    ours_gaps: list[float] = []
    ours_journal: list[float] = []
    alone_gaps: list[float] = []
    kfp_gaps: list[float] = []
    for _ in range(max(1, options.repeat)):
        _, _, run_dir = ours.run(chain_path, {})
        ours_gaps += overheads(stamps(run_dir), options.chain)
        ours_journal += journal_gaps(run_dir)
        _, _, run_dir = run_executor_alone(chain_path, {}, folder)
        alone_gaps += overheads(stamps(run_dir), options.chain)
        _, _, root = run_kfp_local(chain_path, {}, folder)
        kfp_gaps += overheads(stamps(root), options.chain)
    print(f"\nper-task overhead: upstream wrote its outputs -> downstream's code starts "
          f"(chain of {options.chain} lightweight tasks, {max(1, options.repeat)} run(s) each)")
    print(f"  {'':28}{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'n':>5}")
    rows = [("ours (each task a job)", ours_gaps), ("kfp.local", kfp_gaps),
            ("ours, journal: ended->asked", ours_journal), ("executor alone (processes)", alone_gaps)]
    for label, gaps in rows:
        if gaps:
            print(f"  {label:28}{statistics.median(gaps):8.3f}{pct(gaps, 0.95):8.3f}{max(gaps):8.3f}{len(gaps):5d}")
    if ours_gaps and kfp_gaps:
        print(f"  kfp.local / ours (p50): {statistics.median(kfp_gaps) / statistics.median(ours_gaps):.1f}x")

    # 2. end to end
    print(f"\n{'pipeline':62}{'ours s':>8}{'kfp.local s':>13}{'ratio':>8}  output (ours | kfp.local)")
    total_ours = total_kfp = 0.0
    skipped = []
    for name, raw_args in CASES:
        if options.only and not any(word in name for word in options.only):
            continue
        path = pinned_copy(IR / name, version, folder)
        label = name + (f" {json.dumps(raw_args)}" if "oneof" in name else "")
        ours_times, kfp_times = [], []
        ours_result: dict[str, Any] = {}
        kfp_output: Any = None
        for _ in range(max(1, options.repeat)):
            seconds, ours_result, _ = ours.run(path, fill(raw_args, folder))
            ours_times.append(seconds)
        ours_output = ours_result["outputs"]["parameters"].get("Output")
        why = kfp_cannot(path)
        if why is None:
            try:
                for _ in range(max(1, options.repeat)):
                    seconds, kfp_output, _ = run_kfp_local(path, fill(raw_args, folder), folder)
                    kfp_times.append(seconds)
            except RuntimeError as exc:
                why = f"kfp.local failed: {exc}"
        if why is not None:
            skipped.append((label, min(ours_times), ours_result["state"], why))
            continue
        ours_s, kfp_s = min(ours_times), min(kfp_times)
        total_ours += ours_s
        total_kfp += kfp_s
        shown = f"{json.dumps(ours_output)[:24]} | {json.dumps(kfp_output)[:24]}" \
            if ours_output is not None or kfp_output is not None else f"({ours_result['state'].lower()})"
        print(f"{label[:62]:62}{ours_s:8.2f}{kfp_s:13.2f}{kfp_s / ours_s:7.1f}x  {shown}")
    if total_ours:
        print(f"{'TOTAL (pipelines both ran)':62}{total_ours:8.2f}{total_kfp:13.2f}{total_kfp / total_ours:7.1f}x")
    for label, seconds, state, why in skipped:
        print(f"{label[:62]:62}{seconds:8.2f}{'-':>13}{'':8}  ours {state}; kfp.local not run: {why}")

    ours.close()
    if not options.keep:
        shutil.rmtree(folder, ignore_errors=True)
    after = packages()
    changed = {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}
    print(f"\nkfp after the run: {after.get('kfp')} ({'unchanged' if after.get('kfp') == version else 'CHANGED'}); "
          f"environment packages {'unchanged' if not changed else 'CHANGED: ' + json.dumps(changed)}")


if __name__ == "__main__":
    main()
