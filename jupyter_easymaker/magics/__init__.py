"""IPython magics of jupyter-easymaker: ``%load_ext jupyter_easymaker``."""
from __future__ import annotations

from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    from jupyter_easymaker.magics.easymaker import EasyMakerMagics

    ipython.register_magics(EasyMakerMagics)


def unload_ipython_extension(ipython: Any) -> None:
    manager = ipython.magics_manager
    for kind in ("line", "cell"):
        manager.magics[kind].pop("easymaker", None)
    manager.registry.pop("EasyMakerMagics", None)
