"""``%%easymaker batch`` (the cell's JSONL / JSON records, or ``--input PATH``,
predicted by a batch inference) and the ``%easymaker batches`` line magic.

Standard library and IPython only until a command runs (ipywidgets loads for
the live view)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from jupyter_easymaker.areas.batch.client import FINAL_BATCH_STATUSES
from jupyter_easymaker.client.transport import EasyMakerError
from jupyter_easymaker.magics import resource_actions as ra
from jupyter_easymaker.magics.arguments import (
    BACKENDS,
    MagicUsageError,
    arg,
    duration,
    positive_int,
)
from jupyter_easymaker.magics.formatting import (
    OneLine,
    created,
    format_elapsed,
    table,
    write_line,
)
from jupyter_easymaker.magics.registry import command

BATCH_ARGUMENTS = (
    arg("--model", required=True, help="model name or id (ACTIVE)"),
    arg("--input", metavar="PATH", help="input file or directory (local, file://, nas://, obs://) instead of the cell"),
    arg("--format", type=str.upper, choices=("JSON", "JSONL"), help="input format (default: JSONL; the cell's is detected)"),
    arg("--include", action="append", default=[], metavar="GLOB", help="files to take (repeatable)"),
    arg("--exclude", action="append", default=[], metavar="GLOB", help="files to leave out (repeatable; wins over --include)"),
    arg("--output", metavar="PATH", help="output directory (default: the batch inference's own folder)"),
    arg("--batch-size", type=positive_int, help="records per predict call (default 32)"),
    arg("--timeout", type=float, metavar="SECONDS", help="limit of one predict call (default 60)"),
    arg("--pods", type=positive_int, help="worker pods the records are split between"),
    arg("--instance-type"),
    arg("--instances", type=positive_int, help="instance count"),
    arg("--max-time", type=duration, metavar="DURATION", help="maximum batch inference time"),
    arg("--name", help="batch inference name (default: batch-YYYYmmdd-HHMMSS)"),
    arg("--description", default=""),
    arg("--backend", choices=BACKENDS),
    arg("--wait", action="store_true", help="block until it ends; the result's .outputs() lists the predictions"),
    arg("--no-widget", action="store_true", help="print progress lines instead of the live widget"),
)


# -- the create body ------------------------------------------------------------------
def parse_records(cell: str, fmt: str | None = None) -> tuple[list[Any], str]:
    """The cell's records: one JSON value per line, or one JSON document (a
    list, or an OIP v1 body with ``instances``). A line that is not JSON is
    refused with its number, before anything is sent."""
    text = cell.strip()
    if fmt != "JSONL" and text[:1] in "[{":
        try:
            value = json.loads(text)
        except ValueError:
            if fmt == "JSON":
                raise MagicUsageError("%%easymaker batch: the cell is not one JSON document (--format json)") from None
        else:
            if isinstance(value, list):
                return value, "JSON"
            if isinstance(value, dict) and isinstance(value.get("instances"), list):
                return value["instances"], "JSON"
            if fmt == "JSON":
                return [value], "JSON"
    records = []
    for number, line in enumerate(cell.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as exc:
            raise MagicUsageError(f"%%easymaker batch: line {number} of the cell is not JSON ({exc}); one record per line") from None
    return records, "JSONL"


def batch_body(args: argparse.Namespace, cell: str | None) -> dict[str, Any]:
    has_cell = bool(cell and cell.strip())
    if has_cell and args.input:
        raise MagicUsageError("%%easymaker batch: give records in the cell or --input, not both")
    if not has_cell and not args.input:
        raise MagicUsageError("%%easymaker batch: write records below the magic line (one JSON per line) or give --input PATH")
    body: dict[str, Any] = {"name": args.name or f"batch-{time.strftime('%Y%m%d-%H%M%S')}", "description": args.description,
                            "model_id": args.model}
    if has_cell:
        records, _fmt = parse_records(cell or "", args.format)
        if not records:
            raise MagicUsageError("%%easymaker batch: the cell holds no records")
        body["input_records"] = records
    else:
        body["input_path"] = args.input
        body["input_format"] = args.format or "JSONL"
    for key, value in (("include_glob", args.include), ("exclude_glob", args.exclude), ("output_path", args.output),
                       ("batch_size", args.batch_size), ("timeout_seconds", args.timeout), ("pod_count", args.pods),
                       ("instance_type", args.instance_type), ("instance_count", args.instances),
                       ("max_run_seconds", args.max_time), ("backend", args.backend)):
        if value not in (None, []):
            body[key] = value
    return body


# -- following a batch inference ------------------------------------------------------------
class BatchResult(OneLine):
    """The final batch inference, shown as one line; ``outputs()`` reads its predictions."""

    client: Any = None

    def outputs(self, limit: int | None = None) -> list[dict]:
        lines = []
        for line in self.client.iter_batch_outputs(self["id"]):
            lines.append(line)
            if limit is not None and len(lines) >= limit:
                break
        return lines

    def predictions(self) -> list[Any]:
        """One entry per record in input order: the prediction, or None where the record failed."""
        return [line.get("prediction") for line in self.outputs()]

    def summary(self) -> str:
        return f"<batch inference {self.get('name')}: {self.get('status')}, {progress_text(self)}, id {self.get('id')}>"


def result(client: Any, batch: dict) -> BatchResult:
    out = BatchResult(batch)
    out.client = client
    return out


def progress_text(batch: dict) -> str:
    prog = batch.get("progress") or {}
    total = prog.get("records_total")
    done = prog.get("records_done", 0)
    text = f"{done}/{total if total is not None else '?'} records"
    if prog.get("percent") is not None:
        text += f" ({prog['percent']:.0f}%)"
    if prog.get("errors"):
        text += f", {prog['errors']} error(s)"
    return text


def follow_text(client: Any, batch: dict, poll: float = 1.0, write: Callable[[str], Any] | None = None) -> dict:
    write = write or write_line
    last = ""
    while True:
        batch = client.get_batch_inference(batch["id"])
        line = f"{batch['name']}: {batch['status']}, {progress_text(batch)}"
        if line != last:
            write(line + (f" ({batch['status_reason']})" if batch["status"] in FINAL_BATCH_STATUSES and batch.get("status_reason") else ""))
            last = line
        if batch["status"] in FINAL_BATCH_STATUSES:
            return batch
        time.sleep(poll)


def batch_view(client: Any, batch: dict, poll: float = 1.0) -> Any:
    """A live ipywidgets view: status, a progress bar of records, errors, Stop."""
    import html
    import threading

    import ipywidgets as widgets

    from jupyter_easymaker.magics.widgets import badge

    state = {"batch": batch}
    header, notice = widgets.HTML(), widgets.HTML()
    bar = widgets.IntProgress(min=0, max=1, value=0, layout=widgets.Layout(width="60%"))
    stop = widgets.Button(description="Stop", icon="stop", button_style="warning", tooltip="Stop this batch inference")
    box = widgets.VBox([widgets.HBox([header, stop], layout=widgets.Layout(justify_content="space-between")), bar, notice])

    def render() -> None:
        b = state["batch"]
        header.value = f'<b>{html.escape(b["name"])}</b> {badge(b["status"])} <span style="font-size:12px;color:#616161">{html.escape(progress_text(b))}</span>'
        prog = b.get("progress") or {}
        bar.max = max(1, prog.get("records_total") or 1)
        bar.value = min(bar.max, prog.get("records_done") or 0)
        bar.bar_style = "danger" if b["status"] in ("FAIL BATCH INFERENCE", "CREATE FAILED") else "success" if b["status"] == "COMPLETE" else ""
        stop.layout.display = "none" if b["status"] in FINAL_BATCH_STATUSES else ""
        if b["status"] in FINAL_BATCH_STATUSES and b.get("status_reason"):
            notice.value = f'<span style="font-size:12px">{html.escape(b["status_reason"])}</span>'

    def refresh() -> None:
        try:
            state["batch"] = client.get_batch_inference(state["batch"]["id"])
        except Exception as exc:  # noqa: BLE001 - show it, keep the view
            notice.value = f'<span style="color:#e53935">{html.escape(str(exc))}</span>'
            return
        render()

    def on_stop(_button: Any) -> None:
        stop.disabled = True
        try:
            client.stop_batch_inference(state["batch"]["id"])
        except Exception as exc:  # noqa: BLE001
            notice.value = f'<span style="color:#e53935">stop failed: {html.escape(str(exc))}</span>'
            stop.disabled = False

    def run() -> None:
        while state["batch"]["status"] not in FINAL_BATCH_STATUSES:
            time.sleep(poll)
            refresh()

    stop.on_click(on_stop)
    render()
    thread = threading.Thread(target=run, name="easymaker-batch-view", daemon=True)
    thread.start()
    box.wait = lambda timeout=None: (thread.join(timeout), state["batch"])[1]
    return box


# -- the commands -------------------------------------------------------------------------
@command("batch", "Predict the cell's records (JSON lines, or one JSON list / {\"instances\": [...]}) or the files "
         "under --input with a model, as a batch inference.", *BATCH_ARGUMENTS, cell="the records")
def batch_cell(magics: Any, args: argparse.Namespace, cell: str | None) -> Any:
    body = batch_body(args, cell)
    client = magics.client
    try:
        batch = client.create_batch_inference(body)
    except EasyMakerError as exc:
        if exc.status != 409 or exc.field != "name" or args.name:
            raise
        body["name"] = f"{body['name']}-{int(time.time() * 1000) % 100000}"  # two cells in the same second
        batch = client.create_batch_inference(body)
    if not args.no_widget and magics._widgets_available():
        from IPython.display import display

        view = batch_view(client, batch)
        if not args.wait:
            return view
        display(view)
        return result(client, view.wait())
    records = len(body.get("input_records") or []) or "the files of " + str(body.get("input_path"))
    print(f"started batch inference {batch['name']} ({batch['id']}) of {records} with model {batch.get('model_name') or args.model}")
    if not args.wait:
        print(f"follow it with: %easymaker batches, or Client().wait_batch_inference({batch['name']!r})")
        return None
    try:
        return result(client, follow_text(client, batch))
    except KeyboardInterrupt:
        print(f"stopped waiting; batch inference {batch['name']} keeps running", file=sys.stderr)
        return None


BATCH_ACTIONS = ("list", "show", "stop", "rename", "copy", "delete", "logs", "outputs", "monitoring")
BATCH_FIELDS = [("name", "name"), ("id", "id"), ("status", "status"), ("reason", "status_reason"), ("model", "model_name"),
                ("input", "input_path"), ("output", "output_path"), ("description", "description"), ("created", "created_at")]


@command("batches", "Batch inferences: " + ", ".join(BATCH_ACTIONS) + " (list, newest first, without an action).",
         arg("action", nargs="?", choices=BATCH_ACTIONS, default="list"), *ra.NAME_ARGS,
         arg("--status", help="list: only these statuses (comma-separated)"), arg("--limit", type=positive_int, default=20))
def list_batches(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    client = magics.client
    if args.action != "list":
        return batch_action(client, args)
    page = client.list_batch_inferences(status=args.status, limit=args.limit)
    if not page:
        print("no batch inferences")
        return None
    rows = [[b["name"], b["status"], b.get("model_name") or "", progress_text(b), format_elapsed(b.get("elapsed_seconds")),
             created(b.get("created_at"))] for b in page]
    print(table(rows, ["NAME", "STATUS", "MODEL", "PROGRESS", "ELAPSED", "CREATED"]))
    return None


def batch_action(client: Any, args: argparse.Namespace) -> Any:
    name = ra.need_name(args, "batches")
    if args.action == "show":
        b = ra.show(client.get_batch_inference(name), BATCH_FIELDS)
        print(f"{'progress':<14}{progress_text(b)}")
        return b
    if args.action == "stop":
        return ra.stop("batch inference", name, client.stop_batch_inference)
    if args.action == "rename":
        return ra.rename("batch inference", args, client.update_batch_inference)
    if args.action == "copy":
        return ra.copy(name, client.copy_batch_inference, **ra.copy_name(args))
    if args.action == "delete":
        return ra.delete("batch inference", args, client.get_batch_inference, client.delete_batch_inference,
                         "%easymaker batches delete")
    if args.action == "logs":
        return ra.print_logs(client.batch_inference_logs(name, limit=10000), "batch inference")
    if args.action == "outputs":
        page = client.batch_outputs(name, limit=args.limit)
        for record in page.get("lines", []):
            print(json.dumps(record, ensure_ascii=False))
        return page
    data = client.batch_monitoring(name)
    print(f"progress: {data.get('progress')}")
    ra.print_usage(data.get("usage") or [])
    return data
