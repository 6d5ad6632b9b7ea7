from __future__ import annotations

from jupyter_easymaker.handlers.base import EasyMakerHandler, api, page
from jupyter_easymaker.services.resources import ListQuery


class TemplatesHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.services.templates.list(query)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.templates.create(self.json_body()), 201)


class TemplateHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.templates.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.templates.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.templates.delete(ref)
        self.set_status(204)
        self.finish()


class TemplateCopyHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.templates.copy(ref))


class TrainingToTemplateHandler(EasyMakerHandler):
    @api
    def post(self, ref: str) -> None:
        services = self.services
        self.reply(services.templates.from_training(ref, self.json_body(), services.trainings), 201)
