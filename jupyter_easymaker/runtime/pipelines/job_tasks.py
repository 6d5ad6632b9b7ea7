"""A local run on a server: each task attempt a job of its own on the server's job
lifecycle (capacity, usage, logs, restarts and stops as every job has them). The
executor writes the attempt's request into the run's folder and waits for the
answer the server writes once the job ended (names and fields: catalogs/jobs.py).
The files are the whole protocol: a server restart meanwhile loses nothing (the
server finds the request and the job again), and neither side needs the other's
address. Once the job ended, its output joins the task's log."""
from __future__ import annotations

import asyncio
import os
import secrets
import time
from typing import Any

from jupyter_easymaker.catalogs.jobs import (
    TASK_JOB_LOG,
    TASK_JOBS_FOLDER,
    TASK_RESULT_SUFFIX,
    TASK_STOP_SUFFIX,
    read_state,
    replace_json,
    task_job_name,
)
from jupyter_easymaker.runtime.pipelines import resolve
from jupyter_easymaker.runtime.pipelines.launch import Launch, Slots, Stopped, TaskFailed

POLL_SECONDS = 0.01  # a stat of one file: the answer is noticed within this
LEFTOVER_WAIT_SECONDS = 20.0  # how long a restarted executor waits for the stop of what it did not see end


class LifecycleJobs(Slots):
    def __init__(self, parallelism: int, run_dir: str):
        super().__init__(parallelism)
        self.folder = os.path.join(run_dir, TASK_JOBS_FOLDER)
        os.makedirs(self.folder, exist_ok=True)
        self._asked: set[str] = set()  # requests whose answer is awaited
        self.executor = secrets.token_hex(3)  # this executor's requests, apart from an earlier one's

    def command(self, command: list[Any]) -> tuple[list[Any], list[str]]:
        # the job runs on this host too, with this environment's kfp: no pip install per task
        return resolve.local_command(command)

    def describe(self, launch: Launch) -> list[str]:
        lines = [f"image {launch.image} runs here as a job of its own (a local process)"]
        if launch.resources:
            lines.append("WARNING: cpu / memory / accelerator settings are not applied; the job gets the run's instance type")
        if launch.kubernetes:
            lines.append("WARNING: its Kubernetes settings (" + ", ".join(sorted(launch.kubernetes))
                         + ") apply to Kubernetes Jobs only, not to a local process")
        return lines

    def _path(self, name: str, suffix: str = ".json") -> str:
        return os.path.join(self.folder, name + suffix)

    async def run(self, launch: Launch) -> int:
        async with self.slots:
            if self.stopping:
                raise Stopped()
            name = task_job_name(os.path.basename(launch.cwd), launch.attempt, self.executor)
            request = {"task_id": launch.task_id, "attempt": launch.attempt, "argv": [str(a) for a in launch.argv],
                       "env": launch.env, "cwd": launch.cwd, "log_path": launch.log_path, "image": launch.image}
            replace_json(self._path(name), request)
            self._asked.add(name)
            launch.started({"task_job": name})
            try:
                result = await self._answer(name)
            finally:
                self._asked.discard(name)
                _append_file(os.path.join(self.folder, name + ".job", TASK_JOB_LOG), launch.log_path)
        if self.stopping:
            raise Stopped()
        outcome, code, reason = result.get("outcome"), result.get("exit_code"), result.get("reason") or ""
        if outcome == "succeeded":
            return 0
        if outcome == "failed" and code not in (None, 0):
            return int(code)
        if outcome == "stopped":
            raise TaskFailed(f"its job was stopped: {reason}" if reason else "its job was stopped")
        raise TaskFailed(reason or f"its job ended: {outcome}")

    async def _answer(self, name: str) -> dict[str, Any]:
        path = self._path(name, TASK_RESULT_SUFFIX)
        while not self.stopping:
            result = read_state(path)
            if result is not None:
                return result
            try:
                await asyncio.wait_for(self.stopped.wait(), timeout=POLL_SECONDS)
            except TimeoutError:
                pass
        return {"outcome": "stopped"}

    def stop(self) -> None:
        if not self.mark_stopped():
            return
        for name in list(self._asked):  # the server stops these jobs (it stops the run's others with the run)
            replace_json(self._path(name, TASK_STOP_SUFFIX), {"at": time.time()})

    def end_leftovers(self, left_running: dict[str, dict[str, Any]]) -> list[str]:
        """Ask the server to stop the jobs an earlier executor of this run started and
        never saw end, and wait (a while) for their end: their task runs again from
        its start, and must not meet the old job in its folder."""
        names = {task: str(r["task_job"]) for task, r in left_running.items() if r.get("task_job")}
        for name in names.values():
            if read_state(self._path(name, TASK_RESULT_SUFFIX)) is None:
                replace_json(self._path(name, TASK_STOP_SUFFIX), {"at": time.time()})
        deadline = time.monotonic() + LEFTOVER_WAIT_SECONDS
        while time.monotonic() < deadline and any(read_state(self._path(n, TASK_RESULT_SUFFIX)) is None
                                                  for n in names.values()):
            time.sleep(POLL_SECONDS)
        return list(names)



def _append_file(source: str, target: str) -> None:
    """The job's output after the task's own log lines (the server shows it live meanwhile)."""
    try:
        with open(source, "rb") as src, open(target, "ab") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    except FileNotFoundError:
        pass  # the job never started
