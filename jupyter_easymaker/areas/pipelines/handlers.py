"""REST routes of pipelines and pipeline runs."""
from __future__ import annotations

import base64
import urllib.parse

from jupyter_easymaker.core.errors import InvalidInput
from jupyter_easymaker.core.http import (
    EasyMakerHandler,
    LogRecordsHandler,
    api,
    int_arg,
    page,
)
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route

CHUNK_BYTES = 1 << 20


def attachment(name: str) -> str:
    """A Content-Disposition naming the download (any characters, RFC 6266)."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name) or "download"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{urllib.parse.quote(name, safe='')}"


class PipelinesBase(EasyMakerHandler):
    area = "pipelines"


# -- pipelines ----------------------------------------------------------------------------------
class PipelinesHandler(PipelinesBase):
    @api
    def get(self) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.service.list(query)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.service.create(self.upload_body()), 201)

    def upload_body(self) -> dict:
        """The JSON body, or a multipart/form-data form (``file``, ``name``, ``description``) as that body."""
        content_type = self.request.headers.get("Content-Type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            return self.json_body()
        files = self.request.files.get("file") or []
        if len(files) != 1:
            raise InvalidInput("file: attach exactly one pipeline file (.yaml, .yml, .json or .zip) as the form's file field",
                               field="file")
        body: dict = {"filename": files[0]["filename"] or "pipeline.yaml",
                      "content_base64": base64.b64encode(files[0]["body"]).decode("ascii")}
        for key in ("name", "description"):
            values = self.request.body_arguments.get(key)
            if values:
                try:
                    body[key] = values[-1].decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidInput(f"{key}: is not valid UTF-8", field=key) from None
        return body


class PipelineHandler(PipelinesBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.service.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.service.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.service.delete(ref)
        self.no_content()


class PipelineGraphHandler(PipelinesBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.service.graph(ref))


class PipelineDownloadHandler(PipelinesBase):
    @api
    def get(self, ref: str) -> None:
        filename, text = self.service.download(ref)
        self.reply_text(text, filename=filename, content_type="application/yaml; charset=utf-8")


# -- pipeline runs ------------------------------------------------------------------------------
class RunsHandler(PipelinesBase):
    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.service.runs.list(query, pipeline=args.get("pipeline_name") or args.get("pipeline_id") or None,
                                              schedule=args.get("schedule_name") or args.get("schedule_id") or None,
                                              experiment=args.get("experiment_id") or args.get("experiment_name") or None)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.service.runs.create(self.json_body()), 201)


class RunHandler(PipelinesBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.service.runs.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.service.runs.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.service.runs.delete(ref)
        self.no_content()


class RunStopHandler(PipelinesBase):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.service.runs.stop(ref))


class RunCopyHandler(PipelinesBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.service.runs.copy_body(ref))

    @api
    def post(self, ref: str) -> None:
        self.reply(self.service.runs.copy(ref, self.json_body()), 201)


class RunTasksHandler(PipelinesBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.service.runs.tasks(ref))


class RunTaskLogsHandler(PipelinesBase):
    @api
    def get(self, ref: str, task_id: str) -> None:
        args = self.query_args()
        if args.get("format") == "text":
            logs = self.service.runs.task_logs(ref, task_id, 0, 10_000)
            self.reply_text("".join(line + "\n" for line in logs.lines), filename=f"{task_id.replace('/', '__')}.log")
            return
        offset, limit = int_arg(args, "offset", 0, 2**62), int_arg(args, "limit", 1000, 10_000, low=1)
        self.reply(self.service.runs.task_logs(ref, task_id, offset, limit))


class RunArtifactsHandler(PipelinesBase):
    """Without ``path``: the list of artifact files; with it: that file (a folder as a zip)."""

    @api
    async def get(self, ref: str) -> None:
        runs = self.service.runs
        relative = self.query_args().get("path")
        if not relative:
            self.reply(await self.run(runs.artifacts, ref))
            return
        path, name, is_folder = await self.run(runs.artifact_path, ref, relative)
        if is_folder:
            data = await self.run(runs.zip_folder, path)
            self.set_header("Content-Type", "application/zip")
            self.set_header("Content-Disposition", attachment(f"{name}.zip"))
            self.finish(data)
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Disposition", attachment(name))
        with open(path, "rb") as fh:  # noqa: ASYNC230 - opening is instant; the reads below are off the loop
            while True:
                chunk = await self.run(fh.read, CHUNK_BYTES)
                if not chunk:
                    break
                self.write(chunk)
                await self.flush()
        self.finish()


class RunLogsHandler(LogRecordsHandler):
    area = "pipelines"

    @api
    def get(self, ref: str) -> None:
        run = self.service.runs.get(ref, with_history=False, with_graph=False)
        self.answer_logs("pipeline_run_id", run.id, [run.id], run.name, run.status)


class RunMonitoringHandler(PipelinesBase):
    @api
    def get(self, ref: str) -> None:
        run = self.service.runs.get(ref, with_history=False, with_graph=False)
        self.reply({"pipeline_run_id": run.id, "status": run.status, "tasks": run.tasks,
                    "usage": self.platform.logs.samples(run.id)})


ROUTES = [
    Route("pipelines", PipelinesHandler, {
        "get": Op("List pipelines", list_of="PipelineOut", params=LIST_PARAMS),
        "post": Op("Upload a pipeline (KFP v2 IR: .yaml, .yml, .json or a .zip holding one), as JSON or as "
                   "multipart/form-data with file, name and description", body="PipelineUpload", response="PipelineOut",
                   status=201),
    }),
    Route("pipelines/{ref}", PipelineHandler, {
        "get": Op("Get a pipeline with its inputs, summary and status history", response="PipelineOut"),
        "patch": Op("Change name or description", body="RenameBody", response="PipelineOut"),
        "delete": Op("Delete a pipeline (not while it is being created or pipeline schedules use it)", status=204),
    }),
    Route("pipelines/{ref}/graph", PipelineGraphHandler, {
        "get": Op("The pipeline's graph: its tasks (nested DAGs as groups) and their dependencies", response="PipelineGraphOut"),
    }),
    Route("pipelines/{ref}/download", PipelineDownloadHandler, {
        "get": Op("The pipeline as KFP IR YAML (a download)", content_type="application/yaml"),
    }),
    Route("pipeline-runs", RunsHandler, {
        "get": Op("List pipeline runs", list_of="PipelineRunOut",
                  params=(*LIST_PARAMS, "pipeline_name", "schedule_name", "schedule_id", "experiment_id")),
        "post": Op("Run a pipeline", body="PipelineRunCreate", response="PipelineRunOut", status=201),
    }),
    Route("pipeline-runs/{ref}", RunHandler, {
        "get": Op("Get a pipeline run with its task counts, the pipeline's graph and its status history",
                  response="PipelineRunOut"),
        "patch": Op("Change name or description", body="RenameBody", response="PipelineRunOut"),
        "delete": Op("Delete an ended pipeline run with its artifacts", status=204),
    }),
    Route("pipeline-runs/{ref}/stop", RunStopHandler, {
        "post": Op("Stop a pipeline run (it cannot be resumed)", response="PipelineRunOut"),
    }),
    Route("pipeline-runs/{ref}/copy", RunCopyHandler, {
        "get": Op("A create body pre-filled from this pipeline run"),
        "post": Op("Start a new run with this run's settings", body="PipelineRunCopy", response="PipelineRunOut", status=201),
    }),
    Route("pipeline-runs/{ref}/tasks", RunTasksHandler, {
        "get": Op("The run's tasks and their states (the progress graph)", response="PipelineRunTasksOut"),
    }),
    Route("pipeline-runs/{ref}/tasks/{task_id}/logs", RunTaskLogsHandler, {
        "get": Op("Lines of one task's log (task_id URL-encoded, e.g. condition-1%2Fprint-msg); format=text downloads it",
                  response="PipelineTaskLogsOut", params=("offset", "limit", "format")),
    }),
    Route("pipeline-runs/{ref}/artifacts", RunArtifactsHandler, {
        "get": Op("Without path: the run's artifact files; with path (relative to the run's tasks folder): that file, "
                  "a folder as a zip", params=("path",)),
    }),
    Route("pipeline-runs/{ref}/logs", RunLogsHandler, {
        "get": Op("Log records of the run (category easymaker.pipeline)", params=("after", "limit", "query", "format")),
    }),
    Route("pipeline-runs/{ref}/monitoring", RunMonitoringHandler, {
        "get": Op("Task counts and CPU / memory / GPU usage of the run's instance"),
    }),
]
