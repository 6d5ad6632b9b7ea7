from __future__ import annotations

from jupyter_easymaker.core.http import EasyMakerHandler, api, page
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class ModelsHandler(EasyMakerHandler):
    area = "models"

    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.services.models.list(query, framework=args.get("framework") or None, training=args.get("training_id") or None)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.models.create(self.json_body()), 201)


class ModelHandler(EasyMakerHandler):
    area = "models"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.models.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.models.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.models.delete(ref)
        self.no_content()


class ModelCopyHandler(EasyMakerHandler):
    area = "models"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.models.copy(ref))


class ModelFrameworksHandler(EasyMakerHandler):
    area = "models"

    @api
    def get(self) -> None:
        self.reply({"items": self.services.models.frameworks()})


class TrainingModelHandler(EasyMakerHandler):
    area = "models"

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.models.create(self.json_body(), training_ref=ref), 201)


class TuningModelHandler(EasyMakerHandler):
    area = "models"

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.models.create(self.json_body(), tuning_ref=ref), 201)


ROUTES = [
    Route("model-frameworks", ModelFrameworksHandler, {"get": Op("Frameworks a model can have, and whether this server can load them")}),
    Route("models", ModelsHandler, {
        "get": Op("List models", list_of="ModelOut", params=(*LIST_PARAMS, "framework", "training_id")),
        "post": Op("Create a model (its artifact is loaded first; a broken one is refused)", body="ModelCreate", response="ModelOut", status=201),
    }),
    Route("models/{ref}", ModelHandler, {
        "get": Op("Get a model by id or name", response="ModelOut"),
        "patch": Op("Change name or description", body="RenameBody", response="ModelOut"),
        "delete": Op("Delete a model no endpoint uses", status=204),
    }),
    Route("models/{ref}/copy", ModelCopyHandler, {"get": Op("A create body pre-filled from this model")}),
    Route("trainings/{ref}/model", TrainingModelHandler, {
        "post": Op("Create a model from a COMPLETE training", body="ModelFromSource", response="ModelOut", status=201),
    }),
    Route("hyperparameter-tunings/{ref}/model", TuningModelHandler, {
        "post": Op("Create a model from a tuning's best trial", body="ModelFromSource", response="ModelOut", status=201),
    }),
]
