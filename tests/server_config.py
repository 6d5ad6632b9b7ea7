"""The Jupyter server config the API tests start: one factory, so that a test file
states only the options it changes (``jp_server_config`` fixtures call it)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def server_config(easymaker_data: Path, tmp_path: Path, **options: Any) -> dict[str, Any]:
    """The extension on the test's data folder with fast loops; ``options`` replace
    the ``EasyMakerExtension`` defaults by name."""
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_easymaker": True}},
        "EasyMakerExtension": {
            "data_dir": str(easymaker_data),
            "local_roots": [str(tmp_path)],
            "controller_interval": 0.1,
            "stop_grace_seconds": 2.0,
            **options,
        },
    }


def with_options(config: dict[str, Any], **options: Any) -> dict[str, Any]:
    """A copy of ``config`` with ``options`` set on the extension (the caller's dict is left alone)."""
    return {**config, "EasyMakerExtension": {**config["EasyMakerExtension"], **options}}


def kubeconfig_file(server_url: str, folder: Path) -> Path:
    """A kubeconfig that points the official client at an emulated API server."""
    path = folder / "kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "kmock",
        "clusters": [{"name": "kmock", "cluster": {"server": server_url.rstrip("/")}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "u", "namespace": "default"}}],
    }))
    return path
