"""REST routes of the LLM studio: models (register, load, unload), fine-tunings
(create, stop, restart, logs, metrics), prompt templates, and the
OpenAI-compatible API over the loaded models (``llm/openai/v1/...``, the
Jupyter token as the API key), relayed chunk by chunk."""
from __future__ import annotations

import json
from typing import Any

from jupyter_easymaker.core.errors import Conflict, DomainError, NotFound
from jupyter_easymaker.core.http import (
    EasyMakerHandler,
    LogRecordsHandler,
    api,
    page,
    time_arg,
)
from jupyter_easymaker.core.openai_relay import openai_error, relay
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route

ANSWER_TIMEOUT_SECONDS = 600.0


class LlmBase(EasyMakerHandler):
    area = "llm"

    @property
    def llm(self) -> Any:
        return self.services.llm


class ModelsHandler(LlmBase):
    @api
    def get(self) -> None:
        args = self.query_args()
        query = ListQuery.from_args(args)
        items, total = self.llm.list(query, type=args.get("type"), kind=args.get("kind"))
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.llm.register(self.json_body()), 201)


class ModelHandler(LlmBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.llm.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.llm.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.llm.delete(ref)
        self.no_content()


class LoadHandler(LlmBase):
    @api
    def post(self, ref: str) -> None:
        body = self.json_body() if self.request.body else {}
        self.reply(self.llm.load(ref, body))


class UnloadHandler(LlmBase):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.llm.unload(ref))


class StopHandler(LlmBase):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.llm.stop(ref))


class RestartHandler(LlmBase):
    @api
    def post(self, ref: str) -> None:
        self.reply(self.llm.restart(ref))


class FinetunesHandler(LlmBase):
    @api
    def post(self) -> None:
        self.reply(self.llm.create_finetune(self.json_body()), 201)


class MetricsHandler(LlmBase):
    @api
    def get(self, ref: str) -> None:
        model = self.llm.get(ref, with_history=False)
        logs = self.services.logs
        since = time_arg(self.query_args(), "since")
        self.reply({"llm_model_id": model.id, "metrics": logs.metrics(model.id, since=since),
                    "usage": logs.samples(model.id, since=since)})


class LogsHandler(LogRecordsHandler):
    area = "llm"

    @api
    def get(self, ref: str) -> None:
        model = self.services.llm.get(ref, with_history=False)
        self.answer_logs("llm_model_id", model.id, [model.id], model.name, model.status)


class TemplatesHandler(LlmBase):
    @api
    def get(self) -> None:
        items = self.llm.list_templates()
        self.reply({"items": [i.model_dump(mode="json") for i in items], "total": len(items)})

    @api
    def post(self) -> None:
        self.reply(self.llm.create_template(self.json_body()), 201)


class TemplateHandler(LlmBase):
    @api
    def get(self, ref: str) -> None:
        self.reply(self.llm.get_template(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.llm.update_template(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.llm.delete_template(ref)
        self.no_content()


class RenderHandler(LlmBase):
    @api
    def post(self, ref: str) -> None:
        body = self.json_body() if self.request.body else {}
        self.reply(self.llm.render_template(ref, body))


class OpenAIModelsHandler(LlmBase):
    async def get(self) -> None:
        names = await self.run(self.llm.loaded_models)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"object": "list", "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "easymaker-llm-studio"} for name in names]}))


class OpenAIRelayHandler(LlmBase):
    """``chat/completions`` and ``completions``: the body's model names a loaded model."""

    upstream_path = "/v1/chat/completions"

    async def post(self) -> None:
        try:
            body = json.loads(self.request.body or b"null")
        except ValueError as exc:
            return openai_error(self, 400, f"the body is not JSON: {exc}", None, "invalid_json")
        if not isinstance(body, dict):
            return openai_error(self, 400, "the body must be a JSON object", None, "invalid_body")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return openai_error(self, 400, "model: name a loaded LLM studio model", "model", "missing_model")
        try:
            upstream = await self.run(self.llm.chat_upstream, model)
        except NotFound as exc:
            return openai_error(self, 404, exc.message, "model", "model_not_found")
        except Conflict as exc:
            return openai_error(self, 409, exc.message, "model", "model_not_loaded")
        except DomainError as exc:
            return openai_error(self, exc.status, exc.message, "model", None)
        body["model"] = upstream["model"]
        await relay(self, upstream["base_url"] + self.upstream_path, body, timeout=ANSWER_TIMEOUT_SECONDS)


class OpenAICompletionsHandler(OpenAIRelayHandler):
    upstream_path = "/v1/completions"


MODEL = "llm/models/{ref}"
TEMPLATE = "llm/prompt-templates/{ref}"

ROUTES = [
    Route("llm/models", ModelsHandler, {
        "get": Op("List LLM studio models", list_of="LlmModelOut", params=(*LIST_PARAMS, "q", "type", "kind")),
        "post": Op("Register a base model from a path (Hugging Face folder or .gguf) or a Hugging Face id",
                   body="LlmModelCreate", response="LlmModelOut", status=201),
    }),
    Route(MODEL, ModelHandler, {
        "get": Op("A model with its progress, result, load state and status history", response="LlmModelOut"),
        "patch": Op("Change description, kind or context length", body="LlmModelUpdate", response="LlmModelOut"),
        "delete": Op("Delete a model (refused while TRAINING or RUNNING, or used by model files)", status=204),
    }),
    Route(f"{MODEL}/load", LoadHandler, {
        "post": Op("Load: start the model's server (409 when a running fine-tuning holds the memory or GPU)",
                   body="LoadBody", response="LlmModelOut"),
    }),
    Route(f"{MODEL}/unload", UnloadHandler, {"post": Op("Unload: stop the model's server", response="LlmModelOut")}),
    Route(f"{MODEL}/stop", StopHandler, {
        "post": Op("Stop a fine-tuning (a checkpoint is kept; TRAINING CANCELLED)", response="LlmModelOut")}),
    Route(f"{MODEL}/restart", RestartHandler, {
        "post": Op("Restart a cancelled or failed fine-tuning from its checkpoint", response="LlmModelOut")}),
    Route(f"{MODEL}/logs", LogsHandler, {
        "get": Op("The fine-tuning job's log records", params=("after", "limit", "query", "format"))}),
    Route(f"{MODEL}/metrics", MetricsHandler, {
        "get": Op("Fine-tuning metrics (loss, eval_loss, tokens_per_s, ...) and resource usage", params=("since",))}),
    Route("llm/finetunings", FinetunesHandler, {
        "post": Op("Fine-tune a base model with LoRA or QLoRA: a new fine-tuned model in TRAINING",
                   body="FinetuneCreate", response="LlmModelOut", status=201),
    }),
    Route("llm/prompt-templates", TemplatesHandler, {
        "get": Op("Prompt templates"),
        "post": Op("Save a prompt template ({{variable}} placeholders)", body="PromptTemplateCreate",
                   response="PromptTemplateOut", status=201),
    }),
    Route(TEMPLATE, TemplateHandler, {
        "get": Op("A prompt template", response="PromptTemplateOut"),
        "patch": Op("Change a prompt template", body="PromptTemplateUpdate", response="PromptTemplateOut"),
        "delete": Op("Delete a prompt template", status=204),
    }),
    Route(f"{TEMPLATE}/render", RenderHandler, {
        "post": Op("The chat messages of a template with its variables filled (400 naming a missing one)",
                   body="RenderBody"),
    }),
    Route("llm/openai/v1/models", OpenAIModelsHandler, {"get": Op("OpenAI: the loaded models")}),
    Route("llm/openai/v1/chat/completions", OpenAIRelayHandler, {
        "post": Op("OpenAI Chat Completions on a loaded model (streamed as SSE with stream: true)")}),
    Route("llm/openai/v1/completions", OpenAICompletionsHandler, {
        "post": Op("OpenAI Completions on a loaded model")}),
]
