"""The guide's base images (개인 이미지: 노트북 이미지, 딥 러닝 이미지), read-only.
Private images must derive from one of them; the recipes are under the
repository's images/ folder."""
from __future__ import annotations

from dataclasses import dataclass

REGISTRY = "fb34a0a4-kr1-registry.container.nhncloud.com/easymaker"


@dataclass(frozen=True)
class BaseImage:
    id: str
    name: str
    image_type: str  # NOTEBOOK | TRAINING
    core_type: str  # CPU | GPU
    framework: str  # PYTHON | PYTORCH | TENSORFLOW
    framework_version: str
    python_version: str
    address: str


def _image(kind: str, core: str, framework: str, version: str) -> BaseImage:
    repo = {"PYTHON": "python", "PYTORCH": "pytorch", "TENSORFLOW": "tensorflow"}[framework]
    suffix = "notebook" if kind == "NOTEBOOK" else "train"
    label = {"PYTHON": "Python", "PYTORCH": "PyTorch", "TENSORFLOW": "TensorFlow"}[framework]
    name = f"Ubuntu 22.04 {core} {label} {'Notebook' if kind == 'NOTEBOOK' else 'Training'}"
    address = f"{REGISTRY}/{repo}-{suffix}:{version}-{core.lower()}-py310-ubuntu2204"
    return BaseImage(id=f"base-{repo}-{suffix}-{core.lower()}", name=name, image_type=kind, core_type=core,
                     framework=framework, framework_version=version, python_version="3.10", address=address)


BASE_IMAGES: tuple[BaseImage, ...] = tuple(
    [_image("NOTEBOOK", core, "PYTHON", "3.10.12") for core in ("CPU", "GPU")]
    + [_image("NOTEBOOK", core, "PYTORCH", "2.0.1") for core in ("CPU", "GPU")]
    + [_image("NOTEBOOK", core, "TENSORFLOW", "2.12.0") for core in ("CPU", "GPU")]
    + [_image("TRAINING", core, "PYTORCH", "2.0.1") for core in ("CPU", "GPU")]
    + [_image("TRAINING", core, "TENSORFLOW", "2.12.0") for core in ("CPU", "GPU")]
)


def base_image(ref: str) -> BaseImage | None:
    """A base image by id, name or address."""
    for image in BASE_IMAGES:
        if ref in (image.id, image.name, image.address):
            return image
    return None
