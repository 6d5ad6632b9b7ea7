"""The task graph of a validated KFP v2 PipelineSpec (what the panel draws and
run progress colours) and the summary of what a pipeline uses. Imported
through ``ir``; it imports nothing of ``ir`` (no import circle)."""
from __future__ import annotations

import json
import re

from jupyter_easymaker.areas.pipelines.ir_params import artifact_type, parameter_type

EXIT_STRATEGY = "ALL_UPSTREAM_TASKS_COMPLETED"
# KFP's lightweight components: `sh -c <pip install> sh -ec <write "$0" to
# ephemeral_component.py, run executor_main> <function source> ...`
_LAUNCHER = re.compile(r"kfp\.(dsl|components)\.executor_main")
FEATURES = ("container", "python", "importer", "condition", "loop", "nested", "exit-handler", "retry", "caching",
            "artifacts")


def embedded_function(container: dict) -> str | None:
    """The Python source a lightweight component carries in its command, else None."""
    command = container.get("command") or []
    for index, part in enumerate(command[:-1]):
        if isinstance(part, str) and "ephemeral_component" in part and _LAUNCHER.search(part):
            source = command[index + 1]
            return source if isinstance(source, str) else None
    return None


def executor_kind(executor: dict) -> str | None:
    """"python", "container" or "importer"; None for executors this platform cannot run."""
    if isinstance(executor.get("importer"), dict):
        return "importer"
    if isinstance(executor.get("container"), dict):
        return "python" if embedded_function(executor["container"]) is not None else "container"
    return None


def task_upstream(task: dict) -> dict[str, str]:
    """Sibling task name -> "data" (an output of it is an input here) or "dependency"."""
    upstream = {name: "dependency" for name in task.get("dependentTasks") or [] if isinstance(name, str)}
    inputs = task.get("inputs") or {}
    for kind, key in (("parameters", "taskOutputParameter"), ("artifacts", "taskOutputArtifact")):
        for source in (inputs.get(kind) or {}).values():
            producer = ((source or {}).get(key) or {}).get("producerTask")
            if isinstance(producer, str):
                upstream[producer] = "data"
    for source in (inputs.get("parameters") or {}).values():
        # an exit task's PipelineTaskFinalStatus: it waits on that task, it takes none of its outputs
        producer = ((source or {}).get("taskFinalStatus") or {}).get("producerTask")
        if isinstance(producer, str):
            upstream.setdefault(producer, "dependency")
    return upstream


def task_order(tasks: dict) -> list[str]:
    """Task names upstream first, ties by name (a stable drawing order)."""
    upstream = {name: [u for u in task_upstream(task) if u in tasks and u != name] for name, task in tasks.items()}
    waiting = {name: len(set(deps)) for name, deps in upstream.items()}
    downstream: dict[str, list[str]] = {name: [] for name in tasks}
    for name, deps in upstream.items():
        for dep in set(deps):
            downstream[dep].append(name)
    ready = sorted(name for name, count in waiting.items() if count == 0)
    order = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for child in downstream[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
        ready.sort()
    return order + sorted(set(tasks) - set(order))  # a cycle (only in an unvalidated spec) still lists every task


def _definitions(component: dict, section: str) -> list[dict]:
    definitions = component.get(section) or {}
    entries = [{"name": name, "type": parameter_type(d), "kind": "parameter"}
               for name, d in (definitions.get("parameters") or {}).items()]
    entries += [{"name": name, "type": artifact_type(d), "kind": "artifact"}
                for name, d in (definitions.get("artifacts") or {}).items()]
    return entries


def _iterator(task: dict) -> dict | None:
    iterator = task.get("parameterIterator") or task.get("artifactIterator")
    if not iterator:
        return None
    items = iterator.get("items") or {}
    if "raw" in items:
        try:
            shown, source = json.loads(items["raw"]), "raw"
        except (TypeError, ValueError):
            shown, source = items["raw"], "raw"
    else:
        source = "artifact" if "artifactIterator" in task else "parameter"
        shown = items.get("inputArtifact") if source == "artifact" else items.get("inputParameter")
    limit = (task.get("iteratorPolicy") or {}).get("parallelismLimit")
    return {"items": shown, "source": source, "parallelism": limit if isinstance(limit, int) and limit > 0 else None}


def _retry(task: dict) -> dict | None:
    policy = task.get("retryPolicy")
    if not isinstance(policy, dict):
        return None
    return {"max_retry_count": int(policy.get("maxRetryCount") or 0), "backoff_duration": policy.get("backoffDuration"),
            "backoff_factor": policy.get("backoffFactor"), "backoff_max_duration": policy.get("backoffMaxDuration")}


def _node(spec: dict, node_id: str, name: str, parent: str | None, task: dict, component_name: str,
          exit_bodies: set[str]) -> dict:
    component = spec["components"][component_name] if component_name != "root" else spec["root"]
    executors = (spec.get("deploymentSpec") or {}).get("executors") or {}
    label = component.get("executorLabel")
    executor = executors.get(label) or {}
    container = executor.get("container") or {}
    trigger = task.get("triggerPolicy") or {}
    is_dag = "dag" in component
    control = None
    if task.get("parameterIterator") or task.get("artifactIterator"):
        control = "loop"
    elif trigger.get("condition"):
        control = "condition"
    elif is_dag and name in exit_bodies and name.startswith("exit-handler"):
        # KFP names dsl.ExitHandler groups exit-handler-N; the exit task's strategy alone also
        # marks .ignore_upstream_failure(), which may follow a nested pipeline
        control = "exit-handler"
    elif is_dag and (children := (component["dag"].get("tasks") or {})) and all(
            (child.get("triggerPolicy") or {}).get("condition") for child in children.values()):
        control = "condition"  # dsl.If/Elif/Else: a group of conditioned branches (condition-branches-N)
    return {
        "id": node_id, "name": (task.get("taskInfo") or {}).get("name") or name, "parent": parent,
        "kind": "dag" if is_dag else executor_kind(executor), "control": control,
        "condition": trigger.get("condition") or None, "iterator": _iterator(task),
        "exit_handler": trigger.get("strategy") == EXIT_STRATEGY, "component": component_name,
        "executor": None if is_dag else label, "image": container.get("image"),
        "command": list(container.get("command") or []), "args": list(container.get("args") or []),
        "function": embedded_function(container) if container else None,
        "inputs": _definitions(component, "inputDefinitions"), "outputs": _definitions(component, "outputDefinitions"),
        "retry": _retry(task), "cache": bool((task.get("cachingOptions") or {}).get("enableCache")),
    }


def _walk(spec: dict, dag: dict, parent: str | None, nodes: list, edges: list) -> None:
    tasks = dag.get("tasks") or {}
    exit_bodies = {dep for task in tasks.values() if (task.get("triggerPolicy") or {}).get("strategy") == EXIT_STRATEGY
                   for dep in task.get("dependentTasks") or []}
    for name in task_order(tasks):
        task = tasks[name]
        node_id = f"{parent}/{name}" if parent else name
        component_name = task["componentRef"]["name"]
        nodes.append(_node(spec, node_id, name, parent, task, component_name, exit_bodies))
        for source, kind in sorted(task_upstream(task).items()):
            edges.append({"source": f"{parent}/{source}" if parent else source, "target": node_id, "kind": kind})
        component = spec["components"][component_name]
        if "dag" in component:
            _walk(spec, component["dag"], node_id, nodes, edges)


def pipeline_graph(spec: dict) -> dict:
    """``{"nodes", "edges"}`` of a validated spec: one node per task of every DAG
    (ids are task paths from the root DAG joined with "/"), parents before their
    children; edges join sibling tasks."""
    nodes: list[dict] = []
    edges: list[dict] = []
    root = spec["root"]
    if "dag" in root:
        _walk(spec, root["dag"], None, nodes, edges)
    else:
        # a root that is itself one executor: the run is that single task
        name = spec["pipelineInfo"]["name"]
        nodes.append(_node(spec, "root", name, None, {"taskInfo": {"name": name}}, "root", set()))
    return {"nodes": nodes, "edges": edges}


def pipeline_summary(spec: dict) -> dict:
    """Name, versions, the number of tasks that run a program (DAG groups not
    counted) and the sorted features it uses (from FEATURES)."""
    nodes = pipeline_graph(spec)["nodes"]
    features = set()
    for node in nodes:
        if node["kind"] in ("container", "python", "importer"):
            features.add(node["kind"])
        if node["control"] in ("condition", "loop", "exit-handler"):
            features.add(node["control"])
        if node["kind"] == "dag" and node["control"] is None:
            features.add("nested")
        if node["retry"]:
            features.add("retry")
        if node["cache"]:
            features.add("caching")
        if any(entry["kind"] == "artifact" for entry in node["inputs"] + node["outputs"]):
            features.add("artifacts")
    root_inputs = (spec.get("root") or {}).get("inputDefinitions") or {}
    if root_inputs.get("artifacts"):
        features.add("artifacts")
    info = spec.get("pipelineInfo") or {}
    return {
        "pipeline_name": info.get("name"), "description": info.get("description") or "",
        "sdk_version": spec.get("sdkVersion"), "schema_version": spec.get("schemaVersion"),
        "task_count": sum(1 for node in nodes if node["kind"] != "dag"),
        "features": sorted(features),
    }
