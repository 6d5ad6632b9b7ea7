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
# the key under which a request tensor carries its raw bytes (binary data
# extension, gRPC raw_input_contents); JSON cannot make a bytes value
RAW = "raw_bytes"


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
    raw = tensor.get(RAW)
    if isinstance(raw, (bytes, bytearray, memoryview)):
        return raw_to_array(name, datatype, shape, raw)
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


def element_count(shape: list[int]) -> int:
    count = 1
    for d in shape:
        count *= d
    return count


def raw_to_array(name: str, datatype: str, shape: list[int], raw: bytes | bytearray | memoryview) -> Any:
    """A tensor's raw bytes (flattened, row-major, little-endian; BYTES elements
    each after a 4-byte little-endian length) as an ndarray of ``shape``."""
    import numpy as np

    count = element_count(shape)
    if datatype == "BYTES":
        items = unpack_bytes(name, raw)
        if len(items) != count:
            raise InvalidInput(f"input {name}: shape {shape} needs {count} elements, the binary data holds {len(items)}")
        return np.array([v.decode("utf-8", "replace") for v in items] if items else [], dtype=object).reshape(shape)
    dtype = np.dtype(V2_TO_NUMPY[datatype]).newbyteorder("<")
    if len(raw) != count * dtype.itemsize:
        raise InvalidInput(f"input {name}: shape {shape} of {datatype} needs {count * dtype.itemsize} bytes, "
                           f"the binary data has {len(raw)}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def unpack_bytes(name: str, raw: bytes | bytearray | memoryview) -> list[bytes]:
    view, items, offset = memoryview(raw), [], 0
    while offset < len(view):
        if offset + 4 > len(view):
            raise InvalidInput(f"input {name}: BYTES data ends inside an element's 4-byte length")
        size = int.from_bytes(view[offset:offset + 4], "little")
        offset += 4
        if offset + size > len(view):
            raise InvalidInput(f"input {name}: a BYTES element of {size} bytes runs past the end of the data")
        items.append(bytes(view[offset:offset + size]))
        offset += size
    return items


def tensor_array(tensor: dict[str, Any]) -> Any:
    """A response tensor (``to_tensor``'s form) back as an ndarray."""
    import numpy as np

    data = tensor["data"]
    if tensor["datatype"] == "BYTES":
        return np.array(data, dtype=object)
    return np.asarray(data, dtype=V2_TO_NUMPY[tensor["datatype"]])


def array_to_raw(array: Any, datatype: str) -> bytes:
    """An ndarray as a tensor's raw bytes (``raw_to_array``'s inverse)."""
    import numpy as np

    if datatype == "BYTES":
        parts = []
        for v in array.reshape(-1).tolist():
            b = v if isinstance(v, bytes) else str(v).encode()
            parts += [len(b).to_bytes(4, "little"), b]
        return b"".join(parts)
    return np.ascontiguousarray(array, dtype=np.dtype(V2_TO_NUMPY[datatype]).newbyteorder("<")).tobytes()
