"""What a KFP v2 pipeline takes (``root.inputDefinitions``) and the check that
turns the values a run request gives into the typed values the executor gets.
Imported through ``ir``; it imports nothing of ``ir`` (no import circle)."""
from __future__ import annotations

import copy
import json
import math
import re
from typing import Any

from jupyter_easymaker.core.errors import InvalidInput

PARAMETER_TYPES = ("NUMBER_DOUBLE", "NUMBER_INTEGER", "STRING", "BOOLEAN", "LIST", "STRUCT", "TASK_FINAL_STATUS")
# schemaVersion 2.0.x IR wrote ``type: INT|DOUBLE|STRING`` where 2.1 writes ``parameterType``.
LEGACY_PARAMETER_TYPES = {"INT": "NUMBER_INTEGER", "DOUBLE": "NUMBER_DOUBLE", "STRING": "STRING"}

_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,300}$")  # bounded: int() of huge digit strings is slow or refused
_TRUE_WORDS = {"true", "yes", "1"}
_FALSE_WORDS = {"false", "no", "0"}


class RunParameterError(InvalidInput):
    """A run parameter is wrong; ``field`` is ``parameters.<name>``. The pipelines
    API answers 400 here, as it does for a bad pipeline file: the request is
    well-formed, the values do not fit this pipeline."""

    http_status = 400


def parameter_type(definition: dict) -> str | None:
    """A parameter definition's KFP type, reading the 2.0 ``type`` spelling too."""
    if "parameterType" in definition:
        return definition["parameterType"]
    legacy = definition.get("type")
    return LEGACY_PARAMETER_TYPES.get(legacy, legacy) if isinstance(legacy, str) else legacy


def artifact_type(definition: dict) -> str | None:
    artifact = definition.get("artifactType") or {}
    return artifact.get("schemaTitle") if isinstance(artifact, dict) else None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_json_text(text: str, wanted: type, what: str) -> Any:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, wanted):
        raise ValueError(f"expected {what} (or its JSON text), got {_show(text)}")
    return value


def cast_parameter(ptype: str | None, value: Any) -> Any:
    """``value`` as a parameter of KFP type ``ptype``; ValueError says what was expected."""
    if ptype == "NUMBER_INTEGER":
        if isinstance(value, bool):
            raise ValueError(f"expected an integer (NUMBER_INTEGER), got {_show(value)}")
        if isinstance(value, int):
            return value
        number = value
        if isinstance(value, str):
            text = value.strip()
            if _INTEGER_TEXT.match(text):
                return int(text)
            try:
                number = float(text)
            except ValueError:
                number = None
        # KFP writes integer defaults as 3.0 and form fields send "3.0": integral floats are integers
        if isinstance(number, float) and math.isfinite(number) and number.is_integer():
            return int(number)
        raise ValueError(f"expected an integer (NUMBER_INTEGER), got {_show(value)}")
    if ptype == "NUMBER_DOUBLE":
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = None
        try:
            number = float(number) if number is not None else None
        except OverflowError:
            number = None
        if number is None or not math.isfinite(number):
            raise ValueError(f"expected a finite number (NUMBER_DOUBLE), got {_show(value)}")
        return number
    if ptype == "STRING":
        if not isinstance(value, str):
            raise ValueError(f"expected a string (STRING), got {_show(value)}")
        return value
    if ptype == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
            return value.strip().lower() in _TRUE_WORDS
        raise ValueError(f"expected true or false (BOOLEAN), got {_show(value)}")
    if ptype == "LIST":
        if isinstance(value, list):
            return value
        if isinstance(value, str):
            return _parse_json_text(value, list, "a list (LIST)")
        raise ValueError(f"expected a list (LIST), got {_show(value)}")
    if ptype == "STRUCT":
        if isinstance(value, dict):
            return value
        if isinstance(value, str):
            return _parse_json_text(value, dict, "an object (STRUCT)")
        raise ValueError(f"expected an object (STRUCT), got {_show(value)}")
    raise ValueError(f"a parameter of type {ptype} cannot be given a value")


def pipeline_inputs(spec: dict) -> list[dict]:
    """The pipeline's inputs in spec order: ``{name, type, kind, default,
    optional, description}``; defaults typed (KFP writes integers as 3.0)."""
    definitions = (spec.get("root") or {}).get("inputDefinitions") or {}
    inputs = []
    for name, definition in (definitions.get("parameters") or {}).items():
        ptype = parameter_type(definition)
        default = definition.get("defaultValue")
        if default is not None:
            try:
                default = cast_parameter(ptype, default)
            except ValueError:
                pass  # validation refuses such a spec; shown as written when asked anyway
        inputs.append({"name": name, "type": ptype, "kind": "parameter", "default": default,
                       "optional": bool(definition.get("isOptional")) or default is not None,
                       "description": definition.get("description") or ""})
    for name, definition in (definitions.get("artifacts") or {}).items():
        inputs.append({"name": name, "type": artifact_type(definition), "kind": "artifact", "default": None,
                       "optional": bool(definition.get("isOptional")),
                       "description": definition.get("description") or ""})
    return inputs


def check_run_parameters(spec: dict, given: dict | None) -> dict:
    """The parameters a run gets: ``given`` cast to the declared types, defaults
    filled in. Raises RunParameterError naming ``parameters.<name>`` for an
    unknown name, a missing required input or a value of the wrong type."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise RunParameterError("parameters: must be an object of input name to value", field="parameters")
    inputs = {entry["name"]: entry for entry in pipeline_inputs(spec)}
    for name in given:
        if name not in inputs:
            known = ", ".join(inputs) or "none"
            raise RunParameterError(f"parameters.{name}: the pipeline has no input {name!r} (its inputs: {known})",
                                    field=f"parameters.{name}")
    checked: dict[str, Any] = {}
    for name, entry in inputs.items():
        field = f"parameters.{name}"
        value = given.get(name)
        if entry["kind"] == "artifact":
            # a run is started from parameters only; nothing could produce a root artifact
            if value is not None or not entry["optional"]:
                raise RunParameterError(f"{field}: is an artifact input ({entry['type']}); a run sets parameters only",
                                        field=field)
            continue
        if value is None:
            if entry["default"] is not None:
                checked[name] = copy.deepcopy(entry["default"])
            elif not entry["optional"]:
                raise RunParameterError(f"{field}: required ({entry['type']}); the pipeline has no default for it",
                                        field=field)
            continue
        try:
            checked[name] = cast_parameter(entry["type"], value)
        except ValueError as exc:
            raise RunParameterError(f"{field}: {exc}", field=field) from None
    return checked
