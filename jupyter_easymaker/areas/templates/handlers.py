from __future__ import annotations

from jupyter_easymaker.core.http import EasyMakerHandler, api, page
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class TemplatesHandler(EasyMakerHandler):
    area = "templates"

    @api
    def get(self) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.services.templates.list(query)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.templates.create(self.json_body()), 201)


class TemplateHandler(EasyMakerHandler):
    area = "templates"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.templates.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.templates.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.templates.delete(ref)
        self.no_content()


class TemplateCopyHandler(EasyMakerHandler):
    area = "templates"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.templates.copy(ref))


class TrainingToTemplateHandler(EasyMakerHandler):
    area = "templates"

    @api
    def post(self, ref: str) -> None:
        services = self.services
        self.reply(services.templates.from_training(ref, self.json_body()), 201)


ROUTES = [
    Route("trainings/{ref}/template", TrainingToTemplateHandler, {
        "post": Op("Save this training's fields as a template", body="TemplateFromTraining", response="TemplateOut", status=201),
    }),
    Route("training-templates", TemplatesHandler, {
        "get": Op("List training templates", list_of="TemplateOut", params=LIST_PARAMS),
        "post": Op("Create a training template", body="TemplateCreate", response="TemplateOut", status=201),
    }),
    Route("training-templates/{ref}", TemplateHandler, {
        "get": Op("Get a training template", response="TemplateOut"),
        "patch": Op("Change any field of a template", body="TemplateCreate", response="TemplateOut"),
        "delete": Op("Delete a training template", status=204),
    }),
    Route("training-templates/{ref}/copy", TemplateCopyHandler, {"get": Op("A create body pre-filled from this template")}),
]
