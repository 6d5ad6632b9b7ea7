"""The labextension's TypeScript has no import cycles (madge, type-only
imports included), and its shared code imports no area: an area folder
(labextension/src/areas/<family>/) may use shared/ and the API modules of
other areas, but shared/ never reaches into areas/."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "labextension" / "src"
MADGE = ROOT / "node_modules" / ".bin" / "madge"


def _madge(*args: str) -> str:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed (needed for the TypeScript import checks)")
    if not MADGE.exists():
        pytest.fail("madge is not installed: run `jlpm install` at the repository root (scripts/easymaker-dev test does)")
    result = subprocess.run(
        [str(MADGE), *args, "--extensions", "ts,tsx", "--ts-config", "tsconfig.json", "--no-color", "--no-spinner",
         str(SRC.relative_to(ROOT))],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    if result.returncode not in (0, 1):
        pytest.fail(f"madge failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.mark.timeout(300)
def test_no_import_cycles():
    out = _madge("--circular", "--json")
    cycles = json.loads(out[out.index("["):])
    assert cycles == [], "import cycles in labextension/src:\n" + "\n".join(" > ".join(c) for c in cycles)


@pytest.mark.timeout(300)
def test_shared_code_imports_no_area_and_areas_only_what_others_offer():
    graph = json.loads(_madge("--json"))
    assert len(graph) > 50, f"madge found too few modules: {sorted(graph)}"
    # the plugin (index.ts) iterates the one list of areas; nothing else outside areas/ names one
    wrong = [f"{module} -> {dep}" for module, deps in graph.items()
             if not module.startswith("areas/") and module != "index.ts" for dep in deps if dep.startswith("areas/")]
    assert wrong == [], "shared code imports an area:\n" + "\n".join(wrong)

    # an area uses another area only through the modules it offers to others
    crossing = [f"{module} -> {dep}" for module, deps in graph.items()
                if module.startswith("areas/") and module != "areas/index.ts" for dep in deps
                if dep.startswith("areas/") and dep.split("/")[1] != module.split("/")[1]
                and dep.split("/")[-1] not in ALLOWED_CROSSINGS]
    assert crossing == [], "an area imports another area's internals:\n" + "\n".join(crossing)


#: What an area may import from another area: its API module, its form hints and
#: form parts (a template is a training's fields), its pickers (the experiment
#: picker of every form whose resource belongs to an experiment), its list of
#: trainings (an experiment shows its trainings) and its hyperparameters table.
ALLOWED_CROSSINGS = {"api.ts", "form.ts", "formAddons.tsx", "pickers.ts", "picker.tsx", "list.tsx", "hyperparameters.tsx"}
