"""REST routes of model evaluations."""
from __future__ import annotations

from jupyter_easymaker.core.http import EasyMakerHandler, LogRecordsHandler, api, page
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


# -- model evaluations --------------------------------------------------------------------
class ModelEvaluationsHandler(EasyMakerHandler):
    area = "evaluations"

    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.services.evaluations.list(query, model=args.get("model_id") or None, task=args.get("task") or None)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.evaluations.create(self.json_body()), 201)


class ModelEvaluationCompareHandler(EasyMakerHandler):
    area = "evaluations"

    @api
    def get(self) -> None:
        ids = self.query_args().get("ids") or ""
        self.reply(self.services.evaluations.compare(ids.split(",")))


class ModelEvaluationHandler(EasyMakerHandler):
    area = "evaluations"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.evaluations.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.evaluations.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.evaluations.delete(ref)
        self.no_content()


class ModelEvaluationResultsHandler(EasyMakerHandler):
    area = "evaluations"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.evaluations.result(ref))


class ModelEvaluationStopHandler(EasyMakerHandler):
    area = "evaluations"

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.evaluations.stop(ref))


class ModelEvaluationCopyHandler(EasyMakerHandler):
    area = "evaluations"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.evaluations.copy(ref))


class ModelEvaluationLogsHandler(LogRecordsHandler):
    @api
    def get(self, ref: str) -> None:
        row = self.services.evaluations.get(ref, with_history=False)
        ids = [row.id, *([row.batch_inference_id] if row.batch_inference_id else [])]
        self.answer_logs("model_evaluation_id", row.id, ids, row.name, row.status)


ROUTES = [
    Route("model-evaluations", ModelEvaluationsHandler, {
        "get": Op("List model evaluations", list_of="ModelEvaluationOut", params=(*LIST_PARAMS, "model_id", "task")),
        "post": Op("Create a model evaluation (its batch inference is created with it)", body="ModelEvaluationCreate",
                   response="ModelEvaluationOut", status=201),
    }),
    # before model-evaluations/{ref}, which would match it too
    Route("model-evaluations/compare", ModelEvaluationCompareHandler, {
        "get": Op("Compare evaluations side by side: metrics with the best marked, curves and confusion matrices", params=("ids",)),
    }),
    Route("model-evaluations/{ref}", ModelEvaluationHandler, {
        "get": Op("Get a model evaluation with its metrics and status history", response="ModelEvaluationOut"),
        "patch": Op("Change name or description", body="RenameBody", response="ModelEvaluationOut"),
        "delete": Op("Delete an ended model evaluation and its batch inference", status=204),
    }),
    Route("model-evaluations/{ref}/results", ModelEvaluationResultsHandler, {
        "get": Op("Metrics, curves (<= 200 points), precision/recall by threshold, confusion matrix", response="ModelEvaluationResultOut"),
    }),
    Route("model-evaluations/{ref}/stop", ModelEvaluationStopHandler, {"post": Op("Stop a model evaluation", response="ModelEvaluationOut")}),
    Route("model-evaluations/{ref}/copy", ModelEvaluationCopyHandler, {"get": Op("A create body pre-filled from this evaluation")}),
    Route("model-evaluations/{ref}/logs", ModelEvaluationLogsHandler, {
        "get": Op("Log records of the evaluation and its batch inference", params=("after", "limit", "query", "format")),
    }),
]
