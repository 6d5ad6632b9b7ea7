"""REST routes of pipeline schedules."""
from __future__ import annotations

from jupyter_easymaker.core.http import EasyMakerHandler, api, int_arg, page
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class PipelineSchedulesHandler(EasyMakerHandler):
    area = "pipeline_schedules"

    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.services.pipeline_schedules.list(query, pipeline=args.get("pipeline_name") or None)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.pipeline_schedules.create(self.json_body()), 201)


class PipelineScheduleHandler(EasyMakerHandler):
    area = "pipeline_schedules"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.pipeline_schedules.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.pipeline_schedules.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.pipeline_schedules.delete(ref)
        self.no_content()


class PipelineScheduleEnableHandler(EasyMakerHandler):
    area = "pipeline_schedules"

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.pipeline_schedules.enable(ref))


class PipelineScheduleDisableHandler(EasyMakerHandler):
    area = "pipeline_schedules"

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.pipeline_schedules.disable(ref))


class PipelineScheduleCopyHandler(EasyMakerHandler):
    area = "pipeline_schedules"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.pipeline_schedules.copy_body(ref))

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.pipeline_schedules.copy(ref, self.json_body()), 201)


class PipelineScheduleRunsHandler(EasyMakerHandler):
    area = "pipeline_schedules"

    @api
    def get(self, ref: str) -> None:
        limit = int_arg(self.query_args(), "limit", 1000, 1000, low=1)
        self.reply(self.services.pipeline_schedules.runs(ref, limit))


ROUTES = [
    Route("pipeline-schedules", PipelineSchedulesHandler, {
        "get": Op("List pipeline schedules", list_of="PipelineScheduleOut", params=(*LIST_PARAMS, "pipeline_name")),
        "post": Op("Create a pipeline schedule (interval or 6-field cron trigger)", body="PipelineScheduleCreate",
                   response="PipelineScheduleOut", status=201),
    }),
    Route("pipeline-schedules/{ref}", PipelineScheduleHandler, {
        "get": Op("Get a pipeline schedule with its next period and status history", response="PipelineScheduleOut"),
        "patch": Op("Change name or description", body="RenameBody", response="PipelineScheduleOut"),
        "delete": Op("Delete a pipeline schedule (refused while one of its runs is in progress)", status=204),
    }),
    Route("pipeline-schedules/{ref}/enable", PipelineScheduleEnableHandler, {
        "post": Op("Start a disabled pipeline schedule", response="PipelineScheduleOut"),
    }),
    Route("pipeline-schedules/{ref}/disable", PipelineScheduleDisableHandler, {
        "post": Op("Stop a pipeline schedule (its running runs go on)", response="PipelineScheduleOut"),
    }),
    Route("pipeline-schedules/{ref}/copy", PipelineScheduleCopyHandler, {
        "get": Op("A create body pre-filled from this pipeline schedule"),
        "post": Op("Create a pipeline schedule with this one's settings", body="PipelineScheduleCopy",
                   response="PipelineScheduleOut", status=201),
    }),
    Route("pipeline-schedules/{ref}/runs", PipelineScheduleRunsHandler, {
        "get": Op("The pipeline runs this schedule started, newest first", response="PipelineScheduleRunsOut",
                  params=("limit",)),
    }),
]
