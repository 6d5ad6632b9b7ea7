from __future__ import annotations

import asyncio
import json

from tornado.iostream import StreamClosedError

from datetime import datetime, timezone

from jupyter_server.utils import ensure_async
from tornado import web

from jupyter_easymaker.domain.errors import InvalidInput, NotFound
from jupyter_easymaker.handlers.base import EasyMakerHandler, api, int_arg, page
from jupyter_easymaker.services import training_files
from jupyter_easymaker.services.resources import ListQuery

FOLLOW_HEARTBEAT_SECONDS = 15.0
from jupyter_easymaker.handlers.routing import LIST_PARAMS, Op, Route
from jupyter_easymaker.schemas.common import RenameBody
from jupyter_easymaker.schemas.trainings import MetricsOut, TrainingCreate, TrainingOut


class TrainingsHandler(EasyMakerHandler):
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
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.trainings.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.trainings.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.trainings.delete(ref)
        self.set_status(204)
        self.finish()


class TrainingStopHandler(EasyMakerHandler):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.trainings.stop(ref))


class TrainingCopyHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.trainings.copy(ref))


class TrainingMetricsHandler(EasyMakerHandler):
    @api
    def get(self, ref: str) -> None:
        training = self.services.trainings.get(ref, with_history=False)
        logs = self.services.logs
        since = _time_arg(self.query_args(), "since")
        self.reply({"training_id": training.id, "metrics": logs.metrics(training.id, since=since),
                    "usage": logs.samples(training.id, since=since)})


def _time_arg(args: dict[str, str], key: str) -> datetime | None:
    raw = args.get(key)
    if not raw:
        return None
    try:
        # an unencoded '+' of the UTC offset arrives as a space
        value = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError:
        raise InvalidInput(f"{key} must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z", field=key) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class TrainingFromFileHandler(EasyMakerHandler):
    """The "Submit as training" command: a workspace .py or .ipynb becomes main.py."""

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
        self.reply(training_files.create_from_file(self.services.trainings, body, path, model), 201)



class TrainingLogsHandler(EasyMakerHandler):
    """Structured log records of a training.

    ``?after=ID`` continues after a record; ``?format=text`` answers plain
    text (a download); ``?follow=true`` streams records as server-sent events
    until the training has ended and every line has been sent.
    """

    @api
    async def get(self, ref: str) -> None:
        args = self.query_args()
        training = self.services.trainings.get(ref, with_history=False)
        after = int_arg(args, "after", 0, 2**62)
        limit = int_arg(args, "limit", 1000, 10000)
        query = args.get("query") or None
        logs = self.services.logs
        if args.get("follow") in ("1", "true", "yes"):
            await self._follow(training.id, after, query)
            return
        records = logs.records(training.id, after=after, limit=limit, query=query)
        if args.get("format") == "text":
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.set_header("Content-Disposition", f'attachment; filename="{training.name}.log"')
            self.finish("".join(r["body"] + "\n" for r in records))
            return
        next_after = records[-1]["id"] if records else after
        self.reply({"training_id": training.id, "status": training.status, "records": records, "next_after": next_after})

    async def _follow(self, training_id: str, after: int, query: str | None) -> None:
        services = self.services
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        queue = services.events.subscribe()
        try:
            idle = 0.0
            while True:
                records = services.logs.records(training_id, after=after, limit=1000, query=query)
                for record in records:
                    self.write(f"id: {record['id']}\nevent: log\ndata: {json.dumps(record)}\n\n")
                    after = record["id"]
                if records:
                    await self.flush()
                    idle = 0.0
                    continue
                status = services.trainings.get(training_id, with_history=False).status
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
        "get": Op("List trainings", list_of=TrainingOut, params=(*LIST_PARAMS, "experiment_id")),
        "post": Op("Create (submit) a training", body=TrainingCreate, response=TrainingOut, status=201),
    }),
    # before trainings/{ref}, which would match it too
    Route("trainings/from-file", TrainingFromFileHandler, {
        "post": Op("Create a training from a workspace .py or .ipynb (path relative to the server root, "
                   "plus any training create field but algorithm)", response=TrainingOut, status=201),
    }),
    Route("trainings/{ref}", TrainingHandler, {
        "get": Op("Get a training with its status history", response=TrainingOut),
        "patch": Op("Change name or description", body=RenameBody, response=TrainingOut),
        "delete": Op("Delete an ended training", status=204),
    }),
    Route("trainings/{ref}/stop", TrainingStopHandler, {"post": Op("Stop a training", response=TrainingOut)}),
    Route("trainings/{ref}/copy", TrainingCopyHandler, {"get": Op("A create body pre-filled from this training")}),
    Route("trainings/{ref}/logs", TrainingLogsHandler, {
        "get": Op("Log records; follow=true streams them as server-sent events", params=("after", "limit", "query", "follow", "format")),
    }),
    Route("trainings/{ref}/metrics", TrainingMetricsHandler, {
        "get": Op("Scraped metrics and resource usage; since=ISO time keeps only newer ones", response=MetricsOut, params=("since",)),
    }),
]
