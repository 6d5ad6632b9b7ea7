"""Helpers shared by the built-in algorithm scripts (standard library only).

The scripts import this file from their own directory, so they run with
nothing but the job contract: ``--key value`` arguments, ``EM_*`` variables.
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


class DataError(Exception):
    """Bad input data: the message is printed and the job exits with code 2."""


def str2bool(text: str) -> bool:
    value = str(text).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def env_key(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name).upper()


def add_hp(
    parser: argparse.ArgumentParser,
    name: str,
    type: Callable[[str], Any],
    default: Any,
    help: str = "",
    choices: list[str] | None = None,
) -> None:
    """``--name`` (and ``--name-with-dashes``); ``EM_HP_NAME`` is the fallback when the argument is absent."""
    env = os.environ.get(f"EM_HP_{env_key(name)}")
    if env:
        try:
            default = type(env)
        except (ValueError, argparse.ArgumentTypeError) as exc:
            fail(f"EM_HP_{env_key(name)}={env!r} is not a valid {name}: {exc}")
    flags = [f"--{name}"]
    if "_" in name:
        flags.append(f"--{name.replace('_', '-')}")
    parser.add_argument(*flags, dest=name, type=type, default=default, help=help, choices=choices)


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        log(f"ignoring unknown arguments: {' '.join(unknown)}")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def emit(step: int | None = None, **metrics: Any) -> None:
    """One stdout line the platform scrapes: ``[step=N ]name=value ...``."""
    parts = [] if step is None else [f"step={step}"]
    for name, value in metrics.items():
        if isinstance(value, float):
            if math.isfinite(value):  # nan/inf would not match the scraper's number pattern
                parts.append(f"{name}={value:.6g}")
        else:
            parts.append(f"{name}={value}")
    if parts:
        print(" ".join(parts), flush=True)


def dataset_path(name: str) -> str:
    """The directory (or file) of dataset ``name``, or "" when the job has none."""
    path = os.environ.get(f"EM_DATASET_{env_key(name)}")
    if path:
        return path
    try:
        return json.loads(os.environ.get("EM_DATASETS") or "{}").get(name, "") or ""
    except json.JSONDecodeError:
        return ""


def csv_files(path: str, dataset: str) -> list[str]:
    """The CSV files of a dataset path: the file itself, the top-level *.csv, or any *.csv below."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise DataError(f"dataset {dataset!r}: {path} does not exist")
    files = sorted(glob.glob(os.path.join(path, "*.csv")) + glob.glob(os.path.join(path, "*.csv.gz")))
    if not files:
        files = sorted(glob.glob(os.path.join(path, "**", "*.csv"), recursive=True))
    if not files:
        raise DataError(f"dataset {dataset!r}: no .csv file in {path}")
    return files


class ScalarLogger:
    """TensorBoard scalars when a writer is importable; a no-op otherwise.

    ``tensorboard.summary.Writer`` needs neither TensorFlow nor torch, so the
    scikit-learn algorithm prefers it; torch scripts prefer torch's SummaryWriter.
    """

    def __init__(self, logdir: str, prefer_torch: bool = False):
        self._writer: Any = None
        if not logdir:
            return
        os.makedirs(logdir, exist_ok=True)
        for factory in (self._torch, self._tensorboard) if prefer_torch else (self._tensorboard, self._torch):
            try:
                self._writer = factory(logdir)
                return
            except ImportError:
                pass
        log("tensorboard is not installed: no TensorBoard logs are written")

    @staticmethod
    def _tensorboard(logdir: str) -> Any:
        from tensorboard.summary import Writer

        return Writer(logdir)

    @staticmethod
    def _torch(logdir: str) -> Any:
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter(logdir)

    @property
    def enabled(self) -> bool:
        return self._writer is not None

    def scalar(self, tag: str, value: float, step: int) -> None:
        if self._writer is not None and value is not None and math.isfinite(float(value)):
            self._writer.add_scalar(tag, float(value), int(step))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None


def fail(message: str, code: int = 2) -> NoReturn:
    log(f"error: {message}")
    sys.exit(code)


def write_json(path: str, data: Any) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, default=str)
    os.replace(tmp, path)
