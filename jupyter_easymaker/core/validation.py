"""Request bodies checked against their pydantic model, the first problem
answered as an error that names its field. pydantic is imported by the
models themselves, not here, so that importing this costs nothing."""
from __future__ import annotations

from typing import Any, Iterable, TypeVar

from jupyter_easymaker.core.errors import InvalidInput

M = TypeVar("M")


def field_path(loc: Iterable[Any]) -> str:
    """pydantic's ``('datasets', 0, 'path')`` -> ``datasets[0].path``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("custom", "builtin") and out.endswith("algorithm"):
            continue  # the discriminated union's tag adds nothing for a reader
        else:
            out += f".{part}" if out else str(part)
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
        field = field_path(err["loc"]) or "body"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "is not a known field"
        raise InvalidInput(f"{field}: {message}", field=field) from None
