"""The panels' status words are generated from the kinds' state machines:
the committed labextension/src/generated/statusWords.ts must be what the
current server code generates (regenerate it with the command below)."""
from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "labextension" / "src" / "generated" / "statusWords.ts"
COMMAND = "python -m jupyter_easymaker.status_words --ts labextension/src/generated/statusWords.ts"


def test_generated_status_words_are_current(tmp_path):
    fresh = tmp_path / "statusWords.ts"
    result = subprocess.run(
        [sys.executable, "-m", "jupyter_easymaker.status_words", "--ts", str(fresh)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"the generator failed:\n{result.stdout}\n{result.stderr}"
    want = fresh.read_text(encoding="utf-8")
    have = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if have != want:
        diff = "\n".join(difflib.unified_diff(
            have.splitlines(), want.splitlines(), "committed", "generated", lineterm="", n=2))
        raise AssertionError(f"{COMMITTED.relative_to(ROOT)} is stale; run `{COMMAND}`:\n{diff[:6000]}")


def test_generated_status_words_name_every_kind_the_panels_use():
    text = COMMITTED.read_text(encoding="utf-8")
    for kind in ("experiment", "training", "training template", "hyperparameter tuning", "trial", "model",
                 "endpoint", "endpoint stage", "stage resource", "batch inference", "model evaluation"):
        assert f'"{kind}": {{' in text, kind
