"""The catalogs the server and the runtime share: light to import, pointing at
the runtime's files without importing the runtime, and the artifact layout
checks the models service runs before it registers a model."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jupyter_easymaker.catalogs.algorithms import BUILTIN_ALGORITHMS, algorithm_source_dir
from jupyter_easymaker.catalogs.artifacts import check_layout, pytorch_layout
from jupyter_easymaker.catalogs.frameworks import ArtifactError
from jupyter_easymaker.catalogs.jobs import BATCH_INFERENCE_ENTRY, MODEL_EVALUATION_ENTRY, jobs_source_dir

CATALOGS = ("algorithms", "artifacts", "batch_files", "evaluation", "frameworks", "jobs")


def test_catalogs_import_nothing_heavy_and_nothing_of_the_platform():
    code = (
        "import sys;"
        f"[__import__('jupyter_easymaker.catalogs.' + m) for m in {CATALOGS!r}];"
        "from jupyter_easymaker.catalogs.frameworks import framework_available; framework_available('sklearn');"
        "banned = ('pydantic', 'sqlalchemy', 'tornado', 'jupyter_server', 'numpy', 'torch', 'sklearn', 'kubernetes',"
        " 'jupyter_easymaker.runtime', 'jupyter_easymaker.core', 'jupyter_easymaker.areas', 'jupyter_easymaker.backend');"
        "loaded = sorted(m for m in sys.modules if m.startswith(banned));"
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_source_dirs_are_the_runtime_directories_holding_the_scripts():
    import jupyter_easymaker.runtime.algorithms
    import jupyter_easymaker.runtime.jobs

    assert algorithm_source_dir() == os.path.dirname(jupyter_easymaker.runtime.algorithms.__file__)
    assert jobs_source_dir() == os.path.dirname(jupyter_easymaker.runtime.jobs.__file__)
    for algorithm in BUILTIN_ALGORITHMS.values():
        assert os.path.isfile(os.path.join(algorithm_source_dir(), algorithm["entry_point"]))
    for entry in (BATCH_INFERENCE_ENTRY, MODEL_EVALUATION_ENTRY):
        assert os.path.isfile(os.path.join(jobs_source_dir(), entry))


def test_layout_checks_by_framework(tmp_path):
    sk = tmp_path / "sk"
    sk.mkdir()
    with pytest.raises(ArtifactError, match="found no"):
        check_layout("sklearn", str(sk))
    (sk / "model.joblib").write_bytes(b"")
    check_layout("scikit-learn", str(sk))

    triton = tmp_path / "triton"
    (triton / "3").mkdir(parents=True)
    (triton / "config.pbtxt").write_text("")
    (triton / "3" / "model.onnx").write_bytes(b"")
    check_layout("onnx-triton", str(triton))
    with pytest.raises(ArtifactError, match="saved_model.pb"):
        check_layout("tensorflow-triton", str(triton))

    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text("{}")
    (hf / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(ArtifactError, match=r"safetensors \(found pytorch_model.bin\)"):
        check_layout("huggingface", str(hf))

    pt = tmp_path / "pt"
    pt.mkdir()
    for name in ("handler.py", "model.py", "weights.pth", "extra.bin"):
        (pt / name).write_bytes(b"")
    assert pytorch_layout(str(pt)) == {"layout": "handler", "handler": "handler.py", "model_file": "model.py",
                                       "serialized_file": "weights.pth"}
    with pytest.raises(ArtifactError) as err:
        check_layout("caffe", str(pt))
    assert err.value.field == "framework"
    with pytest.raises(ArtifactError, match="does not exist"):
        check_layout("pytorch", str(tmp_path / "missing"))
