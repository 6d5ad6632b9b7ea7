"""The image methods of :class:`jupyter_easymaker.client.Client` (a mixin:
standard library only, like the client)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.client.common import Page, _ref


class ImagesClient:
    """Mixed into Client: needs ``request``, ``_get`` and ``_page``."""

    def list_images(self, *, name: str | None = None, sort: str | None = None, offset: int = 0, limit: int = 50) -> Page:
        """Private images."""
        return self._page("images", name=name, sort=sort, offset=offset, limit=limit)

    def list_base_images(self, image_type: str | None = None) -> list[dict]:
        """The guide's base images, each with ``available`` (whether this server runs it locally)."""
        path = "images/base" + (f"?image_type={image_type}" if image_type else "")
        return self._get(path)["items"]

    def create_image(self, name: str, *, address: str, image_type: str = "TRAINING", framework: str = "PYTHON",
                     registry_account: Any = None, new_registry_account: dict | None = None, local_python: str = "",
                     description: str = "") -> dict:
        """A private image. ``registry_account``: an existing account (name, id or dict);
        ``new_registry_account``: the create body of an account stored with the image."""
        body: dict[str, Any] = {"name": name, "description": description, "address": address, "image_type": image_type,
                                "framework": framework, "local_python": local_python}
        if registry_account is not None:
            body["registry_account_id"] = (registry_account.get("id") if isinstance(registry_account, dict) else str(registry_account))
        if new_registry_account is not None:
            body["registry_account"] = new_registry_account
        return self.request("POST", "images", body)

    def get_image(self, ref: Any) -> dict:
        return self._get(f"images/{_ref(ref)}")

    def update_image(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        body = {k: v for k, v in {"name": name, "description": description}.items() if v is not None}
        return self.request("PATCH", f"images/{_ref(ref)}", body)

    def delete_image(self, ref: Any) -> None:
        self.request("DELETE", f"images/{_ref(ref)}")
