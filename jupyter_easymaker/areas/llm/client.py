"""The LLM studio methods of :class:`jupyter_easymaker.client.Client` (a mixin:
standard library only, like the client)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jupyter_easymaker.client.common import _ref


class LlmClient:
    """Mixed into Client: needs ``request``, ``_get`` and ``_page``."""

    def list_llm_models(self, *, status: str | None = None, type: str | None = None, kind: str | None = None,
                        offset: int = 0, limit: int = 100):
        return self._page("llm/models", status=status, type=type, kind=kind, offset=offset, limit=limit)

    def register_llm_model(self, name: str, *, path: str | None = None, hf_id: str | None = None, kind: str = "instruction",
                           **fields: Any) -> dict:
        body = {"name": name, "kind": kind, **({"path": path} if path else {}), **({"hf_id": hf_id} if hf_id else {}), **fields}
        return self.request("POST", "llm/models", body)

    def get_llm_model(self, ref: Any) -> dict:
        return self._get(f"llm/models/{_ref(ref)}")

    def update_llm_model(self, ref: Any, **fields: Any) -> dict:
        return self.request("PATCH", f"llm/models/{_ref(ref)}", fields)

    def delete_llm_model(self, ref: Any) -> None:
        self.request("DELETE", f"llm/models/{_ref(ref)}")

    def load_llm_model(self, ref: Any, *, instance_type: str | None = None, keep_alive_seconds: float | None = None) -> dict:
        body = {k: v for k, v in (("instance_type", instance_type), ("keep_alive_seconds", keep_alive_seconds)) if v is not None}
        return self.request("POST", f"llm/models/{_ref(ref)}/load", body)

    def unload_llm_model(self, ref: Any) -> dict:
        return self.request("POST", f"llm/models/{_ref(ref)}/unload")

    def finetune(self, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Start a fine-tuning: ``name``, ``base_model``, ``data_path``, ``method``, ``lora``, ``training``, ..."""
        return self.request("POST", "llm/finetunings", {**(body or {}), **fields})

    def stop_finetune(self, ref: Any) -> dict:
        return self.request("POST", f"llm/models/{_ref(ref)}/stop")

    def restart_finetune(self, ref: Any) -> dict:
        return self.request("POST", f"llm/models/{_ref(ref)}/restart")

    def llm_logs(self, ref: Any, *, after: int = 0, limit: int = 1000) -> Any:
        return self._get(f"llm/models/{_ref(ref)}/logs", after=after, limit=limit)

    def llm_metrics(self, ref: Any) -> dict:
        return self._get(f"llm/models/{_ref(ref)}/metrics")

    def list_prompt_templates(self) -> list[dict]:
        return self._get("llm/prompt-templates")["items"]

    def create_prompt_template(self, name: str, template: str, **fields: Any) -> dict:
        return self.request("POST", "llm/prompt-templates", {"name": name, "template": template, **fields})

    def get_prompt_template(self, ref: Any) -> dict:
        return self._get(f"llm/prompt-templates/{_ref(ref)}")

    def update_prompt_template(self, ref: Any, **fields: Any) -> dict:
        return self.request("PATCH", f"llm/prompt-templates/{_ref(ref)}", fields)

    def delete_prompt_template(self, ref: Any) -> None:
        self.request("DELETE", f"llm/prompt-templates/{_ref(ref)}")

    def render_prompt_template(self, ref: Any, **variables: Any) -> dict:
        return self.request("POST", f"llm/prompt-templates/{_ref(ref)}/render", {"variables": variables})

    def llm_openai_models(self, prefix: str = "llm") -> list[str]:
        return [m["id"] for m in self._get(f"{prefix}/openai/v1/models")["data"]]

    def chat(self, model: str, messages: list[dict[str, Any]] | str, *, stream: bool = True, prefix: str = "llm",
             **parameters: Any) -> Iterator[str]:
        """The answer's text, piece by piece as it is generated (one piece when ``stream`` is False)."""
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        body = {"model": model, "messages": messages, "stream": stream, **parameters}
        path = f"{prefix}/openai/v1/chat/completions"
        if not stream:
            answer = self.request("POST", path, body)
            yield answer["choices"][0]["message"]["content"] or ""
            return
        response = self.request("POST", path, body, stream=True)
        with response:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    chunk = json.loads(data)
                except ValueError:
                    continue
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        yield piece
