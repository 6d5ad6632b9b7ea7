"""The process that runs a job: ``python -m jupyter_easymaker.runtime.launcher``.

It stays alive for the whole job as a small supervisor, so that the job's
outcome is written to ``state.json`` even when the Jupyter server is down:

1. read the job spec (``EM_JOB_SPEC_FILE`` or ``EM_JOB_SPEC``),
2. stage ``obs://`` inputs and install ``requirements.txt`` (phase STARTING),
3. start the user code on every node it owns (phase RUNNING),
4. enforce the maximum run time and forward stop signals,
5. upload ``obs://`` outputs and write the final phase and exit code.

Locally one launcher owns all nodes (``EM_LOCAL_NODES=1``); on Kubernetes each
pod runs one launcher for its own node rank. Standard library only, apart from
fsspec when ``obs://`` paths are used.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from jupyter_easymaker.catalogs.jobs import STATE_FILE, private_dir, write_state
from jupyter_easymaker.runtime import contract
from jupyter_easymaker.runtime.storage_quota import DataStorageQuota

STOP_GRACE_SECONDS = float(os.environ.get("EM_STOP_GRACE_SECONDS", "10"))


def _load_spec() -> dict[str, Any]:
    path = os.environ.get("EM_JOB_SPEC_FILE")
    if path:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    return json.loads(os.environ["EM_JOB_SPEC"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log(message: str) -> None:
    print(f"[easymaker] {message}", flush=True)


class Launcher:
    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        self.work_dir = private_dir(spec.get("work_dir") or os.getcwd())  # state, staged inputs: the owner's only
        self.state_path = os.path.join(self.work_dir, STATE_FILE)
        self.children: list[subprocess.Popen] = []
        self.stop_requested = False
        self.started_at: float | None = None
        gigabytes = spec.get("data_storage_gb")
        self.quota = DataStorageQuota(self.work_dir, float(gigabytes)) if gigabytes else None

    # -- phases ---------------------------------------------------------------
    def _state(self, phase: str, **extra: Any) -> None:
        write_state(self.state_path, {"phase": phase, "launcher_pid": os.getpid(), "started_at": self.started_at, **extra})

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        self._state("STARTING")
        try:
            self._stage_inputs()
            extra_path = self._install_requirements()
            full = self.quota.exceeded(now=True) if self.quota else None
            if full:
                raise OSError(full)
        except Exception as exc:  # noqa: BLE001 - any staging error fails the job with its message
            _log(f"preparing the job failed: {exc}")
            self._state("FAILED", exit_code=1, reason=f"preparing the job failed: {exc}", finished_at=time.time())
            return 1
        if self.stop_requested:
            self._state("STOPPED", exit_code=-signal.SIGTERM, reason="stopped by request", finished_at=time.time())
            return 143
        code, phase, reason = self._run_nodes(extra_path)
        if phase == "SUCCEEDED":
            try:
                self._upload_outputs()
            except Exception as exc:  # noqa: BLE001
                code, phase, reason = 1, "FAILED", f"uploading outputs failed: {exc}"
        self._state(phase, exit_code=code, reason=reason, finished_at=time.time())
        return 0 if phase == "SUCCEEDED" else (code if code and code > 0 else 1)

    def _on_stop_signal(self, signum, _frame) -> None:
        self.stop_requested = True
        for child in self.children:
            _signal_group(child, signal.SIGTERM)

    # -- preparation ----------------------------------------------------------
    def _stage_inputs(self) -> None:
        """Download ``obs://`` inputs next to the job; local paths are used as is."""
        spec = self.spec
        staged = os.path.join(self.work_dir, "staged")
        if spec["source_dir"].startswith("obs://"):
            spec["source_dir"] = _download(spec["source_dir"], os.path.join(staged, "source"), spec)
        for name, path in list((spec.get("datasets") or {}).items()):
            if path.startswith("obs://"):
                spec["datasets"][name] = _download(path, os.path.join(staged, "datasets", name), spec)
        if spec.get("checkpoint_input_dir", "").startswith("obs://"):
            spec["checkpoint_input_dir"] = _download(spec["checkpoint_input_dir"], os.path.join(staged, "checkpoint-input"), spec)
        self.uploads = {}
        for key in ("model_dir", "output_dir", "checkpoint_dir", "tensorboard_log_dir"):
            target = spec.get(key) or ""
            if target.startswith("obs://"):
                local = os.path.join(staged, key)
                self.uploads[local] = target
                spec[key] = local
            if spec.get(key):
                os.makedirs(spec[key], exist_ok=True)

    def _install_requirements(self) -> str:
        req = os.path.join(self.spec["source_dir"], "requirements.txt")
        if not os.path.isfile(req) or os.path.getsize(req) == 0:
            return ""
        target = os.path.join(self.work_dir, "site-packages")
        _log(f"installing {req} into the job's environment")
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--target", target, "-r", req],
            stdout=sys.stdout,
            stderr=sys.stderr,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"pip install -r requirements.txt exited with {proc.returncode}")
        return target

    def _upload_outputs(self) -> None:
        for local, remote in getattr(self, "uploads", {}).items():
            if os.path.isdir(local) and os.listdir(local):
                _log(f"uploading {local} to {remote}")
                _upload(local, remote, self.spec)

    # -- execution ------------------------------------------------------------
    def _node_ranks(self) -> tuple[list[int], str, int]:
        nodes = max(1, int(self.spec.get("nodes", 1)))
        if os.environ.get("EM_LOCAL_NODES") == "1":
            return list(range(nodes)), "127.0.0.1", _free_port()
        rank = int(os.environ.get("EM_NODE_RANK") or os.environ.get("JOB_COMPLETION_INDEX") or 0)
        return [rank], os.environ.get("EM_MASTER_ADDR", "127.0.0.1"), int(os.environ.get("EM_MASTER_PORT", "29500"))

    def _run_nodes(self, extra_path: str) -> tuple[int, str, str]:
        spec = self.spec
        ranks, master_addr, master_port = self._node_ranks()
        base_env = dict(os.environ)
        for key in ("EM_JOB_SPEC", "EM_JOB_SPEC_FILE", "EM_LOCAL_NODES"):
            base_env.pop(key, None)
        base_env.update(contract.job_env(spec))
        if extra_path:
            base_env["PYTHONPATH"] = os.pathsep.join(p for p in (extra_path, base_env.get("PYTHONPATH", "")) if p)
        if self.quota:  # temporary files are the instance's data storage too
            base_env["TMPDIR"] = private_dir(os.path.join(self.work_dir, "tmp"))
        entry = os.path.join(spec["source_dir"], spec["entry_point"])
        if not spec.get("command") and not os.path.isfile(entry):
            return 2, "FAILED", f"entry point {spec['entry_point']!r} not found in {spec['source_dir']}"
        self.started_at = time.time()
        self._state("RUNNING")
        for rank in ranks:
            env = dict(base_env)
            env.update(
                contract.distributed_env(
                    nodes=int(spec.get("nodes", 1)),
                    node_rank=rank,
                    nproc_per_node=int(spec.get("nproc_per_node", 1)),
                    master_addr=master_addr,
                    master_port=master_port,
                    use_torchrun=bool(spec.get("use_torchrun")),
                )
            )
            cmd = contract.entry_command(spec, node_rank=rank, master_addr=master_addr, master_port=master_port,
                                         python=spec.get("python") or sys.executable)  # an image's environment
            try:
                self.children.append(subprocess.Popen(cmd, cwd=spec["source_dir"], env=env, stdout=sys.stdout,
                                                      stderr=sys.stderr, start_new_session=True))
            except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:  # a command line's program
                _log(f"ERROR: cannot start {cmd[0]!r}: {exc}")
                self._terminate_children()
                return 127, "FAILED", f"program {cmd[0]!r} not found on this host"
        return self._wait(spec.get("max_run_seconds"))

    def _wait(self, max_run_seconds: float | None) -> tuple[int, str, str]:
        deadline = (self.started_at + float(max_run_seconds)) if max_run_seconds else None
        first_failure: int | None = None
        while True:
            codes = [child.poll() for child in self.children]
            failed = [c for c in codes if c not in (None, 0)]
            if failed and first_failure is None:
                first_failure = failed[0]
                # one node failing dooms a distributed job: end the others
                for child in self.children:
                    if child.poll() is None:
                        _signal_group(child, signal.SIGTERM)
            if all(c is not None for c in codes):
                break
            if self.stop_requested:
                self._terminate_children()
                return -signal.SIGTERM, "STOPPED", "stopped by request"
            if deadline is not None and time.time() >= deadline:
                _log(f"maximum run time of {max_run_seconds:g} s reached, ending the job")
                self._terminate_children()
                return -signal.SIGTERM, "FAILED", f"maximum run time of {max_run_seconds:g} s exceeded"
            full = self.quota.exceeded() if self.quota else None
            if full:
                _log(f"{full}, ending the job")
                self._terminate_children()
                return -signal.SIGTERM, "FAILED", full
            running = [child for child, code in zip(self.children, codes) if code is None]
            if len(running) == 1:
                # one process left: its exit is seen at once (short jobs, such as pipeline tasks, end sooner)
                try:
                    running[0].wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    pass
            else:
                time.sleep(0.05)
        if self.stop_requested:
            return first_failure or 0, "STOPPED", "stopped by request"
        if first_failure is None:
            return 0, "SUCCEEDED", ""
        return first_failure, "FAILED", f"user code exited with {first_failure}"

    def _terminate_children(self) -> None:
        for child in self.children:
            if child.poll() is None:
                _signal_group(child, signal.SIGTERM)
        end = time.time() + STOP_GRACE_SECONDS
        while time.time() < end and any(child.poll() is None for child in self.children):
            time.sleep(0.05)
        for child in self.children:
            if child.poll() is None:
                _signal_group(child, signal.SIGKILL)
                child.wait()


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(child.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _fs(uri: str, spec: dict[str, Any]):
    from jupyter_easymaker.storage_uri import (
        obs_to_fsspec,  # lazy: fsspec only when obs:// is used
    )

    return obs_to_fsspec(uri, spec.get("storage_options") or {})


def _download(uri: str, local: str, spec: dict[str, Any]) -> str:
    """Copy every object under ``uri`` into ``local``, keeping relative paths
    (explicitly, because filesystems disagree on what a trailing slash means)."""
    fs, root = _fs(uri, spec)
    _log(f"downloading {uri}")
    os.makedirs(local, exist_ok=True)
    root = root.rstrip("/")
    for remote in fs.find(root):
        rel = os.path.relpath(remote, root) if remote != root else os.path.basename(remote)
        target = os.path.join(local, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fs.get_file(remote, target)
    return local


def _upload(local: str, uri: str, spec: dict[str, Any]) -> None:
    fs, root = _fs(uri, spec)
    root = root.rstrip("/")
    for folder, _dirs, files in os.walk(local):
        for name in files:
            path = os.path.join(folder, name)
            remote = f"{root}/{os.path.relpath(path, local)}"
            fs.makedirs(remote.rsplit("/", 1)[0], exist_ok=True)
            fs.put_file(path, remote)


def main() -> int:
    return Launcher(_load_spec()).run()


if __name__ == "__main__":
    exit_code = main()
    # the final state is written: exit without the interpreter's teardown, so
    # the controller (woken by this process's exit) learns of the end sooner
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
