"""What a local Python environment has: its interpreter run with a short probe in a
subprocess (never imported here), so an image names only environments that run."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
from dataclasses import dataclass

# the module a framework needs, and its distribution (for the version)
FRAMEWORK_MODULES = {"PYTORCH": ("torch", "torch"), "TENSORFLOW": ("tensorflow", "tensorflow")}
PROBE_TIMEOUT_SECONDS = 30.0
PROBE = (
    "import sys, json, importlib.util, importlib.metadata\n"
    "def v(mod, dist):\n"
    "    if importlib.util.find_spec(mod) is None: return None\n"
    "    try: return importlib.metadata.version(dist)\n"
    "    except Exception: return 'unknown'\n"
    "print(json.dumps({'python': '%d.%d.%d' % sys.version_info[:3], 'executable': sys.executable,"
    " 'torch': v('torch', 'torch'), 'tensorflow': v('tensorflow', 'tensorflow')}))\n"
)


class ProbeError(ValueError):
    """The environment cannot run the image's work; the message says why."""


@dataclass(frozen=True)
class Environment:
    python: str  # the interpreter's path
    python_version: str
    framework_version: str  # "" for PYTHON


def interpreter_path(value: str, conda_root: str | None) -> str:
    """An interpreter path, or an environment name under the configured conda root."""
    if os.path.isabs(value):
        return value
    if not conda_root:
        raise ProbeError("not an absolute interpreter path, and no conda root is configured to find an environment by name")
    if "/" in value or value in (".", ".."):
        raise ProbeError("an environment name has no '/'")
    return os.path.join(conda_root, "envs", value, "bin", "python")


def probe(python: str, framework: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> Environment:
    if not os.path.isfile(python):
        raise ProbeError(f"{python} does not exist")
    if not os.access(python, os.X_OK):
        raise ProbeError(f"{python} is not executable")
    try:
        proc = subprocess.run([python, "-I", "-c", PROBE], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ProbeError(f"{python} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise ProbeError(f"{python} does not run: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        raise ProbeError(f"{python} does not run a Python probe: {tail[0][:200]}")
    try:
        facts = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise ProbeError(f"{python} is not a Python interpreter this server can use") from None
    return Environment(python=python, python_version=str(facts["python"]),
                       framework_version=_framework(framework, facts.get(FRAMEWORK_MODULES.get(framework, ("", ""))[0]), python))


def _framework(framework: str, version: str | None, python: str) -> str:
    if framework not in FRAMEWORK_MODULES:
        return ""
    module = FRAMEWORK_MODULES[framework][0]
    if not version:
        raise ProbeError(f"{python} cannot import {module}, which a {framework} image needs")
    return version


def here(framework: str) -> tuple[bool, str, str]:
    """(available, reason, framework version) of this server's own interpreter, without importing the framework."""
    if framework not in FRAMEWORK_MODULES:
        return True, "", ""
    module, dist = FRAMEWORK_MODULES[framework]
    if importlib.util.find_spec(module) is None:
        return False, f"{module} is not installed in this server's Python environment", ""
    try:
        return True, "", importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return True, "", "unknown"


def own_python_version() -> str:
    return platform.python_version()
