"""REST of hyperparameter tunings and their trials."""
from __future__ import annotations

from jupyter_easymaker.core.http import (
    EasyMakerHandler,
    LogRecordsHandler,
    api,
    int_arg,
    page,
)
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class TuningsHandler(EasyMakerHandler):
    area = "tuning"

    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.services.tuning.list(query, experiment=args.get("experiment_id") or None)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.tuning.create(self.json_body()), 201)


class TuningHandler(EasyMakerHandler):
    area = "tuning"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.tuning.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.tuning.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.tuning.delete(ref)
        self.no_content()


class TuningStopHandler(EasyMakerHandler):
    area = "tuning"

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.tuning.stop(ref))


class TuningCopyHandler(EasyMakerHandler):
    area = "tuning"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.tuning.copy(ref))


class TuningBestHandler(EasyMakerHandler):
    area = "tuning"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.tuning.best(ref))


class TuningMetricsHandler(EasyMakerHandler):
    area = "tuning"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.tuning.metrics(ref))


class TuningLogsHandler(EasyMakerHandler):
    """Log records of every trial (``?after=ID`` continues after a record)."""
    area = "tuning"

    @api
    def get(self, ref: str) -> None:
        args = self.query_args()
        tuning = self.services.tuning.get(ref, with_history=False)
        after = int_arg(args, "after", 0, 2**62)
        limit = int_arg(args, "limit", 1000, 10000)
        query = f'hyperparameterTuningId:"{tuning.id}" ' + (args.get("query") or "")
        records = self.services.logs.search(query, after=after, limit=limit)
        next_after = records[-1]["id"] if records else after
        self.reply({"hyperparameter_tuning_id": tuning.id, "status": tuning.status, "records": records, "next_after": next_after})


class TrialsHandler(EasyMakerHandler):
    area = "tuning"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.tuning.trials(ref, self.query_args()))


class TrialHandler(EasyMakerHandler):
    area = "tuning"

    @api
    def get(self, ref: str, trial: str) -> None:
        self.reply(self.services.tuning.trial(ref, trial))


class TrialLogsHandler(LogRecordsHandler):
    area = "tuning"

    @api
    def get(self, ref: str, trial: str) -> None:
        t = self.services.tuning.trial(ref, trial)
        self.answer_logs("trial_id", t.id, [t.id], t.name, t.status)


class TrialMetricsHandler(EasyMakerHandler):
    area = "tuning"

    @api
    def get(self, ref: str, trial: str) -> None:
        t = self.services.tuning.trial(ref, trial)
        logs = self.services.logs
        self.reply({"trial_id": t.id, "metrics": logs.metrics(t.id), "usage": logs.samples(t.id)})


BASE = "hyperparameter-tunings"
ROUTES = [
    Route(BASE, TuningsHandler, {
        "get": Op("List hyperparameter tunings", list_of="HyperparameterTuningOut", params=(*LIST_PARAMS, "experiment_id")),
        "post": Op("Create (start) a hyperparameter tuning", body="HyperparameterTuningCreate", response="HyperparameterTuningOut", status=201),
    }),
    Route(f"{BASE}/{{ref}}", TuningHandler, {
        "get": Op("Get a tuning with trial counts, best trial and status history", response="HyperparameterTuningOut"),
        "patch": Op("Change name or description", body="RenameBody", response="HyperparameterTuningOut"),
        "delete": Op("Delete an ended tuning with its trials", status=204),
    }),
    Route(f"{BASE}/{{ref}}/stop", TuningStopHandler, {"post": Op("Stop a tuning and all its trials", response="HyperparameterTuningOut")}),
    Route(f"{BASE}/{{ref}}/copy", TuningCopyHandler, {"get": Op("A create body pre-filled from this tuning")}),
    Route(f"{BASE}/{{ref}}/best", TuningBestHandler, {
        "get": Op("The best trial's parameters and artifact path (what a model is created from)", response="BestTrialOut"),
    }),
    Route(f"{BASE}/{{ref}}/metrics", TuningMetricsHandler, {
        "get": Op("Parameters, objective and intermediate values of every trial (charts)", response="TuningMetricsOut"),
    }),
    Route(f"{BASE}/{{ref}}/logs", TuningLogsHandler, {"get": Op("Log records of all trials", params=("after", "limit", "query"))}),
    Route(f"{BASE}/{{ref}}/trials", TrialsHandler, {
        "get": Op("Trials with parameters and objective; sort: number, objective_value, status, created_at",
                  list_of="TrialOut", params=("offset", "limit", "sort", "status")),
    }),
    Route(f"{BASE}/{{ref}}/trials/{{trial}}", TrialHandler, {"get": Op("A trial (by id, number or name) with its history", response="TrialOut")}),
    Route(f"{BASE}/{{ref}}/trials/{{trial}}/logs", TrialLogsHandler, {
        "get": Op("A trial's log records", params=("after", "limit", "query", "format")),
    }),
    Route(f"{BASE}/{{ref}}/trials/{{trial}}/metrics", TrialMetricsHandler, {"get": Op("A trial's scraped metrics and resource usage")}),
]
