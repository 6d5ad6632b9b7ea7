"""A real ``jupyter server`` in a subprocess, for tests that kill it."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    def __init__(self, root_dir: str, data_dir: str, *, token: str = "test-token", port: int | None = None,
                 controller_interval: float = 0.1, extra: list[str] | None = None):
        self.root_dir, self.data_dir, self.token = root_dir, data_dir, token
        self.port = port or free_port()
        self.controller_interval = controller_interval
        self.extra = extra or []
        self.proc: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}/easymaker/api/v1/"

    def start(self, timeout: float = 60.0) -> "ServerProcess":
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH", "")) if p))
        cmd = [
            sys.executable, "-m", "jupyter_server",
            f"--port={self.port}", "--port_retries=0", "--no-browser", "--allow-root",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.jpserver_extensions={'jupyter_easymaker': True}",
            f"--EasyMakerExtension.data_dir={self.data_dir}",
            f"--EasyMakerExtension.controller_interval={self.controller_interval}",
        ]
        # a setting given twice is refused by traitlets, and Jupyter Server then starts the
        # extension with none of its settings (a warning in the log, nothing else)
        given = {arg.split("=", 1)[0] for arg in cmd if arg.startswith("--")}
        twice = [arg for arg in self.extra if arg.split("=", 1)[0] in given]
        if twice:
            raise ValueError(f"already set by ServerProcess (pass them as its arguments): {twice}")
        cmd += self.extra
        self.log_path = os.path.join(self.data_dir, f"server-{self.port}-{int(time.time() * 1000)}.log")
        os.makedirs(self.data_dir, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root_dir, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {open(self.log_path).read()[-3000:]}")
            try:
                self.request("GET", "")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise TimeoutError("server did not answer")

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
