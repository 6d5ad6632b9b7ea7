"""The labextension's unit tests (vitest: state and API layers), run against
the OpenAPI document of the current server code."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(900)
def test_labextension_unit_tests(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (needed for the labextension unit tests)")
    vitest = ROOT / "node_modules" / ".bin" / "vitest"
    if not vitest.exists():
        pytest.fail("vitest is not installed: run `jlpm install` at the repository root (scripts/easymaker-dev test does)")
    from jupyter_easymaker.api import openapi_document

    openapi = tmp_path / "openapi.json"
    document = openapi_document("/")
    openapi.write_text(json.dumps({"openapi": document["openapi"], "components": document["components"]}))
    env = dict(os.environ, EASYMAKER_OPENAPI=str(openapi), CI="1", FORCE_COLOR="0", NO_COLOR="1")
    result = subprocess.run([str(vitest), "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"vitest failed (exit {result.returncode}):\n{result.stdout[-20000:]}\n{result.stderr[-5000:]}")
