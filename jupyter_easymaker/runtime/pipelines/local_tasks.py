"""The embedded default's task launcher: each attempt a local process, the
leader of its own process group (a stop ends everything it started, as a pod's
end does), its stdout and stderr in the task's log, a temporary folder of its
own, at most ``parallelism`` at once."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

from jupyter_easymaker.runtime.pipelines import resolve
from jupyter_easymaker.runtime.pipelines.launch import Launch, Slots, Stopped, TaskFailed

# a stopped task's process group gets SIGTERM, then SIGKILL after this (the job's
# launcher allows the executor 10 s in all)
KILL_GRACE_SECONDS = 3.0
TMP_PREFIX = "em-task-"


class LocalProcesses(Slots):
    def __init__(self, parallelism: int):
        super().__init__(parallelism)
        self._running: set[asyncio.subprocess.Process] = set()
        bin_dir = os.path.dirname(sys.executable)
        # `python3` in a component's command is this interpreter (the one with kfp)
        self.env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
                    "_KFP_RUNTIME": "true", "PYTHONUNBUFFERED": "1"}

    def command(self, command: list[Any]) -> tuple[list[Any], list[str]]:
        # kfp is in this environment already: no pip install per task
        return resolve.local_command(command)

    def describe(self, launch: Launch) -> list[str]:
        lines = [f"image {launch.image} runs here as a local process"]
        if launch.resources:
            lines.append("WARNING: cpu / memory / accelerator settings are not applied to a local process")
        if launch.kubernetes:
            lines.append("WARNING: its Kubernetes settings (" + ", ".join(sorted(launch.kubernetes))
                         + ") apply to Kubernetes Jobs only, not to a local process")
        return lines

    async def run(self, launch: Launch) -> int:
        async with self.slots:
            if self.stopping:
                raise Stopped()
            # a temporary folder of the task's own (KFP's ephemeral_component.py goes there),
            # removed when it ends instead of piling up; short, as AF_UNIX socket paths must be
            tmp = tempfile.mkdtemp(prefix=TMP_PREFIX)
            try:
                return await self._run(launch, tmp)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

    async def _run(self, launch: Launch, tmp: str) -> int:
        with open(launch.log_path, "ab") as log:  # noqa: ASYNC230 - a local file, opened in microseconds
            try:
                proc = await asyncio.create_subprocess_exec(
                    *launch.argv, cwd=launch.cwd, env={**self.env, "TMPDIR": tmp, **launch.env},
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
                raise TaskFailed(f"program {launch.argv[0]!r} not found on this host") from exc
        self._running.add(proc)
        try:
            # the pid lets a restarted executor end what a killed one left running (and remove its tmp)
            launch.started({"pid": proc.pid, "work_dir": launch.cwd, "tmp_dir": tmp})
            code = await proc.wait()
        finally:
            self._running.discard(proc)
            # what the task left behind in its group ends with it, as a pod's processes do
            _kill_group(proc.pid, signal.SIGKILL)
        if self.stopping:
            raise Stopped()
        return code

    def stop(self) -> None:
        if not self.mark_stopped():
            return
        self._signal_all(signal.SIGTERM)
        asyncio.get_running_loop().call_later(KILL_GRACE_SECONDS, self._signal_all, signal.SIGKILL)

    def _signal_all(self, sig: int) -> None:
        for proc in list(self._running):
            _kill_group(proc.pid, sig)

    def end_leftovers(self, left_running: dict[str, dict[str, Any]]) -> list[str]:
        """Kill the process groups a killed executor of this run left running (a task
        process is its group's leader, its cwd the task's folder: a pid reused by some
        other process is left alone) and remove their temporary folders."""
        ended = []
        for task_id, record in left_running.items():
            if not record.get("pid"):
                continue
            tmp_dir = str(record.get("tmp_dir") or "")
            try:
                _end_group(int(record["pid"]), str(record.get("work_dir") or ""))
            except OSError:
                continue  # gone already, not ours, or no /proc here
            finally:
                if os.path.basename(tmp_dir).startswith(TMP_PREFIX):
                    shutil.rmtree(tmp_dir, ignore_errors=True)
            ended.append(task_id)
        return ended


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _end_group(pid: int, work_dir: str) -> None:
    if not work_dir or os.path.realpath(os.readlink(f"/proc/{pid}/cwd")) != os.path.realpath(work_dir):
        raise ProcessLookupError(pid)
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except (OSError, IndexError):
        return False
