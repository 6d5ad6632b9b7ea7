"""Notebooks: REST routes, and the authenticated reverse proxy (HTTP and
WebSocket) that opens a notebook's own Jupyter server in a browser tab."""
from __future__ import annotations

from jupyter_easymaker.areas.notebooks.proxy import NotebookProxyHandler
from jupyter_easymaker.areas.notebooks.service import PROXY_PATH
from jupyter_easymaker.core.http import EasyMakerHandler, api, page
from jupyter_easymaker.core.queries import ListQuery, time_arg
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class NotebooksHandler(EasyMakerHandler):
    area = "notebooks"

    @api
    def get(self) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.service.list(query)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.service.create(self.json_body()), 201)


class NotebookHandler(EasyMakerHandler):
    area = "notebooks"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.service.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.service.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.reply(self.service.delete(ref), 202)


class NotebookActionHandler(EasyMakerHandler):
    area = "notebooks"
    action = ""

    @api
    def post(self, ref: str) -> None:
        self.reply(getattr(self.service, self.action)(ref))


class NotebookStartHandler(NotebookActionHandler):
    action = "start"


class NotebookStopHandler(NotebookActionHandler):
    action = "stop"


class NotebookRebootHandler(NotebookActionHandler):
    action = "reboot"


class NotebookScriptsHandler(EasyMakerHandler):
    area = "notebooks"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.service.startup_scripts(ref))


class NotebookMonitoringHandler(EasyMakerHandler):
    area = "notebooks"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.service.monitoring(ref, since=time_arg(self.query_args(), "since")))


ROUTES = [
    Route("notebooks", NotebooksHandler, {
        "get": Op("List notebooks", list_of="NotebookOut", params=LIST_PARAMS),
        "post": Op("Create a notebook (its own Jupyter server)", body="NotebookCreate", response="NotebookOut", status=201),
    }),
    Route("notebooks/{ref}", NotebookHandler, {
        "get": Op("Get a notebook by id or name; url opens it while ACTIVE", response="NotebookOut"),
        "patch": Op("Rename, describe, or change the instance type of a STOPPED notebook (same core type); storage sizes are fixed",
                    body="NotebookUpdate", response="NotebookOut"),
        "delete": Op("Delete a notebook: its server stopped, its boot and data storage removed (a NAS is never touched)",
                     response="NotebookOut", status=202),
    }),
    Route("notebooks/{ref}/start", NotebookStartHandler, {"post": Op("Start a stopped notebook", response="NotebookOut")}),
    Route("notebooks/{ref}/stop", NotebookStopHandler, {"post": Op("Stop a notebook", response="NotebookOut")}),
    Route("notebooks/{ref}/reboot", NotebookRebootHandler, {"post": Op("Reboot a notebook (stop, then start)", response="NotebookOut")}),
    Route("notebooks/{ref}/startup-scripts", NotebookScriptsHandler, {
        "get": Op("The start-up scripts of cont-init.d with the exit code and output of their last run", response="StartupScriptsOut"),
    }),
    Route("notebooks/{ref}/monitoring", NotebookMonitoringHandler, {
        "get": Op("CPU and memory samples of the notebook's server; since=ISO time keeps only newer ones", params=("since",)),
    }),
]

# not part of the API (no OpenAPI entry): the notebook's own Jupyter server
URL_SPECS = [(rf"/{PROXY_PATH}/(?P<notebook_id>[0-9a-f-]{{36}})/proxy(?P<path>/.*)?", NotebookProxyHandler)]
