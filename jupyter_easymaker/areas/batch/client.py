"""The batch inference methods of :class:`jupyter_easymaker.client.Client` (a
mixin: standard library only, like the client)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jupyter_easymaker.areas.batch.statuses import BATCH_INFERENCE_MACHINE
from jupyter_easymaker.client.common import _model_field, _ref, settled

# a batch inference in one of these will not change any more
FINAL_BATCH_STATUSES = settled(BATCH_INFERENCE_MACHINE)


def batch_body(body: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A create body from keyword arguments: ``model=``, and ``input=`` as a
    path (``input_path``) or a list of records sent inline (``input_records``)."""
    out = _model_field({**(body or {}), **fields})
    if "input" in out:
        value = out.pop("input")
        out["input_records" if isinstance(value, (list, tuple)) else "input_path"] = list(value) if isinstance(value, tuple) else value
    return out


class BatchClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page`` and ``_wait``."""

    def list_batch_inferences(self, *, status: str | list[str] | None = None, model: str | None = None, name: str | None = None,
                              sort: str | None = None, offset: int = 0, limit: int = 50):
        return self._page("batch-inferences", status=status, model_id=model, name=name, sort=sort, offset=offset, limit=limit)

    def create_batch_inference(self, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Start a batch inference. Fields are those of ``BatchInferenceCreate``
        (``model_id``, ``input_path`` or ``input_records``, ``input_format``,
        ``include_glob``, ``exclude_glob``, ``output_path``, ``batch_size``,
        ``timeout_seconds``, ``pod_count``, ``instance_type``, ``instance_count``,
        ``max_run_seconds``); ``model=`` and ``input=`` are shorthands."""
        return self.request("POST", "batch-inferences", batch_body(body, **fields))

    def get_batch_inference(self, ref: Any) -> dict:
        return self._get(f"batch-inferences/{_ref(ref)}")

    def update_batch_inference(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        body = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        return self.request("PATCH", f"batch-inferences/{_ref(ref)}", body)

    def stop_batch_inference(self, ref: Any) -> dict:
        return self.request("POST", f"batch-inferences/{_ref(ref)}/stop")

    def delete_batch_inference(self, ref: Any) -> None:
        self.request("DELETE", f"batch-inferences/{_ref(ref)}")

    def copy_batch_inference(self, ref: Any, *, create: bool = True, **overrides: Any) -> dict:
        """Start a copy with ``overrides`` (``create=False``: only the pre-filled body)."""
        body = batch_body(self._get(f"batch-inferences/{_ref(ref)}/copy"), **overrides)
        return self.create_batch_inference(body) if create else body

    def batch_outputs(self, ref: Any, file: str | None = None, offset: int = 0, limit: int = 100) -> dict:
        """Lines of one output file (default: the first) of a COMPLETE batch inference."""
        return self._get(f"batch-inferences/{_ref(ref)}/outputs", file=file, offset=offset or None, limit=limit)

    def iter_batch_outputs(self, ref: Any, page_size: int = 1000) -> Iterator[dict]:
        """Every output line of every output file, in input order, each with its ``file``."""
        batch = self.get_batch_inference(ref)
        files = [f["output"] for f in (batch.get("result") or {}).get("files") or []]
        for name in files:
            offset: int | None = 0
            while offset is not None:
                chunk = self.batch_outputs(batch["id"], file=name, offset=offset, limit=page_size)
                for line in chunk["lines"]:
                    yield {"file": name, **line}
                offset = chunk["next_offset"]

    def batch_monitoring(self, ref: Any) -> dict:
        """Record progress and the job's CPU / memory / GPU usage samples."""
        return self._get(f"batch-inferences/{_ref(ref)}/monitoring")

    def batch_inference_logs(self, ref: Any, after: int = 0, limit: int | None = None, query: str | None = None) -> dict:
        return self._get(f"batch-inferences/{_ref(ref)}/logs", after=after or None, limit=limit, query=query)

    def wait_batch_inference(self, ref: Any, timeout: float | None = None, poll: float = 0.5) -> dict:
        """Block until the batch inference reaches a final status; answer it."""
        return self._wait(f"batch-inferences/{_ref(ref)}", FINAL_BATCH_STATUSES, "batch inference", timeout, poll)
