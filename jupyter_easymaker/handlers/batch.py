"""REST routes of batch inferences and model evaluations."""
from __future__ import annotations

from tornado.ioloop import IOLoop

from jupyter_easymaker.handlers.base import EasyMakerHandler, api, int_arg, page
from jupyter_easymaker.handlers.routing import LIST_PARAMS, Op, Route
from jupyter_easymaker.schemas.batch import (
    BatchInferenceCreate,
    BatchInferenceOut,
    BatchOutputsOut,
    ModelEvaluationCreate,
    ModelEvaluationOut,
    ModelEvaluationResultOut,
)
from jupyter_easymaker.schemas.common import RenameBody
from jupyter_easymaker.services.resources import ListQuery



class _Logs(EasyMakerHandler):
    """Log records of one or more resources (``?after=ID&limit=N&query=...``,
    ``format=text`` for a download)."""

    def answer(self, key: str, resource_id: str, ids: list[str], name: str, status: str) -> None:
        args = self.query_args()
        after, limit = int_arg(args, "after", 0, 2**62), int_arg(args, "limit", 1000, 10000)
        records = []
        for rid in ids:
            records += self.services.logs.records(rid, after=after, limit=limit, query=args.get("query") or None)
        records = sorted(records, key=lambda r: r["id"])[:limit]
        if args.get("format") == "text":
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.set_header("Content-Disposition", f'attachment; filename="{name}.log"')
            self.finish("".join(r["body"] + "\n" for r in records))
            return
        self.reply({key: resource_id, "status": status, "records": records, "next_after": records[-1]["id"] if records else after})


# -- batch inferences -------------------------------------------------------------------
class BatchInferencesHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.services.batch_inferences.list(query, model=args.get("model_id") or None,
                                                           evaluation=args.get("evaluation_id") or None)
        self.reply(page(items, total, query))

    @api
    async def post(self) -> None:
        body = self.json_body()
        # inline records are written to disk and local inputs listed: off the event loop
        self.reply(await IOLoop.current().run_in_executor(None, self.services.batch_inferences.create, body), 201)


class BatchInferenceHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.batch_inferences.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.batch_inferences.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.batch_inferences.delete(ref)
        self.set_status(204)
        self.finish()


class BatchInferenceStopHandler(EasyMakerHandler):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.batch_inferences.stop(ref))


class BatchInferenceCopyHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.batch_inferences.copy(ref))


class BatchInferenceOutputsHandler(EasyMakerHandler):
    @api
    async def get(self, ref: str) -> None:
        args = self.query_args()
        offset, limit = int_arg(args, "offset", 0, 2**62), int_arg(args, "limit", 100, 1000)
        outputs = self.services.batch_inferences.outputs
        self.reply(await IOLoop.current().run_in_executor(None, lambda: outputs(ref, args.get("file") or None, offset, limit)))


class BatchInferenceLogsHandler(_Logs):
    @api
    def get(self, ref: str) -> None:
        row = self.services.batch_inferences.get(ref, with_history=False)
        self.answer("batch_inference_id", row.id, [row.id], row.name, row.status)


class BatchInferenceMonitoringHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        row = self.services.batch_inferences.get(ref, with_history=False)
        self.reply({"batch_inference_id": row.id, "progress": row.progress, "usage": self.services.logs.samples(row.id)})


# -- model evaluations --------------------------------------------------------------------
class ModelEvaluationsHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.services.model_evaluations.list(query, model=args.get("model_id") or None, task=args.get("task") or None)
        self.reply(page(items, total, query))

    @api
    async def post(self) -> None:
        body = self.json_body()
        self.reply(await IOLoop.current().run_in_executor(None, self.services.model_evaluations.create, body), 201)


class ModelEvaluationCompareHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        ids = self.query_args().get("ids") or ""
        self.reply(self.services.model_evaluations.compare(ids.split(",")))


class ModelEvaluationHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.model_evaluations.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.model_evaluations.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.model_evaluations.delete(ref)
        self.set_status(204)
        self.finish()


class ModelEvaluationResultsHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.model_evaluations.result(ref))


class ModelEvaluationStopHandler(EasyMakerHandler):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.model_evaluations.stop(ref))


class ModelEvaluationCopyHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.model_evaluations.copy(ref))


class ModelEvaluationLogsHandler(_Logs):
    @api
    def get(self, ref: str) -> None:
        row = self.services.model_evaluations.get(ref, with_history=False)
        ids = [row.id, *([row.batch_inference_id] if row.batch_inference_id else [])]
        self.answer("model_evaluation_id", row.id, ids, row.name, row.status)


ROUTES = [
    Route("batch-inferences", BatchInferencesHandler, {
        "get": Op("List batch inferences", list_of=BatchInferenceOut, params=(*LIST_PARAMS, "model_id", "evaluation_id")),
        "post": Op("Create (submit) a batch inference", body=BatchInferenceCreate, response=BatchInferenceOut, status=201),
    }),
    Route("batch-inferences/{ref}", BatchInferenceHandler, {
        "get": Op("Get a batch inference with its progress, result summary and status history", response=BatchInferenceOut),
        "patch": Op("Change name or description", body=RenameBody, response=BatchInferenceOut),
        "delete": Op("Delete an ended batch inference (its output files stay)", status=204),
    }),
    Route("batch-inferences/{ref}/stop", BatchInferenceStopHandler, {"post": Op("Stop a batch inference", response=BatchInferenceOut)}),
    Route("batch-inferences/{ref}/copy", BatchInferenceCopyHandler, {"get": Op("A create body pre-filled from this batch inference")}),
    Route("batch-inferences/{ref}/outputs", BatchInferenceOutputsHandler, {
        "get": Op("Lines of an output file of a COMPLETE batch inference", response=BatchOutputsOut, params=("file", "offset", "limit")),
    }),
    Route("batch-inferences/{ref}/logs", BatchInferenceLogsHandler, {
        "get": Op("Log records (category easymaker.inference)", params=("after", "limit", "query", "format")),
    }),
    Route("batch-inferences/{ref}/monitoring", BatchInferenceMonitoringHandler, {"get": Op("Record progress and CPU / memory / GPU usage")}),
    Route("model-evaluations", ModelEvaluationsHandler, {
        "get": Op("List model evaluations", list_of=ModelEvaluationOut, params=(*LIST_PARAMS, "model_id", "task")),
        "post": Op("Create a model evaluation (its batch inference is created with it)", body=ModelEvaluationCreate,
                   response=ModelEvaluationOut, status=201),
    }),
    # before model-evaluations/{ref}, which would match it too
    Route("model-evaluations/compare", ModelEvaluationCompareHandler, {
        "get": Op("Compare evaluations side by side: metrics with the best marked, curves and confusion matrices", params=("ids",)),
    }),
    Route("model-evaluations/{ref}", ModelEvaluationHandler, {
        "get": Op("Get a model evaluation with its metrics and status history", response=ModelEvaluationOut),
        "patch": Op("Change name or description", body=RenameBody, response=ModelEvaluationOut),
        "delete": Op("Delete an ended model evaluation and its batch inference", status=204),
    }),
    Route("model-evaluations/{ref}/results", ModelEvaluationResultsHandler, {
        "get": Op("Metrics, curves (<= 200 points), precision/recall by threshold, confusion matrix", response=ModelEvaluationResultOut),
    }),
    Route("model-evaluations/{ref}/stop", ModelEvaluationStopHandler, {"post": Op("Stop a model evaluation", response=ModelEvaluationOut)}),
    Route("model-evaluations/{ref}/copy", ModelEvaluationCopyHandler, {"get": Op("A create body pre-filled from this evaluation")}),
    Route("model-evaluations/{ref}/logs", ModelEvaluationLogsHandler, {
        "get": Op("Log records of the evaluation and its batch inference", params=("after", "limit", "query", "format")),
    }),
]
