"""The run's journal: one JSON line per task state change, flushed and synced
before the change is acted on, so an executor restarted on the same run dir
never repeats a finished task and never loses its outputs. Each change is also
printed as the progress line the server turns into the run's task rows."""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any, TextIO

from jupyter_easymaker.catalogs.jobs import format_pipeline_task

# ends a restart reuses; a task skipped because something upstream failed is not
# one of them (that upstream task runs again, and may succeed this time)
REUSABLE = ("SUCCEEDED", "CACHED")
SKIPPED_BY_CONDITION = "condition"


class Journal:
    def __init__(self, path: str, out: TextIO | None = None):
        self.path = path
        self.out = out if out is not None else sys.stdout
        self.finished: dict[str, dict[str, Any]] = {}
        # task -> the RUNNING record of what an earlier executor started and never saw end
        # (its process: pid, work_dir, tmp_dir; or its Kubernetes Job: k8s_job, namespace)
        self.left_running: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        if os.path.exists(path):
            self._replay(path)
        self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - held open for the whole run

    def _replay(self, path: str) -> None:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # the last line of a killed executor may be cut short
                if not isinstance(record, dict) or not record.get("task"):
                    continue
                state = record.get("state")
                if state == "RUNNING" and (record.get("pid") or record.get("k8s_job")):
                    self.left_running[record["task"]] = record
                else:
                    self.left_running.pop(record["task"], None)
                if state in REUSABLE or (state == "SKIPPED" and record.get("reason") == SKIPPED_BY_CONDITION):
                    self.finished[record["task"]] = record
                else:
                    self.finished.pop(record["task"], None)

    def record(self, task: str, state: str, **fields: Any) -> dict[str, Any]:
        """Write the change durably, then print its progress line."""
        record = {"task": task, "state": state, "attempt": fields.pop("attempt", 1), "outputs": fields.pop("outputs", {}),
                  "error": fields.pop("error", None), "at": time.time(), **fields}
        line = json.dumps(record, default=str, separators=(",", ":"))
        with self._lock:
            self._fh.write(line + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())
            if state in REUSABLE or (state == "SKIPPED" and record.get("reason") == SKIPPED_BY_CONDITION):
                self.finished[task] = record
            try:
                self.out.write(format_pipeline_task(record) + "\n")
                self.out.flush()
            except (OSError, ValueError):
                pass  # nobody reads stdout any more (the job is being torn down): the journal has it
        return record

    def close(self) -> None:
        with self._lock:
            self._fh.close()
