"""REST routes of the log search: a page of records, and a live tail as
server-sent events."""
from __future__ import annotations

import asyncio
import json

from tornado.iostream import StreamClosedError

from jupyter_easymaker.core.http import EasyMakerHandler, api, int_arg, time_arg
from jupyter_easymaker.core.routing import Op, Route

TAIL_POLL_SECONDS = 1.0  # a record written by another process is found within this
TAIL_HEARTBEAT_SECONDS = 15.0


class LogSearchHandler(EasyMakerHandler):
    """``?query=category:"easymaker.training" AND logLevel:ERROR&since=...&until=...&before=ID&limit=N``."""

    area = "logs"

    @api
    def get(self) -> None:
        args = self.query_args()
        self.reply(self.service.search(
            args.get("query") or None, since=time_arg(args, "since"), until=time_arg(args, "until"),
            before=int_arg(args, "before", 0, 2**62) or None, limit=int_arg(args, "limit", 100, 1000, low=1),
        ))


class LogTailHandler(EasyMakerHandler):
    """Records matching ``query`` as they are written, as server-sent events
    (``event: log``); ``after=ID`` starts after that record (a resumed tail),
    otherwise with the next record written. The first event, ``ready``,
    names the id the tail starts after."""

    area = "logs"

    @api
    async def get(self) -> None:
        args = self.query_args()
        query = args.get("query") or None
        since, until = time_arg(args, "since"), time_arg(args, "until")
        service = self.service
        await self.run(service.check, query)  # a syntax error is a 400, not a broken stream
        after = int_arg(args, "after", 0, 2**62) if args.get("after") else await self.run(service.newest_id)
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        events = self.services.events
        queue = events.subscribe()
        try:
            self.write(f"event: ready\ndata: {json.dumps({'after': after})}\n\n")
            await self.flush()
            idle = 0.0
            while True:
                records = await self.run(service.following, query, after, since=since, until=until)
                for record in records:
                    self.write(f"id: {record['id']}\nevent: log\ndata: {json.dumps(record)}\n\n")
                    after = record["id"]
                if records:
                    await self.flush()
                    idle = 0.0
                    continue
                try:  # a change (new log lines come with their job's) or the poll, whichever first
                    await asyncio.wait_for(queue.get(), timeout=TAIL_POLL_SECONDS)
                except asyncio.TimeoutError:
                    idle += TAIL_POLL_SECONDS
                    if idle >= TAIL_HEARTBEAT_SECONDS:
                        self.write(": keep-alive\n\n")
                        await self.flush()
                        idle = 0.0
        except StreamClosedError:
            pass
        finally:
            events.unsubscribe(queue)


ROUTES = [
    Route("logs", LogSearchHandler, {"get": Op(
        "Search the structured logs of every job (newest first; next_before pages back)",
        params=("query", "since", "until", "before", "limit"))}),
    Route("logs/tail", LogTailHandler, {"get": Op(
        "Records matching a query as they are written (server-sent events)", params=("query", "after", "since", "until"),
        content_type="text/event-stream")}),
]
