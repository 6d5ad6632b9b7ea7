"""The messages sent to the LLM: the RAG's prompt template filled with the
retrieved passages and the question (the last user message); the rest of the
conversation goes before it unchanged."""
from __future__ import annotations

from typing import Any


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(parts)
    return ""


def check_messages(messages: Any) -> tuple[list[dict[str, Any]], str]:
    """(the conversation before the question, the question)."""
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages must be a non-empty list", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant", "developer", "tool"):
            raise BadRequest(f"messages[{i}] must be an object with a role of system, user or assistant", f"messages[{i}].role")
    last = messages[-1]
    if last.get("role") != "user":
        raise BadRequest("the last message must be the user's question", f"messages[{len(messages) - 1}].role")
    question = text_of(last.get("content")).strip()
    if not question:
        raise BadRequest("the question (the last user message) is empty", f"messages[{len(messages) - 1}].content")
    history = [{"role": m["role"], "content": text_of(m.get("content"))} for m in messages[:-1]]
    return history, question


def context_of(hits: list[Any]) -> str:
    return "\n\n".join(f"[{i}] ({hit.file}, chunk {hit.chunk})\n{hit.text}" for i, hit in enumerate(hits, 1))


def build_messages(template: str, history: list[dict[str, Any]], question: str, hits: list[Any]) -> list[dict[str, Any]]:
    # str.format: inserted text is never read as a template again; doubled braces are literal ones
    filled = template.format(context=context_of(hits), question=question)
    return [*history, {"role": "user", "content": filled}]
