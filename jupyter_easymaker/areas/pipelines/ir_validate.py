"""Checking a KFP v2 PipelineSpec before anything stores, draws or runs it:
every reference resolves, every DAG is acyclic, types are known. Imported
through ``ir``; it imports nothing of ``ir`` (no import circle)."""
from __future__ import annotations

import json
import re
from typing import Any

from jupyter_easymaker.areas.pipelines.ir_graph import EXIT_STRATEGY, executor_kind, task_upstream
from jupyter_easymaker.areas.pipelines.ir_params import PARAMETER_TYPES, cast_parameter, parameter_type
from jupyter_easymaker.core.errors import DomainError

MAX_NESTING = 64  # component DAGs inside component DAGs
MAX_TASKS = 10_000  # graph nodes once every DAG is expanded where it is used
KNOWN_TOP_LEVEL = {"pipelineInfo", "deploymentSpec", "sdkVersion", "schemaVersion", "components", "root",
                   "defaultPipelineRoot"}
TRIGGER_STRATEGIES = {"TRIGGER_STRATEGY_UNSPECIFIED", "ALL_UPSTREAM_TASKS_SUCCEEDED", EXIT_STRATEGY}
_SCHEMA_VERSION = re.compile(r"^2\.\d+(\.\d+)*$")


class PipelineSpecError(ValueError, DomainError):
    """The file is not a usable KFP v2 pipeline. ``field`` is a dotted path in the
    spec ("root.dag.tasks.train.componentRef.name") or "file"; being a
    DomainError, it reaches the client as a 400 naming that field."""

    def __init__(self, message: str, field: str = "file"):
        DomainError.__init__(self, message, field=field)


def _fail(field: str, problem: str) -> None:
    raise PipelineSpecError(f"{field}: {problem}", field)


def _mapping(value: Any, field: str, what: str = "a mapping") -> dict:
    if not isinstance(value, dict):
        _fail(field, f"must be {what}, not {type(value).__name__}")
    return value


def _check_definitions(path: str, component: dict) -> None:
    for section in ("inputDefinitions", "outputDefinitions"):
        definitions = _mapping(component.get(section) or {}, f"{path}.{section}")
        parameters = _mapping(definitions.get("parameters") or {}, f"{path}.{section}.parameters")
        for name, definition in parameters.items():
            field = f"{path}.{section}.parameters.{name}"
            ptype = parameter_type(_mapping(definition, field))
            if ptype not in PARAMETER_TYPES:
                _fail(f"{field}.parameterType",
                      f"unknown parameter type {ptype!r} (known: {', '.join(PARAMETER_TYPES)})")
            if definition.get("defaultValue") is not None and ptype != "TASK_FINAL_STATUS":
                try:
                    cast_parameter(ptype, definition["defaultValue"])
                except ValueError as exc:
                    _fail(f"{field}.defaultValue", str(exc))
        for name, definition in _mapping(definitions.get("artifacts") or {}, f"{path}.{section}.artifacts").items():
            field = f"{path}.{section}.artifacts.{name}"
            if not isinstance(_mapping(definition, field).get("artifactType"), dict):
                _fail(f"{field}.artifactType", "missing: an artifact input or output names its type")


def _check_executor(spec: dict, path: str, label: Any) -> None:
    executors = (spec.get("deploymentSpec") or {}).get("executors") or {}
    if not isinstance(label, str) or label not in executors:
        _fail(f"{path}.executorLabel", f"executor {label!r} is not defined under deploymentSpec.executors")
    field = f"deploymentSpec.executors.{label}"
    executor = _mapping(executors[label], field)
    kind = executor_kind(executor)
    if kind is None:
        _fail(field, f"unsupported executor ({', '.join(executor) or 'empty'}); pipelines run container "
                     "(lightweight Python included) and importer executors")
    if kind == "importer":
        if not isinstance(executor["importer"].get("artifactUri"), dict):
            _fail(f"{field}.importer.artifactUri", "missing: an importer names the artifact it imports")
        return
    container = executor["container"]
    if not isinstance(container.get("image"), str) or not container["image"].strip():
        _fail(f"{field}.container.image", "missing: a container executor names its image")
    for key in ("command", "args"):
        value = container.get(key, [])
        if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
            _fail(f"{field}.container.{key}", "must be a list of strings")


def _sibling(tasks: dict, name: Any, own: str, field: str) -> None:
    if not isinstance(name, str) or name not in tasks or name == own:
        siblings = ", ".join(sorted(t for t in tasks if t != own)) or "none"
        _fail(field, f"names {name!r}, which is not another task of this DAG (its tasks: {siblings})")


def _check_task(spec: dict, tasks: dict, name: str, task: Any, path: str, component_inputs: dict) -> None:
    field = f"{path}.tasks.{name}"
    task = _mapping(task, field)
    components = spec.get("components") or {}
    ref = (task.get("componentRef") or {}).get("name") if isinstance(task.get("componentRef"), dict) else None
    if not isinstance(ref, str) or ref not in components:
        hint = ""
        if "components" not in spec:
            unknown = sorted(set(spec) - KNOWN_TOP_LEVEL)
            hint = " (the spec has no 'components' section" + (
                f"; unexpected top-level keys: {', '.join(unknown)}" if unknown else "") + ")"
        _fail(f"{field}.componentRef.name", f"component {ref!r} is not defined under components{hint}")
    dependencies = task.get("dependentTasks") or []
    if not isinstance(dependencies, list):
        _fail(f"{field}.dependentTasks", "must be a list of task names")
    for dependency in dependencies:
        _sibling(tasks, dependency, name, f"{field}.dependentTasks")
    inputs = _mapping(task.get("inputs") or {}, f"{field}.inputs")
    for kind, key, own_key in (("parameters", "taskOutputParameter", "componentInputParameter"),
                               ("artifacts", "taskOutputArtifact", "componentInputArtifact")):
        for input_name, source in _mapping(inputs.get(kind) or {}, f"{field}.inputs.{kind}").items():
            where = f"{field}.inputs.{kind}.{input_name}"
            source = _mapping(source, where)
            for producer_key in (key, "taskFinalStatus"):
                if isinstance(source.get(producer_key), dict):
                    _sibling(tasks, source[producer_key].get("producerTask"), name,
                             f"{where}.{producer_key}.producerTask")
            if own_key in source and source[own_key] not in component_inputs:
                _fail(f"{where}.{own_key}", f"names {source[own_key]!r}, which is not an input of the enclosing "
                                            "component")
    for key, items_key, kind in (("parameterIterator", "inputParameter", "parameters"),
                                 ("artifactIterator", "inputArtifact", "artifacts")):
        if key not in task:
            continue
        items = _mapping(_mapping(task[key], f"{field}.{key}").get("items"), f"{field}.{key}.items")
        if key == "parameterIterator" and "raw" in items:
            try:
                ok = isinstance(json.loads(items["raw"]), list)
            except (TypeError, ValueError, RecursionError):
                ok = False
            if not ok:
                _fail(f"{field}.{key}.items.raw", "must be the JSON text of a list")
        elif items.get(items_key) not in (inputs.get(kind) or {}):
            _fail(f"{field}.{key}.items.{items_key}", f"names {items.get(items_key)!r}, which is not an input of "
                                                      "this task")
    limit = (task.get("iteratorPolicy") or {}).get("parallelismLimit", 0)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        _fail(f"{field}.iteratorPolicy.parallelismLimit", "must be a whole number, 0 or more")
    trigger = _mapping(task.get("triggerPolicy") or {}, f"{field}.triggerPolicy")
    if "condition" in trigger and not isinstance(trigger["condition"], str):
        _fail(f"{field}.triggerPolicy.condition", "must be a string (a CEL expression)")
    if trigger.get("strategy", "TRIGGER_STRATEGY_UNSPECIFIED") not in TRIGGER_STRATEGIES:
        _fail(f"{field}.triggerPolicy.strategy", f"unknown strategy {trigger['strategy']!r}")
    retries = (task.get("retryPolicy") or {}).get("maxRetryCount", 0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        _fail(f"{field}.retryPolicy.maxRetryCount", "must be a whole number, 0 or more")


def _check_outputs(tasks: dict, dag: dict, path: str) -> None:
    outputs = _mapping(dag.get("outputs") or {}, f"{path}.outputs")
    for name, source in _mapping(outputs.get("parameters") or {}, f"{path}.outputs.parameters").items():
        field = f"{path}.outputs.parameters.{name}"
        source = _mapping(source, field)
        if "valueFromParameter" in source:
            producer = _mapping(source["valueFromParameter"], f"{field}.valueFromParameter").get("producerSubtask")
            _sibling(tasks, producer, "", f"{field}.valueFromParameter.producerSubtask")
        selectors = (source.get("valueFromOneof") or {}).get("parameterSelectors") or []
        for index, selector in enumerate(selectors):
            _sibling(tasks, (selector or {}).get("producerSubtask"), "",
                     f"{field}.valueFromOneof.parameterSelectors.{index}.producerSubtask")
    for name, source in _mapping(outputs.get("artifacts") or {}, f"{path}.outputs.artifacts").items():
        field = f"{path}.outputs.artifacts.{name}"
        for index, selector in enumerate(_mapping(source, field).get("artifactSelectors") or []):
            _sibling(tasks, (selector or {}).get("producerSubtask"), "",
                     f"{field}.artifactSelectors.{index}.producerSubtask")


def _check_acyclic(tasks: dict, path: str) -> None:
    upstream = {name: sorted(u for u in task_upstream(task) if u in tasks) for name, task in tasks.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(tasks):
        if state.get(start):
            continue
        trail = [start]
        stack = [iter(upstream[start])]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[trail.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                loop = trail[trail.index(nxt):] + [nxt]
                _fail(f"{path}.tasks.{nxt}.dependentTasks",
                      "the DAG has a cycle: " + " -> ".join(reversed(loop)) + " (each waits on the one before)")
            elif not state.get(nxt):
                state[nxt] = 1
                trail.append(nxt)
                stack.append(iter(upstream[nxt]))


def _check_component(spec: dict, path: str, component: Any) -> None:
    component = _mapping(component, path)
    if ("dag" in component) == ("executorLabel" in component):
        _fail(path, "a component has either a dag or an executorLabel" + (
            ", not both" if "dag" in component else "; this one has neither"))
    _check_definitions(path, component)
    if "executorLabel" in component:
        _check_executor(spec, path, component["executorLabel"])
        return
    dag = _mapping(component["dag"], f"{path}.dag")
    tasks = _mapping(dag.get("tasks"), f"{path}.dag.tasks")
    if not tasks:
        _fail(f"{path}.dag.tasks", "the DAG has no tasks")
    definitions = component.get("inputDefinitions") or {}
    component_inputs = {**(definitions.get("parameters") or {}), **(definitions.get("artifacts") or {})}
    for name, task in tasks.items():
        _check_task(spec, tasks, name, task, f"{path}.dag", component_inputs)
    _check_outputs(tasks, dag, f"{path}.dag")
    _check_acyclic(tasks, f"{path}.dag")


def _check_expansion(spec: dict) -> None:
    """No component DAG contains itself, nesting stays bounded, and the graph
    (each DAG drawn wherever it is used) stays drawable."""
    components = spec.get("components") or {}
    sizes: dict[str, tuple[int, int]] = {}  # component -> (nodes below it, DAG levels in it)
    active: list[str] = []

    def measure(name: str) -> tuple[int, int]:
        if name not in sizes:
            active.append(name)
            count, levels = 0, 0
            for task_name, task in (components[name].get("dag") or {}).get("tasks", {}).items():
                child = task["componentRef"]["name"]
                field = f"components.{name}.dag.tasks.{task_name}.componentRef.name"
                if child in active:
                    _fail(field, f"component {child!r} contains itself ("
                                 + " -> ".join(active[active.index(child):] + [child]) + ")")
                if len(active) > MAX_NESTING:  # before going deeper: the recursion stays bounded
                    _fail(field, f"pipelines nest deeper than {MAX_NESTING} levels")
                below, child_levels = measure(child)
                count, levels = count + 1 + below, max(levels, child_levels)
                if count > MAX_TASKS:
                    _fail(f"components.{name}", f"the pipeline expands to more than {MAX_TASKS} tasks")
                if len(active) + child_levels > MAX_NESTING:
                    _fail(field, f"pipelines nest deeper than {MAX_NESTING} levels")
            active.pop()
            sizes[name] = (count, levels + 1 if "dag" in components[name] else 0)
        return sizes[name]

    total = 0
    for task in (spec["root"].get("dag") or {}).get("tasks", {}).values():
        total += 1 + measure(task["componentRef"]["name"])[0]
        if total > MAX_TASKS:
            _fail("root.dag.tasks", f"the pipeline expands to more than {MAX_TASKS} tasks")


def validate_pipeline_spec(spec: dict) -> None:
    """Raise PipelineSpecError (naming the field) unless ``spec`` is a KFP v2
    PipelineSpec this platform can draw and run."""
    if not isinstance(spec, dict):
        raise PipelineSpecError("the pipeline is not a mapping (a KFP PipelineSpec)")
    version = spec.get("schemaVersion")
    if version is None:
        if "apiVersion" in spec or "kind" in spec:
            _fail("schemaVersion", "missing: this is a Kubernetes/Argo manifest (KFP v1 output), not KFP v2 IR; "
                                   "compile the pipeline with kfp 2.x")
        _fail("schemaVersion", "missing: KFP v2 pipeline files have schemaVersion 2.x")
    if not isinstance(version, str) or not _SCHEMA_VERSION.match(version):
        _fail("schemaVersion", f"unsupported version {version!r}; KFP v2 IR (2.x) is read")
    info = _mapping(spec.get("pipelineInfo"), "pipelineInfo")
    if not isinstance(info.get("name"), str) or not info["name"].strip():
        _fail("pipelineInfo.name", "is empty: a compiled pipeline names itself here "
                                   "(@dsl.pipeline(name=...) or the function's name)")
    root = spec.get("root")
    if not isinstance(root, dict) or not ("dag" in root or "executorLabel" in root):
        _fail("root", "missing: a PipelineSpec has a root with a dag (or an executorLabel)")
    deployment = _mapping(spec.get("deploymentSpec") or {}, "deploymentSpec")
    _mapping(deployment.get("executors") or {}, "deploymentSpec.executors")
    components = _mapping(spec.get("components") or {}, "components")
    _check_component(spec, "root", root)
    for name, component in components.items():
        _check_component(spec, f"components.{name}", component)
    _check_expansion(spec)
