"""The job's ``state.json``: written by the launcher, read by the local backend."""
from __future__ import annotations

import json
import os
from typing import Any


def write_state(path: str, state: dict[str, Any]) -> None:
    """Replace the file atomically, so a reader never sees half a state."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
    os.replace(tmp, path)


def read_state(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (FileNotFoundError, json.JSONDecodeError):
        return None
