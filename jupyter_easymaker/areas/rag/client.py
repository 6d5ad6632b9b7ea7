"""The RAG methods of :class:`jupyter_easymaker.client.Client` (a mixin:
standard library only, like the client)."""
from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

from jupyter_easymaker.areas.rag.statuses import INGESTION_MACHINE, RAG_MACHINE
from jupyter_easymaker.client.common import _ref, settled

FINAL_RAG_STATUSES = settled(RAG_MACHINE)
FINAL_INGESTION_STATUSES = settled(INGESTION_MACHINE)


class RagClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page``, ``_wait`` and ``url``."""

    def list_rags(self, *, status: str | list[str] | None = None, name: str | None = None, sort: str | None = None,
                  offset: int = 0, limit: int = 50):
        return self._page("rags", status=status, name=name, sort=sort, offset=offset, limit=limit)

    def create_rag(self, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Create a RAG. Fields are those of ``RagCreate``: ``name``, ``data_path``, ``llm``
        (``{"type": "endpoint", "endpoint": NAME}`` or ``{"type": "external", "base_url", "model", "api_key"}``),
        ``vector_store`` (``{"type": "faiss"}`` or ``{"type": "pgvector", "url": ...}``), ``embedding``,
        ``chunking``, ``retrieval``, ``prompt_template``, ``instance_type``, ``instance_count``, ``log_enabled``."""
        return self.request("POST", "rags", {**(body or {}), **fields})

    def get_rag(self, ref: Any) -> dict:
        return self._get(f"rags/{_ref(ref)}")

    def update_rag(self, ref: Any, **fields: Any) -> dict:
        """Change ``description``, ``prompt_template``, ``retrieval``, ``chunking`` or ``log_enabled``."""
        return self.request("PATCH", f"rags/{_ref(ref)}", fields)

    def delete_rag(self, ref: Any) -> None:
        self.request("DELETE", f"rags/{_ref(ref)}")

    def sync_rag(self, ref: Any) -> dict:
        """Start an ingestion sync; answers the new ingestion."""
        return self.request("POST", f"rags/{_ref(ref)}/sync")

    def rag_ingestions(self, ref: Any, *, offset: int = 0, limit: int = 50):
        return self._page(f"rags/{_ref(ref)}/ingestions", offset=offset, limit=limit)

    def rag_ingestion(self, ref: Any, ingestion: str) -> dict:
        return self._get(f"rags/{_ref(ref)}/ingestions/{ingestion}")

    def rag_ingestion_files(self, ref: Any, ingestion: str, *, outcome: str | None = None, offset: int = 0,
                            limit: int = 100) -> dict:
        """Files an ingestion added, changed, deleted or could not read (failed first)."""
        return self._get(f"rags/{_ref(ref)}/ingestions/{ingestion}/files", outcome=outcome, offset=offset or None, limit=limit)

    def stop_rag_ingestion(self, ref: Any, ingestion: str) -> dict:
        return self.request("POST", f"rags/{_ref(ref)}/ingestions/{ingestion}/stop")

    def rag_ingestion_logs(self, ref: Any, ingestion: str, *, after: int = 0, limit: int | None = None,
                           query: str | None = None) -> dict:
        """The ingestion job's log records: ``{"records": [{seq, time, body, ...}], ...}``."""
        return self._get(f"rags/{_ref(ref)}/ingestions/{ingestion}/logs", after=after or None, limit=limit, query=query)

    def retrieve(self, ref: Any, query: str, *, top_k: int | None = None, mode: str | None = None) -> dict:
        """The passages a question retrieves (no LLM): ``{"sources": [{file, chunk, score, text}], ...}``."""
        body = {"query": query, **({"top_k": top_k} if top_k else {}), **({"mode": mode} if mode else {})}
        return self.request("POST", f"rags/{_ref(ref)}/retrieve", body)

    def ask(self, ref: Any, question: str | None = None, *, messages: list[dict] | None = None, **options: Any) -> dict:
        """The RAG's answer (Chat Completions' shape) with its ``sources``."""
        body = {**({"question": question} if question is not None else {}), **({"messages": messages} if messages else {}), **options}
        return self.request("POST", f"rags/{_ref(ref)}/ask", body, timeout=600)

    def create_rag_api_key(self, ref: Any, name: str = "") -> dict:
        """A key for the question API (``x-nhn-apikey`` or ``Authorization: Bearer``); ``key`` is shown once."""
        return self.request("POST", f"rags/{_ref(ref)}/api-keys", {"name": name})

    def rag_api_keys(self, ref: Any) -> list[dict]:
        return self._get(f"rags/{_ref(ref)}/api-keys")["items"]

    def revoke_rag_api_key(self, ref: Any, key_id: str) -> dict:
        return self.request("DELETE", f"rags/{_ref(ref)}/api-keys/{key_id}")

    def rag_statistics(self, ref: Any, *, since: str | None = None, until: str | None = None, interval: int | None = None) -> dict:
        return self._get(f"rags/{_ref(ref)}/statistics", since=since, until=until, interval=interval)

    def rag_logs(self, ref: Any, after: int = 0, limit: int | None = None) -> dict:
        return self._get(f"rags/{_ref(ref)}/logs", after=after or None, limit=limit)

    def rag_monitoring(self, ref: Any) -> dict:
        """The query servers' pods (ready, address, restarts) and their CPU / memory usage samples."""
        return self._get(f"rags/{_ref(ref)}/monitoring")

    def rag_server_logs(self, ref: Any, *, tail: int = 200) -> str:
        """The last ``tail`` lines the query servers wrote (start-up, index loading, errors), as text."""
        response = self.request("GET", f"rags/{_ref(ref)}/server-logs", params={"tail": tail}, stream=True)
        with response:
            return response.read().decode("utf-8", "replace")

    def rag_query_url(self) -> str:
        """The question API's base URL for the ``openai`` client (``OpenAI(base_url=..., api_key=KEY)``)."""
        return self.url + "easymaker/rag/v1"

    def stream_answer(self, rag_name: str, question: str, api_key: str, **options: Any) -> Iterator[dict]:
        """The question API's chunks (``stream: true``) as they come; the first carries ``sources``."""
        body = json.dumps({"model": rag_name, "messages": [{"role": "user", "content": question}], "stream": True, **options})
        request = urllib.request.Request(self.url + "easymaker/rag/v1/query", data=body.encode(), method="POST",
                                         headers={"content-type": "application/json", "x-nhn-apikey": api_key})
        with urllib.request.urlopen(request, timeout=600) as response:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                yield json.loads(data)

    def wait_rag(self, ref: Any, timeout: float | None = None, poll: float = 0.5) -> dict:
        """Block until the RAG settles (ACTIVE, or a failure); answer it."""
        return self._wait(f"rags/{_ref(ref)}", FINAL_RAG_STATUSES, "rag", timeout, poll)

    def wait_rag_ingestion(self, ref: Any, ingestion: str, timeout: float | None = None, poll: float = 0.5) -> dict:
        return self._wait(f"rags/{_ref(ref)}/ingestions/{ingestion}", FINAL_INGESTION_STATUSES, "ingestion", timeout, poll)
