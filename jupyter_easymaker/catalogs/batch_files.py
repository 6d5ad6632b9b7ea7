"""The input files of batch inference and model evaluation, and the summary
the job leaves next to its outputs.

The job finds its input files with :func:`discover`; the server calls the
same function (and :func:`check_globs`) to check globs and local input paths
before it stores anything. Globs: ``*`` and ``?`` stay inside one path
segment, ``**`` crosses them, ``[...]`` is a class; a pattern without ``/``
matches the file name at any depth, and exclude wins over include.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

# written by the job next to its ``.out`` files: the input files, their outputs and the counts
SUMMARY_FILE = "summary.json"


class InputError(Exception):
    """The input cannot be read at all (as opposed to one bad record)."""


# -- globs --------------------------------------------------------------------
def glob_regex(pattern: str) -> re.Pattern:
    """``*`` and ``?`` stay inside one path segment, ``**`` crosses them, ``[...]``
    is a class. A pattern without ``/`` matches the file name at any depth
    (like .gitignore), one with ``/`` the whole path relative to the input."""
    pattern = pattern.strip()
    if pattern.startswith("./"):
        pattern = pattern[2:]
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1: i + 2] in ("!", "]") else i + 1)
            if end < 0:
                raise ValueError(f"unclosed '[' in glob {pattern!r}")
            body = pattern[i + 1: end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    regex = "".join(out)
    if "/" not in pattern:
        regex = f"(?:.*/)?{regex}"
    return re.compile(f"^{regex}$")


def split_globs(value: Any) -> list[str]:
    """A list of patterns, or one string of comma-separated patterns."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [str(p).strip() for p in items if str(p).strip()]


def check_globs(patterns: list[str]) -> None:
    for pattern in patterns:
        glob_regex(pattern)


def selected(rel: str, include: list[re.Pattern], exclude: list[re.Pattern]) -> bool:
    """Exclude wins over include (the guide's rule); no include takes every file."""
    if any(p.match(rel) for p in exclude):
        return False
    return not include or any(p.match(rel) for p in include)


@dataclass
class InputFile:
    path: str  # absolute
    rel: str  # relative to the input root, '/'-separated: names the output file
    records: int = 0
    # (record index, byte offset) pairs to start reading a JSONL file mid-way (set when the job counts records)
    checkpoints: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "rel": self.rel, "records": self.records, "checkpoints": self.checkpoints}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "InputFile":
        return cls(data["path"], data["rel"], int(data["records"]), [tuple(c) for c in data.get("checkpoints") or []])


def discover(root: str, include: Any = None, exclude: Any = None, *, skip: str | None = None) -> list[InputFile]:
    """The input files under ``root`` (a file or a directory), in a stable order.
    Hidden files and folders are skipped; so is ``skip`` (the output folder when
    it lies inside the input)."""
    inc = [glob_regex(p) for p in split_globs(include)]
    exc = [glob_regex(p) for p in split_globs(exclude)]
    if os.path.isfile(root):
        rel = os.path.basename(root)
        return [InputFile(os.path.abspath(root), rel)] if selected(rel, inc, exc) else []
    if not os.path.isdir(root):
        raise InputError(f"the input path {root!r} does not exist")
    skip = os.path.abspath(skip) if skip else None
    found: list[InputFile] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and os.path.abspath(os.path.join(folder, d)) != skip)
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if selected(rel, inc, exc):
                found.append(InputFile(os.path.abspath(path), rel))
    return sorted(found, key=lambda f: f.rel)
