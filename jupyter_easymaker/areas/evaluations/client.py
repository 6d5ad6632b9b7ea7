"""The model evaluation methods of :class:`jupyter_easymaker.client.Client` (a
mixin: standard library only, like the client)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.areas.evaluations.statuses import MODEL_EVALUATION_MACHINE
from jupyter_easymaker.client.common import _model_field, _ref, settled

# a model evaluation in one of these will not change any more (deleting it aside)
FINAL_EVALUATION_STATUSES = settled(MODEL_EVALUATION_MACHINE)


class EvaluationsClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page`` and ``_wait``."""

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

    def update_model_evaluation(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        """Rename it or change its description."""
        body = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        return self.request("PATCH", f"model-evaluations/{_ref(ref)}", body)

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
