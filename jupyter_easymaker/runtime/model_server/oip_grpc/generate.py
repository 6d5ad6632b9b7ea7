"""Regenerate ``grpc_predict_v2_pb2.py`` / ``grpc_predict_v2_pb2_grpc.py`` from
``grpc_predict_v2.proto`` (a development tool: needs grpcio-tools)::

    python -m jupyter_easymaker.runtime.model_server.oip_grpc.generate

protoc's output is changed in one way: the messages are built in a private
descriptor pool, not the process-wide one, because tritonclient (and KServe)
register their own ``inference.*`` messages there, and two files defining the
same full names cannot share a pool.

Whether the committed modules are in sync is judged by ``contract``: the
serialized file descriptor and the service's method paths. The rest of the text
names the protoc and grpcio versions that wrote it, which differ from machine
to machine without changing the protocol.
"""
from __future__ import annotations

import ast
import os
import re
import sys
import tempfile

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(PACKAGE_DIR))))
PROTO = os.path.relpath(os.path.join(PACKAGE_DIR, "grpc_predict_v2.proto"), ROOT)
MODULES = ("grpc_predict_v2_pb2.py", "grpc_predict_v2_pb2_grpc.py")
DEFAULT_POOL = "_descriptor_pool.Default().AddSerializedFile("
PRIVATE_POOL = "POOL = _descriptor_pool.DescriptorPool()  # private: see generate.py\nDESCRIPTOR = POOL.AddSerializedFile("


def generate() -> dict[str, str]:
    """The two modules' text, as protoc (with the private pool) makes them now."""
    from grpc_tools import protoc

    with tempfile.TemporaryDirectory() as out:
        code = protoc.main(["grpc_tools.protoc", f"-I{ROOT}", f"--python_out={out}", f"--grpc_python_out={out}", PROTO])
        if code != 0:
            raise RuntimeError(f"protoc failed ({code}) on {PROTO}")
        texts = {}
        for name in MODULES:
            with open(os.path.join(out, os.path.dirname(PROTO), name), encoding="utf-8") as f:
                texts[name] = f.read()
    pb2 = texts[MODULES[0]]
    if f"DESCRIPTOR = {DEFAULT_POOL}" not in pb2:
        raise RuntimeError("protoc's output changed: the descriptor pool line was not found")
    texts[MODULES[0]] = pb2.replace(f"DESCRIPTOR = {DEFAULT_POOL}", PRIVATE_POOL)
    return texts


def contract(texts: dict[str, str]) -> tuple[bytes, tuple[str, ...]]:
    """What the two modules define, free of the versions that generated them."""
    pb2, services = texts[MODULES[0]], texts[MODULES[1]]
    found = re.search(r"AddSerializedFile\((b'(?:[^'\\]|\\.)*')\)", pb2)
    if found is None:
        raise ValueError(f"{MODULES[0]} holds no serialized descriptor")
    methods = tuple(sorted(set(re.findall(r"'(/inference\.[A-Za-z]+/[A-Za-z]+)'", services))))
    return ast.literal_eval(found.group(1)), methods


def committed() -> dict[str, str]:
    """The two modules' text as they are in the package."""
    texts = {}
    for name in MODULES:
        with open(os.path.join(PACKAGE_DIR, name), encoding="utf-8") as f:
            texts[name] = f.read()
    return texts


def main() -> int:
    for name, text in generate().items():
        with open(os.path.join(PACKAGE_DIR, name), "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {os.path.join(PACKAGE_DIR, name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
