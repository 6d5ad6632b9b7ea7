"""What the client's modules share: the page of a list answer, and the
helpers that turn Python arguments into path segments, query parameters and
create bodies (standard library only, like the client)."""
from __future__ import annotations

import re
import time
import urllib.parse
from typing import Any

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Page(list):
    """A page of a list answer: the items, plus ``total``, ``offset`` and ``limit``."""

    def __init__(self, items: list, total: int | None = None, offset: int = 0, limit: int | None = None):
        super().__init__(items)
        self.total = len(items) if total is None else total
        self.offset = offset
        self.limit = len(items) if limit is None else limit


def _ref(ref: Any) -> str:
    """An id or name, or a resource dict, as a URL path segment."""
    if isinstance(ref, dict):
        ref = ref.get("id") or ref.get("name")
    if ref is None or str(ref) == "":
        raise ValueError("a resource id or name is required")
    return urllib.parse.quote(str(ref), safe="")


def _params(**values: Any) -> dict[str, str]:
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, set)):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        out[key] = str(value)
    return out


def _params_body(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _experiment_fields(body: dict[str, Any]) -> dict[str, Any]:
    """``experiment=`` is a convenience: an id, or a name that is created when missing."""
    if "experiment" in body:
        value = body.pop("experiment")
        if value is not None:
            key = "experiment_id" if _UUID.match(str(value)) else "experiment_name"
            body.pop("experiment_id", None)
            body.pop("experiment_name", None)
            body[key] = value
    elif "experiment_name" in body:
        body.pop("experiment_id", None)  # a copy's experiment_id must not win over an explicit name
    return body


def _model_field(body: dict[str, Any]) -> dict[str, Any]:
    """``model=`` takes a name, an id or a model dict."""
    if "model" in body:
        model = body.pop("model")
        body["model_id"] = model.get("id") if isinstance(model, dict) else str(model)
    return body


def _timestamped(prefix: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return f"{prefix[: 50 - len(stamp) - 1]}-{stamp}"


def settled(machine: Any) -> tuple[str, ...]:
    """The statuses a resource of ``machine``'s kind stays in until someone acts
    (what the ``wait`` methods wait for), in the guide's order."""
    return tuple(s for s in machine.statuses if s in machine.settled)
