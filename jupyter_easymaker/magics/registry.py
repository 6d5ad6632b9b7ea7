"""The ``%easymaker`` commands. Each area's ``magics.py`` registers its own
with :func:`command` when it is imported; the parser and the dispatcher read
them from here and know no family.

    @command("stop", "Stop a training.", arg("ref", metavar="REF", help="training name or id"))
    def stop(magics, args, cell):
        ...

``magics`` is the dispatcher (:class:`~jupyter_easymaker.magics.easymaker.EasyMakerMagics`):
``magics.client``, ``magics.shell``, ``magics._widgets_available()`` and
``magics._train_body(args, cell)``. What the command returns is the magic's result.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

Run = Callable[[Any, Any, "str | None"], Any]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Run
    arguments: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = ()  # arg(...) of each argument
    # what the cell body is to the command ("the training code"); None: a line magic only
    cell: str | None = None
    cell_required: bool = False  # without a cell it refuses (with cell given but not required: the cell is optional)

    @property
    def module(self) -> str:
        return self.run.__module__

    @property
    def prog(self) -> str:
        return f"%%easymaker {self.name}" if self.cell else f"%easymaker {self.name}"


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, *arguments: tuple[tuple[str, ...], dict[str, Any]], cell: str | None = None,
            cell_required: bool = False) -> Callable[[Run], Run]:
    """Register the decorated ``run(magics, args, cell)`` as ``%easymaker NAME``."""

    def register(run: Run) -> Run:
        known = COMMANDS.get(name)
        if known is not None and known.module != run.__module__:
            raise ValueError(f"%easymaker {name} is registered by {known.module} and {run.__module__}")
        COMMANDS[name] = Command(name, help, run, tuple(arguments), cell, cell_required)
        return run

    return register
