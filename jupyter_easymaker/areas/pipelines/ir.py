"""Reading an uploaded Kubeflow Pipelines v2 pipeline: the IR a KFP compiler
writes (a PipelineSpec), as YAML, JSON or a zip holding one of those. This is
the module to import: it also offers the checks (``ir_validate``), the graph
(``ir_graph``) and the run parameters (``ir_params``). Standard library and
PyYAML only: the server never imports kfp."""
from __future__ import annotations

import io
import json
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from jupyter_easymaker.areas.pipelines.ir_graph import pipeline_graph, pipeline_summary
from jupyter_easymaker.areas.pipelines.ir_params import RunParameterError, check_run_parameters, pipeline_inputs
from jupyter_easymaker.areas.pipelines.ir_validate import MAX_TASKS, PipelineSpecError, validate_pipeline_spec

__all__ = [
    "MAX_FILE_BYTES", "MAX_TASKS", "LoadedPipeline", "PipelineSpecError", "RunParameterError", "canonical_yaml",
    "check_run_parameters", "load_pipeline_file", "pipeline_graph", "pipeline_inputs", "pipeline_summary",
    "validate_pipeline_spec",
]

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 200  # nesting of the document itself
PIPELINE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class LoadedPipeline:
    spec: dict  # the PipelineSpec
    platform_spec: dict | None  # the second YAML document (`platforms:`), if any
    source_format: str  # "yaml" | "json" | "zip"
    yaml_text: str  # canonical YAML of spec (+ platform spec as a 2nd document)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loading without YAML 1.1 timestamps: a PipelineSpec is JSON, where
    2024-01-01 is a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _plain(value: Any, where: str, size: int) -> Any:
    """``value`` checked to be JSON data, with YAML aliases turned into copies.
    The walk counts visits, so an alias bomb (a few bytes that expand to
    billions of nodes) stops early: a document without aliases has fewer
    nodes than bytes."""
    budget = size + 1000
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        budget -= 1
        if budget < 0:
            raise PipelineSpecError(f"{where}: expands far beyond its size (YAML aliases); refusing to read it")
        if depth > MAX_DEPTH:
            raise PipelineSpecError(f"{where}: nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise PipelineSpecError(f"{where}: has the key {key!r}, which is not a string "
                                            "(a PipelineSpec is JSON; quote such keys in YAML)")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise PipelineSpecError(f"{where}: holds {item!r}, which JSON cannot represent")
        elif item is not None and not isinstance(item, (str, bool, int, float)):
            raise PipelineSpecError(f"{where}: holds a {type(item).__name__} value, which JSON cannot represent")
    return json.loads(json.dumps(value))


def _parse(data: bytes, where: str, fmt: str) -> tuple[dict, dict | None]:
    """The spec and the platform spec of one YAML or JSON file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PipelineSpecError(f"{where}: is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise PipelineSpecError(f"{where}: is empty")
    if fmt == "json":
        try:
            documents = [json.loads(text)]
        except json.JSONDecodeError as exc:
            raise PipelineSpecError(f"{where}: is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") \
                from None
        except RecursionError:
            raise PipelineSpecError(f"{where}: nests too deep") from None
        if isinstance(documents[0], dict) and "root" not in documents[0] and isinstance(
                documents[0].get("pipelineSpec"), dict):
            documents = [documents[0]["pipelineSpec"]]  # a PipelineJob (older KFP v2 .json): its spec
    else:
        try:
            documents = [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise PipelineSpecError(f"{where}: is not valid YAML: {exc.problem or exc.context}{at}") from None
        except yaml.YAMLError as exc:
            raise PipelineSpecError(f"{where}: is not valid YAML: {exc}") from None
        except RecursionError:
            raise PipelineSpecError(f"{where}: nests too deep") from None
        if not documents:
            raise PipelineSpecError(f"{where}: is empty: it holds no YAML document, only comments or blank lines")
        if len(documents) > 2:
            raise PipelineSpecError(f"{where}: holds {len(documents)} YAML documents; a pipeline file holds the "
                                    "PipelineSpec and at most a platform spec")
    spec = _plain(documents[0], where, len(data))
    if not isinstance(spec, dict):
        raise PipelineSpecError(f"{where}: does not hold a PipelineSpec (its top level is a "
                                f"{type(spec).__name__}, not a mapping)")
    platform = _plain(documents[1], where, len(data)) if len(documents) > 1 else None
    if platform is not None and not (isinstance(platform, dict) and "platforms" in platform):
        raise PipelineSpecError(f"{where}: its second YAML document is not a platform spec (platforms: ...)")
    return spec, platform


def _pipeline_member(name: str) -> bool:
    path = PurePosixPath(name)
    # macOS archivers add __MACOSX/._x.yaml resource forks next to the real file
    return (path.suffix.lower() in PIPELINE_SUFFIXES and not path.name.startswith(".")
            and "__MACOSX" not in path.parts)


def _from_zip(data: bytes, filename: str) -> tuple[dict, dict | None, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise PipelineSpecError(f"{filename}: is not a zip archive (upload the pipeline .yaml/.json itself, "
                                "or a .zip holding one)") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir() and _pipeline_member(info.filename)]
        if not members:
            raise PipelineSpecError(f"{filename}: holds no .yaml, .yml or .json file")
        if len(members) > 1:
            names = ", ".join(info.filename for info in members[:5]) + (", ..." if len(members) > 5 else "")
            raise PipelineSpecError(f"{filename}: holds {len(members)} pipeline files ({names}); "
                                    "a zip must hold exactly one")
        info = members[0]
        if info.file_size > MAX_FILE_BYTES:
            raise PipelineSpecError(f"{filename}: {info.filename} is larger than {MAX_FILE_BYTES // 2**20} MB")
        if info.flag_bits & 0x1:
            raise PipelineSpecError(f"{filename}: {info.filename} is encrypted")
        try:
            with archive.open(info) as member:
                content = member.read(MAX_FILE_BYTES + 1)  # the declared size may lie
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError, zlib.error) as exc:
            raise PipelineSpecError(f"{filename}: {info.filename} cannot be read: {exc}") from None
    if len(content) > MAX_FILE_BYTES:
        raise PipelineSpecError(f"{filename}: {info.filename} is larger than {MAX_FILE_BYTES // 2**20} MB")
    fmt = "json" if info.filename.lower().endswith(".json") else "yaml"
    spec, platform = _parse(content, f"{filename}: {info.filename}", fmt)
    return spec, platform, info.filename


def canonical_yaml(spec: dict, platform_spec: dict | None = None) -> str:
    """The YAML a KFP compiler would write for ``spec`` (keys in the spec's order)."""
    name = " ".join(str((spec.get("pipelineInfo") or {}).get("name") or "").split())
    text = f"# PIPELINE DEFINITION\n# Name: {name}\n"
    text += yaml.dump(spec, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)
    if platform_spec is not None:
        text += "---\n" + yaml.dump(platform_spec, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                                    default_flow_style=False)
    return text


def load_pipeline_file(data: bytes, filename: str) -> LoadedPipeline:
    """Read and validate an uploaded pipeline: .yaml/.yml, .json or .zip (exactly
    one .yaml/.yml/.json inside, in any folder). Raises PipelineSpecError."""
    filename = PurePosixPath((filename or "").replace("\\", "/")).name or "the pipeline file"
    if len(data) > MAX_FILE_BYTES:
        raise PipelineSpecError(f"{filename}: is larger than {MAX_FILE_BYTES // 2**20} MB")
    suffix = PurePosixPath(filename).suffix.lower()
    if not data.strip():
        raise PipelineSpecError(f"{filename}: is empty")
    member = None
    if suffix == ".zip":
        spec, platform, member = _from_zip(data, filename)
        source_format = "zip"
    elif suffix in PIPELINE_SUFFIXES:
        source_format = "json" if suffix == ".json" else "yaml"
        spec, platform = _parse(data, filename, source_format)
    else:
        raise PipelineSpecError(f"{filename}: is not a pipeline file; upload the compiled pipeline as .yaml, "
                                ".yml, .json or a .zip holding one")
    try:
        validate_pipeline_spec(spec)
    except PipelineSpecError as exc:
        if member is None:
            raise
        raise PipelineSpecError(f"{exc.message} (in {member} inside {filename})", exc.field) from None
    return LoadedPipeline(spec, platform, source_format, canonical_yaml(spec, platform))
