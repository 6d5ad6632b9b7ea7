"""The pipeline methods of :class:`jupyter_easymaker.client.Client` (a mixin:
standard library only, like the client; kfp is imported only to compile a
``@dsl.pipeline`` function handed to ``upload_pipeline``)."""
from __future__ import annotations

import base64
import os
import re
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from jupyter_easymaker.areas.pipelines.statuses import (
    PIPELINE_MACHINE,
    PIPELINE_RUN_MACHINE,
)
from jupyter_easymaker.client.common import (
    Page,
    _experiment_fields,
    _params_body,
    _ref,
    _timestamped,
    settled,
)

__all__ = ["FINAL_PIPELINE_RUN_STATUSES", "FINAL_PIPELINE_STATUSES", "PipelinesClient"]

FINAL_PIPELINE_STATUSES = settled(PIPELINE_MACHINE)
FINAL_PIPELINE_RUN_STATUSES = settled(PIPELINE_RUN_MACHINE)
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def resource_name(text: str) -> str:
    """``text`` as a resource name: letters, digits, '-' and '_', at most 50."""
    name = _NOT_A_NAME.sub("-", text).strip("-_")[:50]
    return name or _timestamped("pipeline")


def compile_pipeline(func: Any, folder: str) -> str:
    """A ``@dsl.pipeline`` function compiled by kfp into a YAML file in ``folder``; its path."""
    try:
        from kfp import compiler
    except ImportError as exc:
        raise RuntimeError("compiling a @dsl.pipeline function needs the kfp package (pip install kfp); "
                           "or upload the compiled pipeline YAML by its path") from exc
    path = os.path.join(folder, "pipeline.yaml")
    compiler.Compiler().compile(func, path)
    return path


def read_pipeline(func_or_path: Any) -> tuple[str, bytes, str]:
    """(file name, bytes, default resource name) of a file path or a ``@dsl.pipeline`` function."""
    if isinstance(func_or_path, (str, os.PathLike)):
        path = os.fspath(func_or_path)
        with open(path, "rb") as fh:
            data = fh.read()
        filename = os.path.basename(path)
        return filename, data, resource_name(os.path.splitext(filename)[0])
    if not callable(func_or_path) and not hasattr(func_or_path, "pipeline_spec"):
        raise TypeError(f"upload_pipeline takes a file path or a @dsl.pipeline function, not {type(func_or_path).__name__}")
    with tempfile.TemporaryDirectory(prefix="easymaker-pipeline-") as folder:
        path = compile_pipeline(func_or_path, folder)
        with open(path, "rb") as fh:
            data = fh.read()
    label = getattr(func_or_path, "name", None) or getattr(func_or_path, "__name__", None) or "pipeline"
    return f"{resource_name(label)}.yaml", data, resource_name(label)


class PipelinesClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page`` and ``_wait``."""

    # -- pipelines --------------------------------------------------------------------------
    def upload_pipeline(self, func_or_path: Any, name: str | None = None, description: str = "", *,
                        wait: bool = True, timeout: float | None = 120.0) -> dict:
        """Upload a compiled pipeline (.yaml, .yml, .json or .zip path) or a ``@dsl.pipeline``
        function (compiled here with kfp). ``name`` defaults to the file's or the pipeline's
        name. With ``wait`` it answers once the pipeline is ACTIVE (or CREATE FAILED)."""
        filename, data, default_name = read_pipeline(func_or_path)
        body: dict[str, Any] = {"name": name or default_name, "description": description, "filename": filename}
        if filename.lower().endswith(".zip"):
            body["content_base64"] = base64.b64encode(data).decode("ascii")
        else:
            try:
                body["content"] = data.decode("utf-8")
            except UnicodeDecodeError:
                body["content_base64"] = base64.b64encode(data).decode("ascii")
        pipeline = self.request("POST", "pipelines", body)
        return self.wait_pipeline(pipeline["id"], timeout=timeout) if wait else pipeline

    def list_pipelines(self, *, status: str | list[str] | None = None, name: str | None = None, sort: str | None = None,
                       offset: int = 0, limit: int = 50) -> Page:
        return self._page("pipelines", status=status, name=name, sort=sort, offset=offset, limit=limit)

    def get_pipeline(self, ref: Any) -> dict:
        return self._get(f"pipelines/{_ref(ref)}")

    def update_pipeline(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        return self.request("PATCH", f"pipelines/{_ref(ref)}", _params_body(name=name, description=description))

    def delete_pipeline(self, ref: Any) -> None:
        self.request("DELETE", f"pipelines/{_ref(ref)}")

    def pipeline_graph(self, ref: Any) -> dict:
        """``{nodes, edges}``: the tasks (nested DAGs as group nodes) and their dependencies."""
        return self._get(f"pipelines/{_ref(ref)}/graph")

    def download_pipeline(self, ref: Any) -> str:
        """The pipeline's IR YAML."""
        response = self.request("GET", f"pipelines/{_ref(ref)}/download", stream=True)
        with response:
            return response.read().decode("utf-8")

    def wait_pipeline(self, ref: Any, timeout: float | None = None, poll: float = 0.2) -> dict:
        return self._wait(f"pipelines/{_ref(ref)}", FINAL_PIPELINE_STATUSES, "pipeline", timeout, poll)

    # -- runs ----------------------------------------------------------------------------------
    def create_pipeline_run(self, pipeline: Any = None, name: str | None = None, parameters: dict[str, Any] | None = None,
                            experiment: str | None = None, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Run a pipeline. ``experiment`` takes an experiment id, or a name (created when
        missing); other fields are those of ``PipelineRunCreate`` (``instance_type``,
        ``instance_count``, ``boot_storage_gb``, ``nas``, ``log_management``, ``cache``, ...)."""
        out = {**(body or {}), **fields}
        if pipeline is not None:
            out["pipeline_name"] = pipeline.get("name") if isinstance(pipeline, dict) else str(pipeline)
        if parameters is not None:
            out["parameters"] = parameters
        if experiment is not None:
            out["experiment"] = experiment
        out.setdefault("name", name or _timestamped(f"{out.get('pipeline_name') or 'pipeline'}-run"))
        return self.request("POST", "pipeline-runs", _experiment_fields(out))

    def list_pipeline_runs(self, *, pipeline: str | None = None, schedule: str | None = None,
                           experiment: str | None = None, status: str | list[str] | None = None, name: str | None = None,
                           sort: str | None = None, offset: int = 0, limit: int = 50) -> Page:
        return self._page("pipeline-runs", pipeline_name=pipeline, schedule_name=schedule, experiment_id=experiment,
                          status=status, name=name, sort=sort, offset=offset, limit=limit)

    def get_pipeline_run(self, ref: Any) -> dict:
        return self._get(f"pipeline-runs/{_ref(ref)}")

    def pipeline_run_tasks(self, ref: Any) -> list[dict]:
        """The run's tasks: task_id, name, parent, state, attempt, started_at, ended_at, outputs, error."""
        return self._get(f"pipeline-runs/{_ref(ref)}/tasks")["items"]

    def pipeline_task_logs(self, ref: Any, task_id: str, offset: int = 0, limit: int = 1000) -> list[str]:
        """Lines of one task's log (its stdout and stderr)."""
        answer = self._get(f"pipeline-runs/{_ref(ref)}/tasks/{_ref(task_id)}/logs", offset=offset or None, limit=limit)
        return answer["lines"]

    def iter_pipeline_task_logs(self, ref: Any, task_id: str, page_size: int = 5000) -> Iterator[str]:
        offset: int | None = 0
        while offset is not None:
            answer = self._get(f"pipeline-runs/{_ref(ref)}/tasks/{_ref(task_id)}/logs", offset=offset or None,
                               limit=page_size)
            yield from answer["lines"]
            offset = answer.get("next_offset")

    def pipeline_run_logs(self, ref: Any, after: int = 0, limit: int | None = None, query: str | None = None) -> dict:
        return self._get(f"pipeline-runs/{_ref(ref)}/logs", after=after or None, limit=limit, query=query)

    def pipeline_artifacts(self, ref: Any) -> list[dict]:
        """The run's artifact files: path (relative to its tasks folder), task folder, output, size."""
        return self._get(f"pipeline-runs/{_ref(ref)}/artifacts")["files"]

    def download_pipeline_artifact(self, ref: Any, path: str, dest: str | os.PathLike | None = None) -> bytes | str:
        """An artifact file (a folder comes as a zip): its bytes, or the file written at ``dest``."""
        response = self.request("GET", f"pipeline-runs/{_ref(ref)}/artifacts", params={"path": path}, stream=True)
        with response:
            data = response.read()
        if dest is None:
            return data
        with open(dest, "wb") as fh:
            fh.write(data)
        return os.fspath(dest)

    def update_pipeline_run(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        """Rename a pipeline run or change its description."""
        body = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        return self.request("PATCH", f"pipeline-runs/{_ref(ref)}", body)

    def pipeline_run_monitoring(self, ref: Any) -> dict:
        """The run's status, task counts and CPU / memory / GPU usage samples."""
        return self._get(f"pipeline-runs/{_ref(ref)}/monitoring")

    def stop_pipeline_run(self, ref: Any) -> dict:
        return self.request("POST", f"pipeline-runs/{_ref(ref)}/stop")

    def copy_pipeline_run(self, ref: Any, name: str | None = None, description: str | None = None) -> dict:
        """A new run with this run's settings."""
        return self.request("POST", f"pipeline-runs/{_ref(ref)}/copy", _params_body(name=name, description=description))

    def delete_pipeline_run(self, ref: Any) -> None:
        self.request("DELETE", f"pipeline-runs/{_ref(ref)}")

    def wait_pipeline_run(self, ref: Any, timeout: float | None = None, poll: float = 0.5) -> dict:
        """Block until the run reaches a final status; answer it."""
        return self._wait(f"pipeline-runs/{_ref(ref)}", FINAL_PIPELINE_RUN_STATUSES, "pipeline run", timeout, poll)

    def watch_pipeline_run(self, ref: Any, poll: float = 0.5) -> Iterator[tuple[dict, list[dict]]]:
        """``(run, tasks)`` each time a task or the run changes, until the run has ended."""
        seen: Any = None
        while True:
            run = self.get_pipeline_run(ref)
            tasks = self.pipeline_run_tasks(run["id"])
            now = (run["status"], tuple((t["task_id"], t["state"], t["attempt"]) for t in tasks))
            if now != seen:
                seen = now
                yield run, tasks
            if run["status"] in FINAL_PIPELINE_RUN_STATUSES:
                return
            time.sleep(poll)
