"""The RAG's LLM: any OpenAI-compatible Chat Completions API (an endpoint of
this server through its gateway, or an external one), streaming or not."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any


class LlmError(Exception):
    def __init__(self, message: str, status: int = 502):
        super().__init__(message)
        self.message = message
        self.status = status


class ChatClient:
    def __init__(self, base_url: str, model: str, api_key: str = "", *, timeout: float = 600.0):
        import httpx

        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        headers = {"content-type": "application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self.client = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(timeout, connect=10.0))

    def body(self, messages: list[dict[str, Any]], options: dict[str, Any], stream: bool) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "stream": stream, **options}

    async def complete(self, messages: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
        import httpx

        try:
            response = await self.client.post(self.url, json=self.body(messages, options, False))
        except httpx.HTTPError as exc:
            raise LlmError(f"the LLM at {self.url} did not answer: {exc}") from exc
        if response.status_code >= 400:
            raise LlmError(f"the LLM answered {response.status_code}: {response.text[:500]}")
        return response.json()

    async def stream(self, messages: list[dict[str, Any]], options: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """The LLM's chunks (parsed ``data:`` events) until ``[DONE]``."""
        import httpx

        try:
            async with self.client.stream("POST", self.url, json=self.body(messages, options, True)) as response:
                if response.status_code >= 400:
                    text = (await response.aread()).decode("utf-8", "replace")
                    raise LlmError(f"the LLM answered {response.status_code}: {text[:500]}")
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        yield json.loads(data)
                    except ValueError:
                        raise LlmError(f"the LLM sent a malformed event: {data[:200]}") from None
        except httpx.HTTPError as exc:
            raise LlmError(f"the LLM at {self.url} did not answer: {exc}") from exc

    async def close(self) -> None:
        await self.client.aclose()
