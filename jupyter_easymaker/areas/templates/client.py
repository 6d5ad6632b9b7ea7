"""The training template methods of :class:`jupyter_easymaker.client.Client`
(a mixin: standard library only, like the client)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.client.common import Page, _experiment_fields, _ref, _timestamped


class TemplatesClient:
    """Mixed into Client: needs ``request``, ``_get`` and ``_page``."""

    def list_templates(self, *, status: str | list[str] | None = None, name: str | None = None, sort: str | None = None, offset: int = 0, limit: int = 50) -> Page:
        return self._page("training-templates", status=status, name=name, sort=sort, offset=offset, limit=limit)

    def create_template(self, name: str, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        return self.request("POST", "training-templates", {**(body or {}), **fields, "name": name})

    def get_template(self, ref: Any) -> dict:
        return self._get(f"training-templates/{_ref(ref)}")

    def update_template(self, ref: Any, **fields: Any) -> dict:
        """Change any template field; the merged template is validated whole."""
        return self.request("PATCH", f"training-templates/{_ref(ref)}", fields)

    def delete_template(self, ref: Any) -> None:
        self.request("DELETE", f"training-templates/{_ref(ref)}")

    def copy_template(self, ref: Any, *, create: bool = True, **overrides: Any) -> dict:
        body = {**self._get(f"training-templates/{_ref(ref)}/copy"), **overrides}
        return self.request("POST", "training-templates", body) if create else body

    def save_as_template(self, training_ref: Any, name: str, description: str = "") -> dict:
        """Save a training's fields (not its identity) as a new template."""
        return self.request("POST", f"trainings/{_ref(training_ref)}/template", {"name": name, "description": description})

    def create_training_from_template(self, template: Any, **overrides: Any) -> dict:
        """Submit a training with a template's fields; ``overrides`` win. Without
        ``name`` the template's name plus a time stamp is used."""
        body = _experiment_fields(dict(overrides))
        if not body.get("name"):
            tpl = self.get_template(template)
            body["name"] = _timestamped(tpl["name"])
            template = tpl["id"]
        body["template_id"] = template["id"] if isinstance(template, dict) else str(template)
        return self.request("POST", "trainings", body)
