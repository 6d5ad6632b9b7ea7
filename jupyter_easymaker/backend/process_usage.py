"""What the local backends share about their processes: CPU and memory of a
process tree, and the end of a log file."""
from __future__ import annotations

import os

import psutil


class TreeSampler:
    """CPU (percent since the previous sample) and RSS of a process and its
    children. psutil measures CPU between two calls on the same Process
    object, so each pid's object is kept from one sample to the next."""

    def __init__(self) -> None:
        self._sampled: dict[int, psutil.Process] = {}

    def sample(self, root: psutil.Process) -> tuple[float, int] | None:
        """(cpu percent, rss bytes) of ``root``'s tree; None when it is gone."""
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return None
        cpu, rss = 0.0, 0
        for p in tree:
            sampled = self._sampled.setdefault(p.pid, p)
            try:
                cpu += sampled.cpu_percent(None)
                rss += sampled.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                self._sampled.pop(p.pid, None)
        return cpu, rss


def tail_text(path: str, max_bytes: int) -> str | None:
    """The last ``max_bytes`` of a file as text; None when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - max_bytes))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return None
