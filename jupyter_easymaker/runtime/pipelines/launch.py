"""What the executor asks of whatever starts a task's code: a :class:`Launch`
(one attempt of one container task, its command already resolved) handed to a
:class:`TaskLauncher`, which runs it to its exit code. Two launchers exist:
local processes (``local_tasks``, the embedded default) and one Kubernetes Job
per attempt (``kube_tasks``, when the run itself runs on a cluster)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class Stopped(Exception):
    """The run is being stopped: the task ends CANCELED."""


class TaskFailed(Exception):
    pass


@dataclass
class Launch:
    task_id: str
    attempt: int
    argv: list[str]
    env: dict[str, str]
    cwd: str  # the task's folder: its executor input, outputs and log
    log_path: str
    image: str
    # the IR container's resources (cpuLimit, resourceMemoryLimit, accelerator, ...)
    resources: dict[str, Any] = field(default_factory=dict)
    # the executor's Kubernetes settings from the platform spec (kfp-kubernetes), and the
    # input parameters of the task's DAG they may name
    kubernetes: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    # called once the task's code runs, with what a restarted executor needs to end it
    started: Callable[[dict[str, Any]], None] = lambda where: None


class TaskLauncher(Protocol):
    stopping: bool

    def command(self, command: list[Any]) -> tuple[list[Any], list[str]]:
        """The component's command as this launcher runs it, and notes for the task's log."""

    def describe(self, launch: Launch) -> list[str]:
        """Lines for the task's log: where its code runs, then any warning."""

    async def run(self, launch: Launch) -> int:
        """The exit code; Stopped when the run is stopped meanwhile, TaskFailed when it could not run."""

    def stop(self) -> None: ...

    async def sleep(self, seconds: float) -> None: ...

    def end_leftovers(self, left_running: dict[str, dict[str, Any]]) -> list[str]:
        """End what an earlier executor of this run started and never saw end; the tasks ended."""


class Slots:
    """At most ``parallelism`` tasks at once, and the stop every launcher shares."""

    def __init__(self, parallelism: int):
        self.parallelism = max(1, int(parallelism))
        self.slots = asyncio.Semaphore(self.parallelism)
        self.stopping = False
        self.stopped = asyncio.Event()

    def mark_stopped(self) -> bool:
        """Mark the run stopped; False when it already was."""
        if self.stopping:
            return False
        self.stopping = True
        self.stopped.set()
        return True

    async def sleep(self, seconds: float) -> None:
        """Sleep unless the run is stopped meanwhile (then Stopped)."""
        if seconds > 0:
            try:
                await asyncio.wait_for(self.stopped.wait(), timeout=seconds)
            except TimeoutError:
                pass
        if self.stopping:
            raise Stopped()
