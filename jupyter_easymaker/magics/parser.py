"""Argument parsing of ``%easymaker`` / ``%%easymaker``: argparse subparsers
whose errors become one-line messages instead of SystemExit."""
from __future__ import annotations

import argparse
import re
import shlex
from typing import Any, NoReturn

BACKENDS = ("local", "kubernetes")


class MagicUsageError(Exception):
    """Bad arguments; the message is one line naming the problem."""


class HelpShown(Exception):
    """``--help`` printed its text; nothing else is to be done."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("allow_abbrev", False)  # --no-w must not silently mean --no-widget
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise MagicUsageError(f"{self.prog}: {message} (see {self.prog} --help)")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise MagicUsageError((message or f"{self.prog}: invalid arguments").strip())
        raise HelpShown()


# -- value types ---------------------------------------------------------------
def scalar(text: str) -> Any:
    """'2' -> 2, '0.1' -> 0.1, anything else stays text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def duration(text: str) -> int:
    """'3600', '90s', '30m', '1h', '1h30m', '1.5h' -> seconds."""
    raw = text.strip().lower()
    if re.fullmatch(r"\d+", raw):
        seconds = float(raw)
    elif raw and _DURATION_PART.sub("", raw) == "":
        seconds = sum(float(n) * _UNIT[u] for n, u in _DURATION_PART.findall(raw))
    else:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (use e.g. 90s, 30m, 1h, 1h30m or seconds)")
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"duration {text!r} is shorter than a second")
    return int(round(seconds))


def names_list(text: str) -> list[str]:
    names = [n for n in re.split(r"[,\s]+", text.strip()) if n]
    bad = [n for n in names if not n.isidentifier()]
    if not names or bad:
        raise argparse.ArgumentTypeError(f"expected variable names separated by commas, got {text!r}")
    return names


# -- the parser ------------------------------------------------------------------
def build_parser() -> tuple[_Parser, dict[str, _Parser]]:
    root = _Parser(
        prog="%easymaker",
        description="jupyter-easymaker: submit cells as trainings and manage them from the notebook.",
        epilog="Run `%easymaker COMMAND --help` for the options of a command. Cell magics: %%easymaker train [options], %%easymaker hpo [options], %%easymaker batch [options].",
    )
    sub = root.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands: dict[str, _Parser] = {}

    def add(name: str, help_text: str, prog: str | None = None) -> _Parser:
        parser = sub.add_parser(name, help=help_text, description=help_text, prog=prog or f"%easymaker {name}")
        commands[name] = parser
        return parser

    train = add("train", "Submit the cell body as a training (its entry point main.py).", prog="%%easymaker train")
    train.add_argument("--name", help="training name (default: cell-YYYYmmdd-HHMMSS)")
    train.add_argument("--experiment", metavar="NAME", help="experiment name, created when missing (default: notebook)")
    train.add_argument("--description", default="", help="training description")
    train.add_argument("--hp", nargs="+", action="extend", type=key_value, default=[], metavar="KEY=VALUE",
                       help="hyperparameters, passed as --KEY VALUE and EM_HP_KEY")
    train.add_argument("--dataset", nargs="+", action="extend", type=key_value, default=[], metavar="NAME=PATH",
                       help="datasets (local path, file://, nas://, obs://), exposed as EM_DATASET_NAME")
    train.add_argument("--instance-type", help="instance type (see Client().instance_types())")
    train.add_argument("--nodes", type=positive_int, help="number of nodes")
    train.add_argument("--nproc-per-node", type=positive_int, help="processes per node (with --torchrun)")
    train.add_argument("--torchrun", action="store_true", help="launch with torchrun")
    train.add_argument("--max-time", type=duration, metavar="DURATION", help="maximum training time: 90s, 30m, 1h, 1h30m or seconds")
    train.add_argument("--backend", choices=BACKENDS, help="execution backend")
    train.add_argument("--template", metavar="TEMPLATE", help="training template (name or id) whose fields are used")
    train.add_argument("--requirements", metavar='"PKG ..."', help="pip packages installed into the job first")
    train.add_argument("--vars", type=names_list, default=[], metavar="A,B", help="notebook variables shipped to the job (cloudpickle)")
    train.add_argument("--wait", action="store_true", help="block until the training ends and return it")
    train.add_argument("--no-widget", action="store_true", help="print status lines instead of the live widget")

    from jupyter_easymaker.areas.tuning.magics import add_commands as add_hpo_commands  # here: hpo imports this module

    add_hpo_commands(add)  # %%easymaker hpo, %easymaker tunings / tuning

    from jupyter_easymaker.areas.batch.magics import add_commands as add_batch_commands  # here: batch imports this module

    add_batch_commands(add)  # %%easymaker batch, %easymaker batches / evaluations / compare

    lst = add("list", "List trainings, newest first.")
    lst.add_argument("--status", help="only these statuses (comma-separated)")
    lst.add_argument("--experiment", help="only this experiment (name or id)")
    lst.add_argument("--name", help="name or description contains this")
    lst.add_argument("--limit", type=positive_int, default=20, help="how many (default 20)")

    status = add("status", "Show a training: status, times, hyperparameters, latest metrics.")
    status.add_argument("ref", metavar="REF", help="training name or id")

    logs = add("logs", "Print a training's log.")
    logs.add_argument("ref", metavar="REF", help="training name or id")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until the training ends")
    logs.add_argument("--tail", type=positive_int, metavar="N", help="only the last N lines")

    stop = add("stop", "Stop a training.")
    stop.add_argument("ref", metavar="REF", help="training name or id")

    copy = add("copy", "Submit a copy of a training.")
    copy.add_argument("ref", metavar="REF", help="training name or id")
    copy.add_argument("--name", help="name of the copy (default: NAME-copy)")
    copy.add_argument("--hp", nargs="+", action="extend", type=key_value, default=[], metavar="KEY=VALUE",
                      help="hyperparameters to change in the copy")

    delete = add("delete", "Delete an ended training (or, with --kind, an experiment or template).")
    delete.add_argument("ref", metavar="REF", help="name or id")
    delete.add_argument("--kind", choices=("training", "experiment", "template"), default="training")
    delete.add_argument("--yes", action="store_true", help="really delete (without it, only say what would go)")

    tensorboard = add("tensorboard", "TensorBoard of a training, an experiment (all its trainings) or a tuning (all its trials).")
    tensorboard.add_argument("ref", metavar="REF", help="training, tuning or experiment name or id")

    templates = add("templates", "List training templates.")
    templates.add_argument("--limit", type=positive_int, default=50)

    experiments = add("experiments", "List experiments.")
    experiments.add_argument("--limit", type=positive_int, default=50)

    connect = add("connect", "Use this server (when it is not found automatically).")
    connect.add_argument("url", metavar="URL", help="Jupyter server URL with its base URL, e.g. http://localhost:8888/")
    connect.add_argument("--token", help="the server's token")

    from jupyter_easymaker.areas.endpoints.magics import add_parsers

    add_parsers(add, positive_int, BACKENDS)
    add("help", "Show this help.")
    return root, commands


def split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise MagicUsageError(f"%easymaker: cannot read the arguments: {exc}") from None


def parse(line: str) -> argparse.Namespace:
    """The namespace of one magic line; ``command`` is None for a bare ``%easymaker``."""
    root, commands = build_parser()
    words = split(line)
    ns, extra = root.parse_known_args(words)
    if extra:
        owner = commands.get(ns.command) if ns.command else root
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return ns


def help_text(command: str | None = None) -> str:
    root, commands = build_parser()
    return (commands[command] if command else root).format_help()
