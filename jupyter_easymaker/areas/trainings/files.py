"""Submit a file of the Jupyter workspace (.py or .ipynb) as a training.

A notebook becomes a script of its code cells. IPython-only syntax (line and
cell magics, ``!`` shell lines) is commented out, since the job runs plain
Python; ``%%writefile`` cells become the Python that writes the file, because
later cells often import what they wrote.
"""
from __future__ import annotations

import copy
import os
import posixpath
import re
from datetime import datetime
from typing import Any

from jupyter_easymaker.core.errors import InvalidInput
from jupyter_easymaker.core.names import NAME_PATTERN
from jupyter_easymaker.storage_uri import StoragePathError, check_characters

SUFFIXES = (".py", ".ipynb")
ENTRY_POINT = "main.py"
# cell magics whose body is Python that runs the same without them
PYTHON_BODY_CELL_MAGICS = {"time", "timeit", "capture", "prun", "python", "python3"}
# `x = !ls`, `t = %timeit -o f()`: IPython-only assignments
_MAGIC_ASSIGN = re.compile(r"^[\w.,\[\]\s]+=\s*[%!]")


def workspace_path(raw: Any, root_dir: str) -> str:
    """The contents-API path (relative, '/'-separated) of ``path``; refuses
    anything outside the server's root directory."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("path: required: a .py or .ipynb file, relative to the server's root directory", field="path")
    path = raw.strip()
    try:
        check_characters(path)
    except StoragePathError as exc:
        raise InvalidInput(f"path: {exc}", field="path") from None
    root = os.path.realpath(root_dir)
    if os.path.isabs(path) and (os.path.realpath(path) + os.sep).startswith(root + os.sep):
        path = os.path.relpath(os.path.realpath(path), root).replace(os.sep, "/")
    elif os.path.isabs(path) and os.path.exists(path):
        raise InvalidInput(f"path: {raw!r} is outside the server's root directory", field="path")
    path = posixpath.normpath(path.lstrip("/"))
    if path in (".", "") or path == ".." or path.startswith("../"):
        raise InvalidInput(f"path: {raw!r} is outside the server's root directory", field="path")
    if not path.endswith(SUFFIXES):
        raise InvalidInput(f"path: {raw!r} must be a .py or .ipynb file", field="path")
    return path


def default_name(path: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", posixpath.basename(path).rsplit(".", 1)[0]).strip("-_") or "training"
    name = f"{stem[:34]}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    return name if NAME_PATTERN.fullmatch(name) else f"training-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def _comment(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    # `pass` keeps an indented block valid when its only line was a magic
    return f"{indent}pass  # (IPython) {line.strip()}"


def _writefile(first: str, body: list[str]) -> list[str]:
    args = first.split()[1:]
    append = "-a" in args or "--append" in args
    names = [a for a in args if not a.startswith("-")]
    if not names:
        return ["# " + line for line in [first, *body]]
    text = "\n".join(body) + "\n"
    return [
        f"# (IPython) {first.strip()}",
        f"with open({names[0]!r}, {'a' if append else 'w'!r}, encoding='utf-8') as _em_file:",
        f"    _em_file.write({text!r})",
    ]


def strip_ipython(source: str) -> str:
    """Plain Python from one code cell."""
    lines = source.splitlines()
    if not lines:
        return source
    first = lines[0].lstrip()
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic in PYTHON_BODY_CELL_MAGICS:
            lines = [f"# (IPython) {first}", *lines[1:]]
        elif magic == "writefile":
            return "\n".join(_writefile(first, lines[1:]))
        else:  # %%bash, %%html, ...: not Python at all
            return "\n".join("# " + line for line in lines)
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith("%time ") and stripped[6:].strip():  # the timed statement still runs
            out.append(line[: len(line) - len(stripped)] + stripped[6:].strip() + "  # (IPython) %time")
            continue
        shell = stripped.startswith("!") and not stripped.startswith("!=")
        if shell or (stripped.startswith("%") and not stripped.startswith("%=")) or _MAGIC_ASSIGN.match(stripped):
            out.append(_comment(line))
        else:
            out.append(line)
    return "\n".join(out)


def notebook_to_script(notebook: Any) -> str:
    """Code cells only, IPython syntax commented out (nbconvert's PythonExporter
    when installed, which also keeps markdown as comments)."""
    import nbformat

    nb = nbformat.from_dict(copy.deepcopy(dict(notebook)))
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["source"] = strip_ipython(cell.get("source", ""))
    try:
        from nbconvert.exporters import PythonExporter
    except ImportError:
        cells = [c["source"] for c in nb.cells if c.get("cell_type") == "code" and c.get("source", "").strip()]
        return "\n\n".join(cells) + "\n"
    script, _ = PythonExporter().from_notebook_node(nb)
    return script


def script_of(path: str, model: dict[str, Any]) -> str:
    """The script to run, from a contents-manager model of ``path``."""
    content = model.get("content")
    if path.endswith(".ipynb"):
        if not isinstance(content, dict):
            raise InvalidInput(f"path: {path!r} is not a readable notebook", field="path")
        try:
            return notebook_to_script(content)
        except Exception as exc:  # noqa: BLE001 - a broken notebook is the user's input
            raise InvalidInput(f"path: {path!r} could not be converted to a script: {exc}", field="path") from None
    if not isinstance(content, str):
        raise InvalidInput(f"path: {path!r} is not a text file", field="path")
    return content


def training_body(body: dict[str, Any], path: str, script: str) -> dict[str, Any]:
    """The training create body: the request's fields around the converted script."""
    if "algorithm" in body:
        raise InvalidInput("algorithm: is made from path; leave it out", field="algorithm")
    fields = {k: v for k, v in body.items() if k != "path"}
    fields.setdefault("name", default_name(path))
    if not fields.get("description"):
        fields["description"] = f"from {path}"[:255]
    fields["algorithm"] = {"type": "custom", "entry_point": ENTRY_POINT, "source_files": {ENTRY_POINT: script}}
    return fields


def create_from_file(trainings: Any, body: dict[str, Any], path: str, model: dict[str, Any]) -> Any:
    return trainings.create(training_body(body, path, script_of(path, model)))
