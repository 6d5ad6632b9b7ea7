"""Python client of the jupyter-easymaker REST API.

Standard library only (urllib + json) and nothing from jupyter_server, so it
works in any kernel, including remote ones whose environment is not the
server's. Every method returns plain JSON values (dicts, lists, strings).

List methods return a :class:`Page`: a ``list`` of items that also carries
``total``, ``offset`` and ``limit``; ``iter_trainings`` pages through all.

Finding the server, in order: ``Client(url, token)``; the variables
``JUPYTER_EASYMAKER_URL`` / ``JUPYTER_EASYMAKER_TOKEN`` (a server with the
extension sets them for the kernels it starts); the Jupyter runtime dir's
``jpserver-*.json`` files, keeping a live server that answers the EasyMaker API.

:class:`Client` is composed, when first asked for, of the server-wide methods
(``client/server.py``), the methods of every area that declares a client
mixin in its record (``areas/<family>/client.py``, in the areas' order) and
the transport (``client/transport.py``).
"""
from __future__ import annotations

import threading
from typing import Any

from jupyter_easymaker.client.common import Page
from jupyter_easymaker.client.transport import EasyMakerError, ServerNotFound, discover

__all__ = ["Client", "EasyMakerError", "ServerNotFound", "Page", "FINAL_TRAINING_STATUSES", "FINAL_TUNING_STATUSES", "discover"]

_loading = threading.Lock()


def _area_clients() -> list[Any]:
    """The client modules of the areas that have one, in the areas' order."""
    from jupyter_easymaker.areas import AREAS

    return [area.module(area.client.partition(":")[0]) for area in AREAS if area.client]


def _compose() -> type:
    from jupyter_easymaker.areas import AREAS
    from jupyter_easymaker.client.server import ServerClient
    from jupyter_easymaker.client.transport import Transport

    mixins = tuple(area.resolve(area.client) for area in AREAS if area.client)

    class Client(ServerClient, *mixins, Transport):
        """A synchronous client of one jupyter-easymaker server.

        ``url`` is the Jupyter server's URL including its base URL
        (``http://localhost:8888/``); ``token`` its token. Both are found
        automatically when omitted (see the module docstring).
        """

    Client.__module__ = __name__
    Client.__qualname__ = "Client"
    return Client


def __getattr__(name: str) -> Any:
    """``Client``, and the names the areas' client modules export (their
    ``__all__``, e.g. ``FINAL_TRAINING_STATUSES``): loaded on first use."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _loading:  # one Client class, however many threads ask at once
        if name not in globals():
            if name == "Client":
                globals()[name] = _compose()
            else:
                owner = next((m for m in _area_clients() if name in getattr(m, "__all__", ())), None)
                if owner is None:
                    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
                globals()[name] = getattr(owner, name)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
