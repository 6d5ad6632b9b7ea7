"""A job's data storage (the guide's data_storage_gb) on the local backend: its
data directory (staged inputs and outputs, installed requirements, scratch)
may hold at most that much. Measured every few seconds while the job runs; a
job past it is ended with the reason, as a full disk would end it, but
before the host's disk fills for everyone."""
from __future__ import annotations

import os
import time

GIB = 1024 ** 3
CHECK_EVERY_SECONDS = 2.0


def folder_bytes(folder: str) -> int:
    """Bytes of the files under ``folder`` (links not followed, each file once)."""
    total, seen = 0, set()
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue  # removed meanwhile
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512 if st.st_blocks else st.st_size
    return total


class DataStorageQuota:
    def __init__(self, folder: str, gigabytes: float, every: float = CHECK_EVERY_SECONDS):
        self.folder = folder
        self.gigabytes = gigabytes
        self.limit = int(gigabytes * GIB)
        self.every = every
        self._checked = 0.0

    def exceeded(self, *, now: bool = False) -> str | None:
        """Why the job must end (its data directory holds more than its data storage), or
        None; measured at most every ``every`` seconds unless ``now``."""
        if not now and time.monotonic() - self._checked < self.every:
            return None
        self._checked = time.monotonic()
        used = folder_bytes(self.folder)
        if used <= self.limit:
            return None
        return (f"data storage full: the job's data directory holds {used / GIB:.2f} GiB, more than its data storage "
                f"of {self.gigabytes:g} GiB (data_storage_gb)")
