"""Records and outputs of batch inference and model evaluation: the job reads
records and writes ``.out`` files, the evaluation job reads them back.
Finding the input files (globs) is :mod:`jupyter_easymaker.catalogs.batch_files`,
which the server uses too. Standard library only (orjson when installed).

Records: a JSONL file holds one record per non-blank line; a JSON file holds
one value, whose records are its elements when it is a list, its
``instances`` when it is an OIP v1 body, else the value itself; a CSV file
(evaluation input) holds one record per row, keyed by the header.
"""
from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from typing import Any, Iterator

from jupyter_easymaker.catalogs.batch_files import SUMMARY_FILE, InputError, InputFile

FORMATS = ("JSON", "JSONL", "CSV")
OUTPUT_SUFFIX = ".out"
PARTS_DIR = ".parts"
CHECKPOINT_EVERY = 1024  # records between remembered byte offsets of a JSONL file


try:  # several times faster than json on the per-record path; optional (the serving extra brings it)
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None


def loads(data: bytes | str) -> Any:
    return _orjson.loads(data) if _orjson is not None else json.loads(data)


# -- reading records ---------------------------------------------------------------
@dataclass
class Record:
    index: int  # position in its file, 0-based
    value: Any = None
    error: str = ""  # set when the record itself cannot be read


def count_records(item: InputFile, fmt: str) -> None:
    """Fill ``records`` (and, for JSONL, byte offsets to start reading mid-file)."""
    if fmt == "JSONL":
        n, offset, checkpoints = 0, 0, []
        with open(item.path, "rb") as fh:
            for line in fh:
                if line.strip():
                    if n % CHECKPOINT_EVERY == 0:
                        checkpoints.append((n, offset))
                    n += 1
                offset += len(line)
        item.records, item.checkpoints = n, checkpoints
    elif fmt == "CSV":
        item.records = sum(1 for _ in _csv_rows(item.path))
    else:
        item.records = len(_json_records(item.path))


def read_records(item: InputFile, fmt: str, start: int = 0, end: int | None = None) -> Iterator[Record]:
    """Records ``start <= index < end`` of one file, in order. A record that is
    not valid JSON comes back with ``error`` set instead of failing the file."""
    end = item.records if end is None else end
    if start >= end:
        return
    if fmt == "JSONL":
        index, offset = 0, 0
        for cp_index, cp_offset in item.checkpoints:
            if cp_index <= start:
                index, offset = cp_index, cp_offset
        with open(item.path, "rb") as fh:
            fh.seek(offset)
            for line in fh:
                if not line.strip():
                    continue
                if index >= start:
                    try:
                        yield Record(index, loads(line))
                    except (ValueError, UnicodeDecodeError) as exc:
                        yield Record(index, error=f"invalid JSON: {exc}")
                index += 1
                if index >= end:
                    return
        if index < end:
            raise InputError(f"{item.rel} has fewer records than when it was counted (changed during the job?)")
    elif fmt == "CSV":
        for index, row in enumerate(_csv_rows(item.path)):
            if index >= end:
                return
            if index >= start:
                yield Record(index, row)
    else:
        values = _json_records(item.path)
        for index in range(start, min(end, len(values))):
            yield Record(index, values[index])


def _json_records(path: str) -> list[Any]:
    try:
        with open(path, "rb") as fh:
            value = json.load(fh)
    except (ValueError, UnicodeDecodeError) as exc:
        # a whole JSON file is one document: if it does not parse there is no record to keep
        raise InputError(f"{os.path.basename(path)} is not valid JSON: {exc}") from None
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and isinstance(value.get("instances"), list):
        return value["instances"]
    return [value]


def _csv_rows(path: str) -> Iterator[dict[str, Any]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            yield {name: _csv_value(row[i]) if i < len(row) else None for i, name in enumerate(header)}


def _csv_value(text: str) -> Any:
    """Numbers as numbers (a model takes floats), everything else as text."""
    s = text.strip()
    if s == "":
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return text


def split_target(value: Any, target_field: str) -> tuple[Any, Any]:
    """(instance, target) of an evaluation record: the record without its target
    field; a record left with one field gives that field's value (``{"features":
    [...], "label": 1}``), otherwise its values in the file's column order."""
    if not isinstance(value, dict):
        raise ValueError(f"an evaluation record must be an object with the target field {target_field!r}")
    if target_field not in value:
        raise ValueError(f"the target field {target_field!r} is missing")
    target = value[target_field]
    rest = [v for k, v in value.items() if k != target_field]
    instance = rest[0] if len(rest) == 1 else rest
    return instance, target


# -- output --------------------------------------------------------------------
def output_name(rel: str) -> str:
    return rel + OUTPUT_SUFFIX


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode("utf-8")


def dumps_bytes(value: Any) -> bytes:
    """One output line's JSON (no newline); numpy values become plain numbers."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value, default=_default, option=_orjson.OPT_SERIALIZE_NUMPY | _orjson.OPT_NON_STR_KEYS)
        except TypeError:
            pass  # e.g. an integer beyond 64 bits: json copes
    return json.dumps(value, ensure_ascii=False, default=_default, separators=(",", ":")).encode("utf-8")


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def read_outputs(output_dir: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(input file, output line) of every ``.out`` file a finished batch inference
    listed in its summary, in input order."""
    with open(os.path.join(output_dir, SUMMARY_FILE), encoding="utf-8") as fh:
        summary = json.load(fh)
    for entry in summary.get("files") or []:
        with io.open(os.path.join(output_dir, entry["output"]), encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield entry["input"], loads(line)
