"""REST routes of endpoints, their stages, stage resources, API keys,
API statistics, monitoring and inference logs."""
from __future__ import annotations

from jupyter_easymaker.core.http import EasyMakerHandler, api, int_arg, page, time_arg
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class EndpointBase(EasyMakerHandler):
    area = "endpoints"

    @property
    def endpoints(self):
        return self.services.endpoints

    @property
    def origin(self) -> str:
        """Scheme, host and base URL this server is reached at: stage URLs are absolute."""
        return f"{self.request.protocol}://{self.request.host}{self.base_url}"


class EndpointsHandler(EndpointBase):
    @api
    def get(self) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.endpoints.list(query, self.origin)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.endpoints.create(self.json_body(), self.origin), 201)


class EndpointHandler(EndpointBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.endpoints.get(ref, self.origin))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.endpoints.update(ref, self.json_body(), self.origin))

    @api
    def delete(self, ref: str) -> None:
        self.endpoints.delete(ref)
        self.no_content()


class DefaultStageHandler(EndpointBase):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.endpoints.set_default_stage(ref, self.json_body(), self.origin))


class StagesHandler(EndpointBase):
    @api
    def get(self, ref: str) -> None:
        items = self.endpoints.list_stages(ref, self.origin)
        self.reply({"items": items, "total": len(items)})

    @api
    def post(self, ref: str) -> None:
        self.reply(self.endpoints.create_stage(ref, self.json_body(), self.origin), 201)


class StageHandler(EndpointBase):
    @api
    def get(self, ref: str, stage: str) -> None:
        self.reply(self.endpoints.get_stage(ref, stage, self.origin))

    @api
    def patch(self, ref: str, stage: str) -> None:
        self.reply(self.endpoints.update_stage(ref, stage, self.json_body(), self.origin))

    @api
    def delete(self, ref: str, stage: str) -> None:
        self.endpoints.delete_stage(ref, stage)
        self.no_content()


class StageRetryHandler(EndpointBase):
    @api
    def post(self, ref: str, stage: str) -> None:
        self.reply(self.endpoints.retry_stage(ref, stage, self.origin))


class StageResourcesHandler(EndpointBase):
    @api
    def get(self, ref: str, stage: str) -> None:
        items = self.endpoints.list_resources(ref, stage, self.origin)
        self.reply({"items": items, "total": len(items)})

    @api
    def post(self, ref: str, stage: str) -> None:
        self.reply(self.endpoints.add_resource(ref, stage, self.json_body(), self.origin), 201)


class StageResourceHandler(EndpointBase):
    @api
    def get(self, ref: str, stage: str, resource: str) -> None:
        self.reply(self.endpoints.get_resource(ref, stage, resource, self.origin))

    @api
    def delete(self, ref: str, stage: str, resource: str) -> None:
        self.endpoints.delete_resource(ref, stage, resource)
        self.no_content()


class StageResourceLogsHandler(EndpointBase):
    """The model servers' own output (start-up, load errors), as text."""

    @api
    async def get(self, ref: str, stage: str, resource: str) -> None:
        tail = int_arg(self.query_args(), "tail", 200, 10000)
        text = await self.run(self.endpoints.server_logs, ref, stage, resource, tail)
        self.reply_text(text)


class StageStatisticsHandler(EndpointBase):
    @api
    def get(self, ref: str, stage: str) -> None:
        args = self.query_args()
        interval = int_arg(args, "interval", 60, 86400 * 31)
        self.reply(self.endpoints.statistics(ref, stage, since=time_arg(args, "since"), until=time_arg(args, "until"),
                                             interval=interval))


class EndpointStatisticsHandler(EndpointBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.endpoints.endpoint_statistics(ref, since=time_arg(self.query_args(), "since")))


class StageMonitoringHandler(EndpointBase):
    @api
    def get(self, ref: str, stage: str) -> None:
        since = time_arg(self.query_args(), "since")
        self.reply(self.endpoints.monitoring(ref, stage, self.services.logs, since=since))


class StageGatewayHandler(EndpointBase):
    @api
    def get(self, ref: str, stage: str) -> None:
        self.reply(self.endpoints.gateway_config(ref, stage, self.origin))


class StageLogsHandler(EndpointBase):
    """Inference logs of a stage (category easymaker.inference)."""

    @api
    def get(self, ref: str, stage: str) -> None:
        args = self.query_args()
        _endpoint, stage_row = self.endpoints.stage_ids(ref, stage)
        after = int_arg(args, "after", 0, 2**62)
        limit = int_arg(args, "limit", 1000, 10000)
        self.endpoints.gateway.flush()  # what was answered so far is in the store
        records = self.services.logs.records(stage_row.id, after=after, limit=limit, query=args.get("query") or None)
        self.reply({"stage_id": stage_row.id, "records": records, "next_after": records[-1]["id"] if records else after})


class ApiKeysHandler(EndpointBase):
    @api
    def get(self, ref: str) -> None:
        items = self.endpoints.list_keys(ref)
        self.reply({"items": items, "total": len(items)})

    @api
    def post(self, ref: str) -> None:
        self.reply(self.endpoints.create_key(ref, self.json_body()), 201)


class ApiKeyHandler(EndpointBase):
    @api
    def delete(self, ref: str, key: str) -> None:
        """Revoke: the key stops working at once and stays listed as revoked."""
        self.reply(self.endpoints.revoke_key(ref, key))


ENDPOINT = "endpoints/{ref}"
STAGE = "endpoints/{ref}/stages/{stage}"

ROUTES = [
    Route("endpoints", EndpointsHandler, {
        "get": Op("List endpoints", list_of="EndpointOut", params=LIST_PARAMS),
        "post": Op("Create an endpoint with its default stage (answers its first API key once, as api_key.key)",
                   body="EndpointCreate", response="EndpointOut", status=201),
    }),
    Route(ENDPOINT, EndpointHandler, {
        "get": Op("Get an endpoint with its stages and status history", response="EndpointOut"),
        "patch": Op("Change name or description", body="RenameBody", response="EndpointOut"),
        "delete": Op("Delete an endpoint (refused while it has stages other than the default)", status=204),
    }),
    Route(f"{ENDPOINT}/default-stage", DefaultStageHandler, {
        "post": Op("Make another ACTIVE stage the default; the old default's servers are removed once drained",
                   body="DefaultStageChange", response="EndpointOut"),
    }),
    Route(f"{ENDPOINT}/statistics", EndpointStatisticsHandler, {
        "get": Op("API calls, successes and failures per stage", params=("since",)),
    }),
    Route(f"{ENDPOINT}/api-keys", ApiKeysHandler, {
        "get": Op("API keys of the endpoint, masked"),
        "post": Op("Create an API key (the key is in this answer only)", body="ApiKeyCreate", response="ApiKeyOut", status=201),
    }),
    Route(f"{ENDPOINT}/api-keys/{{key}}", ApiKeyHandler, {
        "delete": Op("Revoke an API key", response="ApiKeyOut"),
    }),
    Route(f"{ENDPOINT}/stages", StagesHandler, {
        "get": Op("Stages of an endpoint"),
        "post": Op("Add a stage (to test a model next to the default stage)", body="StageCreate", response="StageOut", status=201),
    }),
    Route(STAGE, StageHandler, {
        "get": Op("Get a stage with its resources and status history", response="StageOut"),
        "patch": Op("Change a stage's description", body="StageUpdate", response="StageOut"),
        "delete": Op("Delete a stage (not the default stage)", status=204),
    }),
    Route(f"{STAGE}/retry", StageRetryHandler, {"post": Op("Retry a failed stage", response="StageOut")}),
    Route(f"{STAGE}/statistics", StageStatisticsHandler, {
        "get": Op("API statistics time series: calls, success, failure, latency percentiles",
                  response="StageStatsOut", params=("since", "until", "interval")),
    }),
    Route(f"{STAGE}/monitoring", StageMonitoringHandler, {"get": Op("CPU and memory of each resource's pods", params=("since",))}),
    Route(f"{STAGE}/gateway", StageGatewayHandler, {"get": Op("What the gateway routes for this stage")}),
    Route(f"{STAGE}/logs", StageLogsHandler, {
        "get": Op("Inference logs of the stage", params=("after", "limit", "query")),
    }),
    Route(f"{STAGE}/resources", StageResourcesHandler, {
        "get": Op("Resources of a stage"),
        "post": Op("Deploy another model on a stage", body="StageResourceCreate", response="StageResourceOut", status=201),
    }),
    Route(f"{STAGE}/resources/{{resource}}", StageResourceHandler, {
        "get": Op("Get a stage resource with its status history", response="StageResourceOut"),
        "delete": Op("Remove a model from a stage", status=204),
    }),
    Route(f"{STAGE}/resources/{{resource}}/logs", StageResourceLogsHandler, {
        "get": Op("The model servers' output", params=("tail",), content_type="text/plain"),
    }),
]
from jupyter_easymaker.areas.endpoints.inference import URL_SPECS  # noqa: F401 - the gateway, outside the REST API
