from __future__ import annotations

from jupyter_easymaker.core.http import EasyMakerHandler, api, page
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class ExperimentsHandler(EasyMakerHandler):
    area = "experiments"

    @api
    def get(self) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.services.experiments.list(query)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.experiments.create(self.json_body()), 201)


class ExperimentHandler(EasyMakerHandler):
    area = "experiments"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.experiments.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.experiments.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.experiments.delete(ref)
        self.no_content()


class ExperimentCopyHandler(EasyMakerHandler):
    area = "experiments"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.experiments.copy(ref))


class ExperimentRetryHandler(EasyMakerHandler):
    area = "experiments"

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.experiments.retry(ref))


ROUTES = [
    Route("experiments", ExperimentsHandler, {
        "get": Op("List experiments", list_of="ExperimentOut", params=LIST_PARAMS),
        "post": Op("Create an experiment", body="ExperimentCreate", response="ExperimentOut", status=201),
    }),
    Route("experiments/{ref}", ExperimentHandler, {
        "get": Op("Get an experiment by id or name", response="ExperimentOut"),
        "patch": Op("Change name or description", body="RenameBody", response="ExperimentOut"),
        "delete": Op("Delete an experiment that has no trainings", status=204),
    }),
    Route("experiments/{ref}/copy", ExperimentCopyHandler, {"get": Op("A create body pre-filled from this experiment")}),
    Route("experiments/{ref}/retry", ExperimentRetryHandler, {"post": Op("Retry a failed creation", response="ExperimentOut")}),
]
