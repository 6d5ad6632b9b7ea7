"""OpenAI ``completions`` and ``chat/completions`` for text-generation models,
shaped so that the official ``openai`` client validates them strictly."""
from __future__ import annotations

import time
import uuid
from typing import Any

from jupyter_easymaker.runtime.model_server.errors import ServingError
from jupyter_easymaker.runtime.model_server.predictors.base import (
    GenerateOptions,
    Generation,
)


class OpenAIError(ServingError):
    """Answered as OpenAI does: ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(self, message: str, status: int = 400, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}


def error_body(exc: ServingError) -> dict[str, Any]:
    if isinstance(exc, OpenAIError):
        return exc.body()
    return OpenAIError(exc.message, exc.status).body()


def _number(body: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise OpenAIError(f"{key} must be a number between {low} and {high}", param=key)
    return float(value)


def options_from(body: dict[str, Any], default_max_tokens: int) -> GenerateOptions:
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is None:
        max_tokens = default_max_tokens
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise OpenAIError("max_tokens must be a positive integer", param="max_tokens")
    stop = body.get("stop")
    if stop is None:
        stops: list[str] = []
    elif isinstance(stop, str):
        stops = [stop]
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop) and len(stop) <= 4:
        stops = [s for s in stop if s]
    else:
        raise OpenAIError("stop must be a string or a list of up to 4 strings", param="stop")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise OpenAIError("seed must be an integer", param="seed")
    return GenerateOptions(
        max_tokens=max_tokens,
        temperature=_number(body, "temperature", 1.0, 0.0, 2.0),
        top_p=_number(body, "top_p", 1.0, 0.0, 1.0),
        stop=stops,
        seed=seed,
    )


def check_common(body: Any, served: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise OpenAIError("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise OpenAIError("model is required", param="model")
    if model != served:
        raise OpenAIError(f"The model `{model}` does not exist.", status=404, param="model", code="model_not_found")
    n = body.get("n", 1)
    if n is not None and n != 1:
        if body.get("stream") or isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 8:
            raise OpenAIError("n must be 1 when streaming, and between 1 and 8 otherwise", param="n")
    return body


def prompts_of(body: dict[str, Any]) -> list[str]:
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        return prompt
    raise OpenAIError("prompt must be a string or a list of strings (token arrays are not supported)", param="prompt")


def messages_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) and "role" in m for m in messages):
        raise OpenAIError("messages must be a non-empty list of {role, content} objects", param="messages")
    return messages


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}


def completion_body(model: str, generations: list[Generation], echo_prompts: list[str] | None = None) -> dict[str, Any]:
    choices = []
    for i, g in enumerate(generations):
        text = (echo_prompts[i] if echo_prompts else "") + g.text
        choices.append({"index": i, "text": text, "logprobs": None, "finish_reason": g.finish_reason})
    return {
        "id": new_id("cmpl"), "object": "text_completion", "created": int(time.time()), "model": model, "choices": choices,
        "usage": usage(sum(g.prompt_tokens for g in generations), sum(g.completion_tokens for g in generations)),
    }


def chat_body(model: str, generations: list[Generation]) -> dict[str, Any]:
    choices = [{"index": i, "message": {"role": "assistant", "content": g.text}, "logprobs": None, "finish_reason": g.finish_reason}
               for i, g in enumerate(generations)]
    return {
        "id": new_id("chatcmpl"), "object": "chat.completion", "created": int(time.time()), "model": model, "choices": choices,
        "usage": usage(generations[0].prompt_tokens, sum(g.completion_tokens for g in generations)),
    }


class ChunkWriter:
    """The ``data: {...}`` chunks of one streamed answer."""

    def __init__(self, model: str, chat: bool, include_usage: bool):
        self.model, self.chat, self.include_usage = model, chat, include_usage
        self.id = new_id("chatcmpl" if chat else "cmpl")
        self.created = int(time.time())

    def _base(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        obj = "chat.completion.chunk" if self.chat else "text_completion"
        return {"id": self.id, "object": obj, "created": self.created, "model": self.model, "choices": choices}

    def first(self) -> dict[str, Any] | None:
        if not self.chat:
            return None
        return self._base([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}])

    def piece(self, text: str) -> dict[str, Any]:
        if self.chat:
            return self._base([{"index": 0, "delta": {"content": text}, "logprobs": None, "finish_reason": None}])
        return self._base([{"index": 0, "text": text, "logprobs": None, "finish_reason": None}])

    def last(self, result: Generation) -> list[dict[str, Any]]:
        if self.chat:
            out = [self._base([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": result.finish_reason}])]
        else:
            out = [self._base([{"index": 0, "text": "", "logprobs": None, "finish_reason": result.finish_reason}])]
        if self.include_usage:
            tail = self._base([])
            tail["usage"] = usage(result.prompt_tokens, result.completion_tokens)
            out.append(tail)
        return out


def include_usage(body: dict[str, Any]) -> bool:
    opts = body.get("stream_options")
    return bool(isinstance(opts, dict) and opts.get("include_usage"))


