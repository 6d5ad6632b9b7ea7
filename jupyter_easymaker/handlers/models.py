from __future__ import annotations

from tornado.ioloop import IOLoop

from jupyter_easymaker.handlers.base import EasyMakerHandler, api, page
from jupyter_easymaker.handlers.routing import LIST_PARAMS, Op, Route
from jupyter_easymaker.schemas.common import RenameBody
from jupyter_easymaker.schemas.models import FrameworkOut, ModelCreate, ModelFromSource, ModelOut
from jupyter_easymaker.services.resources import ListQuery


class ModelsHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.services.models.list(query, framework=args.get("framework") or None, training=args.get("training_id") or None)
        self.reply(page(items, total, query))

    @api
    async def post(self) -> None:
        body = self.json_body()
        # loading the artifact takes seconds: off the event loop
        self.reply(await IOLoop.current().run_in_executor(None, self.services.models.create, body), 201)


class ModelHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.models.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.models.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.models.delete(ref)
        self.set_status(204)
        self.finish()


class ModelCopyHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.models.copy(ref))


class ModelFrameworksHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        self.reply({"items": self.services.models.frameworks()})


class TrainingModelHandler(EasyMakerHandler):
    @api
    async def post(self, ref: str) -> None:
        body = self.json_body()
        create = self.services.models.create
        self.reply(await IOLoop.current().run_in_executor(None, lambda: create(body, training_ref=ref)), 201)


class TuningModelHandler(EasyMakerHandler):
    @api
    async def post(self, ref: str) -> None:
        body = self.json_body()
        create = self.services.models.create
        self.reply(await IOLoop.current().run_in_executor(None, lambda: create(body, tuning_ref=ref)), 201)


ROUTES = [
    Route("model-frameworks", ModelFrameworksHandler, {"get": Op("Frameworks a model can have, and whether this server can load them")}),
    Route("models", ModelsHandler, {
        "get": Op("List models", list_of=ModelOut, params=(*LIST_PARAMS, "framework", "training_id")),
        "post": Op("Create a model (its artifact is loaded first; a broken one is refused)", body=ModelCreate, response=ModelOut, status=201),
    }),
    Route("models/{ref}", ModelHandler, {
        "get": Op("Get a model by id or name", response=ModelOut),
        "patch": Op("Change name or description", body=RenameBody, response=ModelOut),
        "delete": Op("Delete a model no endpoint uses", status=204),
    }),
    Route("models/{ref}/copy", ModelCopyHandler, {"get": Op("A create body pre-filled from this model")}),
    Route("trainings/{ref}/model", TrainingModelHandler, {
        "post": Op("Create a model from a COMPLETE training", body=ModelFromSource, response=ModelOut, status=201),
    }),
    Route("hyperparameter-tunings/{ref}/model", TuningModelHandler, {
        "post": Op("Create a model from a tuning's best trial", body=ModelFromSource, response=ModelOut, status=201),
    }),
]
