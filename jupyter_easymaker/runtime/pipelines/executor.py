"""The product's executor of a compiled Kubeflow pipeline (KFP v2 IR), run inside
a pipeline-run job: it walks the DAG the way KFP's driver does (inputs,
conditions, loops, nested pipelines, OneOf, importer, exit handlers, retries,
caching), runs each container task through its launcher (a local process, or on
a cluster a Kubernetes Job of its own), and journals every task state so that a
restart on the same run dir carries on where it stopped.

One asyncio loop schedules everything: a task starts the moment its upstream
tasks end (no polling), task processes are awaited without a thread each, and
at most `parallelism` of them run at once.

Run dir (written by the server): pipeline_spec.json, run.json
(``{"parameters", "run_name", "cache_dir", "parallelism", "job_id"}``),
platform_spec.json. Written here: journal.jsonl, tasks/<task>/ (log.txt,
executor_input.json, executor_output.json, parameters/, outputs/), result.json.
Exit code: 0 SUCCEEDED, 1 FAILED, 143 stopped by SIGTERM (CANCELED)."""
from __future__ import annotations

import asyncio
import datetime
import json
import os
import signal
import sys
import time
from typing import Any

from jupyter_easymaker.catalogs.jobs import PIPELINE_TASK_JOBS_ENV, TASK_JOBS_FLAG
from jupyter_easymaker.runtime.pipelines import conditions, resolve
from jupyter_easymaker.runtime.pipelines.journal import SKIPPED_BY_CONDITION, Journal
from jupyter_easymaker.runtime.pipelines.resolve import Inputs, Outcome
from jupyter_easymaker.runtime.pipelines.spec import (
    PipelineSpec,
    SpecError,
    cast,
    is_loop,
    parameter_types,
    trigger,
    upstream,
)
from jupyter_easymaker.runtime.pipelines.job_tasks import LifecycleJobs
from jupyter_easymaker.runtime.pipelines.kube_tasks import KubernetesJobs
from jupyter_easymaker.runtime.pipelines.launch import Stopped, TaskLauncher
from jupyter_easymaker.runtime.pipelines.local_tasks import LocalProcesses
from jupyter_easymaker.runtime.pipelines.tasks import RunInfo, TaskCall, TaskRunner

EXIT_STOPPED = 143
MAX_ERROR = 4000


class PipelineExecutor:
    def __init__(self, run_dir: str, out: Any = None):
        self.run_dir = os.path.abspath(run_dir)
        self.out = out if out is not None else sys.stdout
        self.spec = PipelineSpec(_read_json(os.path.join(self.run_dir, "pipeline_spec.json")))
        self.run = _read_json(os.path.join(self.run_dir, "run.json"))
        self.platform_spec = _read_json(os.path.join(self.run_dir, "platform_spec.json"), default=None)
        self.parallelism = int(self.run.get("parallelism") or os.cpu_count() or 1)
        self.journal = Journal(os.path.join(self.run_dir, "journal.jsonl"), self.out)
        self.run_name = str(self.run.get("run_name") or os.path.basename(self.run_dir))
        self.launcher: TaskLauncher | None = None
        self.runner: TaskRunner | None = None
        self.stop_requested = False

    @property
    def stopping(self) -> bool:
        return self.stop_requested or bool(self.launcher and self.launcher.stopping)

    def stop(self) -> None:
        """SIGTERM: end every running task; the walk then records CANCELED."""
        self.stop_requested = True
        if self.launcher is not None:
            self.launcher.stop()

    def say(self, text: str) -> None:
        try:
            self.out.write(f"[easymaker] {text}\n")
            self.out.flush()
        except (OSError, ValueError):
            pass

    # -- the run -------------------------------------------------------------------
    def make_launcher(self, job_id: str) -> TaskLauncher:
        """Where each task attempt runs: a Kubernetes Job of its own when the server gave the
        run a task Job template; a job of its own on the server's lifecycle for a local run
        of a server (run.json says so); else a local process of this executor (a run dir
        executed by hand, tests of the DAG walk)."""
        template = os.environ.get(PIPELINE_TASK_JOBS_ENV)
        if template:
            return KubernetesJobs(self.parallelism, json.loads(template), job_id)
        if self.run.get(TASK_JOBS_FLAG):
            return LifecycleJobs(self.parallelism, self.run_dir)
        return LocalProcesses(self.parallelism)

    async def execute(self) -> dict[str, Any]:
        job_id = str(self.run.get("job_id") or self.run_name)
        try:
            self.launcher = self.make_launcher(job_id)
        except Exception as exc:  # noqa: BLE001 - e.g. no credentials in the pod: the run fails saying so
            return {"state": "FAILED", "outputs": {"parameters": {}, "artifacts": {}},
                    "error": f"the tasks cannot be started: {type(exc).__name__}: {exc}"}
        if self.stop_requested:
            self.launcher.stop()
        created = datetime.datetime.fromtimestamp(os.path.getmtime(os.path.join(self.run_dir, "run.json")),
                                                  tz=datetime.UTC)
        self.runner = TaskRunner(RunInfo(self.run_dir, self.run_name, job_id,
                                         created.isoformat().replace("+00:00", "Z"), self.run.get("cache_dir") or None,
                                         self.platform_spec),
                                 self.journal, self.launcher)
        for task_id in self.launcher.end_leftovers(self.journal.left_running):
            self.say(f"ended what task {task_id} ran under an earlier executor of this run, which never saw it end")
        try:
            parameters = self.spec.root_parameters(dict(self.run.get("parameters") or {}))
        except (TypeError, ValueError) as exc:
            return {"state": "FAILED", "outputs": {"parameters": {}, "artifacts": {}}, "error": f"parameters: {exc}"}
        outcome = await self.dag(self.spec.root, "", Inputs(parameters, {}))
        if self.stopping:
            state = "CANCELED"
        else:
            state = "FAILED" if outcome.failed else "SUCCEEDED"
        return {"state": state, "outputs": {"parameters": outcome.parameters, "artifacts": outcome.artifacts},
                "error": "stopped" if state == "CANCELED" else outcome.error if state == "FAILED" else None}

    # -- a DAG: its tasks, each as soon as its upstream tasks ended ----------------
    async def dag(self, component: dict[str, Any], prefix: str, inputs: Inputs) -> Outcome:
        dag = component.get("dag") or {}
        tasks: dict[str, dict[str, Any]] = dag.get("tasks") or {}
        waits = {name: sorted(upstream(task) & tasks.keys() - {name}) for name, task in tasks.items()}
        cycle = _cycle(waits)
        if cycle:
            return Outcome("FAILED", error=f"tasks {', '.join(prefix + n for n in cycle)} wait for each other")
        outcomes: dict[str, Outcome] = {}
        ended = {name: asyncio.Event() for name in tasks}

        async def one(name: str) -> None:
            for dep in waits[name]:
                await ended[dep].wait()
            outcomes[name] = await self.task(name, tasks[name], prefix, inputs, outcomes)
            ended[name].set()

        await asyncio.gather(*(one(name) for name in tasks))
        parameters, artifacts = dag_outputs(dag, outcomes)
        if self.stopping:
            return Outcome("CANCELED", parameters, artifacts, error="stopped")
        failures = [o.error or "a task failed" for o in outcomes.values() if o.state == "FAILED"]
        if any(o.failed for o in outcomes.values()):
            return Outcome("FAILED", parameters, artifacts, error=_join(failures) or "a task failed")
        return Outcome("SUCCEEDED", parameters, artifacts)

    async def task(self, name: str, task: dict[str, Any], prefix: str, scope: Inputs,
                   siblings: dict[str, Outcome]) -> Outcome:
        task_id = prefix + name
        display = str((task.get("taskInfo") or {}).get("name") or name)
        try:
            if self.stopping:
                raise Stopped()
            done = self.journal.finished.get(task_id)
            if done is not None:
                return _reused(done)
            condition, always = trigger(task)
            failed = sorted(prefix + dep for dep in upstream(task) if dep in siblings and siblings[dep].failed)
            if failed and not always:
                self.journal.record(task_id, "SKIPPED", name=display, error=f"upstream task {', '.join(failed)} failed",
                                    reason="upstream")
                return Outcome("SKIPPED", upstream_failed=True)
            component = self.spec.component(task)
            iterator = task.get("parameterIterator") or task.get("artifactIterator") or {}
            inputs = resolve.task_inputs(task, component, scope.parameters, scope.artifacts, siblings, self.run_name,
                                         iterator.get("itemInput"))
            if condition and not conditions.evaluate(condition, inputs.parameters):
                self.journal.record(task_id, "SKIPPED", name=display, reason=SKIPPED_BY_CONDITION,
                                    condition=condition)
                return Outcome("SKIPPED")
            if is_loop(task):
                return await self.loop(task_id, display, task, component, inputs)
            if "dag" in component:
                return await self.sub_dag(task_id, display, component, inputs)
            executor = self.spec.executor(component)
            call = TaskCall(task_id, display, task, component, executor, inputs, dict(scope.parameters))
            assert self.runner is not None
            if "importer" in executor:
                return self.runner.importer(call)
            if "container" in executor:
                outcome = await self.runner.container(call)
                if outcome.state == "FAILED":
                    outcome.error = f"task {task_id} failed: {outcome.error}"
                return outcome
            raise SpecError(f"the executor kind {sorted(executor)} cannot run as a local process")
        except Stopped:
            self.journal.record(task_id, "CANCELED", name=display, ended_at=time.time(), error="stopped")
            return Outcome("CANCELED", error="stopped")
        except (SpecError, conditions.ConditionError) as exc:
            return self._failed(task_id, display, str(exc))
        except Exception as exc:  # noqa: BLE001 - a task this executor cannot handle fails, the run goes on
            return self._failed(task_id, display, f"{type(exc).__name__}: {exc}")

    def _failed(self, task_id: str, display: str, message: str) -> Outcome:
        self.journal.record(task_id, "FAILED", name=display, ended_at=time.time(), error=message)
        return Outcome("FAILED", error=f"task {task_id} failed: {message}")

    async def sub_dag(self, task_id: str, display: str, component: dict[str, Any], inputs: Inputs) -> Outcome:
        """A nested pipeline, a condition group or a loop iteration: a DAG with its own inputs."""
        done = self.journal.finished.get(task_id)
        if done is not None:
            return _reused(done)
        if self.stopping:
            raise Stopped()  # an iteration that waited for its turn: it never starts
        started = time.time()
        self.journal.record(task_id, "RUNNING", name=display, started_at=started)
        outcome = await self.dag(component, task_id + "/", inputs)
        if outcome.state == "CANCELED":
            raise Stopped()
        self.journal.record(task_id, outcome.state, name=display, started_at=started, ended_at=time.time(),
                            error=_short(outcome.error),
                            outputs={"parameters": outcome.parameters, "artifacts": outcome.artifacts})
        return outcome

    async def loop(self, task_id: str, display: str, task: dict[str, Any], component: dict[str, Any],
                   inputs: Inputs) -> Outcome:
        """dsl.ParallelFor: one iteration DAG per item (``<id>.<index>``), at most
        ``parallelismLimit`` at once; outputs collected into lists (dsl.Collected)."""
        started = time.time()
        self.journal.record(task_id, "RUNNING", name=display, started_at=started)
        scopes = _iterations(task, component, inputs)
        limit = int((task.get("iteratorPolicy") or {}).get("parallelismLimit") or 0)
        gate = asyncio.Semaphore(limit) if limit > 0 else None

        async def iteration(index: int, scope: Inputs) -> Outcome:
            iteration_id = f"{task_id}.{index}"
            try:
                if gate is None:
                    return await self.sub_dag(iteration_id, f"{display}.{index}", component, scope)
                async with gate:
                    return await self.sub_dag(iteration_id, f"{display}.{index}", component, scope)
            except Stopped:
                self.journal.record(iteration_id, "CANCELED", name=f"{display}.{index}", ended_at=time.time(),
                                    error="stopped")
                return Outcome("CANCELED", error="stopped")

        outcomes = await asyncio.gather(*(iteration(i, s) for i, s in enumerate(scopes)))
        if self.stopping:
            raise Stopped()
        parameters, artifacts = collect(component, outcomes)
        failed = [o for o in outcomes if o.failed]
        state = "FAILED" if failed else "SUCCEEDED"
        error = _join([o.error or "an iteration failed" for o in failed]) if failed else None
        self.journal.record(task_id, state, name=display, started_at=started, ended_at=time.time(), error=_short(error),
                            iterations=len(scopes), outputs={"parameters": parameters, "artifacts": artifacts})
        return Outcome(state, parameters, artifacts, error=error)


def _iterations(task: dict[str, Any], component: dict[str, Any], inputs: Inputs) -> list[Inputs]:
    if "parameterIterator" in task:
        iterator = task["parameterIterator"]
        source = iterator.get("items") or {}
        if "raw" in source:
            items = json.loads(source["raw"]) if isinstance(source["raw"], str) else source["raw"]
        elif source.get("inputParameter") in inputs.parameters:
            items = inputs.parameters[source["inputParameter"]]
        else:
            raise SpecError(f"the loop's items {source.get('inputParameter')!r} have no value")
        if isinstance(items, str):
            items = json.loads(items)
        if not isinstance(items, list):
            raise SpecError(f"the loop's items are not a list: {items!r}")
        item_type = parameter_types(component).get(iterator["itemInput"])
        return [Inputs({**inputs.parameters, iterator["itemInput"]: cast(item, item_type)}, inputs.artifacts)
                for item in items]
    iterator = task["artifactIterator"]
    items = inputs.artifacts.get((iterator.get("items") or {}).get("inputArtifact"), [])
    return [Inputs(inputs.parameters, {**inputs.artifacts, iterator["itemInput"]: [item]}) for item in items]


def dag_outputs(dag: dict[str, Any], outcomes: dict[str, Outcome]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """A DAG's outputs from its tasks'; OneOf: the first branch that produced one."""
    spec = dag.get("outputs") or {}
    parameters: dict[str, Any] = {}
    for name, source in (spec.get("parameters") or {}).items():
        selectors = [source["valueFromParameter"]] if "valueFromParameter" in source else \
            (source.get("valueFromOneof") or {}).get("parameterSelectors") or []
        for selector in selectors:
            produced = outcomes.get(selector.get("producerSubtask"))
            if produced is not None and selector.get("outputParameterKey") in produced.parameters:
                parameters[name] = produced.parameters[selector["outputParameterKey"]]
                break
    artifacts: dict[str, list[dict[str, Any]]] = {}
    for name, source in (spec.get("artifacts") or {}).items():
        for selector in source.get("artifactSelectors") or []:
            produced = outcomes.get(selector.get("producerSubtask"))
            if produced is not None and produced.artifacts.get(selector.get("outputArtifactKey")):
                artifacts[name] = produced.artifacts[selector["outputArtifactKey"]]
                break
    return parameters, artifacts


def collect(component: dict[str, Any], outcomes: list[Outcome]) -> tuple[dict[str, list[Any]], dict[str, list[dict[str, Any]]]]:
    """A loop's outputs: each output of its body DAG as the list over the iterations."""
    spec = (component.get("dag") or {}).get("outputs") or {}
    parameters = {name: [o.parameters[name] for o in outcomes if name in o.parameters] for name in spec.get("parameters") or {}}
    artifacts = {name: [item for o in outcomes for item in o.artifacts.get(name, [])] for name in spec.get("artifacts") or {}}
    return parameters, artifacts


def _reused(record: dict[str, Any]) -> Outcome:
    """A task an earlier executor of this run finished: its journaled end and outputs."""
    outputs = record.get("outputs") or {}
    return Outcome(record["state"], dict(outputs.get("parameters") or {}), dict(outputs.get("artifacts") or {}))


def _cycle(waits: dict[str, list[str]]) -> list[str]:
    remaining = {name: set(deps) for name, deps in waits.items()}
    while True:
        ready = [name for name, deps in remaining.items() if not deps]
        if not ready:
            return sorted(remaining)
        for name in ready:
            del remaining[name]
        for deps in remaining.values():
            deps.difference_update(ready)


def _join(errors: list[str]) -> str:
    unique = list(dict.fromkeys(e for e in errors if e))
    return _short("; ".join(unique)) or ""


def _short(text: str | None) -> str | None:
    if text and len(text) > MAX_ERROR:
        return text[:MAX_ERROR - 3] + "..."
    return text


def _read_json(path: str, default: Any = ...) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        if default is ...:
            raise
        return default


def _write_result(run_dir: str, result: dict[str, Any]) -> None:
    tmp = os.path.join(run_dir, f".result.json.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, os.path.join(run_dir, "result.json"))


async def _run(executor: PipelineExecutor) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, executor.stop)
    return await executor.execute()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    run_dir = os.environ.get("EM_PIPELINE_RUN_DIR") or (argv[0] if argv else "")
    if not run_dir or not os.path.isdir(run_dir):
        print(f"[easymaker] ERROR: the pipeline run dir {run_dir!r} does not exist", flush=True)
        return 2
    early_stop: list[int] = []
    # a stop that comes before the loop runs is kept, not lost
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: early_stop.append(signum))
    try:
        executor = PipelineExecutor(run_dir)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        message = f"the run dir cannot be read: {type(exc).__name__}: {exc}"
        print(f"[easymaker] ERROR: {message}", flush=True)
        _write_result(run_dir, {"state": "FAILED", "outputs": {"parameters": {}, "artifacts": {}}, "error": message})
        return 1
    if early_stop:
        executor.stop_requested = True
    try:
        result = asyncio.run(_run(executor))
    finally:
        executor.journal.close()
        signal.signal(signal.SIGTERM, previous)
    _write_result(executor.run_dir, result)
    if result["state"] == "CANCELED":
        print("[easymaker] the pipeline run was stopped", flush=True)
        return EXIT_STOPPED
    if result["state"] == "FAILED":
        print(f"[easymaker] ERROR: {result.get('error') or 'a task failed'}", flush=True)
        return 1
    return 0
