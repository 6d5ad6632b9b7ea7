"""A Chat Completions request shaped by a model file (standard library only):
its system prompt (Open WebUI's ``{{CURRENT_DATE}}``-style variables filled)
prepended unless the request brings its own system message, its parameters as
defaults under the request's own, and the passages its knowledge retrieved
added to the system prompt with their sources. And the answer's ``model``
rewritten, chunk by chunk, from the served name to the name the caller used."""
from __future__ import annotations

from datetime import datetime
from typing import Any

# params of a model file sent as request defaults (Open WebUI's names)
SAMPLING = ("temperature", "top_p", "max_tokens", "stop", "seed")
SYSTEM_ROLES = ("system", "developer")
MAX_QUERY = 10_000  # characters of the retrieval query (the RAG's limit)
KNOWLEDGE_HEADER = ("Use the following context to answer the user's question. Cite the sources you use by their number, "
                    "like [1]. If the context does not contain the answer, say that you do not know.")


def render_system(template: str, *, user: str, now: datetime) -> str:
    """Open WebUI's prompt variables in a system prompt."""
    values = {
        "{{CURRENT_DATE}}": now.strftime("%Y-%m-%d"),
        "{{CURRENT_TIME}}": now.strftime("%H:%M:%S"),
        "{{CURRENT_DATETIME}}": now.strftime("%Y-%m-%d %H:%M:%S"),
        "{{CURRENT_WEEKDAY}}": now.strftime("%A"),
        "{{CURRENT_TIMEZONE}}": now.strftime("%Z") or "UTC",
        "{{USER_NAME}}": user,
    }
    for key, value in values.items():
        if key in template:
            template = template.replace(key, value)
    return template


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
                         and isinstance(p.get("text"), str))
    return ""


def retrieval_query(messages: list[Any]) -> str:
    """What the knowledge is searched with: the last user message's text."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_of(message.get("content")).strip()[:MAX_QUERY]
    return ""


def knowledge_block(passages: list[tuple[str, dict[str, Any]]]) -> str:
    """``[n] rag: file (chunk c)`` then the text, for each ``(rag name, source)``."""
    lines = [KNOWLEDGE_HEADER, "<context>"]
    for n, (rag, source) in enumerate(passages, 1):
        lines.append(f"[{n}] {rag}: {source.get('file', '?')} (chunk {source.get('chunk', '?')})")
        lines.append(str(source.get("text", "")).strip())
    lines.append("</context>")
    return "\n".join(lines)


def shape(body: dict[str, Any], params: dict[str, Any], *, served: str, system: str | None,
          passages: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The request relayed upstream: ``model`` the served name, the model file's
    sampling parameters where the request has none, its system prompt (already
    rendered) unless the request has a system message, and the passages."""
    out = dict(body)
    out["model"] = served
    for key in SAMPLING:
        value = params.get(key)
        if key == "max_tokens":
            if value is None:
                value = params.get("num_predict")  # Ollama's name, which older Open WebUI exports use
            if "max_completion_tokens" in body:
                continue
        if value is not None and body.get(key) is None:
            out[key] = value
    messages = [dict(m) if isinstance(m, dict) else m for m in body.get("messages") or []]
    block = knowledge_block(passages) if passages else ""
    own = next((i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") in SYSTEM_ROLES), None)
    if own is not None:
        if block:
            content = messages[own].get("content")
            if isinstance(content, list):
                messages[own]["content"] = [*content, {"type": "text", "text": "\n\n" + block}]
            else:
                messages[own]["content"] = f"{text_of(content)}\n\n{block}"
    else:
        prompt = "\n\n".join(part for part in (system or "", block) if part.strip())
        if prompt:
            messages.insert(0, {"role": "system", "content": prompt})
    out["messages"] = messages
    return out


class ModelRenamer:
    """Rewrites ``"model": "<served>"`` to ``"model": "<shown>"`` in an answer that
    arrives in pieces: complete lines are rewritten and passed on at once (each SSE
    event ends with one), a partial line waits for the rest or for the end."""

    def __init__(self, served: str, shown: str):
        import json

        old, new = json.dumps(served).encode(), json.dumps(shown).encode()
        self.pairs = [(b'"model":' + old, b'"model":' + new), (b'"model": ' + old, b'"model": ' + new)]
        self.held = b""

    def _rename(self, data: bytes) -> bytes:
        for old, new in self.pairs:
            if old in data:
                data = data.replace(old, new)
        return data

    def feed(self, chunk: bytes) -> bytes:
        data = self.held + chunk
        cut = data.rfind(b"\n") + 1
        self.held = data[cut:]
        return self._rename(data[:cut]) if cut else b""

    def end(self) -> bytes:
        data, self.held = self.held, b""
        return self._rename(data)
