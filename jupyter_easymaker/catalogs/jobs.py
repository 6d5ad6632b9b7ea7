"""Where job code lives, locally and in the images, and what the jobs tell
the server: the launcher's ``state.json`` and the lines the platform's own
jobs (batch inference, model evaluation) print.

The launcher runs a job's entry point as a file in its source directory, so
each of the platform's jobs is a two-line script in ``runtime/jobs/``; a
job's ``source_dir`` is :func:`jobs_source_dir` (locally) or
``IMAGE_JOBS_DIR`` (in the images, which link that directory there).
"""
from __future__ import annotations

import json
import os
import re
from typing import Any

# every job runs ``python -m`` this module (both backends)
LAUNCHER_MODULE = "jupyter_easymaker.runtime.launcher"

# where the images under images/ link the built-in algorithms and the job entry scripts
IMAGE_DIR = "/opt/easymaker"
IMAGE_JOBS_DIR = f"{IMAGE_DIR}/jobs"
BATCH_INFERENCE_ENTRY = "batch_inference.py"
MODEL_EVALUATION_ENTRY = "model_evaluation.py"

# what these jobs print for the controller (after the launcher's "[easymaker] " prefix)
PROGRESS_LINE = re.compile(r"^\[easymaker\] progress records=(\d+)/(\d+) errors=(\d+)(?: node=(\d+))?")
ERROR_LINE = re.compile(r"^\[easymaker\] ERROR: (.*)")

# the launcher's account of its job, in the job's work_dir: read by the local backend
STATE_FILE = "state.json"


def runtime_dir(*parts: str) -> str:
    """A directory of the installed ``jupyter_easymaker/runtime`` package,
    found without importing it."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(package, "runtime", *parts)


def jobs_source_dir() -> str:
    """The directory holding the platform's job entry scripts (a job's source_dir)."""
    return runtime_dir("jobs")


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
