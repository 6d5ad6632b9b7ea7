"""The batch inference job: ``python -m jupyter_easymaker.runtime.batch_inference``.

Started by the launcher like any job (``EM_*`` variables, one process per
node), or by hand with the same options on the command line. It

1. finds the input files (include / exclude globs, exclude wins) and counts
   their records,
2. splits the records into ``pod_count`` contiguous shares; node ``r`` of
   ``n`` runs the pods ``p`` with ``p % n == r``,
3. runs each pod as a worker process that loads the model once (the model
   server's in-process predictors) and predicts ``batch_size`` records per
   call, writing one output line per record,
4. merges the pods' parts into one ``{input}.out`` JSONL file per input file
   (one line per record, in input order) and writes ``summary.json``.

A record that cannot be read or predicted gets ``{"index": i, "error": ...}``
and the batch goes on; a failing batch is retried record by record so that
one bad record does not take its neighbours with it. A predict call that
exceeds the per-request timeout kills the worker (Python cannot interrupt
it otherwise): its records are written as errors and a fresh worker goes on
with the next batch. Progress goes to stdout as
``[easymaker] progress records=N/T errors=E``, which the controller reads.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from jupyter_easymaker.catalogs.batch_files import (
    SUMMARY_FILE,
    InputError,
    InputFile,
    discover,
    split_globs,
)
from jupyter_easymaker.runtime import batch_io
from jupyter_easymaker.runtime.batch_worker import (
    BatchConfig,
    Segment,
    model_key,
    worker_main,
)

PROGRESS_SECONDS = 1.0
MERGE_WAIT_POLL = 0.2


def _log(message: str) -> None:
    print(f"[easymaker] {message}", flush=True)


def parse_args(argv: list[str] | None = None) -> BatchConfig:
    env = os.environ.get
    p = argparse.ArgumentParser(prog="python -m jupyter_easymaker.runtime.batch_inference", description=__doc__.split("\n\n")[0])
    p.add_argument("--framework", default=env("EM_MODEL_FRAMEWORK"))
    p.add_argument("--model-dir", default=env("EM_MODEL_DIR", ""))
    p.add_argument("--model-name", default=env("EM_MODEL_NAME", "model"))
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a model parameter (repeatable)")
    p.add_argument("--input", default=env("EM_DATASET_INPUT") or env("EM_BATCH_INPUT"))
    p.add_argument("--output", default=env("EM_OUTPUT_DIR"))
    p.add_argument("--format", default=env("EM_BATCH_FORMAT", "JSONL"), type=str.upper, choices=batch_io.FORMATS)
    p.add_argument("--include", action="append", default=None, help="glob of files to take (repeatable or comma-separated)")
    p.add_argument("--exclude", action="append", default=None, help="glob of files to leave out; wins over --include")
    p.add_argument("--batch-size", type=int, default=int(env("EM_BATCH_SIZE") or 32))
    p.add_argument("--timeout", type=float, default=float(env("EM_BATCH_TIMEOUT") or 0), help="seconds per predict call (0: none)")
    p.add_argument("--pod-count", type=int, default=int(env("EM_BATCH_POD_COUNT") or 1))
    p.add_argument("--target-field", default=env("EM_BATCH_TARGET_FIELD", ""))
    p.add_argument("--scores", action="store_true", default=env("EM_BATCH_SCORES") == "1")
    args = p.parse_args(argv)
    if not args.framework or not args.input or not args.output:
        p.error("--framework, --input and --output are required (or EM_MODEL_FRAMEWORK, EM_DATASET_INPUT, EM_OUTPUT_DIR)")
    params = {str(k): str(v) for k, v in json.loads(env("EM_MODEL_PARAMS") or "{}").items()}
    for pair in args.param:
        key, sep, value = pair.partition("=")
        if not sep:
            p.error(f"--param {pair!r}: expected NAME=VALUE")
        params[key] = value
    include = args.include if args.include is not None else json.loads(env("EM_BATCH_INCLUDE") or "[]")
    exclude = args.exclude if args.exclude is not None else json.loads(env("EM_BATCH_EXCLUDE") or "[]")
    return BatchConfig(
        framework=args.framework, model_dir=args.model_dir, model_name=args.model_name, params=params, input_path=args.input,
        output_dir=args.output, input_format=args.format, include=split_globs(include), exclude=split_globs(exclude),
        batch_size=max(1, args.batch_size), timeout=args.timeout or None, pod_count=max(1, args.pod_count),
        target_field=args.target_field, scores=args.scores,
        nodes=max(1, int(env("EM_NNODES") or 1)), node_rank=int(env("EM_NODE_RANK") or 0),
    )


# -- planning ---------------------------------------------------------------------------
def part_path(parts_dir: str, file_no: int, pod: int) -> str:
    return os.path.join(parts_dir, f"{file_no:06d}-{pod:04d}.jsonl")


def plan(files: list[InputFile], pod_count: int, parts_dir: str) -> list[list[Segment]]:
    """Contiguous shares of all records, one per pod, cut into per-file segments;
    concatenating the pods' parts of a file in pod order restores its order."""
    total = sum(f.records for f in files)
    shares: list[list[Segment]] = []
    bounds = [total * p // pod_count for p in range(pod_count + 1)]
    for pod in range(pod_count):
        lo, hi = bounds[pod], bounds[pod + 1]
        segments, base = [], 0
        for file_no, item in enumerate(files):
            s, e = max(lo, base), min(hi, base + item.records)
            if s < e:
                segments.append(Segment(file_no, item, s - base, e - base, part_path(parts_dir, file_no, pod)))
            base += item.records
        shares.append(segments)
    return shares


# -- the pod supervisor ---------------------------------------------------------------
@dataclass
class PodStats:
    files: dict[int, dict[str, int]] = field(default_factory=dict)  # file_no -> predictions, errors
    classes: list[Any] | None = None
    load_seconds: float = 0.0
    predict_seconds: float = 0.0  # from the worker's first ready to its last report
    restarts: int = 0
    fatal: str = ""

    def add(self, file_no: int, predictions: int, errors: int) -> None:
        f = self.files.setdefault(file_no, {"predictions": 0, "errors": 0})
        f["predictions"] += predictions
        f["errors"] += errors


class Progress:
    def __init__(self, total: int):
        self.total = total
        self.done = 0
        self.errors = 0
        self.lock = threading.Lock()

    def add(self, done: int, errors: int) -> None:
        with self.lock:
            self.done += done
            self.errors += errors


class PodRunner(threading.Thread):
    """Runs one pod's segments through worker processes, replacing a worker
    that exceeds the timeout or dies; never lets a batch go unrecorded."""

    def __init__(self, cfg: BatchConfig, pod: int, segments: list[Segment], progress: Progress):
        super().__init__(name=f"pod-{pod}", daemon=True)
        self.cfg, self.pod, self.segments, self.progress = cfg, pod, segments, progress
        self.stats = PodStats()
        self.ctx = multiprocessing.get_context("forkserver")  # see start_fork_server()

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - reported as the job's failure
            self.stats.fatal = f"pod {self.pod}: {type(exc).__name__}: {exc}"

    def _run(self) -> None:
        remaining = list(self.segments)
        for seg in remaining:
            open(seg.part, "wb").close()
        while remaining:
            remaining = self._one_worker(remaining)
            if self.stats.fatal:
                return

    def _one_worker(self, segments: list[Segment]) -> list[Segment]:
        """Run a worker until it finishes (-> []) or is lost mid-batch (-> what is left).

        The worker reports once per batch, when it is written; batches are cut
        from each segment's start, so the batch in progress is always known
        from the last report, and its clock runs from that report (a retry of
        single records reports each call, which restarts the clock)."""
        parent, child = self.ctx.Pipe(duplex=False)
        proc = self.ctx.Process(target=worker_main, args=(child, asdict(self.cfg), [s.to_dict() for s in segments]), daemon=True)
        proc.start()
        child.close()
        offsets = {s.file_no: os.path.getsize(s.part) for s in segments}  # last complete batch per part file
        cursor = {s.file_no: s.start for s in segments}  # next record to predict per segment
        ready, clock, began = False, 0.0, 0.0
        timeout = self.cfg.timeout
        try:
            while True:
                wait = max(0.0, clock + timeout - time.monotonic()) if ready and timeout else 0.5
                if parent.poll(wait):
                    try:
                        msg = parent.recv()
                    except EOFError:
                        msg = ("died",)
                elif ready and timeout and time.monotonic() >= clock + timeout:
                    msg = ("timeout",)
                elif not proc.is_alive() and not parent.poll(0):
                    msg = ("died",)
                else:
                    continue
                kind = msg[0]
                if kind == "ready":
                    self.stats.load_seconds, self.stats.classes = msg[1], msg[2]
                    ready, clock = True, time.monotonic()
                    began = clock
                elif kind == "call":
                    clock = time.monotonic()  # each predict call has the whole timeout
                elif kind == "done":
                    file_no, next_index, offset, predictions, errors = msg[1:]
                    offsets[file_no], cursor[file_no] = offset, next_index
                    self.stats.add(file_no, predictions, errors)
                    self.progress.add(predictions + errors, errors)
                    clock = time.monotonic()
                elif kind == "finished":
                    self.stats.predict_seconds += time.monotonic() - began
                    return []
                elif kind == "fatal":
                    self.stats.fatal = msg[1]
                    return []
                elif kind in ("timeout", "died"):
                    proc.kill()
                    proc.join()
                    current = self._current_batch(segments, cursor)
                    if not ready or current is None:
                        self.stats.fatal = f"pod {self.pod}: the worker process ended unexpectedly (exit code {proc.exitcode})"
                        return []
                    reason = (f"timeout: the predict call took longer than {timeout:g} s" if kind == "timeout"
                              else f"the worker process died during the predict call (exit code {proc.exitcode})")
                    return self._fail_batch(segments, current, offsets, reason)
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join()
            parent.close()

    def _current_batch(self, segments: list[Segment], cursor: dict[int, int]) -> tuple[int, int, int] | None:
        """(file_no, first index, count) of the batch the worker was on."""
        for seg in segments:
            first = cursor[seg.file_no]
            if first < seg.end:
                return seg.file_no, first, min(self.cfg.batch_size, seg.end - first)
        return None

    def _fail_batch(self, segments: list[Segment], current: tuple[int, int, int], offsets: dict[int, int], reason: str) -> list[Segment]:
        """Record the lost batch as errors and answer the segments after it."""
        file_no, first, count = current
        seg = next(s for s in segments if s.file_no == file_no)
        with open(seg.part, "r+b") as fh:
            fh.truncate(offsets[file_no])  # drop a half-written batch
            fh.seek(0, os.SEEK_END)
            fh.write("".join(batch_io.dumps({"index": i, "error": reason}) + "\n" for i in range(first, first + count)).encode())
        self.stats.add(file_no, 0, count)
        self.progress.add(count, count)
        self.stats.restarts += 1
        _log(f"pod {self.pod}: records {first}-{first + count - 1} of {seg.file.rel}: {reason}; continuing with a new worker")
        rest = []
        for s in segments:
            if s.file_no < file_no:
                continue  # finished before the lost batch
            if s.file_no == file_no:
                s = Segment(s.file_no, s.file, first + count, s.end, s.part)
                if s.start >= s.end:
                    continue
            rest.append(s)
        return rest


# -- the node -------------------------------------------------------------------------
def start_fork_server(cfg: BatchConfig) -> None:
    """Workers fork from a server process that imported the framework (and
    loaded a fork-safe model) once, rather than each importing it again, and
    this process has threads, which must not fork."""
    from multiprocessing import forkserver

    from jupyter_easymaker.runtime import batch_preload

    os.environ[batch_preload.PRELOAD_ENV] = model_key(cfg)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["jupyter_easymaker.runtime.batch_preload"])
    forkserver.ensure_running()


def run(cfg: BatchConfig) -> int:
    started = time.time()
    output = os.path.abspath(cfg.output_dir)
    parts = os.path.join(output, batch_io.PARTS_DIR)
    os.makedirs(parts, exist_ok=True)
    try:
        files = discover(cfg.input_path, cfg.include, cfg.exclude, skip=output)
        if not files:
            globs = f" (include {cfg.include or ['*']}, exclude {cfg.exclude})" if cfg.include or cfg.exclude else ""
            raise InputError(f"no input files found in {cfg.input_path}{globs}")
        if cfg.node_rank < cfg.pod_count:
            start_fork_server(cfg)  # importing the framework overlaps with counting the records
        for item in files:
            batch_io.count_records(item, cfg.input_format)
    except (InputError, OSError, ValueError) as exc:
        _log(f"ERROR: {exc}")
        return 2
    total = sum(f.records for f in files)
    shares = plan(files, cfg.pod_count, parts)
    mine = [p for p in range(cfg.pod_count) if p % cfg.nodes == cfg.node_rank]
    mine_total = sum(s.end - s.start for p in mine for s in shares[p])
    _log(f"batch inference: {len(files)} file(s), {total} record(s), {cfg.pod_count} pod(s) on {cfg.nodes} node(s), "
         f"batch size {cfg.batch_size}, timeout {cfg.timeout or 'none'}")
    progress = Progress(mine_total)
    node = f" node={cfg.node_rank}" if cfg.nodes > 1 else ""
    runners = [PodRunner(cfg, p, shares[p], progress) for p in mine]
    for r in runners:
        r.start()
    last = 0.0
    while any(r.is_alive() for r in runners):
        for r in runners:
            r.join(timeout=0.05)
        if time.monotonic() - last >= PROGRESS_SECONDS:
            last = time.monotonic()
            _log(f"progress records={progress.done}/{mine_total} errors={progress.errors}{node}")
    _log(f"progress records={progress.done}/{mine_total} errors={progress.errors}{node}")
    fatal = [r.stats.fatal for r in runners if r.stats.fatal]
    for r in runners:
        marker = "failed" if r.stats.fatal else "done"
        with open(os.path.join(parts, f"pod-{r.pod}.json"), "w", encoding="utf-8") as fh:
            json.dump({**asdict(r.stats), "files": {str(k): v for k, v in r.stats.files.items()}}, fh)
        open(os.path.join(parts, f"pod-{r.pod}.{marker}"), "w").close()
    if fatal:
        _log(f"ERROR: {fatal[0]}")
        return 1
    if cfg.node_rank != 0:
        return 0
    try:
        summary = merge(cfg, files, output, parts, started)
    except (InputError, OSError) as exc:
        _log(f"ERROR: {exc}")
        return 1
    _log(f"batch inference complete: records={summary['records']} predictions={summary['predictions']} errors={summary['errors']} "
         f"in {summary['elapsed_seconds']:.2f} s ({summary['records_per_second']:.0f} records/s)")
    return 0


def merge(cfg: BatchConfig, files: list[InputFile], output: str, parts: str, started: float) -> dict[str, Any]:
    """Node 0, once every pod is done: one ``.out`` file per input file and the summary."""
    stats: list[dict[str, Any]] = []
    for pod in range(cfg.pod_count):
        base = os.path.join(parts, f"pod-{pod}")
        while not os.path.exists(base + ".done"):
            if os.path.exists(base + ".failed"):
                raise InputError(f"pod {pod} failed")
            time.sleep(MERGE_WAIT_POLL)  # pods of other nodes; the launcher's max time bounds the wait
        with open(base + ".json", encoding="utf-8") as fh:
            stats.append(json.load(fh))
    entries, classes = [], None
    for file_no, item in enumerate(files):
        target = os.path.join(output, batch_io.output_name(item.rel))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        pieces = [part_path(parts, file_no, pod) for pod in range(cfg.pod_count)]
        pieces = [p for p in pieces if os.path.exists(p)]
        if len(pieces) == 1:
            os.replace(pieces[0], target)
        else:
            with open(target, "wb") as out:
                for piece in pieces:
                    with open(piece, "rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 20)
        counts = {"predictions": 0, "errors": 0}
        for s in stats:
            for key in counts:
                counts[key] += (s["files"].get(str(file_no)) or {}).get(key, 0)
        entries.append({"input": item.rel, "output": batch_io.output_name(item.rel), "records": item.records, **counts})
    for s in stats:
        classes = classes or s.get("classes")
    finished = time.time()
    records = sum(f.records for f in files)
    summary = {
        "model": cfg.model_name, "framework": cfg.framework, "input_path": cfg.input_path, "input_format": cfg.input_format,
        "include": cfg.include, "exclude": cfg.exclude, "output_path": cfg.output_dir, "files": entries, "records": records,
        "predictions": sum(e["predictions"] for e in entries), "errors": sum(e["errors"] for e in entries),
        "pod_count": cfg.pod_count, "nodes": cfg.nodes, "batch_size": cfg.batch_size, "timeout_seconds": cfg.timeout,
        "worker_restarts": sum(s.get("restarts", 0) for s in stats), "classes": classes,
        "predict_seconds": round(max([s.get("predict_seconds", 0.0) for s in stats] or [0.0]), 3),
        "started_at": started, "finished_at": finished, "elapsed_seconds": round(finished - started, 3),
        "records_per_second": round(records / max(finished - started, 1e-9), 1),
    }
    tmp = os.path.join(output, SUMMARY_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=1, default=batch_io._default)
    os.replace(tmp, os.path.join(output, SUMMARY_FILE))
    shutil.rmtree(parts, ignore_errors=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
