"""The search space of a hyperparameter tuning, in plain Python: validation
that names the offending field, the Grid strategy's enumeration, and the text
form a value takes on a job's command line. The Optuna side (distributions,
samplers) is built from the normalised form in ``controller/hpo_engine.py``.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable

from jupyter_easymaker.core.errors import InvalidInput

MAX_GRID_POINTS = 100_000
_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")


def _number(value: Any, field: str) -> float:
    if value is None:
        raise InvalidInput(f"{field}: is required", field=field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(f"{field}: must be a finite number", field=field)
    return float(value)


def _integer(value: float, field: str) -> int:
    if not float(value).is_integer():
        raise InvalidInput(f"{field}: must be a whole number for an int parameter", field=field)
    return int(value)


def _values(raw: Any, field: str) -> list[str]:
    if raw is None:
        raise InvalidInput(f"{field}: a categorical parameter needs values (comma-separated, e.g. sgd,adam)", field=field)
    items: Iterable[Any] = raw.split(",") if isinstance(raw, str) else raw
    values = []
    for item in items:
        text = (("true" if item else "false") if isinstance(item, bool) else str(item)).strip()
        if not text:
            raise InvalidInput(f"{field}: empty value in the list", field=field)
        if text in values:
            raise InvalidInput(f"{field}: {text!r} is listed twice", field=field)
        values.append(text)
    if not values:
        raise InvalidInput(f"{field}: at least one value is required", field=field)
    return values


def normalize_parameters(parameters: list[Any], strategy: str) -> list[dict[str, Any]]:
    """Check each parameter spec and return its normalised dict form
    ``{name, type, min, max, step, log}`` or ``{name, type, values}``."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, p in enumerate(parameters):
        at = f"parameters[{i}]"
        if not _KEY.match(p.name):
            raise InvalidInput(f"{at}.name: must be letters, digits, '-', '_' or '.'", field=f"{at}.name")
        if p.name in seen:
            raise InvalidInput(f"{at}.name: {p.name!r} is tuned twice", field=f"{at}.name")
        seen.add(p.name)
        if p.type == "categorical":
            for key in ("min", "max", "step"):
                if getattr(p, key) is not None:
                    raise InvalidInput(f"{at}.{key}: a categorical parameter takes values, not a range", field=f"{at}.{key}")
            if p.log:
                raise InvalidInput(f"{at}.log: a categorical parameter has no scale", field=f"{at}.log")
            out.append({"name": p.name, "type": "categorical", "values": _values(p.values, f"{at}.values")})
            continue
        if p.values is not None:
            raise InvalidInput(f"{at}.values: an {p.type} parameter takes min and max, not values", field=f"{at}.values")
        low, high = _number(p.min, f"{at}.min"), _number(p.max, f"{at}.max")
        step = None if p.step is None else _number(p.step, f"{at}.step")
        if p.type == "int":
            low, high = _integer(low, f"{at}.min"), _integer(high, f"{at}.max")
            if step is not None:
                step = _integer(step, f"{at}.step")
        if high < low:
            raise InvalidInput(f"{at}.max: must not be below min ({_text(low)})", field=f"{at}.max")
        if step is not None and step <= 0:
            raise InvalidInput(f"{at}.step: must be greater than 0", field=f"{at}.step")
        if p.log and low <= 0:
            raise InvalidInput(f"{at}.min: must be greater than 0 on a log scale", field=f"{at}.min")
        if strategy == "Grid" and p.type == "double" and step is None:
            if high != low:
                raise InvalidInput(f"{at}.step: the Grid strategy needs a step for a double parameter", field=f"{at}.step")
        out.append({"name": p.name, "type": p.type, "min": low, "max": high, "step": step, "log": bool(p.log)})
    return out


def grid_values(param: dict[str, Any]) -> list[Any]:
    """The values the Grid strategy tries for one parameter: every value, or
    min, min+step, ... up to max."""
    if param["type"] == "categorical":
        return list(param["values"])
    low, high, step = param["min"], param["max"], param.get("step")
    if param["type"] == "int":
        return list(range(int(low), int(high) + 1, int(step or 1)))
    if not step or high == low:
        return [float(low)] if high == low else [float(low), float(high)]
    count = int(math.floor((high - low) / step + 1e-9)) + 1
    # rounding keeps 0.1 + 2 * 0.1 from becoming 0.30000000000000004 on the job's command line
    return [float(f"{low + k * step:.12g}") for k in range(count)]


def grid_size(parameters: list[dict[str, Any]]) -> int:
    size = 1
    for p in parameters:
        size *= len(grid_values(p)) if p["type"] != "categorical" else len(p["values"])
        if size > MAX_GRID_POINTS:
            return size
    return size


def format_value(value: Any) -> str:
    """A suggested value as the job's ``--key value`` text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def compile_metric_format(pattern: str, field: str) -> re.Pattern:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise InvalidInput(f"{field}: not a valid regular expression: {exc}", field=field) from None
    if compiled.groups < 1:
        raise InvalidInput(
            f"{field}: needs a group for the value (or two: name and value, like Katib's default)", field=field
        )
    return compiled
