"""REST routes of batch inferences."""
from __future__ import annotations

from jupyter_easymaker.core.http import (
    EasyMakerHandler,
    LogRecordsHandler,
    api,
    int_arg,
    page,
)
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


# -- batch inferences -------------------------------------------------------------------
class BatchInferencesHandler(EasyMakerHandler):
    area = "batch"

    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.services.batch.list(query, model=args.get("model_id") or None,
                                                           evaluation=args.get("evaluation_id") or None)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.batch.create(self.json_body()), 201)


class BatchInferenceHandler(EasyMakerHandler):
    area = "batch"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.batch.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.batch.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.batch.delete(ref)
        self.no_content()


class BatchInferenceStopHandler(EasyMakerHandler):
    area = "batch"

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.batch.stop(ref))


class BatchInferenceCopyHandler(EasyMakerHandler):
    area = "batch"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.batch.copy(ref))


class BatchInferenceOutputsHandler(EasyMakerHandler):
    area = "batch"

    @api
    def get(self, ref: str) -> None:
        args = self.query_args()
        offset, limit = int_arg(args, "offset", 0, 2**62), int_arg(args, "limit", 100, 1000)
        self.reply(self.services.batch.outputs(ref, args.get("file") or None, offset, limit))


class BatchInferenceLogsHandler(LogRecordsHandler):
    @api
    def get(self, ref: str) -> None:
        row = self.services.batch.get(ref, with_history=False)
        self.answer_logs("batch_inference_id", row.id, [row.id], row.name, row.status)


class BatchInferenceMonitoringHandler(EasyMakerHandler):
    area = "batch"

    @api
    def get(self, ref: str) -> None:
        row = self.services.batch.get(ref, with_history=False)
        self.reply({"batch_inference_id": row.id, "progress": row.progress, "usage": self.services.logs.samples(row.id)})


ROUTES = [
    Route("batch-inferences", BatchInferencesHandler, {
        "get": Op("List batch inferences", list_of="BatchInferenceOut", params=(*LIST_PARAMS, "model_id", "evaluation_id")),
        "post": Op("Create (submit) a batch inference", body="BatchInferenceCreate", response="BatchInferenceOut", status=201),
    }),
    Route("batch-inferences/{ref}", BatchInferenceHandler, {
        "get": Op("Get a batch inference with its progress, result summary and status history", response="BatchInferenceOut"),
        "patch": Op("Change name or description", body="RenameBody", response="BatchInferenceOut"),
        "delete": Op("Delete an ended batch inference (its output files stay)", status=204),
    }),
    Route("batch-inferences/{ref}/stop", BatchInferenceStopHandler, {"post": Op("Stop a batch inference", response="BatchInferenceOut")}),
    Route("batch-inferences/{ref}/copy", BatchInferenceCopyHandler, {"get": Op("A create body pre-filled from this batch inference")}),
    Route("batch-inferences/{ref}/outputs", BatchInferenceOutputsHandler, {
        "get": Op("Lines of an output file of a COMPLETE batch inference", response="BatchOutputsOut", params=("file", "offset", "limit")),
    }),
    Route("batch-inferences/{ref}/logs", BatchInferenceLogsHandler, {
        "get": Op("Log records (category easymaker.inference)", params=("after", "limit", "query", "format")),
    }),
    Route("batch-inferences/{ref}/monitoring", BatchInferenceMonitoringHandler, {"get": Op("Record progress and CPU / memory / GPU usage")}),
]
