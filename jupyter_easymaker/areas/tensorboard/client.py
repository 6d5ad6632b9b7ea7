"""The TensorBoard method of :class:`jupyter_easymaker.client.Client` (a
mixin: standard library only, like the client)."""
from __future__ import annotations

import urllib.parse
from typing import Any


class TensorBoardClient:
    """Mixed into Client: needs ``request`` and ``url``."""

    def open_tensorboard(self, training: Any = None, experiment: Any = None, tuning: Any = None) -> dict:
        """Start (or reuse) the server's TensorBoard of a training, of an
        experiment (all its trainings) or of a hyperparameter tuning (every
        trial a run). ``url`` is its path on the server; ``link`` the same as
        a full URL."""
        given = [(k, v) for k, v in (("training_id", training), ("experiment_id", experiment),
                                     ("hyperparameter_tuning_id", tuning)) if v is not None]
        if len(given) != 1:
            raise ValueError("give one of training, experiment or tuning")
        key, ref = given[0]
        if isinstance(ref, dict):
            ref = ref.get("id") or ref.get("name")
        board = self.request("POST", "tensorboards", {key: str(ref)})
        board["link"] = urllib.parse.urljoin(self.url, board["url"])
        return board
