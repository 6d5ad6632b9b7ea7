"""Server-wide routes: version handshake, OpenAPI, event stream,
built-in algorithms and instance types."""
from __future__ import annotations

import asyncio
import json

from tornado.iostream import StreamClosedError

from jupyter_easymaker.catalogs.algorithms import BUILTIN_ALGORITHMS
from jupyter_easymaker.core.http import EasyMakerHandler, api
from jupyter_easymaker.core.routing import Op, Route


class ServerInfoHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        self.reply(self.platform.server_info())


class OpenAPIHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        from jupyter_easymaker._version import __version__
        from jupyter_easymaker.core.routing import openapi_document

        self.reply(openapi_document(self.platform.routes, __version__, self.base_url))


class EventsHandler(EasyMakerHandler):
    """Server-sent events of every resource change (status, new rows, logs)."""

    async def get(self) -> None:
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        events = self.platform.events
        queue = events.subscribe()
        try:
            self.write(": connected\n\n")
            await self.flush()
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15.0)
                except asyncio.TimeoutError:
                    self.write(": keep-alive\n\n")
                else:
                    self.write(f"id: {event['seq']}\nevent: change\ndata: {json.dumps(event)}\n\n")
                await self.flush()
        except StreamClosedError:
            pass
        finally:
            events.unsubscribe(queue)


class AlgorithmsHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        self.reply({"items": [dict(v, name=k) for k, v in BUILTIN_ALGORITHMS.items()]})


class InstanceTypesHandler(EasyMakerHandler):
    @api
    def get(self) -> None:
        settings = self.services.settings
        self.reply(
            {"items": [it.to_dict() for it in settings.instance_types.values()], "default": settings.default_instance_type}
        )


ROUTES = [
    Route("", ServerInfoHandler, {"get": Op("Server version and capabilities (version handshake)", response="ServerInfo")}),
    Route("openapi.json", OpenAPIHandler, {"get": Op("This OpenAPI document")}),
    Route("events", EventsHandler, {"get": Op("Server-sent events of resource changes", content_type="text/event-stream")}),
    Route("algorithms", AlgorithmsHandler, {"get": Op("Built-in algorithms with their hyperparameters and metrics")}),
    Route("instance-types", InstanceTypesHandler, {"get": Op("Instance types jobs can ask for")}),
]
