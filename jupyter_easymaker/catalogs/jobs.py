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
from typing import IO, Any

# every job runs ``python -m`` this module (both backends)
LAUNCHER_MODULE = "jupyter_easymaker.runtime.launcher"

# where the images under images/ link the built-in algorithms and the job entry scripts
IMAGE_DIR = "/opt/easymaker"
IMAGE_JOBS_DIR = f"{IMAGE_DIR}/jobs"
BATCH_INFERENCE_ENTRY = "batch_inference.py"
MODEL_EVALUATION_ENTRY = "model_evaluation.py"
RAG_INGESTION_ENTRY = "rag_ingestion.py"

# what these jobs print for the controller (after the launcher's "[easymaker] " prefix)
PROGRESS_LINE = re.compile(r"^\[easymaker\] progress records=(\d+)/(\d+) errors=(\d+)(?: node=(\d+))?")
ERROR_LINE = re.compile(r"^\[easymaker\] ERROR: (.*)")
# the LLM fine-tuning job (runtime/jobs/llm_finetune.py): its progress and evaluation lines
LLM_FINETUNE_ENTRY = "llm_finetune.py"
FINETUNE_PROGRESS_LINE = re.compile(r"^\[easymaker\] finetune step=(\d+)/(\d+)((?: [a-z_]+=[^ ]+)*)")
FINETUNE_EVAL_LINE = re.compile(r"^\[easymaker\] finetune eval step=(\d+)((?: [a-z_]+=[^ ]+)*)")

# the pipeline-run job (runtime/jobs/pipeline_run.py): one line per task state change
PIPELINE_RUN_ENTRY = "pipeline_run.py"
PIPELINE_TASK_LINE = re.compile(r"^\[easymaker\] pipeline-task (\{.*\})$")
# a local run on a server: each container task attempt is a job of its own on the
# server's job lifecycle (the launcher runs the task's command line). The executor asks
# for it with a request file in the run's folder, {TASK_JOBS_FOLDER}/{name}.json, and
# may ask for its stop with {name}.stop; the server answers with {name}.result.json
# ({"outcome", "exit_code", "reason"}) once the job ended. The job's own folder is
# {name}.job, its output in {name}.job/{TASK_JOB_LOG}.
TASK_JOBS_FOLDER = "task-jobs"
TASK_JOB_LOG = "output.log"
TASK_JOBS_FLAG = "task_jobs"  # in run.json: true when the server runs the tasks as jobs
TASK_RESULT_SUFFIX = ".result.json"
TASK_STOP_SUFFIX = ".stop"


def task_job_name(folder: str, attempt: int, executor: str) -> str:
    """The request name of one attempt of the task whose folder is ``folder``, asked
    for by the executor ``executor`` (a restarted executor's attempts are new jobs)."""
    return f"{folder}.a{int(attempt)}.{executor}"


# on Kubernetes: the Job (JSON) each task of the run becomes, less the task's own fields
PIPELINE_TASK_JOBS_ENV = "EM_PIPELINE_TASK_JOBS"
# the service account of a run's executor pod on Kubernetes (it creates its tasks' Jobs)
PIPELINE_RUNNER_SERVICE_ACCOUNT = "easymaker-pipeline-runner"

# a pipeline schedule on Kubernetes is a CronJob whose pods run
# runtime/jobs/scheduled_pipeline_run.py: it makes the run's folder
# {schedule folder}/{FIRED_RUNS_FOLDER}/{the Job's name} from the schedule's staged
# files (pipeline_spec.json, platform_spec.json, run.json with the run's parameters,
# SCHEDULE_WINDOW_FILE: start_at / end_at) and runs the executor on it
SCHEDULED_PIPELINE_RUN_ENTRY = "scheduled_pipeline_run.py"
PIPELINE_SCHEDULE_DIR_ENV = "EM_PIPELINE_SCHEDULE_DIR"
FIRED_JOB_NAME_ENV = "EM_FIRED_JOB_NAME"  # the pod's Job, from the downward API
FIRED_RUNS_FOLDER = "runs"
SCHEDULE_WINDOW_FILE = "schedule.json"


def format_pipeline_task(record: dict[str, Any]) -> str:
    """``[easymaker] pipeline-task {json}`` (matched by PIPELINE_TASK_LINE)."""
    return "[easymaker] pipeline-task " + json.dumps(record, default=str, separators=(",", ":"))


def _finetune_fields(fields: dict[str, Any]) -> str:
    out = []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, float):
            value = (f"{value:.4f}" if key.endswith("loss") else f"{value:.4g}" if key == "lr"
                     else f"{value:.2f}" if key in ("epoch", "perplexity") else f"{value:.1f}")
        out.append(f" {key}={value}")
    return "".join(out)


def format_finetune_progress(step: int, total: int, **fields: Any) -> str:
    """``[easymaker] finetune step=S/T name=value ...`` (matched by FINETUNE_PROGRESS_LINE)."""
    return f"[easymaker] finetune step={step}/{total}{_finetune_fields(fields)}"


def format_finetune_eval(step: int, **fields: Any) -> str:
    """``[easymaker] finetune eval step=S eval_loss=... perplexity=...`` (matched by FINETUNE_EVAL_LINE)."""
    return f"[easymaker] finetune eval step={step}{_finetune_fields(fields)}"


def parse_finetune_fields(text: str) -> dict[str, str]:
    """The ``name=value`` pairs of a matched line's last group."""
    return dict(pair.split("=", 1) for pair in text.split())

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
    write_private_json(path, state)


# -- a job's own files (work dir, spec, state, logs) are its owner's only -----------------
def private_dir(path: str) -> str:
    """``path`` created if missing, readable by its owner only (an existing one too,
    unless someone else owns it: a pod's emptyDir is the pod's alone anyway)."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except PermissionError:
        pass
    return path


def open_private(path: str, mode: str = "w") -> IO[Any]:
    """``open(path, mode)`` for writing ("w", "wb", "a", "ab"), the file readable by its owner only."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a file that was there keeps its mode otherwise
        return os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"}))
    except BaseException:
        os.close(fd)
        raise


def replace_json(path: str, data: Any, *, private: bool = False) -> None:
    """Replace the file atomically: a reader (another process) never sees half of it."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open_private(tmp) if private else open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def write_private_json(path: str, data: Any) -> None:
    """``replace_json``, readable by its owner only."""
    replace_json(path, data, private=True)


def read_state(path: str) -> dict[str, Any] | None:
    """A file holding a JSON object; None where it is missing, unreadable or not one."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
