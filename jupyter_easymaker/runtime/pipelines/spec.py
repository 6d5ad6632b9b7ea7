"""Reading a compiled pipeline (the KFP v2 PipelineSpec dict): its components,
executors and DAG tasks, the kinds of tasks, and values as the IR types them."""
from __future__ import annotations

import json
from typing import Any

# a task with this strategy runs once its upstream tasks ended, whatever their end
# (dsl.ExitHandler's exit task, .ignore_upstream_failure())
ALL_UPSTREAM = "ALL_UPSTREAM_TASKS_COMPLETED"
# the task id of a pipeline compiled from one component (its root is an executor)
ROOT_TASK = "root"
_ROOT_COMPONENT = "__root__"


class SpecError(ValueError):
    """The spec asks for something this executor cannot do (the task fails with it)."""


class PipelineSpec:
    def __init__(self, spec: dict[str, Any]):
        self.raw = spec
        self.name = str((spec.get("pipelineInfo") or {}).get("name") or "pipeline")
        self.components: dict[str, Any] = dict(spec.get("components") or {})
        self.executors: dict[str, Any] = (spec.get("deploymentSpec") or {}).get("executors") or {}
        root = spec.get("root") or {}
        self.root_inputs: dict[str, Any] = root.get("inputDefinitions") or {}
        if "dag" in root:
            self.root: dict[str, Any] = root
        else:
            # a component compiled on its own: a DAG of that one task, whose outputs are the run's
            self.components[_ROOT_COMPONENT] = root
            self.root = {"inputDefinitions": self.root_inputs, "dag": _single_task_dag(self.name, root)}

    def component(self, task: dict[str, Any]) -> dict[str, Any]:
        name = (task.get("componentRef") or {}).get("name")
        if name not in self.components:
            raise SpecError(f"component {name!r} is not in the spec")
        return self.components[name]

    def executor(self, component: dict[str, Any]) -> dict[str, Any]:
        label = component.get("executorLabel")
        if label not in self.executors:
            raise SpecError(f"executor {label!r} is not in deploymentSpec.executors")
        return self.executors[label]

    def root_parameters(self, given: dict[str, Any]) -> dict[str, Any]:
        """The run's parameters, typed, with the pipeline's defaults for those not given."""
        definitions = self.root_inputs.get("parameters") or {}
        values = {name: cast(value, (definitions.get(name) or {}).get("parameterType")) for name, value in given.items()}
        for name, definition in definitions.items():
            if name not in values and "defaultValue" in definition:
                values[name] = cast(definition["defaultValue"], definition.get("parameterType"))
        return values


def _single_task_dag(name: str, component: dict[str, Any]) -> dict[str, Any]:
    inputs = component.get("inputDefinitions") or {}
    outputs = component.get("outputDefinitions") or {}
    task = {
        "taskInfo": {"name": name}, "componentRef": {"name": _ROOT_COMPONENT},
        "inputs": {"parameters": {p: {"componentInputParameter": p} for p in inputs.get("parameters") or {}},
                   "artifacts": {a: {"componentInputArtifact": a} for a in inputs.get("artifacts") or {}}},
    }
    return {"tasks": {ROOT_TASK: task}, "outputs": {
        "parameters": {p: {"valueFromParameter": {"producerSubtask": ROOT_TASK, "outputParameterKey": p}}
                       for p in outputs.get("parameters") or {}},
        "artifacts": {a: {"artifactSelectors": [{"producerSubtask": ROOT_TASK, "outputArtifactKey": a}]}
                      for a in outputs.get("artifacts") or {}}}}


def upstream(task: dict[str, Any]) -> set[str]:
    """The sibling tasks this one waits for: its dependencies and the producers of its inputs."""
    names = set(task.get("dependentTasks") or [])
    inputs = task.get("inputs") or {}
    for source in (inputs.get("parameters") or {}).values():
        for key in ("taskOutputParameter", "taskFinalStatus"):
            if isinstance(source.get(key), dict) and source[key].get("producerTask"):
                names.add(source[key]["producerTask"])
    for source in (inputs.get("artifacts") or {}).values():
        if isinstance(source.get("taskOutputArtifact"), dict) and source["taskOutputArtifact"].get("producerTask"):
            names.add(source["taskOutputArtifact"]["producerTask"])
    return names


def is_loop(task: dict[str, Any]) -> bool:
    return "parameterIterator" in task or "artifactIterator" in task


def trigger(task: dict[str, Any]) -> tuple[str | None, bool]:
    """(the condition or None, whether the task runs whatever its upstream tasks' end)."""
    policy = task.get("triggerPolicy") or {}
    return policy.get("condition") or None, policy.get("strategy") == ALL_UPSTREAM


def parameter_types(component: dict[str, Any], section: str = "inputDefinitions") -> dict[str, str | None]:
    return {name: (d or {}).get("parameterType")
            for name, d in ((component.get(section) or {}).get("parameters") or {}).items()}


def artifact_type(definition: dict[str, Any]) -> dict[str, str]:
    kind = (definition or {}).get("artifactType") or {}
    return {"schemaTitle": kind.get("schemaTitle") or "system.Artifact", "schemaVersion": kind.get("schemaVersion") or "0.0.1"}


def cast(value: Any, parameter_type: str | None) -> Any:
    """A value as its declared type: YAML and JSON protobuf values carry every number
    as a float, and a parameter may arrive as text."""
    if value is None:
        return None
    if parameter_type == "NUMBER_INTEGER":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text)
            except ValueError:
                number = float(text)
                return int(number) if number.is_integer() else number
        return value
    if parameter_type == "NUMBER_DOUBLE":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
        return value
    if parameter_type == "BOOLEAN" and isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
        return value
    if parameter_type in ("LIST", "STRUCT") and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if parameter_type == "STRING" and not isinstance(value, str):
        # a loop item or a struct field handed to a string input is its JSON text
        return json.dumps(value) if isinstance(value, (dict, list)) else _text(value)
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_output(text: str, parameter_type: str | None) -> Any:
    """An output parameter a task wrote to its file, as its declared type."""
    if parameter_type in (None, "STRING"):
        return text
    stripped = text.strip()
    if parameter_type in ("LIST", "STRUCT"):
        return json.loads(stripped)
    if parameter_type == "BOOLEAN":
        lowered = stripped.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise ValueError(f"{stripped!r} is not a boolean")
    return cast(stripped, parameter_type)
