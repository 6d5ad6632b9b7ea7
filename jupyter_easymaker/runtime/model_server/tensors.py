"""Open Inference Protocol v2 tensors <-> numpy arrays."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.runtime.model_server.errors import InvalidInput

# v2 datatype -> numpy dtype name
V2_TO_NUMPY = {
    "BOOL": "bool", "UINT8": "uint8", "UINT16": "uint16", "UINT32": "uint32", "UINT64": "uint64",
    "INT8": "int8", "INT16": "int16", "INT32": "int32", "INT64": "int64",
    "FP16": "float16", "FP32": "float32", "FP64": "float64", "BYTES": "object",
}
NUMPY_TO_V2 = {v: k for k, v in V2_TO_NUMPY.items() if k != "BYTES"}


def v2_datatype(array: Any) -> str:
    kind = array.dtype.kind
    if kind in ("U", "S", "O"):
        return "BYTES"
    return NUMPY_TO_V2.get(array.dtype.name, "FP64")


def to_array(tensor: dict[str, Any]) -> Any:
    """One request input (``name``, ``shape``, ``datatype``, ``data``) as an ndarray."""
    import numpy as np

    name = tensor.get("name", "?")
    datatype = tensor.get("datatype")
    shape = tensor.get("shape")
    if datatype not in V2_TO_NUMPY:
        raise InvalidInput(f"input {name}: unsupported datatype {datatype!r} (one of {', '.join(V2_TO_NUMPY)})")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise InvalidInput(f"input {name}: shape must be a list of non-negative integers")
    data = tensor.get("data")
    if data is None:
        raise InvalidInput(f"input {name}: data is required")
    try:
        if datatype == "BYTES":
            flat = np.array(_flatten(data), dtype=object)
            flat = np.array([v.decode() if isinstance(v, bytes) else v for v in flat], dtype=object)
        else:
            flat = np.asarray(data, dtype=V2_TO_NUMPY[datatype]).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"input {name}: data does not match datatype {datatype}: {exc}") from None
    expected = 1
    for d in shape:
        expected *= d
    if flat.size != expected:
        raise InvalidInput(f"input {name}: shape {shape} needs {expected} elements, got {flat.size}")
    return flat.reshape(shape)


def _flatten(data: Any) -> list:
    if not isinstance(data, list):
        return [data]
    out: list = []
    for item in data:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def to_tensor(name: str, value: Any) -> dict[str, Any]:
    """An output value (ndarray, list, scalar) as a v2 response tensor."""
    import numpy as np

    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    if array.dtype.kind in ("U", "S"):
        array = array.astype(object)
    if array.dtype.kind == "O":
        data = [v.decode() if isinstance(v, bytes) else v for v in array.reshape(-1).tolist()]
        return {"name": name, "shape": list(array.shape), "datatype": "BYTES", "data": data}
    return {"name": name, "shape": list(array.shape), "datatype": v2_datatype(array), "data": array.reshape(-1).tolist()}
