"""Parsing and resolving the guide's storage paths.

Accepted forms:

* a local absolute path, or ``file:///abs/path``;
* ``nas://{nas_id}:/{path}`` - a NAS export, mapped to a configured mount point;
* ``obs://{endpoint}/{container}/{path}`` - S3-compatible object storage,
  reached through fsspec (``s3fs``) with ``endpoint`` as the endpoint URL.

Resolution refuses anything that escapes its root (``..``, symlinks out of a
mount, paths outside the configured local roots). Standard library only, so
the job launcher can import it; fsspec is imported when an ``obs://`` path is
actually opened.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

_NAS = re.compile(r"^nas://(?P<id>[A-Za-z0-9][A-Za-z0-9_.-]*):(?P<path>/.*)$")
_OBS = re.compile(r"^obs://(?P<endpoint>[^/]+)/(?P<container>[^/]+)(?P<path>/.*)?$")


class StoragePathError(ValueError):
    """A path the user gave cannot be used; the message says why."""


@dataclass(frozen=True)
class ObsLocation:
    endpoint: str
    container: str
    path: str  # without leading slash

    @property
    def uri(self) -> str:
        return f"obs://{self.endpoint}/{self.container}/{self.path}".rstrip("/")


def check_characters(value: str) -> None:
    """A path holds no NUL (the OS refuses it) and no other control character
    (a name no one typed, which logs and shells would show garbled)."""
    if "\x00" in value:
        raise StoragePathError("the path contains a NUL character")
    bad = next((c for c in value if c < " " or c == "\x7f"), None)
    if bad is not None:
        raise StoragePathError(f"the path contains the control character {bad!r}")


def _inside(path: str, root: str) -> bool:
    root = os.path.realpath(root)
    path = os.path.realpath(path)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def parse_obs(uri: str) -> ObsLocation:
    match = _OBS.match(uri)
    if not match:
        raise StoragePathError("object storage paths look like obs://{endpoint}/{container}/{path}")
    rel = (match.group("path") or "/").lstrip("/")
    if any(part == ".." for part in rel.split("/")):
        raise StoragePathError("'..' is not allowed in a path")
    return ObsLocation(match.group("endpoint"), match.group("container"), rel)


def resolve_path(
    value: str,
    *,
    local_roots: Sequence[str],
    nas_mounts: Mapping[str, str],
    allow_obs: bool = True,
) -> str:
    """Return the path a job should use for ``value``: a real local path for
    local and NAS paths, the normalised URI for ``obs://``.

    Raises :class:`StoragePathError` naming the reason.
    """
    if not isinstance(value, str) or not value.strip():
        raise StoragePathError("a path is required")
    value = value.strip()
    check_characters(value)
    if value.startswith("obs://"):
        if not allow_obs:
            raise StoragePathError("object storage is not allowed here")
        return parse_obs(value).uri
    if value.startswith("nas://"):
        match = _NAS.match(value)
        if not match:
            raise StoragePathError("NAS paths look like nas://{nas_id}:/{path}")
        mount = nas_mounts.get(match.group("id"))
        if mount is None:
            known = ", ".join(sorted(nas_mounts)) or "none configured"
            raise StoragePathError(f"unknown NAS id {match.group('id')!r} (known: {known})")
        rel = match.group("path").lstrip("/")
        if any(part == ".." for part in rel.split("/")):
            raise StoragePathError("'..' is not allowed in a path")
        resolved = os.path.join(mount, rel)
        if not _inside(resolved, mount):
            raise StoragePathError("the path leaves its NAS mount")
        return os.path.realpath(resolved)
    if value.startswith("file://"):
        value = value[len("file://") :]
    elif "://" in value:
        raise StoragePathError("use a local path, file://, nas:// or obs://")
    if not os.path.isabs(value):
        raise StoragePathError("local paths must be absolute")
    if any(part == ".." for part in value.split("/")):
        raise StoragePathError("'..' is not allowed in a path")
    resolved = os.path.realpath(value)
    if not any(_inside(resolved, root) for root in local_roots):
        raise StoragePathError("the path is outside the allowed storage roots")
    return resolved


def obs_to_fsspec(uri: str, storage_options: Mapping[str, Any]) -> tuple[Any, str]:
    """An fsspec filesystem and the path inside it for an ``obs://`` URI.

    By default the endpoint is an S3-compatible service (``s3fs``). Setting
    ``protocol`` in the options selects another fsspec filesystem instead,
    e.g. ``{"protocol": "dir", "path": "/srv/object-store"}`` serves
    containers from a directory (a gateway mount, or tests without S3).
    """
    import fsspec

    loc = parse_obs(uri)
    options = dict(storage_options)
    protocol = options.pop("protocol", "s3")
    if protocol != "s3":
        return fsspec.filesystem(protocol, **options), f"{loc.container}/{loc.path}".rstrip("/")
    scheme = options.pop("scheme", "https")
    client_kwargs = dict(options.pop("client_kwargs", {}) or {})
    client_kwargs.setdefault("endpoint_url", f"{scheme}://{loc.endpoint}")
    try:
        fs = fsspec.filesystem("s3", client_kwargs=client_kwargs, **options)
    except ImportError as exc:
        raise RuntimeError("obs:// paths need s3fs: pip install 'jupyter-easymaker[obs]'") from exc
    return fs, f"{loc.container}/{loc.path}".rstrip("/")


# -- reading what a job wrote (local paths or obs://) --------------------------------
def _open(folder: str, name: str, storage_options: dict[str, Any]):
    if folder.startswith("obs://"):
        fs, root = obs_to_fsspec(folder, storage_options)
        return fs.open(f"{root.rstrip('/')}/{name}", "rb")
    return open(os.path.join(folder, name), "rb")


def read_json(folder: str, name: str, storage_options: dict[str, Any]) -> dict[str, Any]:
    with _open(folder, name, storage_options) as fh:
        return json.load(fh)


def read_lines(folder: str, name: str, offset: int, limit: int, storage_options: dict[str, Any]) -> tuple[list[dict], int | None]:
    lines: list[dict] = []
    with _open(folder, name, storage_options) as fh:
        for n, line in enumerate(fh):
            if n < offset:
                continue
            if len(lines) >= limit:
                return lines, n
            if line.strip():
                lines.append(json.loads(line))
    return lines, None
