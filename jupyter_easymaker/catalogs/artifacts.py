"""The files each framework's artifact must have: the model server looks for
them before it loads a model, the models service before it registers one.

Every check reads only file names (nothing is loaded) and raises
:class:`~jupyter_easymaker.catalogs.frameworks.ArtifactError` when the
artifact cannot be the framework's.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from jupyter_easymaker.catalogs.frameworks import ArtifactError, canonical_framework

SKLEARN_SUFFIXES = (".joblib", ".pkl", ".pickle")
PYTORCH_WEIGHT_SUFFIXES = (".pt", ".pth", ".bin")
# weights Hugging Face artifacts may not use: only safetensors are loaded
UNSAFE_WEIGHTS = (".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf")


def _missing(model_dir: str) -> ArtifactError:
    return ArtifactError(f"the model artifact directory {model_dir!r} does not exist")


def triton_file(model_dir: str, filename: str) -> str | None:
    """``{version}/filename`` of the newest version of a Triton layout (``config.pbtxt`` next to it)."""
    if not os.path.isfile(os.path.join(model_dir, "config.pbtxt")):
        return None
    versions = sorted((int(n) for n in os.listdir(model_dir) if n.isdigit() and os.path.isdir(os.path.join(model_dir, n))), reverse=True)
    for v in versions:
        path = os.path.join(model_dir, str(v), filename)
        if os.path.exists(path):
            return path
    return None


def sklearn_artifact(model_dir: str) -> str:
    """The joblib / pickle file: ``model.joblib`` (or ``model.pkl``), else the only one."""
    if os.path.isfile(model_dir) and model_dir.endswith(SKLEARN_SUFFIXES):
        return model_dir
    if not os.path.isdir(model_dir):
        raise _missing(model_dir)
    for preferred in ("model.joblib", "model.pkl"):
        if os.path.isfile(os.path.join(model_dir, preferred)):
            return os.path.join(model_dir, preferred)
    found = sorted(n for n in os.listdir(model_dir) if n.endswith(SKLEARN_SUFFIXES))
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise ArtifactError(f"a scikit-learn artifact needs one model.joblib (or *.joblib / *.pkl) file; found {what} in {model_dir}")
    return os.path.join(model_dir, found[0])


def onnx_artifact(model_dir: str) -> str:
    """The ``.onnx`` file: Triton's ``{version}/model.onnx``, ``model.onnx``, else the only one."""
    if os.path.isfile(model_dir) and model_dir.endswith(".onnx"):
        return model_dir
    if not os.path.isdir(model_dir):
        raise _missing(model_dir)
    triton = triton_file(model_dir, "model.onnx")
    if triton:
        return triton
    if os.path.isfile(os.path.join(model_dir, "model.onnx")):
        return os.path.join(model_dir, "model.onnx")
    found = sorted(n for n in os.listdir(model_dir) if n.endswith(".onnx"))
    if len(found) != 1:
        raise ArtifactError(f"an ONNX artifact needs one model.onnx file (found {len(found)} .onnx files)")
    return os.path.join(model_dir, found[0])


def savedmodel_dir(model_dir: str) -> str:
    """The TensorFlow SavedModel directory (``saved_model.pb``), also inside Triton's ``{version}/model.savedmodel``."""
    if not os.path.isdir(model_dir):
        raise _missing(model_dir)
    triton = triton_file(model_dir, "model.savedmodel")
    if triton:
        model_dir = triton
    if not os.path.isfile(os.path.join(model_dir, "saved_model.pb")):
        raise ArtifactError("a TensorFlow artifact is a SavedModel directory with saved_model.pb (and variables/)")
    return model_dir


def pytorch_layout(model_dir: str) -> dict[str, Any]:
    """Which layout a PyTorch artifact has, with its files; ArtifactError when none fits."""
    if not os.path.isdir(model_dir):
        raise _missing(model_dir)
    names = sorted(os.listdir(model_dir))
    mars = [n for n in names if n.endswith(".mar")]
    if mars:
        return {"layout": "mar", "archive": os.path.join(model_dir, mars[0])}
    weights = [n for n in names if n.endswith(PYTORCH_WEIGHT_SUFFIXES) and os.path.isfile(os.path.join(model_dir, n))]
    if "handler.py" in names:
        if "model.py" not in names and not weights:
            raise ArtifactError("a PyTorch handler artifact needs model.py and a weights file (.pt, .pth or .bin) next to handler.py")
        if len(weights) > 1:
            preferred = [w for w in weights if os.path.splitext(w)[0] in ("model", "weights")]
            weights = preferred[:1] or weights[:1]
        return {"layout": "handler", "handler": "handler.py", "model_file": "model.py" if "model.py" in names else None,
                "serialized_file": weights[0] if weights else None}
    triton = triton_file(model_dir, "model.pt")
    if triton:
        return {"layout": "torchscript", "file": triton}
    scripts = [n for n in weights if n != "training_args.bin"]
    if "model.pt" in scripts:
        scripts = ["model.pt"]
    if len(scripts) == 1:
        return {"layout": "torchscript", "file": os.path.join(model_dir, scripts[0])}
    if not scripts:
        raise ArtifactError("a PyTorch artifact needs handler.py + model.py + a weights file, a TorchScript model.pt, or a .mar archive")
    raise ArtifactError(f"several weight files ({', '.join(scripts)}) and no handler.py: add handler.py + model.py, or keep one TorchScript model.pt")


def check_huggingface_folder(model_dir: str) -> None:
    """A local Hugging Face artifact: config.json and safetensors weights, or a GGUF file
    (the file itself, or a folder holding it), nothing else."""
    if os.path.isfile(model_dir) and model_dir.endswith(".gguf"):
        return
    if not os.path.isdir(model_dir):
        raise _missing(model_dir)
    names = os.listdir(model_dir)
    if any(n.endswith(".gguf") and os.path.isfile(os.path.join(model_dir, n)) for n in names):
        return
    if "config.json" not in names:
        raise ArtifactError("a Hugging Face artifact needs config.json and safetensors weights "
                            "(save it with model.save_pretrained), or a .gguf file")
    if not any(n.endswith(".safetensors") for n in names):
        others = sorted(n for n in names if n.endswith(UNSAFE_WEIGHTS))
        found = f" (found {', '.join(others)})" if others else ""
        raise ArtifactError(f"Hugging Face models must be saved as safetensors{found}: save with model.save_pretrained(dir, safe_serialization=True), or give a .gguf file")


LAYOUT_CHECKS: dict[str, Callable[[str], Any]] = {
    "scikit-learn": sklearn_artifact,
    "onnx": onnx_artifact,
    "pytorch": pytorch_layout,
    "tensorflow": savedmodel_dir,
    "huggingface": check_huggingface_folder,
}


def check_layout(framework: str, model_dir: str) -> None:
    """The files ``framework`` (any name :func:`canonical_framework` takes) needs are in ``model_dir``."""
    LAYOUT_CHECKS[canonical_framework(framework)](model_dir)
