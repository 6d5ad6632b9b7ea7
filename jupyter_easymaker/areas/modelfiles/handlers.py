"""REST routes of model files (Open WebUI's Workspace > Models), their import
and export, and the OpenAI-compatible API that serves them by id
(``{base_url}easymaker/api/v1/modelfiles/openai/v1`` as the ``openai`` client's
``base_url``, the Jupyter token as its ``api_key``)."""
from __future__ import annotations

import json
from typing import Any

from jupyter_easymaker.core.http import EasyMakerHandler, api
from jupyter_easymaker.core.routing import Op, Route

ANSWER_TIMEOUT_SECONDS = 600.0  # generation can be slow
LIST_ARGS = ("offset", "limit", "sort", "q", "include_hidden", "base_model_id")


class ModelFilesBase(EasyMakerHandler):
    area = "modelfiles"

    @property
    def files(self) -> Any:
        return self.services.modelfiles

    @property
    def user(self) -> str:
        user = self.current_user
        return str(getattr(user, "username", None) or getattr(user, "name", None) or user or "")


class ModelFilesHandler(ModelFilesBase):
    @api
    def get(self) -> None:
        self.reply(self.files.list(self.query_args()))

    @api
    def post(self) -> None:
        self.reply(self.files.create(self.json_body(), user=self.user), 201)


class ModelFileHandler(ModelFilesBase):
    @api
    def get(self, model_id: str) -> None:
        self.reply(self.files.get(model_id))

    @api
    def patch(self, model_id: str) -> None:
        self.reply(self.files.update(model_id, self.json_body()))

    @api
    def delete(self, model_id: str) -> None:
        self.files.delete(model_id)
        self.no_content()


class CloneHandler(ModelFilesBase):
    @api
    def post(self, model_id: str) -> None:
        self.reply(self.files.clone(model_id, user=self.user), 201)


class HideHandler(ModelFilesBase):
    @api
    def post(self, model_id: str) -> None:
        self.reply(self.files.hide(model_id, self.json_body()))


class ExportHandler(ModelFilesBase):
    @api
    def get(self) -> None:
        raw = self.query_args().get("ids") or ""
        ids = [i for i in (part.strip() for part in raw.split(",")) if i] or None
        filename, text = self.files.export(ids)
        self.reply_text(text, filename=filename, content_type="application/json; charset=utf-8")


class ImportHandler(ModelFilesBase):
    @api
    def post(self) -> None:
        self.reply(self.files.import_models(self.json_body(), user=self.user))


class OpenAiBase(ModelFilesBase):
    """Errors in OpenAI's shape ``{"error": {message, type, param, code}}``, so that the
    ``openai`` client raises the matching exception."""

    def openai_error(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        from jupyter_easymaker.core.openai_relay import openai_error

        openai_error(self, status, message, param, code)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exc, "log_message", None) or self._reason
        if getattr(exc, "args", None) and getattr(exc, "log_message", None):
            message = exc.log_message % exc.args
        kind = "invalid_request_error" if status_code < 500 else "server_error"
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"message": message, "type": kind, "param": None, "code": None}}))


class OpenAiModelsHandler(OpenAiBase):
    @api
    def get(self) -> None:
        self.reply(self.files.openai_models())


class OpenAiChatHandler(OpenAiBase):
    async def post(self) -> None:
        from jupyter_easymaker.core.errors import DomainError
        from jupyter_easymaker.core.openai_relay import relay

        try:
            body = self.json_body()
        except DomainError as exc:
            return self.openai_error(400, exc.message, "body", None)
        if not isinstance(body, dict):
            return self.openai_error(400, "the body must be a JSON object with model and messages", "body", None)
        try:
            target = await self.run(self.files.chat_request, body, user=self.user)
        except DomainError as exc:
            code = {404: "model_not_found", 409: "model_not_loaded" if exc.field == "model" else "conflict"}.get(exc.http_status)
            return self.openai_error(exc.http_status if exc.http_status != 422 else 400, exc.message, exc.field, code)
        writer = self if target["served"] == target["shown"] else RenamingWriter(self, target["served"], target["shown"])
        await relay(writer, target["url"], target["body"], timeout=ANSWER_TIMEOUT_SECONDS)


class RenamingWriter:
    """The handler as the relay sees it, with the answer's ``model`` (the served name)
    rewritten to the model file id the caller asked for, in each chunk as it passes."""

    def __init__(self, handler: EasyMakerHandler, served: str, shown: str):
        from jupyter_easymaker.areas.modelfiles.chat import ModelRenamer

        self._handler = handler
        self._renamer = ModelRenamer(served, shown)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handler, name)

    def write(self, chunk: Any) -> None:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        if isinstance(chunk, (bytes, bytearray)):
            data = self._renamer.feed(bytes(chunk))
            if data:
                self._handler.write(data)
        else:  # a dict: tornado writes it as JSON
            self._handler.write(chunk)

    def finish(self, chunk: Any = None) -> Any:
        if chunk is not None:
            self.write(chunk)
        rest = self._renamer.end()
        if rest:
            self._handler.write(rest)
        return self._handler.finish()


MODEL_FILE = "modelfiles/{model_id}"

ROUTES = [
    Route("modelfiles", ModelFilesHandler, {
        "get": Op("List model files (hidden ones with include_hidden=true); q searches id and name", list_of="ModelFileOut",
                  params=LIST_ARGS),
        "post": Op("Create a model file (Open WebUI's ModelForm)", body="ModelFileCreate", response="ModelFileOut", status=201),
    }),
    Route("modelfiles/export", ExportHandler, {
        "get": Op("Export model files (ids=a,b; all without) as a JSON array in Open WebUI's shape, as a download "
                  "(<id>-<ms>.json or models-export-<ms>.json)", params=("ids",)),
    }),
    Route("modelfiles/import", ImportHandler, {
        "post": Op("Import an Open WebUI export: a JSON array or {models: [...]}, each element the record, a model-list entry "
                   "or {info: record}; existing ids are replaced; bad entries are reported one by one", response="ImportOut"),
    }),
    Route("modelfiles/openai/v1/models", OpenAiModelsHandler, {
        "get": Op("OpenAI-compatible model list: loaded LLM studio models and visible model files"),
    }),
    Route("modelfiles/openai/v1/chat/completions", OpenAiChatHandler, {
        "post": Op("OpenAI-compatible Chat Completions (streamed as SSE with stream: true): a model file id applies its system "
                   "prompt, parameters and knowledge; an LLM studio model name passes through"),
    }),
    Route(MODEL_FILE, ModelFileHandler, {
        "get": Op("Get a model file", response="ModelFileOut"),
        "patch": Op("Edit a model file: name, base_model_id, params and meta (merged one level deep; null removes a key)",
                    body="ModelFileUpdate", response="ModelFileOut"),
        "delete": Op("Delete a model file", status=204),
    }),
    Route(f"{MODEL_FILE}/clone", CloneHandler, {
        "post": Op("Clone a model file: id + '-clone', name + ' (Clone)' (a base model override cannot be cloned)",
                   response="ModelFileOut", status=201),
    }),
    Route(f"{MODEL_FILE}/hide", HideHandler, {
        "post": Op("Hide a model file from the model picker, or show it again (meta.hidden)", body="HideBody",
                   response="ModelFileOut"),
    }),
]
