from __future__ import annotations

from jupyter_easymaker.handlers.base import EasyMakerHandler, api, page
from jupyter_easymaker.services.resources import ListQuery


class ExperimentsHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.services.experiments.list(query)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.experiments.create(self.json_body()), 201)


class ExperimentHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.experiments.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.experiments.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.experiments.delete(ref)
        self.set_status(204)
        self.finish()


class ExperimentCopyHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.experiments.copy(ref))


class ExperimentRetryHandler(EasyMakerHandler):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.experiments.retry(ref))
