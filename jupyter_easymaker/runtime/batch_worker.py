"""The worker process of one batch inference pod (forked from the job's fork
server): loads the model once, predicts its share of the records batch by
batch and reports to its supervisor in :mod:`jupyter_easymaker.runtime.batch_inference`.

Kept apart from that module so the fork server imports only this one (and
the model), never the job's ``__main__``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from jupyter_easymaker.catalogs.batch_files import InputError, InputFile
from jupyter_easymaker.runtime import batch_io
from jupyter_easymaker.runtime.batch_io import Record


@dataclass
class BatchConfig:
    framework: str
    model_dir: str
    input_path: str
    output_dir: str
    model_name: str = "model"
    params: dict[str, str] = field(default_factory=dict)
    input_format: str = "JSONL"
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    batch_size: int = 32
    timeout: float | None = None  # seconds per predict call
    pod_count: int = 1
    target_field: str = ""  # evaluation: taken out of each record and echoed as "target"
    scores: bool = False  # evaluation: class probabilities next to the label when the model has them
    nodes: int = 1
    node_rank: int = 0


@dataclass
class Segment:
    """Records ``start <= i < end`` of one input file, handled by one pod."""

    file_no: int
    file: InputFile
    start: int
    end: int
    part: str  # where the pod writes this segment's lines

    def to_dict(self) -> dict[str, Any]:
        return {"file_no": self.file_no, "file": self.file.to_dict(), "start": self.start, "end": self.end, "part": self.part}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Segment":
        return cls(d["file_no"], InputFile.from_dict(d["file"]), d["start"], d["end"], d["part"])


class _Predictions:
    """Wraps a predictor: records in, output dicts out, one per record."""

    def __init__(self, cfg: BatchConfig):
        from jupyter_easymaker.runtime.model_server.predictors import load_predictor

        self.cfg = cfg
        self.tick = lambda n: None  # the worker reports each predict call through this
        self.classes: list[Any] | None = None
        predictor = None
        if cfg.scores and cfg.framework.lower().replace("_", "-") in ("scikit-learn", "sklearn"):
            # evaluation wants probabilities; a model without predict_proba falls back to its labels
            try:
                predictor = load_predictor(cfg.framework, cfg.model_dir, {**cfg.params, "method": "predict_proba"}, name=cfg.model_name)
                classes = getattr(predictor.model, "classes_", None)
                self.classes = [c.item() if hasattr(c, "item") else c for c in classes] if classes is not None else None
            except Exception:  # noqa: BLE001 - retried below with the model's own parameters
                predictor = None
        params = dict(cfg.params)
        if cfg.scores and "hugging" in cfg.framework.lower():
            params.setdefault("return_probabilities", "true")  # {label: probability} per record
        self.predictor = predictor or load_predictor(cfg.framework, cfg.model_dir, params, name=cfg.model_name)
        self.load_seconds = self.predictor.load_seconds

    def _call(self, instances: list[Any], tick: bool = True) -> list[Any]:
        if tick:  # the first call of a batch is timed from the previous batch's report
            self.tick(len(instances))
        out = self.predictor.predict(instances)
        if not isinstance(out, list) or len(out) != len(instances):
            raise ValueError(f"the model returned {len(out) if isinstance(out, list) else type(out).__name__} "
                             f"predictions for {len(instances)} records")
        return out

    def _entry(self, index: int, prediction: Any, target: Any, has_target: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {"index": index}
        if self.classes is not None and isinstance(prediction, list) and len(prediction) == len(self.classes):
            best = max(range(len(prediction)), key=prediction.__getitem__)
            entry["prediction"], entry["scores"] = self.classes[best], prediction
        else:
            entry["prediction"] = prediction
        if has_target:
            entry["target"] = target
        return entry

    def run(self, records: list[Record]) -> list[dict[str, Any]]:
        out: list[dict[str, Any] | None] = [None] * len(records)
        todo: list[tuple[int, Any, Any]] = []  # (position, instance, target)
        has_target = bool(self.cfg.target_field)
        for pos, rec in enumerate(records):
            if rec.error:
                out[pos] = {"index": rec.index, "error": rec.error}
                continue
            if has_target:
                try:
                    instance, target = batch_io.split_target(rec.value, self.cfg.target_field)
                except ValueError as exc:
                    out[pos] = {"index": rec.index, "error": str(exc)}
                    continue
            else:
                instance, target = rec.value, None
            todo.append((pos, instance, target))
        if todo:
            try:
                predictions = self._call([t[1] for t in todo], tick=False)
                for (pos, _inst, target), pred in zip(todo, predictions):
                    out[pos] = self._entry(records[pos].index, pred, target, has_target)
            except Exception as exc:  # noqa: BLE001 - isolate the bad records one by one
                if len(todo) == 1:
                    pos, _inst, _t = todo[0]
                    out[pos] = {"index": records[pos].index, "error": _reason(exc)}
                else:
                    for pos, instance, target in todo:
                        try:
                            out[pos] = self._entry(records[pos].index, self._call([instance])[0], target, has_target)
                        except Exception as one:  # noqa: BLE001
                            out[pos] = {"index": records[pos].index, "error": _reason(one)}
        return out  # type: ignore[return-value]


# (model_key, model) loaded by the fork server before it forked the workers (batch_preload)
_preloaded: tuple[str, _Predictions] | None = None


def keep_preloaded(key: str, model: _Predictions) -> None:
    """Workers forked from here on whose configuration has this model_key take ``model``."""
    global _preloaded
    _preloaded = (key, model)


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {message}"


def worker_main(conn, cfg_dict: dict[str, Any], segments: list[dict[str, Any]]) -> None:
    """A pod's worker: loads the model, then predicts its segments, reporting
    each batch once written (with the part file's size, so that a killed
    worker's half-written batch can be cut off, and where the next one starts)."""
    cfg = BatchConfig(**cfg_dict)
    key = model_key(cfg)
    try:
        model = _preloaded[1] if _preloaded and _preloaded[0] == key else _Predictions(cfg)
    except Exception as exc:  # noqa: BLE001 - the job fails with the reason
        conn.send(("fatal", f"the model could not be loaded: {_reason(exc)}"))
        return
    model.cfg = cfg  # a preloaded model was built from the model fields only
    model.tick = lambda n: conn.send(("call", n))
    conn.send(("ready", model.load_seconds, model.classes))
    try:
        for seg in map(Segment.from_dict, segments):
            with open(seg.part, "ab") as out:
                batch: list[Record] = []
                for rec in batch_io.read_records(seg.file, cfg.input_format, seg.start, seg.end):
                    batch.append(rec)
                    if len(batch) >= cfg.batch_size:
                        _run_batch(conn, model, seg, batch, out)
                        batch = []
                if batch:
                    _run_batch(conn, model, seg, batch, out)
    except (InputError, OSError) as exc:
        conn.send(("fatal", f"reading the input failed: {exc}"))
        return
    conn.send(("finished",))


def _run_batch(conn, model: _Predictions, seg: Segment, batch: list[Record], out) -> None:
    entries = model.run(batch)
    out.write(b"".join(batch_io.dumps_bytes(e) + b"\n" for e in entries))
    out.flush()
    errors = sum(1 for e in entries if "error" in e)
    conn.send(("done", seg.file_no, batch[-1].index + 1, out.tell(), len(entries) - errors, errors))


def model_key(cfg: BatchConfig) -> str:
    """What identifies the model a fork server preloaded."""
    fields = ("framework", "model_dir", "model_name", "params", "scores")
    return json.dumps({k: getattr(cfg, k) for k in fields}, sort_keys=True)
