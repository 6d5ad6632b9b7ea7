"""Argument parsing of ``%easymaker`` / ``%%easymaker``: an argparse root with
one subparser per registered command, the areas' commands in the areas' order,
then the dispatcher's own (``connect``, ``help``). The areas' ``magics.py``
modules are imported here, the first time a line is parsed."""
from __future__ import annotations

import argparse
import shlex

from jupyter_easymaker.magics import connect as _connect  # noqa: F401 - registers %easymaker connect
from jupyter_easymaker.magics import registry
from jupyter_easymaker.magics.arguments import (  # noqa: F401 - the value types, for callers of the parser
    BACKENDS,
    HelpShown,
    MagicUsageError,
    _Parser,
    duration,
    key_value,
    names_list,
    positive_int,
    scalar,
)


def commands() -> list[registry.Command]:
    """Every registered command: the areas' (their magics modules imported on first
    use), in the areas' order and each area's own order, then the dispatcher's."""
    from jupyter_easymaker.areas import AREAS

    rank: dict[str, int] = {}
    for index, area in enumerate(AREAS):
        if area.magics:
            rank[area.module("magics").__name__] = index
    return sorted(registry.COMMANDS.values(), key=lambda c: rank.get(c.module, len(AREAS)))


def cell_commands() -> list[str]:
    return [c.name for c in commands() if c.cell]


def build_parser() -> tuple[_Parser, dict[str, _Parser]]:
    known = commands()
    cells = ", ".join(f"%%easymaker {c.name} [options]" for c in known if c.cell)
    root = _Parser(
        prog="%easymaker",
        description="jupyter-easymaker: submit cells as trainings and manage them from the notebook.",
        epilog=f"Run `%easymaker COMMAND --help` for the options of a command. Cell magics: {cells}.",
    )
    sub = root.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parsers: dict[str, _Parser] = {}
    for command in known:
        parser = sub.add_parser(command.name, help=command.help, description=command.help, prog=command.prog)
        for names, options in command.arguments:
            parser.add_argument(*names, **options)
        parsers[command.name] = parser
    parsers["help"] = sub.add_parser("help", help="Show this help.", description="Show this help.", prog="%easymaker help")
    return root, parsers


def split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise MagicUsageError(f"%easymaker: cannot read the arguments: {exc}") from None


def parse(line: str) -> argparse.Namespace:
    """The namespace of one magic line; ``command`` is None for a bare ``%easymaker``."""
    root, parsers = build_parser()
    words = split(line)
    ns, extra = root.parse_known_args(words)
    if extra:
        owner = parsers.get(ns.command) if ns.command else root
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return ns


def help_text(command: str | None = None) -> str:
    root, parsers = build_parser()
    return (parsers[command] if command else root).format_help()
