"""Request bodies checked against their pydantic model, the first problem
answered as an error that names its field. pydantic is imported by the
models themselves, not here, so that importing this costs nothing."""
from __future__ import annotations

from typing import Any, Iterable, TypeVar

from jupyter_easymaker.core.errors import InvalidInput

M = TypeVar("M")


def field_path(loc: Iterable[Any], body: Any = None) -> str:
    """pydantic's ``('datasets', 0, 'path')`` -> ``datasets[0].path``. A
    discriminated union's tag in the path (``('llm', 'external', 'base_url')``
    for a body whose ``llm.type`` is ``external``) adds nothing for a reader
    and is left out."""
    out = ""
    node, tag_seen = body, False
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node, tag_seen = (node[part] if isinstance(node, list) and -len(node) <= part < len(node) else None), False
            continue
        if not tag_seen and isinstance(node, dict) and part not in node and node.get("type") == part:
            tag_seen = True  # the union's tag (once per object): the same object goes on
            continue
        out += f".{part}" if out else str(part)
        node, tag_seen = (node.get(part) if isinstance(node, dict) else None), False
    return out


def parse(model: type[M], body: Any) -> M:
    """Validate a request body; the first problem becomes an InvalidInput naming its field."""
    from pydantic import ValidationError

    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", field="body")
    try:
        return model.model_validate(body)  # type: ignore[attr-defined]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = field_path(err["loc"], body) or "body"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "is not a known field"
        raise InvalidInput(f"{field}: {message}", field=field) from None
