"""Entry scripts of the jobs the platform runs itself (batch inference, model
evaluation). The launcher runs a job's entry point as a file in its source
directory, so each job is a two-line script here that calls its runtime
module; a job's ``source_dir`` is :func:`jobs_source_dir` (locally) or
``IMAGE_JOBS_DIR`` (in the images, which link this directory there)."""
from __future__ import annotations

import os
import re

IMAGE_JOBS_DIR = "/opt/easymaker/jobs"
BATCH_INFERENCE_ENTRY = "batch_inference.py"
MODEL_EVALUATION_ENTRY = "model_evaluation.py"

# what these jobs print for the controller (after the launcher's "[easymaker] " prefix)
PROGRESS_LINE = re.compile(r"^\[easymaker\] progress records=(\d+)/(\d+) errors=(\d+)(?: node=(\d+))?")
ERROR_LINE = re.compile(r"^\[easymaker\] ERROR: (.*)")


def jobs_source_dir() -> str:
    return os.path.dirname(os.path.abspath(__file__))
