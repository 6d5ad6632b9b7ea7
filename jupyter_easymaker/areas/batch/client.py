"""The batch inference and model evaluation methods of
:class:`jupyter_easymaker.client.Client` (a mixin: standard library only, like
the client)."""
from __future__ import annotations

import time
from typing import Any, Iterator
from jupyter_easymaker.client.common import _ref


FINAL_BATCH_STATUSES = ("COMPLETE", "FAIL BATCH INFERENCE", "STOPPED", "CREATE FAILED")


FINAL_EVALUATION_STATUSES = ("COMPLETE", "FAIL MODEL EVALUATION", "STOPPED", "CREATE FAILED")


def _model_field(body: dict[str, Any]) -> dict[str, Any]:
    """``model=`` takes a name, an id or a model dict."""
    if "model" in body:
        model = body.pop("model")
        body["model_id"] = model.get("id") if isinstance(model, dict) else str(model)
    return body


def batch_body(body: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A create body from keyword arguments: ``model=``, and ``input=`` as a
    path (``input_path``) or a list of records sent inline (``input_records``)."""
    out = _model_field({**(body or {}), **fields})
    if "input" in out:
        value = out.pop("input")
        out["input_records" if isinstance(value, (list, tuple)) else "input_path"] = list(value) if isinstance(value, tuple) else value
    return out


class BatchClient:
    """Mixed into Client: needs ``request``, ``_get`` and ``_page``."""

    # -- batch inference ------------------------------------------------------------
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

    def batch_inference_logs(self, ref: Any, after: int = 0, limit: int | None = None, query: str | None = None) -> dict:
        return self._get(f"batch-inferences/{_ref(ref)}/logs", after=after or None, limit=limit, query=query)

    def wait_batch_inference(self, ref: Any, timeout: float | None = None, poll: float = 0.5) -> dict:
        """Block until the batch inference reaches a final status; answer it."""
        return self._wait(f"batch-inferences/{_ref(ref)}", FINAL_BATCH_STATUSES, "batch inference", timeout, poll)

    # -- model evaluation ------------------------------------------------------------
    def list_model_evaluations(self, *, status: str | list[str] | None = None, model: str | None = None, task: str | None = None,
                               name: str | None = None, sort: str | None = None, offset: int = 0, limit: int = 50):
        return self._page("model-evaluations", status=status, model_id=model, task=task, name=name, sort=sort, offset=offset, limit=limit)

    def create_model_evaluation(self, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Start a model evaluation (``ModelEvaluationCreate``: ``model_id``,
        ``task``, ``class_names``, ``input_path``, ``input_format`` CSV or JSONL,
        ``target_field``, ``output_path``, ``batch_inference`` options, ...)."""
        return self.request("POST", "model-evaluations", _model_field({**(body or {}), **fields}))

    def get_model_evaluation(self, ref: Any) -> dict:
        return self._get(f"model-evaluations/{_ref(ref)}")

    def model_evaluation_results(self, ref: Any) -> dict:
        """Metrics, curves, precision/recall by threshold and the confusion matrix."""
        return self._get(f"model-evaluations/{_ref(ref)}/results")

    def compare_model_evaluations(self, *refs: Any) -> dict:
        """Several evaluations side by side (metrics with the best marked, curves, confusion matrices)."""
        ids = [r.get("id") or r.get("name") if isinstance(r, dict) else str(r) for r in refs]
        return self._get("model-evaluations/compare", ids=",".join(ids))

    def stop_model_evaluation(self, ref: Any) -> dict:
        return self.request("POST", f"model-evaluations/{_ref(ref)}/stop")

    def delete_model_evaluation(self, ref: Any) -> None:
        self.request("DELETE", f"model-evaluations/{_ref(ref)}")

    def copy_model_evaluation(self, ref: Any, *, create: bool = True, **overrides: Any) -> dict:
        body = _model_field({**self._get(f"model-evaluations/{_ref(ref)}/copy"), **overrides})
        return self.create_model_evaluation(body) if create else body

    def model_evaluation_logs(self, ref: Any, after: int = 0, limit: int | None = None, query: str | None = None) -> dict:
        return self._get(f"model-evaluations/{_ref(ref)}/logs", after=after or None, limit=limit, query=query)

    def wait_model_evaluation(self, ref: Any, timeout: float | None = None, poll: float = 0.5) -> dict:
        return self._wait(f"model-evaluations/{_ref(ref)}", FINAL_EVALUATION_STATUSES, "model evaluation", timeout, poll)

    def _wait(self, path: str, final: tuple[str, ...], what: str, timeout: float | None, poll: float) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            row = self._get(path)
            if row["status"] in final:
                return row
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"{what} {row['name']!r} is still {row['status']} after {timeout:g} s")
            time.sleep(poll)
