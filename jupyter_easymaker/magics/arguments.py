"""What every ``%easymaker`` command's arguments share: the argparse parser
class whose errors become one-line messages instead of SystemExit, the value
types (``scalar``, ``key_value``, ``positive_int``, ``duration``,
``names_list``) and ``arg(...)``, one argument of a registered command."""
from __future__ import annotations

import argparse
import re
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


def arg(*names: str, **options: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    """One argument of a command, as ``ArgumentParser.add_argument`` takes it."""
    return names, options


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
