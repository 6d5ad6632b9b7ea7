"""``%easymaker`` line magics and ``%%easymaker`` cell magics: the dispatcher.

It parses the line, checks the cell against the command and runs the command
an area registered (``areas/<family>/magics.py``, see ``registry.py``); its
own are ``connect`` (``connect.py``) and ``help``. Only the standard library
and IPython are imported here: the areas' commands, the client, the widgets
and cloudpickle load when first used, so ``%load_ext jupyter_easymaker`` only
registers the magic.
"""
from __future__ import annotations

import importlib.util
import sys
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class

from jupyter_easymaker.magics import cell_job, parser, registry
from jupyter_easymaker.magics.arguments import HelpShown, MagicUsageError


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _one_of(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


@magics_class
class EasyMakerMagics(Magics):
    """What a command gets as ``magics``: ``client`` (found on first use, or set
    by ``connect``), ``shell``, ``_widgets_available()`` and ``_train_body()``."""

    def __init__(self, shell: Any = None, **kwargs: Any):
        super().__init__(shell, **kwargs)
        self._client: Any = None

    # -- the client -----------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            from jupyter_easymaker.client import Client

            self._client = Client()
        return self._client

    @client.setter
    def client(self, value: Any) -> None:
        self._client = value

    # -- dispatch ---------------------------------------------------------------------
    @line_cell_magic
    def easymaker(self, line: str = "", cell: str | None = None) -> Any:
        """jupyter-easymaker: `%easymaker help` lists the commands, `%%easymaker train --help` the training options."""
        from jupyter_easymaker.client.transport import EasyMakerError

        try:
            args = parser.parse(line)
        except HelpShown:
            return None
        except MagicUsageError as exc:
            _err(str(exc))
            return None
        if args.command in (None, "help"):
            print(parser.help_text())
            return None
        name = args.command
        chosen = registry.COMMANDS[name]
        if cell is not None and not chosen.cell:
            _err(f"%%easymaker: the cell magic takes {_one_of(parser.cell_commands())} (got {name!r}); use %easymaker {name} as a line magic")
            return None
        if cell is None and chosen.cell_required:
            _err(f"%easymaker {name}: {chosen.cell} is the cell body; put %%easymaker {name} ... on the first line of a cell")
            return None
        try:
            return chosen.run(self, args, cell)
        except MagicUsageError as exc:
            _err(str(exc))
        except EasyMakerError as exc:
            _err(f"error: {exc}")
        except TimeoutError as exc:
            _err(f"error: {exc}")
        except KeyboardInterrupt:
            _err(f"%easymaker {name}: interrupted")
        return None

    # -- what the commands share --------------------------------------------------------
    def _widgets_available(self) -> bool:
        # a bare IPython (terminal, tests) has no kernel to render widgets
        if getattr(self.shell, "kernel", None) is None:
            return False
        return importlib.util.find_spec("ipywidgets") is not None

    def _train_body(self, args: Any, cell: str) -> dict[str, Any]:
        """The create body of the cell run as a training-shaped job (``cell_job.py``)."""
        return cell_job.job_body(self, args, cell)
