"""The training methods of :class:`jupyter_easymaker.client.Client` (a mixin:
standard library only, like the client)."""
from __future__ import annotations

import time
from typing import Any, Iterator

from jupyter_easymaker.areas.trainings.statuses import TRAINING_MACHINE
from jupyter_easymaker.client.common import (
    Page,
    _experiment_fields,
    _params_body,
    _ref,
    settled,
)
from jupyter_easymaker.client.transport import ServerNotFound

__all__ = ["TrainingsClient", "FINAL_TRAINING_STATUSES"]

# a training in one of these will not change any more
FINAL_TRAINING_STATUSES = settled(TRAINING_MACHINE)


class TrainingsClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page``, ``_sse`` and ``_wait``."""

    def list_trainings(
        self,
        status: str | list[str] | None = None,
        experiment: str | None = None,
        name: str | None = None,
        sort: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """A page of trainings, newest first unless ``sort`` says otherwise
        (``name``, ``status``, ``created_at``, ``updated_at``; ``-`` prefix: descending)."""
        return self._page("trainings", status=status, experiment_id=experiment, name=name, sort=sort, offset=offset, limit=limit)

    def iter_trainings(self, status: str | list[str] | None = None, experiment: str | None = None, name: str | None = None, sort: str | None = None, page_size: int = 200) -> Iterator[dict]:
        """Every matching training, fetched a page at a time."""
        offset = 0
        while True:
            page = self.list_trainings(status=status, experiment=experiment, name=name, sort=sort, offset=offset, limit=page_size)
            yield from page
            offset += len(page)
            if not page or offset >= page.total:
                return

    def create_training(self, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Submit a training. Fields are those of the API's ``TrainingCreate``;
        ``experiment=`` takes an experiment id, or a name (created when missing)."""
        return self.request("POST", "trainings", _experiment_fields({**(body or {}), **fields}))

    def create_training_from_file(self, path: str, **fields: Any) -> dict:
        """Submit a workspace ``.py`` or ``.ipynb`` (``path`` relative to the server's root) as a
        training, as the panel's "Submit as training" does; ``fields`` as in ``create_training``
        but ``algorithm``."""
        return self.request("POST", "trainings/from-file", _experiment_fields({**fields, "path": path}))

    def get_training(self, ref: Any) -> dict:
        return self._get(f"trainings/{_ref(ref)}")

    def update_training(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        return self.request("PATCH", f"trainings/{_ref(ref)}", _params_body(name=name, description=description))

    def stop_training(self, ref: Any) -> dict:
        return self.request("POST", f"trainings/{_ref(ref)}/stop")

    def delete_training(self, ref: Any) -> None:
        self.request("DELETE", f"trainings/{_ref(ref)}")

    def copy_training(self, ref: Any, *, create: bool = True, **overrides: Any) -> dict:
        """Submit a copy of a training with ``overrides`` (top-level fields replace
        the copy's; ``create=False`` only answers the pre-filled body)."""
        body = _experiment_fields({**self._get(f"trainings/{_ref(ref)}/copy"), **overrides})
        return self.create_training(body) if create else body

    def training_logs(self, ref: Any, after: int = 0, limit: int | None = None, query: str | None = None) -> dict:
        """``{records: [{id, body, logLevel, time, ...}], next_after, status}``; pass
        ``next_after`` back as ``after`` to continue."""
        return self._get(f"trainings/{_ref(ref)}/logs", after=after or None, limit=limit, query=query)

    def follow_logs(self, ref: Any, after: int = 0, query: str | None = None, retries: int = 3) -> Iterator[dict]:
        """Log records as they are written, until the training has ended.

        The generator's return value (``StopIteration.value``) is the final status.
        A dropped stream is resumed after the last record received.
        """
        failures = 0
        while True:
            try:
                for event, _id, payload in self._sse(f"trainings/{_ref(ref)}/logs", {"follow": True, "after": after or None, "query": query}):
                    if event == "log" and isinstance(payload, dict):
                        after = max(after, int(payload.get("id") or 0))
                        failures = 0
                        yield payload
                    elif event == "end":
                        return payload.get("status") if isinstance(payload, dict) else None
            except (ServerNotFound, OSError):
                pass  # dropped connection: resume below
            failures += 1
            if failures > retries:
                raise ServerNotFound(f"the log stream of {ref!r} kept breaking off")
            time.sleep(min(0.5 * failures, 2.0))

    def metrics(self, ref: Any) -> dict:
        """``{training_id, metrics: [{name, steps, values, last}], usage: [...]}``."""
        return self._get(f"trainings/{_ref(ref)}/metrics")

    def wait(self, ref: Any, timeout: float | None = None, poll: float = 0.5) -> dict:
        """Block until the training reaches a final status; answer it.
        Raises ``TimeoutError`` after ``timeout`` seconds."""
        return self._wait(f"trainings/{_ref(ref)}", FINAL_TRAINING_STATUSES, "training", timeout, poll)
