"""jupyter-easymaker: experiments, trainings, tuning, models and endpoints inside JupyterLab.

Importing the package is cheap: the server extension, the client and the
magics load their modules only when used.
"""
from __future__ import annotations

from typing import Any

from jupyter_easymaker._version import __version__

__all__ = ["__version__", "Client"]


def __getattr__(name: str) -> Any:
    if name == "Client":
        from jupyter_easymaker.client import Client

        return Client
    raise AttributeError(name)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-easymaker"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from jupyter_easymaker.extension import EasyMakerExtension

    return [{"module": "jupyter_easymaker", "app": EasyMakerExtension}]


def load_ipython_extension(ipython: Any) -> None:
    from jupyter_easymaker.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from jupyter_easymaker.magics import unload_ipython_extension as unload

    unload(ipython)
