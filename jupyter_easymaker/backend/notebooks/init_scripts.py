"""The guide's start-up scripts: ``<data>/cont-init.d`` run before the notebook
server starts, in ascending alphanumeric order; only regular executable files
whose first line starts with ``#!``. Each writes ``{SCRIPT}.exitcode`` and
``{SCRIPT}.output`` next to it; the whole run goes to ``<data>/cont-init.output``."""
from __future__ import annotations

import os
import stat
import subprocess
import time
from dataclasses import dataclass

SCRIPTS_DIR = "cont-init.d"
RUN_LOG = "cont-init.output"
RESULT_SUFFIXES = (".exitcode", ".output")


@dataclass(frozen=True)
class ScriptResult:
    name: str
    exit_code: int
    output: str


class InitScriptFailed(RuntimeError):
    def __init__(self, script: str, exit_code: int):
        super().__init__(f"start-up script {script} exited with {exit_code}")
        self.script = script
        self.exit_code = exit_code


def runnable_scripts(data_dir: str) -> list[str]:
    """Names of the scripts that run, in the order they run."""
    folder = os.path.join(data_dir, SCRIPTS_DIR)
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    out = []
    for name in names:
        if name.endswith(RESULT_SUFFIXES):
            continue
        path = os.path.join(folder, name)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(st.st_mode) or not os.access(path, os.X_OK):
            continue
        with open(path, "rb") as fh:
            if fh.read(2) != b"#!":
                continue
        out.append(name)
    return out


def run_init_scripts(data_dir: str, env: dict[str, str], *, timeout: float = 600.0) -> list[ScriptResult]:
    """Run them in order; the first that exits non-zero stops the run
    (:class:`InitScriptFailed` naming it)."""
    folder = os.path.join(data_dir, SCRIPTS_DIR)
    results: list[ScriptResult] = []
    with open(os.path.join(data_dir, RUN_LOG), "w", encoding="utf-8") as run_log:
        scripts = runnable_scripts(data_dir)
        run_log.write(f"[cont-init.d] {len(scripts)} script(s) at {time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
        for name in scripts:
            path = os.path.join(folder, name)
            run_log.write(f"[cont-init.d] {name}: running\n")
            run_log.flush()
            try:
                proc = subprocess.run([path], cwd=data_dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, timeout=timeout, check=False)
                code, output = proc.returncode, proc.stdout.decode("utf-8", "replace")
            except subprocess.TimeoutExpired as exc:
                code, output = 124, (exc.output or b"").decode("utf-8", "replace") + f"\ntimed out after {timeout:.0f} s\n"
            except OSError as exc:  # a bad interpreter on the #! line
                code, output = 126, f"{exc}\n"
            with open(path + ".output", "w", encoding="utf-8") as fh:
                fh.write(output)
            with open(path + ".exitcode", "w", encoding="utf-8") as fh:
                fh.write(f"{code}\n")
            run_log.write(output)
            run_log.write(f"[cont-init.d] {name}: exited {code}\n")
            results.append(ScriptResult(name, code, output))
            if code != 0:
                raise InitScriptFailed(name, code)
        run_log.write("[cont-init.d] done\n")
    return results


def script_results(data_dir: str) -> list[dict[str, object]]:
    """What the last run left: each script with its exit code and output (None when it did not run)."""
    folder = os.path.join(data_dir, SCRIPTS_DIR)
    try:
        names = sorted(n for n in os.listdir(folder) if not n.endswith(RESULT_SUFFIXES))
    except FileNotFoundError:
        return []
    runnable = set(runnable_scripts(data_dir))
    out: list[dict[str, object]] = []
    for name in names:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        code: int | None = None
        output: str | None = None
        try:
            with open(path + ".exitcode", encoding="utf-8") as fh:
                code = int(fh.read().strip() or "0")
            with open(path + ".output", encoding="utf-8", errors="replace") as fh:
                output = fh.read()[-64 * 1024:]
        except (FileNotFoundError, ValueError):
            pass
        out.append({"name": name, "runnable": name in runnable, "exit_code": code, "output": output})
    return out


def run_log(data_dir: str) -> str:
    try:
        with open(os.path.join(data_dir, RUN_LOG), encoding="utf-8", errors="replace") as fh:
            return fh.read()[-256 * 1024:]
    except FileNotFoundError:
        return ""
