"""IPython magics of jupyter-easymaker: ``%load_ext jupyter_easymaker``.

``easymaker.py`` is the ``%easymaker`` magic (the dispatcher). The commands
are the areas' (``areas/<family>/magics.py``), registered in ``registry.py``
and parsed by ``parser.py`` with the argument types of ``arguments.py``; what
the families share is ``formatting.py`` (tables, times, one-line results),
``cell_job.py`` (the cell as a job's code) and ``widgets.py`` (the status
badge). No module here imports a family."""
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
