"""The hyperparameter tuning methods of :class:`jupyter_easymaker.client.Client`
(a mixin: standard library only, like the client)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.areas.tuning.statuses import HYPERPARAMETER_TUNING_MACHINE
from jupyter_easymaker.client.common import (
    Page,
    _experiment_fields,
    _params_body,
    _ref,
    settled,
)

__all__ = ["TuningsClient", "FINAL_TUNING_STATUSES"]

# a hyperparameter tuning in one of these will not change any more
FINAL_TUNING_STATUSES = settled(HYPERPARAMETER_TUNING_MACHINE)


class TuningsClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page`` and ``_wait``."""

    def list_tunings(
        self,
        status: str | list[str] | None = None,
        experiment: str | None = None,
        name: str | None = None,
        sort: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """A page of hyperparameter tunings (trial counts and best trial included)."""
        return self._page("hyperparameter-tunings", status=status, experiment_id=experiment, name=name, sort=sort, offset=offset, limit=limit)

    def create_tuning(self, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Start a hyperparameter tuning. Fields are those of the API's
        ``HyperparameterTuningCreate`` (a training's fields plus ``strategy``,
        ``random_seed``, ``parameters``, ``metrics``, ``objective_metric``, ``goal``,
        ``target_value``, ``max_trials``, ``max_failed_trials``, ``parallel_trials``,
        ``early_stopping``); ``experiment=`` takes an id or a name (created when missing)."""
        return self.request("POST", "hyperparameter-tunings", _experiment_fields({**(body or {}), **fields}))

    def get_tuning(self, ref: Any) -> dict:
        return self._get(f"hyperparameter-tunings/{_ref(ref)}")

    def update_tuning(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        return self.request("PATCH", f"hyperparameter-tunings/{_ref(ref)}", _params_body(name=name, description=description))

    def stop_tuning(self, ref: Any) -> dict:
        """Stop a tuning: every running trial is killed."""
        return self.request("POST", f"hyperparameter-tunings/{_ref(ref)}/stop")

    def delete_tuning(self, ref: Any) -> None:
        self.request("DELETE", f"hyperparameter-tunings/{_ref(ref)}")

    def copy_tuning(self, ref: Any, *, create: bool = True, **overrides: Any) -> dict:
        """Start a copy of a tuning with ``overrides`` (``create=False``: only the pre-filled body)."""
        body = _experiment_fields({**self._get(f"hyperparameter-tunings/{_ref(ref)}/copy"), **overrides})
        return self.create_tuning(body) if create else body

    def tuning_trials(self, ref: Any, status: str | list[str] | None = None, sort: str | None = None, offset: int = 0, limit: int = 1000) -> Page:
        """The tuning's trials with parameters, objective value and status
        (``sort``: number, objective_value, status, created_at; '-' for descending)."""
        return self._page(f"hyperparameter-tunings/{_ref(ref)}/trials", status=status, sort=sort, offset=offset, limit=limit)

    def tuning_trial(self, ref: Any, trial: Any) -> dict:
        """One trial, by id, number or name, with its status history."""
        return self._get(f"hyperparameter-tunings/{_ref(ref)}/trials/{_ref(trial)}")

    def tuning_metrics(self, ref: Any) -> dict:
        """Parameters, objective and intermediate objective values of every trial."""
        return self._get(f"hyperparameter-tunings/{_ref(ref)}/metrics")

    def best_trial(self, ref: Any) -> dict:
        """The best trial's parameters, hyperparameters and model directory."""
        return self._get(f"hyperparameter-tunings/{_ref(ref)}/best")

    def tuning_logs(self, ref: Any, trial: Any = None, after: int = 0, limit: int | None = None, query: str | None = None) -> dict:
        """Log records of every trial, or of one; pass ``next_after`` back as ``after``."""
        path = f"hyperparameter-tunings/{_ref(ref)}" + (f"/trials/{_ref(trial)}" if trial is not None else "") + "/logs"
        return self._get(path, after=after or None, limit=limit, query=query)

    def wait_tuning(self, ref: Any, timeout: float | None = None, poll: float = 1.0) -> dict:
        """Block until the tuning reaches a final status; answer it."""
        return self._wait(f"hyperparameter-tunings/{_ref(ref)}", FINAL_TUNING_STATUSES, "hyperparameter tuning", timeout, poll)
