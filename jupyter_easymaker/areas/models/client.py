"""The model methods of :class:`jupyter_easymaker.client.Client` (a mixin:
standard library only, like the client)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.client.common import Page, _params_body, _ref

MODEL_CREATE_TIMEOUT = 330.0  # the server loads the artifact (up to 300 s) before answering


class ModelsClient:
    """Mixed into Client: needs ``request``, ``_get``, ``_page`` and ``timeout``."""

    def model_frameworks(self) -> list[dict]:
        """Frameworks a model can have, and whether the server can load each."""
        return self._get("model-frameworks")["items"]

    def list_models(self, *, status: str | list[str] | None = None, framework: str | None = None, training: str | None = None,
                    name: str | None = None, sort: str | None = None, offset: int = 0, limit: int = 50) -> Page:
        return self._page("models", status=status, framework=framework, training_id=training, name=name, sort=sort, offset=offset, limit=limit)

    def create_model(self, body: dict[str, Any] | None = None, **fields: Any) -> dict:
        """Register a model: ``name``, ``framework`` and one of ``artifact_path``,
        ``training_id``, ``hyperparameter_tuning_id`` or ``huggingface_model_id``.
        The server loads the artifact first (this can take a while)."""
        return self.request("POST", "models", {**(body or {}), **fields}, timeout=max(self.timeout, MODEL_CREATE_TIMEOUT))

    def create_model_from_training(self, training: Any, name: str, framework: str, **fields: Any) -> dict:
        """A model whose artifact is a COMPLETE training's model directory."""
        return self.request("POST", f"trainings/{_ref(training)}/model", {"name": name, "framework": framework, **fields},
                            timeout=max(self.timeout, MODEL_CREATE_TIMEOUT))

    def create_model_from_tuning(self, tuning: Any, name: str, framework: str, **fields: Any) -> dict:
        """A model from a hyperparameter tuning's best trial."""
        return self.request("POST", f"hyperparameter-tunings/{_ref(tuning)}/model", {"name": name, "framework": framework, **fields},
                            timeout=max(self.timeout, MODEL_CREATE_TIMEOUT))

    def get_model(self, ref: Any) -> dict:
        return self._get(f"models/{_ref(ref)}")

    def update_model(self, ref: Any, *, name: str | None = None, description: str | None = None) -> dict:
        return self.request("PATCH", f"models/{_ref(ref)}", _params_body(name=name, description=description))

    def delete_model(self, ref: Any) -> None:
        self.request("DELETE", f"models/{_ref(ref)}")

    def copy_model(self, ref: Any, *, create: bool = True, **overrides: Any) -> dict:
        """Create a copy (``create=False``: only the pre-filled create body; a Hugging Face token is not copied)."""
        body = {**self._get(f"models/{_ref(ref)}/copy"), **overrides}
        return self.create_model(body) if create else body
