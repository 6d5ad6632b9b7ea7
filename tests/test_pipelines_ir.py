"""Reading KFP v2 IR (areas/pipelines/ir.py) against every compiled pipeline
in the shared ``kfp-ir`` folder (KFP's own test data: current compilers, the
2.0.0 compiler, and KFP's invalid inputs), plus run parameters and the edge
cases no real file covers (two files in a zip, a cycle, an unknown task)."""
from __future__ import annotations

import copy
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
import yaml

from jupyter_easymaker.areas.pipelines import ir
from jupyter_easymaker.areas.pipelines.ir import (
    PipelineSpecError,
    RunParameterError,
    check_run_parameters,
    load_pipeline_file,
    pipeline_graph,
    pipeline_inputs,
    pipeline_summary,
    validate_pipeline_spec,
)
from jupyter_easymaker.areas.pipelines.ir_graph import FEATURES
from jupyter_easymaker.core.errors import DomainError, InvalidInput

SHARED = Path(os.environ.get("EASYMAKER_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
KFP_IR = SHARED / "kfp-ir"
MISSING = f"the compiled KFP pipelines are not here ({KFP_IR}); set EASYMAKER_SHARED_DATA to the shared data folder"
needs_data = pytest.mark.skipif(not KFP_IR.is_dir(), reason=MISSING)

EXPECTED_INVALID = {"empty_file.yaml", "invalid_yaml.yaml", "no_name.yaml", "invalid-zip.zip", "empty_zip.zip"}


def _files(folder: str) -> list:
    paths = sorted((KFP_IR / folder).glob("*")) if KFP_IR.is_dir() else []
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id=f"{folder}-missing")]
    return [pytest.param(path, id=f"{folder}/{path.name}") for path in paths]


def load(relative: str) -> ir.LoadedPipeline:
    if not KFP_IR.is_dir():
        pytest.skip(MISSING)
    path = KFP_IR / relative
    return load_pipeline_file(path.read_bytes(), path.name)


def nodes_by_id(spec: dict) -> dict:
    return {node["id"]: node for node in pipeline_graph(spec)["nodes"]}


def task_paths(spec: dict) -> list[str]:
    """Every task of every DAG, as a path from the root DAG (read straight from the spec)."""
    paths = []

    def walk(dag: dict, prefix: str) -> None:
        for name, task in dag["tasks"].items():
            path = f"{prefix}/{name}" if prefix else name
            paths.append(path)
            component = spec["components"][task["componentRef"]["name"]]
            if "dag" in component:
                walk(component["dag"], path)

    walk(spec["root"]["dag"], "")
    return paths


def spec_error(call, *args) -> PipelineSpecError:
    with pytest.raises(PipelineSpecError) as caught:
        call(*args)
    return caught.value


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# ---------------------------------------------------------------- every real file

@needs_data
def test_the_folder_holds_every_expected_file():
    """The parametrised tests below see the whole collection, not a part of it."""
    assert len(list((KFP_IR / "valid").glob("*.yaml"))) == 56
    assert {p.name for p in (KFP_IR / "valid").glob("*") if p.suffix != ".yaml"} == {
        "pipeline_with_importer.json", "arguments_parameters.zip"}
    assert len(list((KFP_IR / "legacy-2.0.0").glob("*.yaml"))) == 6
    assert {p.name for p in (KFP_IR / "invalid").glob("*")} == EXPECTED_INVALID


@pytest.mark.parametrize("path", _files("valid") + _files("legacy-2.0.0"))
def test_every_valid_pipeline_loads_validates_and_draws(path):
    loaded = load_pipeline_file(path.read_bytes(), path.name)
    spec = loaded.spec
    assert loaded.source_format == {".yaml": "yaml", ".json": "json", ".zip": "zip"}[path.suffix]
    validate_pipeline_spec(spec)
    if path.suffix == ".yaml":  # the compiler's header names the pipeline it wrote
        header = [line for line in path.read_text().splitlines()[:3] if line.startswith("# Name: ")]
        assert header == [f"# Name: {spec['pipelineInfo']['name']}"]
    # the canonical YAML reads back as the same spec
    assert [doc for doc in yaml.safe_load_all(loaded.yaml_text) if doc is not None] == [spec]
    assert loaded.yaml_text.startswith("# PIPELINE DEFINITION\n")

    graph = pipeline_graph(spec)
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert len(nodes) == len(graph["nodes"])
    assert sorted(nodes) == sorted(task_paths(spec))
    executors = spec["deploymentSpec"]["executors"]
    for node in graph["nodes"]:
        parent = node["parent"]
        assert node["id"] == (f"{parent}/{node['id'].rsplit('/', 1)[-1]}" if parent else node["id"].split("/")[0])
        if parent is not None:
            assert nodes[parent]["kind"] == "dag"
            assert graph["nodes"].index(nodes[parent]) < graph["nodes"].index(node)  # groups before members
        assert node["component"] in spec["components"]
        assert node["kind"] in ("python", "container", "importer", "dag")
        assert node["control"] in (None, "condition", "loop", "exit-handler")
        if node["kind"] == "dag":
            assert node["executor"] is None and node["image"] is None and node["function"] is None
            assert any(other["parent"] == node["id"] for other in graph["nodes"])
        else:
            assert node["executor"] in executors
        if node["kind"] == "python":
            assert "def " in node["function"] and node["image"]
            assert node["args"][node["args"].index("--function_to_execute") + 1] in node["function"]
        if node["kind"] == "container":
            assert node["image"] and node["function"] is None and (node["command"] or node["args"])
        if node["control"] == "loop":
            assert node["iterator"]["items"] is not None
    for edge in graph["edges"]:
        assert edge["kind"] in ("dependency", "data")
        assert nodes[edge["source"]]["parent"] == nodes[edge["target"]]["parent"]

    summary = pipeline_summary(spec)
    assert summary["pipeline_name"] == spec["pipelineInfo"]["name"]
    assert summary["sdk_version"] == spec["sdkVersion"] and summary["schema_version"] == "2.1.0"
    assert summary["task_count"] == sum(1 for node in graph["nodes"] if node["kind"] != "dag") >= 1
    assert summary["features"] == sorted(summary["features"]) and set(summary["features"]) <= set(FEATURES)
    assert ("python" in summary["features"]) == any(n["kind"] == "python" for n in graph["nodes"])

    declared = (spec["root"].get("inputDefinitions") or {}).get("parameters") or {}
    assert [entry["name"] for entry in pipeline_inputs(spec)] == list(declared)
    # a run that gives every required input a fitting value passes the check
    given = {entry["name"]: {"STRING": "x", "NUMBER_INTEGER": 1, "NUMBER_DOUBLE": 1.5, "BOOLEAN": True,
                             "LIST": [1], "STRUCT": {"k": "v"}}[entry["type"]]
             for entry in pipeline_inputs(spec) if not entry["optional"]}
    checked = check_run_parameters(spec, given)
    assert set(given) <= set(checked) <= set(declared)


@pytest.mark.parametrize("path", _files("invalid"))
def test_every_invalid_file_is_refused_with_a_named_problem(path):
    error = spec_error(load_pipeline_file, path.read_bytes(), path.name)
    assert isinstance(error, ValueError) and isinstance(error, DomainError)
    assert error.http_status == 400 and error.to_dict()["field"] == error.field
    assert str(error).startswith(error.field if error.field != "file" else path.name)


@needs_data
def test_invalid_files_say_what_is_wrong():
    empty = spec_error(load_pipeline_file, (KFP_IR / "invalid/empty_file.yaml").read_bytes(), "empty_file.yaml")
    assert empty.field == "file" and "empty_file.yaml" in str(empty) and "is empty" in str(empty)

    unresolved = spec_error(load_pipeline_file, (KFP_IR / "invalid/invalid_yaml.yaml").read_bytes(),
                            "invalid_yaml.yaml")
    assert unresolved.field == "root.dag.tasks.echo.componentRef.name"
    assert "'comp-echo' is not defined under components" in str(unresolved)
    assert "components_1" in str(unresolved)  # the hint points at the misspelt section

    nameless = spec_error(load_pipeline_file, (KFP_IR / "invalid/no_name.yaml").read_bytes(), "no_name.yaml")
    assert nameless.field == "pipelineInfo.name" and "is empty" in str(nameless)

    zipped = spec_error(load_pipeline_file, (KFP_IR / "invalid/invalid-zip.zip").read_bytes(), "invalid-zip.zip")
    assert zipped.field == "root.dag.tasks.echo.componentRef.name"
    assert "comp-echo" in str(zipped) and "invalid_yaml.yaml inside invalid-zip.zip" in str(zipped)

    not_zip = spec_error(load_pipeline_file, (KFP_IR / "invalid/empty_zip.zip").read_bytes(), "empty_zip.zip")
    assert not_zip.field == "file" and "is not a zip archive" in str(not_zip)


# ---------------------------------------------------------------- specific graphs

def test_flip_coin_draws_if_elif_else_as_condition_groups():
    spec = load("valid/flip_coin.yaml").spec
    nodes = nodes_by_id(spec)
    heads, tails = nodes["condition-1"], nodes["condition-4"]
    assert heads["kind"] == "dag" and heads["control"] == "condition" and heads["parent"] is None
    assert heads["condition"] == "inputs.parameter_values['pipelinechannel--flip-coin-Output'] == 'heads'"
    assert tails["condition"].endswith("== 'tails'")
    inner = nodes["condition-1/condition-2"]
    assert inner["parent"] == "condition-1" and inner["control"] == "condition"
    assert inner["condition"] == "int(inputs.parameter_values['pipelinechannel--random-num-Output']) > 5"
    assert nodes["condition-1/condition-2/print-msg"]["parent"] == "condition-1/condition-2"
    flip = nodes["flip-coin"]
    assert flip["kind"] == "python" and "def flip_coin() -> str:" in flip["function"]
    assert flip["image"] == "python:3.11" and flip["cache"] is False
    assert flip["outputs"] == [{"name": "Output", "type": "STRING", "kind": "parameter"}]
    edges = pipeline_graph(spec)["edges"]
    assert {"source": "flip-coin", "target": "condition-1", "kind": "data"} in edges
    assert {"source": "condition-1/random-num", "target": "condition-1/condition-2", "kind": "data"} in edges
    assert "condition" in pipeline_summary(spec)["features"]


def test_loops_carry_their_iterator():
    spec = load("valid/pipeline_with_loops.yaml").spec
    nodes = nodes_by_id(spec)
    loops = [node for node in nodes.values() if node["control"] == "loop"]
    assert {node["id"] for node in loops} == {"for-loop-1", "for-loop-2", "for-loop-4"}
    assert nodes["for-loop-1"]["iterator"] == {"items": "pipelinechannel--loop_parameter", "source": "parameter",
                                               "parallelism": None}
    assert nodes["for-loop-4"]["iterator"]["items"] == [{"A_a": "1", "B_b": "2"}, {"A_a": "10", "B_b": "20"}]
    assert nodes["for-loop-2/print-struct"]["parent"] == "for-loop-2"
    limited = nodes_by_id(load("valid/pipeline_with_parallelfor_parallelism.yaml").spec)
    assert limited["for-loop-1"]["iterator"]["parallelism"] == 2
    assert limited["for-loop-4/for-loop-6"]["iterator"]["parallelism"] == 1
    over_artifacts = nodes_by_id(load("valid/pipeline_with_parallelfor_list_artifacts_GH-12033.yaml").spec)
    assert over_artifacts["for-loop-1"]["iterator"]["source"] == "artifact"
    assert "loop" in pipeline_summary(spec)["features"]


@pytest.mark.parametrize("relative", ["valid/pipeline_with_exit_handler.yaml",
                                      "legacy-2.0.0/pipeline_with_exit_handler.yaml"])
def test_exit_handler_is_marked(relative):
    spec = load(relative).spec
    nodes = nodes_by_id(spec)
    assert nodes["print-op"]["exit_handler"] is True and nodes["print-op"]["kind"] == "python"
    body = nodes["exit-handler-1"]
    assert body["kind"] == "dag" and body["control"] == "exit-handler" and body["exit_handler"] is False
    assert {n["id"] for n in nodes.values() if n["parent"] == "exit-handler-1"} == {"exit-handler-1/fail-op",
                                                                                   "exit-handler-1/print-op-2"}
    assert {"source": "exit-handler-1", "target": "print-op", "kind": "dependency"} in pipeline_graph(spec)["edges"]
    assert "exit-handler" in pipeline_summary(spec)["features"]


def test_ignore_upstream_failure_is_not_an_exit_handler_group():
    nodes = nodes_by_id(load("valid/local_execution_pipeline_with_ignore_upstream_failure.yaml").spec)
    assert nodes["write-marker"]["exit_handler"] is True
    assert all(node["control"] is None for node in nodes.values())


@pytest.mark.parametrize("relative", ["valid/pipeline_in_pipeline.yaml", "legacy-2.0.0/pipeline_in_pipeline.yaml"])
def test_nested_pipeline_is_a_dag_with_children(relative):
    spec = load(relative).spec
    nodes = nodes_by_id(spec)
    inner = nodes["inner-pipeline"]
    assert inner["kind"] == "dag" and inner["control"] is None and inner["component"] == "comp-inner-pipeline"
    assert inner["inputs"] == [{"name": "msg", "type": "STRING", "kind": "parameter"}]
    children = {n["id"] for n in nodes.values() if n["parent"] == "inner-pipeline"}
    assert children == {"inner-pipeline/print-op1", "inner-pipeline/print-op2"}
    echo = nodes["inner-pipeline/print-op2"]
    assert echo["kind"] == "container" and echo["image"] == "alpine"
    assert echo["command"] == ["echo", "{{$.inputs.parameters['msg']}}"] and echo["function"] is None
    assert {"source": "inner-pipeline/print-op1", "target": "inner-pipeline/print-op2",
            "kind": "data"} in pipeline_graph(spec)["edges"]
    assert {"nested", "python", "container"} <= set(pipeline_summary(spec)["features"])
    assert pipeline_summary(spec)["task_count"] == 3


def test_complex_nesting_mixes_every_group_kind():
    nodes = nodes_by_id(load("valid/pipeline_in_pipeline_complex.yaml").spec)
    controls = {node["control"] for node in nodes.values() if node["kind"] == "dag"}
    assert {None, "loop", "condition"} <= controls
    assert max(node["id"].count("/") for node in nodes.values()) >= 2


@pytest.mark.parametrize("relative", ["valid/pipeline_with_importer.yaml", "valid/pipeline_with_importer.json"])
def test_importer_node(relative):
    loaded = load(relative)
    nodes = nodes_by_id(loaded.spec)
    importer = nodes["importer"]
    assert importer["kind"] == "importer" and importer["executor"] == "exec-importer"
    assert importer["image"] is None and importer["command"] == [] and importer["function"] is None
    assert importer["outputs"] == [{"name": "artifact", "type": "system.Dataset", "kind": "artifact"}]
    assert nodes["condition-1/importer-2"]["kind"] == "importer"
    assert nodes["train"]["inputs"] == [{"name": "dataset", "type": "system.Dataset", "kind": "artifact"}]
    assert {"importer", "artifacts", "condition"} <= set(pipeline_summary(loaded.spec)["features"])


def test_json_and_zip_forms_equal_their_yaml():
    as_json = load("valid/pipeline_with_importer.json")
    assert as_json.source_format == "json" and as_json.spec == load("valid/pipeline_with_importer.yaml").spec
    as_zip = load("valid/arguments_parameters.zip")
    as_yaml = load("valid/arguments_parameters.yaml").spec
    assert as_zip.source_format == "zip" and as_zip.spec.pop("sdkVersion") != as_yaml.pop("sdkVersion")
    assert as_zip.spec == as_yaml  # the zipped copy was compiled by another kfp release, same pipeline
    assert as_zip.platform_spec is None


def test_lightweight_and_container_components():
    python_nodes = nodes_by_id(load("valid/lightweight_python_functions_pipeline.yaml").spec)
    assert python_nodes and all(n["kind"] == "python" and "def " in n["function"] for n in python_nodes.values())
    assert "def preprocess(" in python_nodes["preprocess"]["function"]
    legacy = nodes_by_id(load("legacy-2.0.0/lightweight_python_functions_pipeline.yaml").spec)
    assert all("def " in n["function"] for n in legacy.values())  # kfp.components.executor_main era
    container = nodes_by_id(load("valid/container_io.yaml").spec)["container-io"]
    assert container["kind"] == "container"
    assert container["image"] == "registry.access.redhat.com/ubi9/python-311:latest"
    assert container["command"] == ["my_program", "{{$.inputs.parameters['text']}}"]
    assert container["args"] == ["--output_path", "{{$.outputs.parameters['output_path'].output_file}}"]
    hello = nodes_by_id(load("valid/hello_world.yaml").spec)
    assert [(n["kind"], n["command"], n["args"]) for n in hello.values()] == [("container", ["echo"], ["hello world"])]


def test_retry_cache_and_dependencies():
    retry = nodes_by_id(load("valid/pipeline_with_retry.yaml").spec)["add"]["retry"]
    assert retry == {"max_retry_count": 3, "backoff_duration": "0s", "backoff_factor": 2.0,
                     "backoff_max_duration": "3600s"}
    assert nodes_by_id(load("valid/pipeline_with_caching.yaml").spec)["add-one"]["cache"] is True
    after = pipeline_graph(load("valid/pipeline_with_after.yaml").spec)
    assert [n["id"] for n in after["nodes"]] == ["print-text", "print-text-2", "print-text-3"]  # upstream first
    assert {(e["source"], e["target"], e["kind"]) for e in after["edges"]} == {
        ("print-text", "print-text-2", "dependency"), ("print-text", "print-text-3", "dependency"),
        ("print-text-2", "print-text-3", "dependency")}
    assert pipeline_summary(load("valid/flip_coin.yaml").spec)["features"] == ["condition", "python"]


# ---------------------------------------------------------------- run parameters

def test_pipeline_inputs_describe_types_defaults_and_optionality():
    assert pipeline_inputs(load("valid/iris_pipeline_compiled.yaml").spec) == [
        {"name": "neighbors", "type": "NUMBER_INTEGER", "kind": "parameter", "default": 3, "optional": True,
         "description": ""},
        {"name": "standard_scaler", "type": "BOOLEAN", "kind": "parameter", "default": True, "optional": True,
         "description": ""}]
    by_name = {e["name"]: e for e in pipeline_inputs(load("valid/arguments_parameters.yaml").spec)}
    assert by_name["param1"]["default"] == "hello" and by_name["param1"]["optional"] is True  # default, no isOptional
    assert by_name["param2"]["default"] is None and by_name["param2"]["optional"] is False


def test_run_parameters_fill_defaults_and_cast():
    iris = load("valid/iris_pipeline_compiled.yaml").spec
    filled = check_run_parameters(iris, {})
    assert filled == {"neighbors": 3, "standard_scaler": True} and type(filled["neighbors"]) is int
    assert check_run_parameters(iris, {"neighbors": "7", "standard_scaler": "false"}) == {
        "neighbors": 7, "standard_scaler": False}
    add = load("valid/add_numbers.yaml").spec
    cast = check_run_parameters(add, {"a": 5.0, "b": "5"})
    assert cast == {"a": 5, "b": 5} and all(type(value) is int for value in cast.values())
    assert check_run_parameters(add, {"a": " -2 ", "b": "4.0"}) == {"a": -2, "b": 4}
    assert check_run_parameters(load("valid/pipeline_with_retry.yaml").spec, {"a": "2.5", "b": 3}) == {
        "a": 2.5, "b": 3.0}
    assert check_run_parameters(load("valid/pipeline_with_loops.yaml").spec, {"loop_parameter": '["x", "y"]'}) == {
        "loop_parameter": ["x", "y"]}
    structs = load("valid/dict_input.yaml").spec
    assert check_run_parameters(structs, {"struct": '{"k": 1}'}) == {"struct": {"k": 1}}
    assert check_run_parameters(structs, {"struct": {"k": 1}}) == {"struct": {"k": 1}}
    # the default is copied: changing one run's value leaves the pipeline's default alone
    loops = load("valid/pipeline_with_loops.yaml").spec
    check_run_parameters(loops, {})["loop_parameter"].append("changed")
    assert check_run_parameters(loops, None) == {"loop_parameter": ["a", "b"]}


@pytest.mark.parametrize("given, field, words", [
    ({"a": "five", "b": 1}, "parameters.a", "expected an integer"),
    ({"a": 5.5, "b": 1}, "parameters.a", "expected an integer"),
    ({"a": True, "b": 1}, "parameters.a", "expected an integer"),
    ({"a": 1, "b": [1]}, "parameters.b", "expected an integer"),
    ({"a": 1, "b": 2, "c": 3}, "parameters.c", "has no input 'c' (its inputs: a, b)"),
    ({"a": 1}, "parameters.b", "required"),
    ({"a": 1, "b": None}, "parameters.b", "required"),
])
def test_bad_run_parameters_name_the_field(given, field, words):
    spec = load("valid/add_numbers.yaml").spec
    with pytest.raises(RunParameterError) as caught:
        check_run_parameters(spec, given)
    error = caught.value
    assert isinstance(error, InvalidInput) and error.http_status == 400
    assert error.field == field and str(error).startswith(f"{field}: ") and words in str(error)
    assert error.to_dict()["field"] == field


@pytest.mark.parametrize("relative, given, field", [
    ("valid/concat_message.yaml", {"message1": 5, "message2": "x"}, "parameters.message1"),
    ("valid/pipeline_with_retry.yaml", {"a": "nan"}, "parameters.a"),
    ("valid/iris_pipeline_compiled.yaml", {"standard_scaler": "maybe"}, "parameters.standard_scaler"),
    ("valid/pipeline_with_loops.yaml", {"loop_parameter": '{"not": "a list"}'}, "parameters.loop_parameter"),
    ("valid/dict_input.yaml", {"struct": "[1]"}, "parameters.struct"),
])
def test_each_type_refuses_what_does_not_fit(relative, given, field):
    with pytest.raises(RunParameterError) as caught:
        check_run_parameters(load(relative).spec, given)
    assert caught.value.field == field


def test_parameters_must_be_an_object():
    with pytest.raises(RunParameterError) as caught:
        check_run_parameters(load("valid/add_numbers.yaml").spec, ["a", "b"])
    assert caught.value.field == "parameters"


# ---------------------------------------------------------------- edge cases

def test_zip_holding_two_pipeline_files_is_refused():
    text = (KFP_IR / "valid/hello_world.yaml").read_bytes() if KFP_IR.is_dir() else pytest.skip(MISSING)
    error = spec_error(load_pipeline_file, zip_bytes({"a.yaml": text, "nested/b.yml": text}), "two.zip")
    assert error.field == "file" and "holds 2 pipeline files (a.yaml, nested/b.yml)" in str(error)
    error = spec_error(load_pipeline_file, zip_bytes({"README.md": b"# nothing"}), "none.zip")
    assert "holds no .yaml, .yml or .json file" in str(error)


def test_zip_with_the_file_in_a_folder_and_archiver_litter_loads():
    text = (KFP_IR / "valid/hello_world.yaml").read_bytes() if KFP_IR.is_dir() else pytest.skip(MISSING)
    data = zip_bytes({"export/pipelines/hello.YAML": text, "__MACOSX/export/pipelines/._hello.YAML": b"\x00\x05",
                      "export/.hidden.yaml": b"junk: true", "export/notes.txt": b"x"})
    loaded = load_pipeline_file(data, "export.zip")
    assert loaded.source_format == "zip" and loaded.spec["pipelineInfo"]["name"] == "echo"


def test_cyclic_dag_is_refused():
    spec = copy.deepcopy(load("valid/pipeline_with_after.yaml").spec)
    tasks = spec["root"]["dag"]["tasks"]
    tasks["print-text-3"]["dependentTasks"] = ["print-text-2"]
    tasks["print-text"]["dependentTasks"] = ["print-text-3"]
    error = spec_error(validate_pipeline_spec, spec)
    assert error.field == "root.dag.tasks.print-text.dependentTasks"
    assert "cycle" in str(error) and "print-text -> print-text-2 -> print-text-3 -> print-text" in str(error)
    # the same through data: a task that consumes its own downstream's output
    spec = copy.deepcopy(load("valid/pipeline_in_pipeline.yaml").spec)
    inner = spec["components"]["comp-inner-pipeline"]["dag"]["tasks"]
    inner["print-op1"]["inputs"]["parameters"]["msg"] = {
        "taskOutputParameter": {"producerTask": "print-op2", "outputParameterKey": "Output"}}
    error = spec_error(validate_pipeline_spec, spec)
    assert error.field.startswith("components.comp-inner-pipeline.dag.tasks.") and "cycle" in str(error)


def test_unknown_task_names_are_refused():
    spec = copy.deepcopy(load("valid/pipeline_with_after.yaml").spec)
    spec["root"]["dag"]["tasks"]["print-text-2"]["dependentTasks"] = ["print-txt"]
    error = spec_error(validate_pipeline_spec, spec)
    assert error.field == "root.dag.tasks.print-text-2.dependentTasks"
    assert "'print-txt'" in str(error) and "print-text, print-text-3" in str(error)

    spec = copy.deepcopy(load("valid/flip_coin.yaml").spec)
    source = spec["root"]["dag"]["tasks"]["condition-1"]["inputs"]["parameters"]["pipelinechannel--flip-coin-Output"]
    source["taskOutputParameter"]["producerTask"] = "flip-a-coin"
    error = spec_error(validate_pipeline_spec, spec)
    assert error.field == ("root.dag.tasks.condition-1.inputs.parameters.pipelinechannel--flip-coin-Output"
                           ".taskOutputParameter.producerTask")

    spec = copy.deepcopy(load("valid/local_execution_pipeline_with_oneof.yaml").spec)
    selectors = spec["components"]["comp-condition-branches-1"]["dag"]["outputs"]["parameters"][
        "pipelinechannel--condition-branches-1-oneof-1"]["valueFromOneof"]["parameterSelectors"]
    selectors[1]["producerSubtask"] = "condition-9"
    error = spec_error(validate_pipeline_spec, spec)
    assert error.field.endswith("valueFromOneof.parameterSelectors.1.producerSubtask")


@pytest.mark.parametrize("edit, field, words", [
    (lambda s: s.update(schemaVersion="1.0.0"), "schemaVersion", "unsupported version"),
    (lambda s: s.pop("schemaVersion"), "schemaVersion", "missing"),
    (lambda s: s.pop("root"), "root", "missing"),
    (lambda s: s["pipelineInfo"].update(name="  "), "pipelineInfo.name", "is empty"),
    (lambda s: s["components"]["comp-echo"].update(executorLabel="exec-nothing"), "components.comp-echo.executorLabel",
     "'exec-nothing' is not defined"),
    (lambda s: s["deploymentSpec"]["executors"]["exec-echo"].update(container={"command": ["echo"]}),
     "deploymentSpec.executors.exec-echo.container.image", "missing"),
    (lambda s: s["deploymentSpec"]["executors"].update({"exec-echo": {"customJob": {}}}),
     "deploymentSpec.executors.exec-echo", "unsupported executor"),
    (lambda s: s["components"]["comp-echo"].update(
        inputDefinitions={"parameters": {"n": {"parameterType": "NUMBER"}}}),
     "components.comp-echo.inputDefinitions.parameters.n.parameterType", "unknown parameter type 'NUMBER'"),
    (lambda s: s["root"].update(inputDefinitions={"parameters": {"n": {"parameterType": "NUMBER_INTEGER",
                                                                        "defaultValue": "many"}}}),
     "root.inputDefinitions.parameters.n.defaultValue", "expected an integer"),
    (lambda s: s["root"]["dag"]["tasks"]["echo"].update(inputs={"parameters": {"x": {
        "componentInputParameter": "missing"}}}),
     "root.dag.tasks.echo.inputs.parameters.x.componentInputParameter", "not an input"),
    (lambda s: s["root"]["dag"]["tasks"]["echo"].update(parameterIterator={"items": {"raw": "[1,"}}),
     "root.dag.tasks.echo.parameterIterator.items.raw", "JSON text of a list"),
    (lambda s: s["root"]["dag"]["tasks"]["echo"].update(retryPolicy={"maxRetryCount": -1}),
     "root.dag.tasks.echo.retryPolicy.maxRetryCount", "0 or more"),
    (lambda s: s["root"]["dag"].update(tasks={}), "root.dag.tasks", "no tasks"),
])
def test_spec_problems_name_their_field(edit, field, words):
    spec = copy.deepcopy(load("valid/hello_world.yaml").spec)
    edit(spec)
    error = spec_error(validate_pipeline_spec, spec)
    assert error.field == field and words in str(error)


def test_a_component_containing_itself_is_refused():
    spec = copy.deepcopy(load("valid/pipeline_in_pipeline.yaml").spec)
    spec["components"]["comp-inner-pipeline"]["dag"]["tasks"]["print-op2"]["componentRef"]["name"] = \
        "comp-inner-pipeline"
    error = spec_error(validate_pipeline_spec, spec)
    assert error.field == "components.comp-inner-pipeline.dag.tasks.print-op2.componentRef.name"
    assert "contains itself" in str(error)


def test_a_pipeline_that_expands_too_far_is_refused():
    """Each level uses the one below twice: 2**20 tasks from 20 small components."""
    spec = copy.deepcopy(load("valid/hello_world.yaml").spec)
    for level in range(20):
        below = "comp-echo" if level == 0 else f"comp-level-{level - 1}"
        spec["components"][f"comp-level-{level}"] = {"dag": {"tasks": {
            "a": {"componentRef": {"name": below}, "taskInfo": {"name": "a"}},
            "b": {"componentRef": {"name": below}, "taskInfo": {"name": "b"}}}}}
    spec["root"]["dag"]["tasks"]["echo"]["componentRef"]["name"] = "comp-level-19"
    error = spec_error(validate_pipeline_spec, spec)
    assert f"more than {ir.MAX_TASKS} tasks" in str(error)


def test_file_level_problems():
    hello = (KFP_IR / "valid/hello_world.yaml").read_bytes() if KFP_IR.is_dir() else pytest.skip(MISSING)
    assert "is not a pipeline file" in str(spec_error(load_pipeline_file, hello, "hello.txt"))
    assert "larger than 20 MB" in str(spec_error(load_pipeline_file, b"#" * (ir.MAX_FILE_BYTES + 1), "big.yaml"))
    assert "is empty" in str(spec_error(load_pipeline_file, b"  \n", "blank.json"))
    broken = spec_error(load_pipeline_file, b"a: [1, 2\nb: 3\n", "broken.yaml")
    assert "is not valid YAML" in str(broken) and "line " in str(broken)
    assert "is not valid JSON" in str(spec_error(load_pipeline_file, b'{"a": ', "broken.json"))
    assert "not UTF-8" in str(spec_error(load_pipeline_file, b"\xff\xfe\x00a", "latin.yaml"))
    three = hello + b"\n---\nplatforms: {}\n---\nmore: 1\n"
    assert "holds 3 YAML documents" in str(spec_error(load_pipeline_file, three, "three.yaml"))
    assert "not a platform spec" in str(spec_error(load_pipeline_file, hello + b"\n---\n- 1\n", "odd.yaml"))
    assert "top level is a list" in str(spec_error(load_pipeline_file, b"- 1\n- 2\n", "list.yaml"))
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n".encode()
        for i in range(12))
    assert "expands far beyond its size" in str(spec_error(load_pipeline_file, bomb, "bomb.yaml"))
    argo = b"apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\n"
    assert "Argo manifest" in str(spec_error(load_pipeline_file, argo, "v1.yaml"))
    nan = hello.replace(b"- hello world", b"- .nan")
    assert "JSON cannot represent" in str(spec_error(load_pipeline_file, nan, "nan.yaml"))


def test_platform_spec_dates_and_pipeline_job_json():
    hello = (KFP_IR / "valid/hello_world.yaml").read_bytes() if KFP_IR.is_dir() else pytest.skip(MISSING)
    platform = b"---\nplatforms:\n  kubernetes:\n    deploymentSpec:\n      executors: {}\n"
    loaded = load_pipeline_file(hello + platform, "with-platform.yml")
    assert loaded.source_format == "yaml"
    assert loaded.platform_spec == {"platforms": {"kubernetes": {"deploymentSpec": {"executors": {}}}}}
    assert list(yaml.safe_load_all(loaded.yaml_text)) == [loaded.spec, loaded.platform_spec]
    # YAML 1.1 would read a bare date as a datetime; a PipelineSpec is JSON, so it stays text
    dated = load_pipeline_file(hello.replace(b"- hello world", b"- 2024-01-01"), "dated.yaml")
    assert dated.spec["deploymentSpec"]["executors"]["exec-echo"]["container"]["args"] == ["2024-01-01"]
    assert json.loads(json.dumps(dated.spec)) == dated.spec
    job = json.dumps({"displayName": "x", "pipelineSpec": yaml.safe_load(hello), "runtimeConfig": {}}).encode()
    assert load_pipeline_file(job, "job.json").spec == yaml.safe_load(hello)


def test_a_root_that_is_one_executor_is_one_node():
    spec = copy.deepcopy(load("valid/hello_world.yaml").spec)
    spec["root"] = {"executorLabel": "exec-echo"}
    validate_pipeline_spec(spec)
    (node,) = pipeline_graph(spec)["nodes"]
    assert (node["id"], node["name"], node["kind"], node["command"]) == ("root", "echo", "container", ["echo"])
    assert pipeline_summary(spec)["task_count"] == 1
