"""One container or importer task: its attempts handed to the run's launcher
(a local process or a Kubernetes Job, see ``launch``), its outputs read back,
retries and the cache."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_easymaker.runtime.pipelines import kube_platform, resolve
from jupyter_easymaker.runtime.pipelines.journal import Journal
from jupyter_easymaker.runtime.pipelines.launch import Launch, TaskFailed, TaskLauncher
from jupyter_easymaker.runtime.pipelines.resolve import Inputs, Layout, Outcome
from jupyter_easymaker.runtime.pipelines.spec import SpecError, artifact_type, cast, parameter_types, parse_output

# KFP waits backoffDuration * factor^n between attempts; locally nothing remote recovers meanwhile
MAX_BACKOFF_SECONDS = 1.0


@dataclass
class RunInfo:
    run_dir: str
    run_name: str
    job_id: str
    created_at: str
    cache_dir: str | None
    platform_spec: dict[str, Any] | None = None  # the pipeline's `platforms:` document


@dataclass
class TaskCall:
    task_id: str
    name: str
    task: dict[str, Any]
    component: dict[str, Any]
    executor: dict[str, Any]
    inputs: Inputs
    # the input parameters of the DAG the task is in (what its Kubernetes settings may name)
    scope: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> str:
        return self.task_id.replace("/", "__")


class TaskRunner:
    def __init__(self, run: RunInfo, journal: Journal, launcher: TaskLauncher):
        self.run = run
        self.journal = journal
        self.launcher = launcher
        self._digests: dict[tuple[str, int, int], str] = {}

    # -- the kinds of task ---------------------------------------------------------
    async def container(self, call: TaskCall) -> Outcome:
        work_dir = os.path.join(self.run.run_dir, "tasks", call.folder)
        os.makedirs(work_dir, exist_ok=True)
        caching = bool((call.task.get("cachingOptions") or {}).get("enableCache")) and bool(self.run.cache_dir)
        key = self.cache_key(call) if caching else ""
        if caching:
            hit = self.read_cache(key, work_dir)
            if hit is not None:
                _append_log(work_dir, f"[easymaker] cache hit {key[:16]}: outputs of an earlier identical run reused\n")
                now = time.time()
                self.journal.record(call.task_id, "CACHED", name=call.name, started_at=now, ended_at=now, outputs=hit,
                                    cache_key=key)
                return Outcome("CACHED", hit["parameters"], hit["artifacts"])
        policy = call.task.get("retryPolicy") or {}
        attempts = 1 + max(0, int(policy.get("maxRetryCount") or 0))
        error = ""
        for attempt in range(1, attempts + 1):
            started_at = time.time()
            try:
                outputs = await self.attempt(call, work_dir, attempt, attempts, started_at)
            except TaskFailed as exc:
                error = str(exc)
                _append_log(work_dir, f"[easymaker] attempt {attempt} failed: {error}\n")
                if attempt < attempts:
                    self.journal.record(call.task_id, "RUNNING", name=call.name, attempt=attempt, started_at=started_at,
                                        error=error, retrying=True)
                    await self.launcher.sleep(backoff_seconds(policy, attempt))
                continue
            if caching:
                self.write_cache(key, outputs)
            self.journal.record(call.task_id, "SUCCEEDED", name=call.name, attempt=attempt, started_at=started_at,
                                ended_at=time.time(), outputs=outputs)
            return Outcome("SUCCEEDED", outputs["parameters"], outputs["artifacts"])
        self.journal.record(call.task_id, "FAILED", name=call.name, attempt=attempts, ended_at=time.time(), error=error)
        return Outcome("FAILED", error=error)

    def importer(self, call: TaskCall) -> Outcome:
        """KFP's importer: an artifact made from a URI (a constant or an input), no process."""
        importer = call.executor["importer"]
        source = importer.get("artifactUri") or {}
        if "constant" in source:
            uri = source["constant"]
        elif source.get("runtimeParameter"):
            uri = call.inputs.parameters.get(source["runtimeParameter"])
        else:
            raise SpecError("the importer names no artifactUri")
        if not isinstance(uri, str) or not uri:
            raise SpecError(f"the importer's artifact URI is {uri!r}")
        ctx = resolve.Context({"inputs": {"parameterValues": call.inputs.parameters}, "outputs": {"outputFile": ""}},
                              self.run.run_name, self.run.job_id, call.name, call.task_id, self.run.run_dir,
                              self.run.created_at)
        metadata = _resolve_strings(importer.get("metadata") or {}, ctx)
        kind = importer.get("typeSchema") or {}
        outputs = (call.component.get("outputDefinitions") or {}).get("artifacts") or {"artifact": {}}
        name = next(iter(outputs))
        artifact = {"name": name, "uri": uri, "metadata": metadata,
                    "type": artifact_type({"artifactType": kind}) if kind else artifact_type(outputs[name])}
        work_dir = os.path.join(self.run.run_dir, "tasks", call.folder)
        os.makedirs(work_dir, exist_ok=True)
        _append_log(work_dir, f"[easymaker] imported {uri} as {artifact['type']['schemaTitle']}\n")
        now = time.time()
        result = {"parameters": {}, "artifacts": {name: [artifact]}}
        self.journal.record(call.task_id, "SUCCEEDED", name=call.name, started_at=now, ended_at=now, outputs=result)
        return Outcome("SUCCEEDED", {}, result["artifacts"])

    # -- one attempt ---------------------------------------------------------------
    async def attempt(self, call: TaskCall, work_dir: str, attempt: int, attempts: int, started_at: float) -> dict[str, Any]:
        where = resolve.layout(call.component, work_dir)
        _clear_outputs(where)
        for path in where.parameter_files.values():
            os.makedirs(os.path.dirname(path), exist_ok=True)
        document = resolve.executor_input(call.inputs, where)
        ctx = resolve.Context(document, self.run.run_name, self.run.job_id, call.name, call.task_id, self.run.run_dir,
                              self.run.created_at)
        container = call.executor.get("container") or {}
        command, notes = self.launcher.command(container.get("command") or [])
        try:
            argv = resolve.command_line(command, container.get("args") or [], ctx)
            env = {str(item["name"]): resolve.substitute(str(item.get("value", "")), ctx)
                   for item in container.get("env") or [] if isinstance(item, dict) and item.get("name")}
        except SpecError as exc:
            raise TaskFailed(str(exc)) from None
        if not argv:
            raise TaskFailed("the component has no command (its image's entry point cannot run here)")
        with open(os.path.join(work_dir, "executor_input.json"), "w", encoding="utf-8") as fh:  # noqa: ASYNC230
            fh.write(ctx.executor_input_json())
        image = container.get("image") or "?"

        def running(handle: dict[str, Any]) -> None:
            self.journal.record(call.task_id, "RUNNING", name=call.name, attempt=attempt, started_at=started_at, **handle)

        launch = Launch(task_id=call.task_id, attempt=attempt, argv=argv, env=env, cwd=work_dir,
                        log_path=os.path.join(work_dir, "log.txt"), image=image,
                        resources=dict(container.get("resources") or {}),
                        kubernetes=kube_platform.executor_config(self.run.platform_spec,
                                                                 str(call.component.get("executorLabel") or "")),
                        parameters=dict(call.scope), started=running)
        runs_at, *warnings = self.launcher.describe(launch)
        header = [f"[easymaker] attempt {attempt} of {attempts}: {runs_at}"]
        header += [f"[easymaker] {note}" for note in [*warnings, *notes]]
        _append_log(work_dir, "\n".join(header) + "\n")
        try:
            code = await self.launcher.run(launch)
        except TaskFailed as exc:
            raise TaskFailed(f"{exc} (image {image})") from None
        if code == 127:  # the shell's "command not found"
            raise TaskFailed(f"exited with code 127: a program it runs is not found (image {image})")
        if code != 0:
            raise TaskFailed(f"exited with code {code}" if code > 0 else f"killed by signal {-code}")
        return read_outputs(call.component, where)

    # -- the cache -----------------------------------------------------------------
    def cache_key(self, call: TaskCall) -> str:
        """sha256 of what decides the outputs: the executor and component specs and the
        resolved inputs (input artifacts by their content, so an artifact copied from
        the cache into another run keys the same)."""
        artifacts = {name: [{"type": item.get("type"), "metadata": item.get("metadata") or {},
                             "content": self._content(str(item.get("uri") or ""))} for item in items]
                     for name, items in call.inputs.artifacts.items()}
        material = {"executor": call.executor, "component": call.component, "parameters": call.inputs.parameters,
                    "artifacts": artifacts}
        return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()

    def _content(self, uri: str) -> str:
        if not uri.startswith("/") or not os.path.exists(uri):
            return uri  # a remote artifact (an importer's gs://...): its URI names it
        stat = os.stat(uri)
        memo = (uri, stat.st_size, stat.st_mtime_ns)
        if memo not in self._digests:
            self._digests[memo] = _digest(uri)
        return self._digests[memo]

    def _entry(self, key: str) -> str:
        return os.path.join(str(self.run.cache_dir), key[:2], key)

    def read_cache(self, key: str, work_dir: str) -> dict[str, Any] | None:
        entry = self._entry(key)
        try:
            with open(os.path.join(entry, "outputs.json"), encoding="utf-8") as fh:
                outputs = json.load(fh)
        except (OSError, ValueError):
            return None
        artifacts: dict[str, list[dict[str, Any]]] = {}
        for name, items in (outputs.get("artifacts") or {}).items():
            copied = []
            for index, item in enumerate(items):
                stored = os.path.join(entry, "artifacts", name, str(index))
                if item.get("local"):
                    if not os.path.lexists(stored):
                        return None
                    target = os.path.join(work_dir, "outputs", name) if index == 0 else \
                        os.path.join(work_dir, "outputs", f"{name}.{index}")
                    _remove(target)
                    _link_tree(stored, target)
                    item = {**item, "uri": target}
                copied.append({k: v for k, v in item.items() if k != "local"})
            artifacts[name] = copied
        return {"parameters": outputs.get("parameters") or {}, "artifacts": artifacts}

    def write_cache(self, key: str, outputs: dict[str, Any]) -> None:
        """The outputs and a copy (hard links where possible) of the artifacts the task
        wrote, so the entry outlives the run's folder."""
        entry = self._entry(key)
        if os.path.exists(entry):
            return
        tmp = f"{entry}.{os.getpid()}.tmp"
        try:
            os.makedirs(tmp, exist_ok=True)
            stored: dict[str, list[dict[str, Any]]] = {}
            for name, items in outputs["artifacts"].items():
                stored[name] = []
                for index, item in enumerate(items):
                    uri = str(item.get("uri") or "")
                    local = uri.startswith(self.run.run_dir + os.sep) and os.path.lexists(uri)
                    if local:
                        _link_tree(uri, os.path.join(tmp, "artifacts", name, str(index)))
                    stored[name].append({**item, "local": local})
            with open(os.path.join(tmp, "outputs.json"), "w", encoding="utf-8") as fh:
                json.dump({"parameters": outputs["parameters"], "artifacts": stored}, fh)
            os.rename(tmp, entry)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another run stored it first, or the disk is full: no entry


def read_outputs(component: dict[str, Any], where: Layout) -> dict[str, Any]:
    """The outputs of a finished attempt: executor_output.json (lightweight components)
    over the output parameter files (container components)."""
    produced: dict[str, Any] = {}
    if os.path.exists(where.output_file):
        try:
            with open(where.output_file, encoding="utf-8") as fh:
                produced = json.load(fh)
        except ValueError as exc:
            raise TaskFailed(f"executor_output.json is not JSON: {exc}") from None
    types = parameter_types(component, "outputDefinitions")
    parameters: dict[str, Any] = {}
    for name, path in where.parameter_files.items():
        try:
            if name in (produced.get("parameterValues") or {}):
                parameters[name] = cast(produced["parameterValues"][name], types.get(name))
            elif os.path.exists(path):
                with open(path, encoding="utf-8") as fh:
                    parameters[name] = parse_output(fh.read(), types.get(name))
            else:
                raise TaskFailed(f"the task wrote no value for its output parameter {name!r}")
        except ValueError as exc:
            raise TaskFailed(f"output parameter {name!r} is not a {types.get(name)}: {exc}") from None
    artifacts: dict[str, list[dict[str, Any]]] = {}
    for name, items in where.artifacts.items():
        written = ((produced.get("artifacts") or {}).get(name) or {}).get("artifacts") or []
        if written:
            artifacts[name] = [{**items[0], **{k: v for k, v in item.items() if k in ("uri", "metadata")},
                                "metadata": item.get("metadata") or {}} for item in written]
        else:
            artifacts[name] = [dict(item) for item in items]
    return {"parameters": parameters, "artifacts": artifacts}


def backoff_seconds(policy: dict[str, Any], attempt: int) -> float:
    base = _seconds(policy.get("backoffDuration"))
    factor = float(policy.get("backoffFactor") or 2.0)
    wait = base * factor ** max(0, attempt - 1)
    if policy.get("backoffMaxDuration"):
        wait = min(wait, _seconds(policy["backoffMaxDuration"]))
    return max(0.0, min(MAX_BACKOFF_SECONDS, wait))


def _seconds(duration: Any) -> float:
    """A protobuf Duration as JSON ("3.5s") or a number."""
    if isinstance(duration, (int, float)):
        return float(duration)
    text = str(duration or "0").strip()
    try:
        return float(text[:-1]) if text.endswith("s") else float(text)
    except ValueError:
        return 0.0


def _resolve_strings(value: Any, ctx: resolve.Context) -> Any:
    if isinstance(value, str):
        return resolve.substitute(value, ctx)
    if isinstance(value, dict):
        return {k: _resolve_strings(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_strings(v, ctx) for v in value]
    return value


def _append_log(work_dir: str, text: str) -> None:
    with open(os.path.join(work_dir, "log.txt"), "a", encoding="utf-8") as fh:
        fh.write(text)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _clear_outputs(where: Layout) -> None:
    """A retry, or a rerun after a kill, starts without what an earlier attempt left."""
    for path in [where.output_file, *where.parameter_files.values(),
                 *(item["uri"] for items in where.artifacts.values() for item in items)]:
        _remove(path)


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _link_tree(source: str, target: str) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.isdir(source):
        shutil.copytree(source, target, copy_function=_link, symlinks=True)
    else:
        _link(source, target)


def _digest(path: str) -> str:
    digest = hashlib.sha256()
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                digest.update(os.path.relpath(full, path).encode() + b"\0")
                _feed(digest, full)
    else:
        _feed(digest, path)
    return digest.hexdigest()


def _feed(digest: Any, path: str) -> None:
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
