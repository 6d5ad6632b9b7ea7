"""Fixtures of the notebook tests: a GPU instance type beside the host's CPU
ones, and no notebook server left behind by a test."""
from __future__ import annotations

import json
import os
import signal

import psutil
import pytest
from tests.server_config import with_options


@pytest.fixture
def jp_server_config(jp_server_config):
    # a GPU instance type next to the host's CPU ones: a notebook may not move between core types
    return with_options(jp_server_config, instance_types={"gpu-1": {"cpu": 4, "memory_mib": 16384, "gpu": 1}})


@pytest.fixture(autouse=True)
def no_notebook_left(easymaker_data):
    """Notebook servers outlive the Jupyter server on purpose: end what a failed test left."""
    yield
    for state_file in (easymaker_data / "notebooks").glob("*/server.json"):
        state = json.loads(state_file.read_text())
        try:
            if abs(psutil.Process(state["pid"]).create_time() - state["create_time"]) < 0.01:
                os.killpg(state["pid"], signal.SIGKILL)
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass
