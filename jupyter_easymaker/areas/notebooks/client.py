"""The notebook methods of :class:`jupyter_easymaker.client.Client` (a mixin:
standard library only, like the client)."""
from __future__ import annotations

import time
import urllib.parse
from typing import Any

from jupyter_easymaker.client.common import Page, _params_body, _ref

SETTLED = {"ACTIVE (HEALTHY)", "ACTIVE (UNHEALTHY)", "STOPPED", "CREATE FAILED", "STOP FAILED", "START FAILED",
           "REBOOT FAILED", "DELETE FAILED"}


class NotebooksClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page`` and ``url``."""

    def list_notebooks(self, *, status: str | list[str] | None = None, name: str | None = None, sort: str | None = None,
                       offset: int = 0, limit: int = 50) -> Page:
        return self._page("notebooks", status=status, name=name, sort=sort, offset=offset, limit=limit)

    def create_notebook(self, name: str, *, image: str = "", instance_type: str | None = None, description: str = "",
                        boot_storage_gb: int = 50, data_storage_gb: int = 100, nas_mount_name: str = "",
                        nas_path: str = "") -> dict:
        body = _params_body(name=name, image=image or None, instance_type=instance_type, description=description,
                            boot_storage_gb=boot_storage_gb, data_storage_gb=data_storage_gb,
                            nas_mount_name=nas_mount_name or None, nas_path=nas_path or None)
        return self.request("POST", "notebooks", body)

    def get_notebook(self, ref: Any) -> dict:
        return self._get(f"notebooks/{_ref(ref)}")

    def update_notebook(self, ref: Any, *, name: str | None = None, description: str | None = None,
                        instance_type: str | None = None) -> dict:
        """Rename or describe; change the instance type of a STOPPED notebook (same core type)."""
        return self.request("PATCH", f"notebooks/{_ref(ref)}",
                            _params_body(name=name, description=description, instance_type=instance_type))

    def start_notebook(self, ref: Any) -> dict:
        return self.request("POST", f"notebooks/{_ref(ref)}/start")

    def stop_notebook(self, ref: Any) -> dict:
        return self.request("POST", f"notebooks/{_ref(ref)}/stop")

    def reboot_notebook(self, ref: Any) -> dict:
        return self.request("POST", f"notebooks/{_ref(ref)}/reboot")

    def delete_notebook(self, ref: Any) -> dict:
        """Asks for the deletion (DELETE IN PROGRESS); the notebook is gone once its storage is removed."""
        return self.request("DELETE", f"notebooks/{_ref(ref)}")

    def notebook_startup_scripts(self, ref: Any) -> dict:
        return self._get(f"notebooks/{_ref(ref)}/startup-scripts")

    def notebook_monitoring(self, ref: Any) -> dict:
        return self._get(f"notebooks/{_ref(ref)}/monitoring")

    def notebook_url(self, ref: Any) -> str:
        """The full URL that opens the notebook (through this server's proxy); empty unless it is ACTIVE."""
        path = self.get_notebook(ref).get("url") or ""
        return urllib.parse.urljoin(self.url, path) if path else ""

    def wait_notebook(self, ref: Any, statuses: set[str] | None = None, timeout: float = 300.0, poll: float = 1.0) -> dict:
        """Poll until the notebook is in one of ``statuses`` (default: a settled status)."""
        wanted = statuses or SETTLED
        deadline = time.monotonic() + timeout
        while True:
            row = self.get_notebook(ref)
            if row["status"] in wanted:
                return row
            if time.monotonic() > deadline:
                raise TimeoutError(f"notebook {row['name']} is still {row['status']}")
            time.sleep(poll)
