"""The registry account methods of :class:`jupyter_easymaker.client.Client`
(a mixin: standard library only, like the client)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.client.common import Page, _ref


class RegistryAccountsClient:
    """Mixed into Client: needs ``request``, ``_get`` and ``_page``."""

    def list_registry_accounts(self, *, name: str | None = None, sort: str | None = None, offset: int = 0, limit: int = 50) -> Page:
        return self._page("registry-accounts", name=name, sort=sort, offset=offset, limit=limit)

    def create_registry_account(self, name: str, *, username: str, password: str, registry_type: str = "NCR",
                                registry_address: str = "", description: str = "") -> dict:
        """Store a registry login (the password is kept encrypted and never shown back)."""
        return self.request("POST", "registry-accounts", {
            "name": name, "description": description, "registry_type": registry_type,
            "registry_address": registry_address, "username": username, "password": password,
        })

    def get_registry_account(self, ref: Any) -> dict:
        return self._get(f"registry-accounts/{_ref(ref)}")

    def update_registry_account(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        """Change the name and description."""
        body = {k: v for k, v in {"name": name, "description": description}.items() if v is not None}
        return self.request("PATCH", f"registry-accounts/{_ref(ref)}", body)

    def update_registry_credentials(self, ref: Any, *, username: str, password: str) -> dict:
        """Change the registry id and password; the answer's ``warnings`` name running work using its images."""
        return self.request("POST", f"registry-accounts/{_ref(ref)}/credentials", {"username": username, "password": password})

    def delete_registry_account(self, ref: Any) -> None:
        """Refused (409) while images use the account."""
        self.request("DELETE", f"registry-accounts/{_ref(ref)}")
