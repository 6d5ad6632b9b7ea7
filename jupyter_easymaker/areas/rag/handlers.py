"""REST routes of RAGs: the RAG, its ingestions and their per-file results,
sync, retrieval, API keys, API statistics, monitoring and logs. The question
API itself is ``query.py`` (outside the REST API, authorised by API key)."""
from __future__ import annotations

from jupyter_easymaker.core.http import (
    EasyMakerHandler,
    LogRecordsHandler,
    api,
    int_arg,
    page,
    time_arg,
)
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class RagBase(EasyMakerHandler):
    area = "rag"

    @property
    def rags(self):
        return self.services.rag

    @property
    def origin(self) -> str:
        """Scheme and host this server is reached at: the query URL is absolute."""
        return f"{self.request.protocol}://{self.request.host}"

    @property
    def user(self) -> str:
        user = self.current_user
        return str(getattr(user, "username", None) or getattr(user, "name", None) or user or "")


class RagsHandler(RagBase):
    @api
    def get(self) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.rags.list(query, self.origin)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.rags.create(self.json_body(), user=self.user, origin=self.origin), 201)


class RagHandler(RagBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.rags.get(ref, self.origin))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.rags.update(ref, self.json_body(), self.origin))

    @api
    def delete(self, ref: str) -> None:
        self.rags.delete(ref)
        self.no_content()


class RagSyncHandler(RagBase):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.rags.sync(ref, user=self.user), 201)


class IngestionsHandler(RagBase):
    @api
    def get(self, ref: str) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.rags.list_ingestions(ref, query)
        self.reply(page(items, total, query))


class IngestionHandler(RagBase):
    @api
    def get(self, ref: str, ingestion: str) -> None:
        self.reply(self.rags.get_ingestion(ref, ingestion))


class IngestionFilesHandler(RagBase):
    @api
    def get(self, ref: str, ingestion: str) -> None:
        args = self.query_args()
        self.reply(self.rags.ingestion_files(ref, ingestion, outcome=args.get("outcome") or None,
                                             offset=int_arg(args, "offset", 0, 2**62), limit=int_arg(args, "limit", 100, 1000)))


class IngestionStopHandler(RagBase):
    @api
    def post(self, ref: str, ingestion: str) -> None:
        self.reply(self.rags.stop_ingestion(ref, ingestion))


class IngestionLogsHandler(LogRecordsHandler):
    area = "rag"

    @api
    def get(self, ref: str, ingestion: str) -> None:
        ingestion_id, name, status = self.services.rag.ingestion_ids(ref, ingestion)
        self.answer_logs("ingestion_id", ingestion_id, [ingestion_id], name, status)


class RetrieveHandler(RagBase):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.rags.retrieve(ref, self.json_body()))


class AskHandler(RagBase):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.rags.ask(ref, self.json_body()))


class ApiKeysHandler(RagBase):
    @api
    def get(self, ref: str) -> None:
        items = self.rags.list_keys(ref)
        self.reply({"items": items, "total": len(items)})

    @api
    def post(self, ref: str) -> None:
        self.reply(self.rags.create_key(ref, self.json_body()), 201)


class ApiKeyHandler(RagBase):
    @api
    def delete(self, ref: str, key: str) -> None:
        self.reply(self.rags.revoke_key(ref, key))


class StatisticsHandler(RagBase):
    @api
    def get(self, ref: str) -> None:
        args = self.query_args()
        self.reply(self.rags.statistics(ref, since=time_arg(args, "since"), until=time_arg(args, "until"),
                                        interval=int_arg(args, "interval", 60, 86400 * 31)))


class MonitoringHandler(RagBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.rags.monitoring(ref))


class QueryLogsHandler(LogRecordsHandler):
    area = "rag"

    @api
    def get(self, ref: str) -> None:
        row = self.services.rag.get(ref, with_history=False)
        self.answer_logs("rag_id", row.id, [row.id], row.name, row.status)


class ServerLogsHandler(RagBase):
    @api
    def get(self, ref: str) -> None:
        self.reply_text(self.rags.server_logs(ref, int_arg(self.query_args(), "tail", 200, 10000)))


RAG = "rags/{ref}"
INGESTION = "rags/{ref}/ingestions/{ingestion}"

ROUTES = [
    Route("rags", RagsHandler, {
        "get": Op("List RAGs", list_of="RagOut", params=LIST_PARAMS),
        "post": Op("Create a RAG: its first ingestion starts, then its query server", body="RagCreate", response="RagOut", status=201),
    }),
    Route(RAG, RagHandler, {
        "get": Op("Get a RAG with its last ingestion and status history", response="RagOut"),
        "patch": Op("Change description, prompt template, retrieval, chunking (from the next sync) or log management",
                    body="RagUpdate", response="RagOut"),
        "delete": Op("Delete a RAG (refused while it is being created or deleted)", status=204),
    }),
    Route(f"{RAG}/sync", RagSyncHandler, {
        "post": Op("Ingestion sync: apply added, changed and deleted documents", response="IngestionOut", status=201),
    }),
    Route(f"{RAG}/ingestions", IngestionsHandler, {"get": Op("Ingestion history, newest first", list_of="IngestionOut",
                                                             params=("offset", "limit"))}),
    Route(INGESTION, IngestionHandler, {"get": Op("An ingestion with its progress and result", response="IngestionOut")}),
    Route(f"{INGESTION}/files", IngestionFilesHandler, {
        "get": Op("Files the ingestion added, changed, deleted or could not read (failed first)", list_of="IngestionFileOut",
                  params=("outcome", "offset", "limit")),
    }),
    Route(f"{INGESTION}/stop", IngestionStopHandler, {"post": Op("Stop an ingestion (the live index keeps answering)",
                                                                response="IngestionOut")}),
    Route(f"{INGESTION}/logs", IngestionLogsHandler, {
        "get": Op("The ingestion job's log records", params=("after", "limit", "query", "format")),
    }),
    Route(f"{RAG}/retrieve", RetrieveHandler, {
        "post": Op("The passages a question retrieves (file, chunk, score, text), without the LLM", body="RetrieveBody",
                   response="RetrieveOut"),
    }),
    Route(f"{RAG}/ask", AskHandler, {
        "post": Op("Ask the RAG as the signed-in user: the answer (Chat Completions' shape) with its sources", body="AskBody"),
    }),
    Route(f"{RAG}/api-keys", ApiKeysHandler, {
        "get": Op("API keys of the RAG, masked"),
        "post": Op("Create an API key (the key is in this answer only)", body="ApiKeyCreate", response="ApiKeyOut", status=201),
    }),
    Route(f"{RAG}/api-keys/{{key}}", ApiKeyHandler, {"delete": Op("Revoke an API key", response="ApiKeyOut")}),
    Route(f"{RAG}/statistics", StatisticsHandler, {
        "get": Op("API statistics time series: calls, success, failure, latency percentiles", response="RagStatsOut",
                  params=("since", "until", "interval")),
    }),
    Route(f"{RAG}/monitoring", MonitoringHandler, {"get": Op("The query servers' pods and their CPU / memory use")}),
    Route(f"{RAG}/logs", QueryLogsHandler, {"get": Op("Query logs of the RAG", params=("after", "limit", "query", "format"))}),
    Route(f"{RAG}/server-logs", ServerLogsHandler, {"get": Op("The query servers' output", params=("tail",),
                                                              content_type="text/plain")}),
]

from jupyter_easymaker.areas.rag.query import URL_SPECS  # noqa: F401 - the question API, outside the REST API
