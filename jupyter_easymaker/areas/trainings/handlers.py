from __future__ import annotations

import asyncio
import json

from jupyter_server.utils import ensure_async
from tornado import web
from tornado.iostream import StreamClosedError

from jupyter_easymaker.areas.trainings import files as training_files
from jupyter_easymaker.core.errors import InvalidInput, NotFound
from jupyter_easymaker.core.http import (
    EasyMakerHandler,
    LogRecordsHandler,
    api,
    int_arg,
    page,
    time_arg,
)
from jupyter_easymaker.core.queries import ListQuery

FOLLOW_HEARTBEAT_SECONDS = 15.0
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class TrainingsHandler(EasyMakerHandler):
    area = "trainings"

    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.services.trainings.list(query, experiment=args.get("experiment_id") or None)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.trainings.create(self.json_body()), 201)


class TrainingHandler(EasyMakerHandler):
    area = "trainings"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.trainings.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.trainings.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.trainings.delete(ref)
        self.no_content()


class TrainingStopHandler(EasyMakerHandler):
    area = "trainings"

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.trainings.stop(ref))


class TrainingCopyHandler(EasyMakerHandler):
    area = "trainings"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.trainings.copy(ref))


class TrainingMetricsHandler(EasyMakerHandler):
    area = "trainings"

    @api
    def get(self, ref: str) -> None:
        training = self.services.trainings.get(ref, with_history=False)
        logs = self.services.logs
        since = time_arg(self.query_args(), "since")
        self.reply({"training_id": training.id, "metrics": logs.metrics(training.id, since=since),
                    "usage": logs.samples(training.id, since=since)})


class TrainingFromFileHandler(EasyMakerHandler):
    """The "Submit as training" command: a workspace .py or .ipynb becomes main.py."""
    area = "trainings"

    @api
    async def post(self) -> None:
        body = self.json_body()
        if not isinstance(body, dict):
            raise InvalidInput("the request body must be a JSON object", field="body")
        root = getattr(self.contents_manager, "root_dir", None) or self.settings.get("server_root_dir") or "."
        path = training_files.workspace_path(body.get("path"), root)
        kind = {"type": "notebook"} if path.endswith(".ipynb") else {"type": "file", "format": "text"}
        try:
            model = await ensure_async(self.contents_manager.get(path, content=True, **kind))
        except web.HTTPError as exc:
            error = NotFound if exc.status_code == 404 else InvalidInput
            raise error(f"path: {path!r}: {exc.log_message or exc.reason}", field="path") from None
        self.reply(await self.run(training_files.create_from_file, self.service, body, path, model), 201)



class TrainingLogsHandler(LogRecordsHandler):
    """Structured log records of a training.

    ``?after=ID`` continues after a record; ``?format=text`` answers plain
    text (a download); ``?follow=true`` streams records as server-sent events
    until the training has ended and every line has been sent.
    """
    area = "trainings"

    @api
    async def get(self, ref: str) -> None:
        args = self.query_args()
        if args.get("follow") not in ("1", "true", "yes"):
            await self.answer_in_thread(TrainingLogsHandler._records, ref)
            return
        training = await self.run(self.service.get, ref, with_history=False)
        await self._follow(training.id, int_arg(args, "after", 0, 2**62), args.get("query") or None)

    def _records(self, ref: str) -> None:
        training = self.service.get(ref, with_history=False)
        self.answer_logs("training_id", training.id, [training.id], training.name, training.status)

    async def _follow(self, training_id: str, after: int, query: str | None) -> None:
        services = self.services
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        queue = services.events.subscribe()
        try:
            idle = 0.0
            while True:
                records = await self.run(services.logs.records, training_id, after=after, limit=1000, query=query)
                for record in records:
                    self.write(f"id: {record['id']}\nevent: log\ndata: {json.dumps(record)}\n\n")
                    after = record["id"]
                if records:
                    await self.flush()
                    idle = 0.0
                    continue
                status = (await self.run(self.service.get, training_id, with_history=False)).status
                if status in services.trainings.machine.terminal:
                    self.write(f"event: end\ndata: {json.dumps({'status': status})}\n\n")
                    await self.flush()
                    break
                try:
                    await asyncio.wait_for(self._next_change(queue, training_id), timeout=1.0)
                except asyncio.TimeoutError:
                    idle += 1.0
                    if idle >= FOLLOW_HEARTBEAT_SECONDS:
                        self.write(": keep-alive\n\n")
                        await self.flush()
                        idle = 0.0
        except StreamClosedError:
            pass
        finally:
            services.events.unsubscribe(queue)
        self.finish()

    @staticmethod
    async def _next_change(queue: asyncio.Queue, training_id: str) -> None:
        while True:
            event = await queue.get()
            if event.get("id") == training_id:
                return


ROUTES = [
    Route("trainings", TrainingsHandler, {
        "get": Op("List trainings", list_of="TrainingOut", params=(*LIST_PARAMS, "experiment_id")),
        "post": Op("Create (submit) a training", body="TrainingCreate", response="TrainingOut", status=201),
    }),
    # before trainings/{ref}, which would match it too
    Route("trainings/from-file", TrainingFromFileHandler, {
        "post": Op("Create a training from a workspace .py or .ipynb (path relative to the server root, "
                   "plus any training create field but algorithm)", response="TrainingOut", status=201),
    }),
    Route("trainings/{ref}", TrainingHandler, {
        "get": Op("Get a training with its status history", response="TrainingOut"),
        "patch": Op("Change name or description", body="RenameBody", response="TrainingOut"),
        "delete": Op("Delete an ended training", status=204),
    }),
    Route("trainings/{ref}/stop", TrainingStopHandler, {"post": Op("Stop a training", response="TrainingOut")}),
    Route("trainings/{ref}/copy", TrainingCopyHandler, {"get": Op("A create body pre-filled from this training")}),
    Route("trainings/{ref}/logs", TrainingLogsHandler, {
        "get": Op("Log records; follow=true streams them as server-sent events", params=("after", "limit", "query", "follow", "format")),
    }),
    Route("trainings/{ref}/metrics", TrainingMetricsHandler, {
        "get": Op("Scraped metrics and resource usage; since=ISO time keeps only newer ones", response="MetricsOut", params=("since",)),
    }),
]
