"""Start a real server for a benchmark (the same helper the tests use)."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))

from server_process import ServerProcess, free_port  # noqa: E402

__all__ = ["ServerProcess", "free_port"]
