"""What a task gets, the way KFP's driver and launcher give it: its input
parameters and artifacts from the enclosing DAG and its siblings, the executor
input document, and the ``{{$...}}`` placeholders (with the IfPresent / Concat
forms) of its command, arguments and environment."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from jupyter_easymaker.runtime.pipelines.spec import SpecError, artifact_type, cast, parameter_types

_PLACEHOLDER = re.compile(r"\{\{\$(.*?)\}\}")
_IO_PLACEHOLDER = re.compile(
    r"""^\.(?P<side>inputs|outputs)\.(?P<kind>parameters|artifacts)\[['"](?P<name>[^'"]+)['"]\](?P<rest>.*)$""")
_SELECTOR = re.compile(r"""^parseJson\(string_value\)\[["'](?P<key>[^"']+)["']\]$""")
# kfp 2.0 betas ran their executor from kfp.components, which kfp 2.1 moved to kfp.dsl
_OLD_EXECUTOR = "kfp.components.executor_main"
_NEW_EXECUTOR = "kfp.dsl.executor_main"
_PIP_PACKAGE = re.compile(r"'([A-Za-z0-9_.\-\[\]]+(?:[=<>!~]=?[^' ;]+)?)(?:;[^']*)?'")


@dataclass
class Outcome:
    """A task's end as its siblings and its DAG see it."""
    state: str  # SUCCEEDED, CACHED, SKIPPED, FAILED, CANCELED
    parameters: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    error: str | None = None
    upstream_failed: bool = False  # SKIPPED because a task before it failed

    @property
    def failed(self) -> bool:
        """Whether this task's end fails the run (a skip for a failed upstream repeats that failure)."""
        return self.state in ("FAILED", "CANCELED") or self.upstream_failed


@dataclass
class Inputs:
    parameters: dict[str, Any]
    artifacts: dict[str, list[dict[str, Any]]]


def task_inputs(task: dict[str, Any], component: dict[str, Any], parameters: dict[str, Any],
                artifacts: dict[str, list[dict[str, Any]]], siblings: dict[str, Outcome], run_name: str,
                per_iteration: str | None = None) -> Inputs:
    """A task's inputs: from the enclosing DAG's inputs, its siblings' outputs, constants
    (whose ``{{$.inputs.parameters[...]}}`` name other inputs: f-strings) and the
    final status of a task (exit handlers); defaults and types from its component.
    `per_iteration`: a loop's item input, given to each iteration later."""
    specs = task.get("inputs") or {}
    values: dict[str, Any] = {}
    templates: dict[str, str] = {}
    for name, source in (specs.get("parameters") or {}).items():
        if "componentInputParameter" in source:
            key = source["componentInputParameter"]
            if key not in parameters:
                continue  # an optional input of the DAG nobody gave
            value = parameters[key]
        elif "taskOutputParameter" in source:
            ref = source["taskOutputParameter"]
            produced = siblings.get(ref.get("producerTask"))
            if produced is None or ref.get("outputParameterKey") not in produced.parameters:
                continue  # its producer was skipped: a required input then fails below
            value = produced.parameters[ref["outputParameterKey"]]
        elif "runtimeValue" in source:
            value = (source["runtimeValue"] or {}).get("constant")
            if isinstance(value, str) and "{{$" in value:
                templates[name] = value
                continue
        elif "taskFinalStatus" in source:
            producer = source["taskFinalStatus"].get("producerTask")
            value = final_status(siblings.get(producer), producer, run_name)
        else:
            raise SpecError(f"input parameter {name!r} has a source this executor does not know: {sorted(source)}")
        selector = source.get("parameterExpressionSelector")
        values[name] = select(value, selector) if selector else value
    for name, template in templates.items():
        values[name] = _PLACEHOLDER.sub(lambda m, t=template: _own_input(m.group(1), values, t), template)

    types = parameter_types(component)
    definitions = (component.get("inputDefinitions") or {}).get("parameters") or {}
    for name, definition in definitions.items():
        if name not in values and "defaultValue" in definition:
            values[name] = definition["defaultValue"]
    typed: dict[str, Any] = {}
    for name, value in values.items():
        try:
            typed[name] = cast(value, types.get(name))
        except (TypeError, ValueError):
            raise SpecError(f"input {name!r}: {value!r} is not a {types.get(name)}") from None
    for name, definition in definitions.items():
        if name not in typed and not definition.get("isOptional") and name != per_iteration:
            raise SpecError(f"the required input {name!r} has no value (its producer did not run or wrote none)")

    found: dict[str, list[dict[str, Any]]] = {}
    for name, source in (specs.get("artifacts") or {}).items():
        if "componentInputArtifact" in source:
            items = artifacts.get(source["componentInputArtifact"])
        elif "taskOutputArtifact" in source:
            ref = source["taskOutputArtifact"]
            produced = siblings.get(ref.get("producerTask"))
            items = produced.artifacts.get(ref.get("outputArtifactKey")) if produced else None
        else:
            raise SpecError(f"input artifact {name!r} has a source this executor does not know: {sorted(source)}")
        if items:
            found[name] = list(items)
    for name, definition in ((component.get("inputDefinitions") or {}).get("artifacts") or {}).items():
        if (name not in found and not definition.get("isOptional") and not definition.get("isArtifactList")
                and name != per_iteration):
            raise SpecError(f"the required input artifact {name!r} has no value (its producer did not run)")
    return Inputs(typed, found)


def _own_input(body: str, values: dict[str, Any], template: str) -> str:
    match = _IO_PLACEHOLDER.match(body)
    if not match or match["side"] != "inputs" or match["kind"] != "parameters" or match["rest"]:
        raise SpecError(f"the constant {template!r} uses {{{{${body}}}}}, which names no input parameter")
    if match["name"] not in values:
        raise SpecError(f"the constant {template!r} names the input {match['name']!r}, which has no value")
    return as_text(values[match["name"]])


def final_status(outcome: Outcome | None, producer: str, run_name: str) -> dict[str, Any]:
    """``PipelineTaskFinalStatus`` as KFP's executor reads it."""
    state = "SUCCEEDED" if outcome is None or not outcome.failed else ("CANCELED" if outcome.state == "CANCELED" else "FAILED")
    error = {"code": 1, "message": outcome.error or f"task {producer} failed"} if outcome and outcome.failed else {}
    return {"state": state, "pipelineJobResourceName": run_name, "pipelineTaskName": producer, "error": error}


def select(value: Any, selector: str) -> Any:
    """``parameterExpressionSelector``: a field of a struct (a loop item's sub-variable)."""
    match = _SELECTOR.match(selector.strip())
    if not match:
        raise SpecError(f"the parameter expression selector {selector!r} is not supported")
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict) or match["key"] not in value:
        raise SpecError(f"{value!r} has no field {match['key']!r} ({selector})")
    return value[match["key"]]


def as_text(value: Any) -> str:
    """A value inside a command line or a string: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


# -- the executor input and the command line ------------------------------------------
@dataclass
class Layout:
    """Where one attempt of a task writes: its folder, parameter files and artifacts."""
    work_dir: str
    parameter_files: dict[str, str]
    artifacts: dict[str, list[dict[str, Any]]]
    output_file: str


def layout(component: dict[str, Any], work_dir: str) -> Layout:
    outputs = component.get("outputDefinitions") or {}
    parameter_files = {name: os.path.join(work_dir, "parameters", name) for name in outputs.get("parameters") or {}}
    artifacts = {name: [{"name": name, "type": artifact_type(definition), "uri": os.path.join(work_dir, "outputs", name),
                         "metadata": {}}]
                 for name, definition in (outputs.get("artifacts") or {}).items()}
    return Layout(work_dir, parameter_files, artifacts, os.path.join(work_dir, "executor_output.json"))


def executor_input(inputs: Inputs, where: Layout) -> dict[str, Any]:
    document: dict[str, Any] = {"inputs": {}, "outputs": {"outputFile": where.output_file}}
    if inputs.parameters:
        document["inputs"]["parameterValues"] = inputs.parameters
    if inputs.artifacts:
        document["inputs"]["artifacts"] = {name: {"artifacts": items} for name, items in inputs.artifacts.items()}
    if where.parameter_files:
        document["outputs"]["parameters"] = {name: {"outputFile": path} for name, path in where.parameter_files.items()}
    if where.artifacts:
        document["outputs"]["artifacts"] = {name: {"artifacts": items} for name, items in where.artifacts.items()}
    return document


@dataclass
class Context:
    """What the placeholders of one task attempt stand for."""
    document: dict[str, Any]
    run_name: str
    job_id: str
    task_name: str
    task_id: str
    run_dir: str
    created_at: str
    _json: str | None = None

    def executor_input_json(self) -> str:
        if self._json is None:
            self._json = json.dumps(self.document)
        return self._json


def _artifact_field(items: list[dict[str, Any]], rest: str, body: str) -> str:
    if not rest:
        return json.dumps(items)  # a list of artifacts (dsl.Collected): all of them, as JSON
    if not items:
        return ""
    item = items[0]
    if rest in (".path", ".uri"):
        return str(item.get("uri") or "")
    if rest == ".metadata":
        return json.dumps(item.get("metadata") or {})
    match = re.match(r"""^\.metadata\[['"]([^'"]+)['"]\]$""", rest)
    if match:
        return as_text((item.get("metadata") or {}).get(match.group(1)))
    raise SpecError(f"the placeholder {{{{${body}}}}} is not supported")


def _value(body: str, ctx: Context) -> str:
    document = ctx.document
    constants = {
        "": ctx.executor_input_json, ".outputs.output_file": lambda: document["outputs"]["outputFile"],
        ".outputMetadataUri": lambda: document["outputs"]["outputFile"],
        ".pipeline_job_name": lambda: ctx.run_name, ".pipeline_job_resource_name": lambda: ctx.run_name,
        ".pipeline_job_uuid": lambda: ctx.job_id, ".pipeline_task_name": lambda: ctx.task_name,
        ".pipeline_task_uuid": lambda: ctx.task_id, ".pipeline_root": lambda: ctx.run_dir,
        ".pipeline_job_create_time_utc": lambda: ctx.created_at,
        ".pipeline_job_schedule_time_utc": lambda: ctx.created_at,
        ".workspace_path": lambda: _workspace(ctx.run_dir),
    }
    if body in constants:
        return constants[body]()
    match = _IO_PLACEHOLDER.match(body)
    if not match:
        raise SpecError(f"the placeholder {{{{${body}}}}} is not supported")
    side, kind, name, rest = match["side"], match["kind"], match["name"], match["rest"]
    if side == "inputs" and kind == "parameters" and not rest:
        return as_text(document["inputs"].get("parameterValues", {}).get(name))
    if side == "outputs" and kind == "parameters" and rest == ".output_file":
        return str(document["outputs"].get("parameters", {}).get(name, {}).get("outputFile", ""))
    if kind == "artifacts":
        entry = document[side].get("artifacts", {}).get(name) or {}
        return _artifact_field(entry.get("artifacts") or [], rest, body)
    raise SpecError(f"the placeholder {{{{${body}}}}} is not supported")


def _workspace(run_dir: str) -> str:
    path = os.path.join(run_dir, "workspace")
    os.makedirs(path, exist_ok=True)
    return path


def substitute(text: str, ctx: Context) -> str:
    return _PLACEHOLDER.sub(lambda m: _value(m.group(1), ctx), text)


def _provided(ctx: Context, name: str) -> bool:
    inputs = ctx.document["inputs"]
    return (inputs.get("parameterValues") or {}).get(name) is not None or bool((inputs.get("artifacts") or {}).get(name))


def _structured(item: Any, ctx: Context) -> list[str]:
    """KFP's IfPresent / Concat forms (JSON text in the IR), resolved to arguments."""
    if isinstance(item, str):
        return [substitute(item, ctx)]
    if isinstance(item, list):
        return [piece for part in item for piece in _structured(part, ctx)]
    if isinstance(item, dict) and "Concat" in item:
        return ["".join(piece for part in item["Concat"] for piece in _structured(part, ctx))]
    if isinstance(item, dict) and "IfPresent" in item:
        spec = item["IfPresent"]
        branch = spec.get("Then") if _provided(ctx, spec.get("InputName", "")) else spec.get("Else")
        return [] if branch is None else _structured(branch, ctx)
    raise SpecError(f"the command element {item!r} is not supported")


def command_line(command: list[Any], args: list[Any], ctx: Context) -> list[str]:
    out: list[str] = []
    for item in list(command) + list(args):
        if isinstance(item, str) and item.startswith(('{"Concat"', '{"IfPresent"')):
            try:
                item = json.loads(item)
            except ValueError:
                pass
        out.extend(_structured(item, ctx))
    return out


def local_command(command: list[Any]) -> tuple[list[Any], list[str]]:
    """A lightweight Python component's command without KFP's ``sh -c <pip install>``
    prefix (kfp is in this environment already: no pip per task), and notes for the
    task's log: the packages the component asked for, which must be here too."""
    command = list(command)
    notes: list[str] = []
    if (len(command) > 3 and os.path.basename(str(command[0])) in ("sh", "bash") and command[1] == "-c"
            and isinstance(command[2], str) and "pip install" in command[2] and '"$0" "$@"' in command[2]):
        packages = [p for p in _PIP_PACKAGE.findall(command[2])
                    if not p.startswith(("kfp==", "kfp>", "kfp<", "--", "typing-extensions"))]
        if packages:
            notes.append("packages_to_install is not installed per task; this environment provides: "
                         + ", ".join(packages))
        command = command[3:]
    command = [part.replace(_OLD_EXECUTOR, _NEW_EXECUTOR) if isinstance(part, str) and _OLD_EXECUTOR in part else part
               for part in command]
    return command, notes
