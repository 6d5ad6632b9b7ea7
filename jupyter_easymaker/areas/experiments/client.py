"""The experiment methods of :class:`jupyter_easymaker.client.Client` (a mixin:
standard library only, like the client)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.client.common import Page, _params_body, _ref


class ExperimentsClient:
    """Mixed into Client: needs ``request``, ``_get`` and ``_page``."""

    def list_experiments(self, *, status: str | list[str] | None = None, name: str | None = None, sort: str | None = None, offset: int = 0, limit: int = 50) -> Page:
        return self._page("experiments", status=status, name=name, sort=sort, offset=offset, limit=limit)

    def create_experiment(self, name: str, description: str = "") -> dict:
        return self.request("POST", "experiments", {"name": name, "description": description})

    def get_experiment(self, ref: Any) -> dict:
        return self._get(f"experiments/{_ref(ref)}")

    def update_experiment(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        return self.request("PATCH", f"experiments/{_ref(ref)}", _params_body(name=name, description=description))

    def delete_experiment(self, ref: Any) -> None:
        self.request("DELETE", f"experiments/{_ref(ref)}")

    def copy_experiment(self, ref: Any, *, create: bool = True, **overrides: Any) -> dict:
        """Create a copy (``create=False``: only the pre-filled create body)."""
        body = {**self._get(f"experiments/{_ref(ref)}/copy"), **overrides}
        return self.request("POST", "experiments", body) if create else body

    def retry_experiment(self, ref: Any) -> dict:
        return self.request("POST", f"experiments/{_ref(ref)}/retry")
