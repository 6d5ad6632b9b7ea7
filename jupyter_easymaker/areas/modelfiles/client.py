"""The model file methods of :class:`jupyter_easymaker.client.Client` (a mixin:
standard library only, like the client)."""
from __future__ import annotations

import json
import os
import re
import time
from typing import Any

from jupyter_easymaker.client.common import Page, _ref

_FILENAME = re.compile(r'filename="([^"]+)"')


class ModelFilesClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page`` and ``url``."""

    def list_modelfiles(self, *, include_hidden: bool = False, q: str | None = None, base_model_id: str | None = None,
                        sort: str | None = None, offset: int = 0, limit: int = 50) -> Page:
        return self._page("modelfiles", include_hidden=include_hidden or None, q=q, base_model_id=base_model_id, sort=sort,
                          offset=offset or None, limit=limit)

    def create_modelfile(self, id: str, name: str, base_model_id: str | None = None, *, params: dict | None = None,
                         meta: dict | None = None, **fields: Any) -> dict:
        """A model file in Open WebUI's ModelForm shape: ``params`` (system, temperature, top_p,
        max_tokens, stop, seed ...), ``meta`` (profile_image_url, description, suggestion_prompts,
        knowledge ``[{"name": RAG, "type": "rag"}]``, toolIds, tags, capabilities, hidden ...)."""
        body = {"id": id, "name": name, "base_model_id": base_model_id, "params": params or {}, "meta": meta or {}, **fields}
        return self.request("POST", "modelfiles", body)

    def get_modelfile(self, model_id: Any) -> dict:
        return self._get(f"modelfiles/{_ref(model_id)}")

    def update_modelfile(self, model_id: Any, **fields: Any) -> dict:
        """Change name, base_model_id, params, meta ... (params and meta merge one level deep; None removes a key)."""
        return self.request("PATCH", f"modelfiles/{_ref(model_id)}", fields)

    def delete_modelfile(self, model_id: Any) -> None:
        self.request("DELETE", f"modelfiles/{_ref(model_id)}")

    def clone_modelfile(self, model_id: Any) -> dict:
        """A copy as ``id + "-clone"`` named ``name + " (Clone)"``."""
        return self.request("POST", f"modelfiles/{_ref(model_id)}/clone")

    def hide_modelfile(self, model_id: Any, hidden: bool = True) -> dict:
        return self.request("POST", f"modelfiles/{_ref(model_id)}/hide", {"hidden": hidden})

    def export_modelfiles(self, ids: list[str] | None = None) -> tuple[str, list[dict]]:
        """``(file name, records)``: the server's Open WebUI export (all model files without ``ids``)."""
        response = self.request("GET", "modelfiles/export", params={"ids": list(ids) if ids else None}, stream=True)
        with response:
            text = response.read().decode("utf-8")
            disposition = response.headers.get("Content-Disposition") or ""
        found = _FILENAME.search(disposition)
        name = found.group(1) if found else f"models-export-{int(time.time() * 1000)}.json"
        return name, json.loads(text)

    def save_modelfiles_export(self, ids: list[str] | None = None, path: str | None = None) -> str:
        """Write the export to ``path`` (a folder or a file; default: the server's file name
        in the current folder) and answer the path written."""
        name, records = self.export_modelfiles(ids)
        if path is None:
            path = name
        elif os.path.isdir(path):
            path = os.path.join(path, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(records, separators=(",", ":"), ensure_ascii=False))
        return path

    def import_modelfiles(self, source: Any) -> dict:
        """Import an Open WebUI export: a file path, or the parsed JSON (a list, or
        ``{"models": [...]}``). Answers ``{imported, updated, errors, models}``."""
        if isinstance(source, (str, os.PathLike)):
            with open(source, encoding="utf-8") as fh:
                source = json.load(fh)
        return self.request("POST", "modelfiles/import", source, timeout=max(self.timeout, 120))

    def modelfiles_openai_url(self) -> str:
        """The base URL for the ``openai`` client (``OpenAI(base_url=..., api_key=<Jupyter token>)``)."""
        return self.url + "easymaker/api/v1/modelfiles/openai/v1"
