"""Models: register an artifact (from a training, a tuning's best trial, a
path or a Hugging Face id), check that it loads, and hand endpoints and batch
inference what they need to serve it.

Loading an artifact runs in a subprocess with a time limit: a broken pickle
or a handler that crashes the interpreter never takes the Jupyter server down.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.models.schemas import (
    FrameworkOut,
    ModelCreate,
    ModelFromSource,
    ModelOut,
)
from jupyter_easymaker.areas.models.statuses import MODEL_MACHINE, ModelStatus
from jupyter_easymaker.areas.models.tables import Model
from jupyter_easymaker.catalogs.artifacts import check_layout
from jupyter_easymaker.catalogs.frameworks import (
    FRAMEWORKS,
    TASKS,
    TRITON,
    ArtifactError,
    canonical_framework,
    framework_available,
    normalize_task,
    param_env,
    screaming_snake,
)
from jupyter_easymaker.core.errors import Conflict, InvalidInput
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.secrets import SecretBox, mask
from jupyter_easymaker.core.tables import StatusEvent
from jupyter_easymaker.storage_uri import StoragePathError, obs_to_fsspec, resolve_path

S = ModelStatus
VALIDATION_TIMEOUT_ENV = "EASYMAKER_MODEL_VALIDATION_TIMEOUT"
DEFAULT_VALIDATION_TIMEOUT = 300.0
MARKER = "EASYMAKER-VALIDATION "
PARAM_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
# parameter names whose environment variable would change how the server process runs
RESERVED_ENV = {"PATH", "HOME", "USER", "SHELL", "PWD", "LANG", "TMPDIR", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
                "LD_PRELOAD", "LD_LIBRARY_PATH", "EM_MODEL_PARAMS", "HF_TOKEN"}
TOKEN_PARAMS = ("token", "hf_token", "huggingface_token")
MODEL_ID_PARAMS = ("model_id", "hf_model_id", "huggingface_model_id")


def validation_timeout() -> float:
    try:
        return float(os.environ.get(VALIDATION_TIMEOUT_ENV) or DEFAULT_VALIDATION_TIMEOUT)
    except ValueError:
        return DEFAULT_VALIDATION_TIMEOUT


def validate_artifact(framework: str, model_dir: str, params: dict[str, Any], token: str | None = None,
                      *, name: str = "model", timeout: float | None = None) -> dict[str, Any]:
    """Load the artifact in a subprocess as the model server would; what it
    found, or ArtifactError naming the field at fault."""
    env = {**os.environ, "EM_MODEL_PARAMS": json.dumps({k: str(v) for k, v in params.items()}), "PYTHONUNBUFFERED": "1"}
    env.pop("HF_TOKEN", None)
    if token:
        env["HF_TOKEN"] = token
    cmd = [sys.executable, "-m", "jupyter_easymaker.runtime.model_server.validate", "--framework", framework, "--model-dir", model_dir, "--name", name]
    limit = timeout or validation_timeout()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=limit, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ArtifactError(f"loading the artifact took longer than {limit:.0f} s") from None
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARKER):
            result = json.loads(line[len(MARKER):])
            if not result.pop("ok"):
                raise ArtifactError(result["error"], result.get("field") or "artifact_path")
            return result
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    raise ArtifactError(f"loading the artifact crashed (exit code {done.returncode}): {' | '.join(tail)}")


class ModelService(ResourceService):
    table = Model
    machine = MODEL_MACHINE
    kind = "model"

    def __init__(self, platform: Any):
        super().__init__(platform)
        self.secrets = SecretBox(self.settings.data_dir)

    @property
    def trainings(self) -> Any:
        return self.platform.service("trainings")

    # -- what other areas ask ----------------------------------------------
    @staticmethod
    def count_from_training(session: Session, training_id: str) -> int:
        return session.scalar(select(func.count()).select_from(Model).where(Model.training_id == training_id)) or 0

    @staticmethod
    def count_from_tuning(session: Session, tuning_id: str) -> int:
        return session.scalar(select(func.count()).select_from(Model).where(Model.hyperparameter_tuning_id == tuning_id)) or 0

    @staticmethod
    def names(session: Session, ids: set[str]) -> dict[str, str]:
        """id -> name of the models among ``ids``."""
        return dict(session.execute(select(Model.id, Model.name).where(Model.id.in_(ids))).all()) if ids else {}

    @staticmethod
    def lookup(session: Session, ref: str) -> Model | None:
        return session.get(Model, ref) or session.scalar(select(Model).where(Model.name == ref))

    def require_active(self, session: Session, ref: str, field: str, purpose: str) -> Model:
        """The model ``ref`` names, which must be ACTIVE to ``purpose`` (e.g. "run a batch inference")."""
        model = self.lookup(session, ref)
        if model is None:
            raise InvalidInput(f"{field}: model {ref!r} does not exist", field=field)
        if model.status != S.ACTIVE:
            raise InvalidInput(f"{field}: model {model.name!r} is {model.status}; only an ACTIVE model can {purpose}", field=field)
        return model

    def own_dir(self, model_id: str) -> str:
        return self.settings.path("models", model_id)

    # -- answers ------------------------------------------------------------
    def out(self, row: Model, *, training_name: str | None = None, history: list | None = None) -> ModelOut:
        return ModelOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, framework=row.framework, framework_version=row.framework_version,
            artifact_path=row.artifact_path, model_dir=row.model_dir, huggingface_model_id=row.huggingface_model_id,
            huggingface_token=mask(self.token_of(row)), parameters=row.parameters or {}, training_id=row.training_id,
            training_name=training_name, hyperparameter_tuning_id=row.hyperparameter_tuning_id, trial_id=row.trial_id,
            artifact_info=row.artifact_info or {},
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    def token_of(self, row: Model) -> str | None:
        if not row.huggingface_token:
            return None
        try:
            return self.secrets.decrypt(row.huggingface_token)
        except Exception:  # noqa: BLE001 - a replaced key file: the token is lost, not the model
            return None

    @staticmethod
    def frameworks() -> list[FrameworkOut]:
        out = []
        for name in [*FRAMEWORKS, *TRITON]:
            ok, why = framework_available(name)
            runtime = canonical_framework(name)
            out.append(FrameworkOut(name=name, runtime=runtime, available=ok, reason=why, tasks=list(TASKS) if runtime == "huggingface" else []))
        return out

    # -- create -------------------------------------------------------------
    def create(self, body: Any, *, training_ref: str | None = None, tuning_ref: str | None = None) -> ModelOut:
        """Validate, check the artifact, store. Blocking (the artifact check
        runs a subprocess): handlers call it from a worker thread."""
        if training_ref or tuning_ref:
            data = parse(ModelFromSource, body)
            data = ModelCreate.model_validate({**data.model_dump(), "artifact_path": "",
                                               "training_id": training_ref, "hyperparameter_tuning_id": tuning_ref})
        else:
            data = parse(ModelCreate, body)
        try:
            framework = canonical_framework(data.framework)
        except ArtifactError as exc:
            raise InvalidInput(f"framework: {exc.message}", field="framework") from None
        params, token, hf_id = self._parameters(data)
        if hf_id and framework != "huggingface":
            raise InvalidInput("huggingface_model_id: only huggingface models take a Hugging Face model id", field="huggingface_model_id")
        model_id = new_id()
        with self.db.session() as session:
            self.check_name_free(session, data.name)
            source = self._source(session, data)
        model_dir = source["model_dir"]
        fetch = model_dir.startswith("obs://") or (not model_dir and bool(hf_id))
        info: dict[str, Any] = {}
        if not fetch:
            if model_dir and not os.path.exists(model_dir):
                raise InvalidInput("artifact_path: the directory does not exist", field="artifact_path")
            if data.validate_artifact:
                self._check_local(framework, model_dir, hf_id)
                info = self._validate(data.framework, model_dir, params, token, data.name)
        row = Model(
            id=model_id, name=data.name, description=data.description, framework=data.framework.strip().lower(),
            framework_version=data.framework_version or str(info.get("framework_version") or ""),
            artifact_path=source["artifact_path"], model_dir=model_dir, huggingface_model_id=hf_id,
            huggingface_token=self.secrets.encrypt(token) if token else None, parameters=params,
            training_id=source.get("training_id"), hyperparameter_tuning_id=source.get("hyperparameter_tuning_id"),
            trial_id=source.get("trial_id"), artifact_info=info,
        )
        with self.db.session() as session:
            self.check_name_free(session, data.name)  # again: the check above ran before a slow load
            self.initial(session, row)
            if not fetch:
                self.set_status(session, row, S.CREATE_IN_PROGRESS, "checking the artifact")
                self.set_status(session, row, S.ACTIVE, self._loaded_reason(info) if info else "artifact check skipped")
            session.add(row)
            training_name = self._training_name(session, row.training_id)
            out = self.out(row, training_name=training_name)
        self.publish(row, "created")
        return out

    @staticmethod
    def _loaded_reason(info: dict[str, Any]) -> str:
        what = f"{info.get('framework')} {info.get('framework_version') or ''}".strip()
        task = f", task {info['task']}" if info.get("task") else ""
        serving = f"; {info['serving']}" if info.get("serving") else ""  # compiled to ONNX Runtime, or why not
        return f"artifact loaded with {what}{task} in {info.get('load_seconds', 0)} s{serving}"

    def _parameters(self, data: ModelCreate) -> tuple[dict[str, str], str | None, str]:
        params: dict[str, str] = {}
        token = data.huggingface_token or None
        hf_id = data.huggingface_model_id.strip()
        for key, value in data.parameters.items():
            field = f"parameters.{key}"
            if not key or len(key) > 64 or not set(key) <= PARAM_NAME_CHARS or not key[0].isalpha():
                raise InvalidInput(f"{field}: parameter names are 1-64 letters, digits, '_', '-' or '.', starting with a letter", field=field)
            text = str(value).lower() if isinstance(value, bool) else str(value)
            if key.lower() in TOKEN_PARAMS:  # the guide passes a gated model's token as a parameter: keep it secret
                token = token or text
                continue
            if key.lower() in MODEL_ID_PARAMS:
                hf_id = hf_id or text
                continue
            if screaming_snake(key) in RESERVED_ENV:
                raise InvalidInput(f"{field}: its environment variable {screaming_snake(key)} is reserved", field=field)
            params[key] = text
        if "task" in params:
            try:
                params["task"] = normalize_task(params["task"])
            except ArtifactError as exc:
                raise InvalidInput(exc.message, field="parameters.task") from None
        return params, token, hf_id

    def _resolve(self, value: str, field: str) -> str:
        try:
            return resolve_path(value, local_roots=self.settings.local_roots, nas_mounts=self.settings.nas_mounts)
        except StoragePathError as exc:
            raise InvalidInput(f"{field}: {exc}", field=field) from None

    def _source(self, session: Session, data: ModelCreate) -> dict[str, Any]:
        if data.training_id:
            source = self.trainings.model_source(session, data.training_id)
            return {"model_dir": source["model_dir"], "artifact_path": source["model_dir"], "training_id": source["training_id"]}
        if data.hyperparameter_tuning_id:
            source = self.platform.service("tuning").model_source(session, data.hyperparameter_tuning_id)
            return {"model_dir": source["model_dir"], "artifact_path": source["model_dir"],
                    "hyperparameter_tuning_id": source["hyperparameter_tuning_id"], "trial_id": source["trial_id"]}
        if data.artifact_path:
            return {"model_dir": self._resolve(data.artifact_path, "artifact_path"), "artifact_path": data.artifact_path.strip()}
        return {"model_dir": "", "artifact_path": ""}

    @staticmethod
    def _check_local(framework: str, model_dir: str, hf_id: str) -> None:
        """Fast checks before the (slow) load: the files each framework needs, the framework's packages."""
        runtime = canonical_framework(framework)
        if model_dir and not os.path.exists(model_dir):
            raise InvalidInput("artifact_path: the directory does not exist", field="artifact_path")
        ok, why = framework_available(runtime)
        if not ok:
            raise InvalidInput(f"framework: {framework} models cannot be loaded on this server ({why}); "
                               "set validate_artifact to false if only the serving image has it", field="framework")
        if not model_dir:
            return
        try:
            check_layout(runtime, model_dir)
        except ArtifactError as exc:
            raise InvalidInput(f"artifact_path: {exc.message}", field="artifact_path") from None

    def _validate(self, framework: str, model_dir: str, params: dict[str, str], token: str | None, name: str) -> dict[str, Any]:
        try:
            return validate_artifact(framework, model_dir, params, token, name=name)
        except ArtifactError as exc:
            field = exc.field if exc.field in ("framework", "artifact_path") or exc.field.startswith("parameters") else "artifact_path"
            if field == "artifact_path" and not model_dir:
                field = "huggingface_model_id"
            raise InvalidInput(f"{field}: {exc.message}", field=field) from None

    def _training_name(self, session: Session, training_id: str | None) -> str | None:
        if not training_id:
            return None
        return self.trainings.names(session, {training_id}).get(training_id)

    # -- fetch (controller) -------------------------------------------------
    def pending(self) -> list[str]:
        with self.db.read() as session:
            return list(session.scalars(select(Model.id).where(Model.status.in_([S.CREATE_REQUESTED, S.CREATE_IN_PROGRESS]))))

    def begin_fetch(self, model_id: str) -> dict[str, Any] | None:
        """CREATE REQUESTED -> CREATE IN PROGRESS; what the fetch needs."""
        with self.db.session() as session:
            row = session.get(Model, model_id)
            if row is None or row.status not in (S.CREATE_REQUESTED, S.CREATE_IN_PROGRESS):
                return None
            if row.status == S.CREATE_REQUESTED:
                self.set_status(session, row, S.CREATE_IN_PROGRESS, "fetching the artifact")
            job = {"id": row.id, "name": row.name, "framework": row.framework, "model_dir": row.model_dir,
                   "hf_id": row.huggingface_model_id, "token": self.token_of(row), "params": dict(row.parameters or {})}
        self.publish(row, "status")
        return job

    def fetch(self, job: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Copy the artifact into the model's own folder and check it (blocking)."""
        target = os.path.join(self.own_dir(job["id"]), "artifact")
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target, exist_ok=True)
        if job["model_dir"].startswith("obs://"):
            fs, path = obs_to_fsspec(job["model_dir"], self.settings.obs_storage_options)
            fs.get(path.rstrip("/") + "/", target + "/", recursive=True)
        else:
            from huggingface_hub import snapshot_download

            snapshot_download(job["hf_id"], local_dir=target, token=job["token"],
                              allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken", "*.jinja", "*.py"])
        info = validate_artifact(job["framework"], target, job["params"], job["token"], name=job["name"])
        return target, info

    def finish_fetch(self, model_id: str, *, model_dir: str = "", info: dict[str, Any] | None = None, error: str = "") -> None:
        with self.db.session() as session:
            row = session.get(Model, model_id)
            if row is None or row.status != S.CREATE_IN_PROGRESS:
                return
            if error:
                self.set_status(session, row, S.CREATE_FAILED, error)
            else:
                row.model_dir = model_dir
                row.artifact_info = info or {}
                if not row.framework_version:
                    row.framework_version = str((info or {}).get("framework_version") or "")
                self.set_status(session, row, S.ACTIVE, self._loaded_reason(info or {}))
        self.publish(row, "status")

    # -- queries ------------------------------------------------------------
    def list(self, query: ListQuery, *, framework: str | None = None, training: str | None = None) -> tuple[list[ModelOut], int]:
        with self.db.session() as session:
            stmt = select(Model)
            if framework:
                stmt = stmt.where(Model.framework == framework)
            if training:
                stmt = stmt.where(Model.training_id == self.trainings.find(session, training, "training_id").id)
            rows, total = query.page(session, Model, stmt)
            ids = {r.training_id for r in rows if r.training_id}
            names = self.trainings.names(session, ids)
            return [self.out(r, training_name=names.get(r.training_id or "")) for r in rows], total

    def get(self, ref: str, *, with_history: bool = True) -> ModelOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            history = self.history(session, row.id) if with_history else None
            return self.out(row, training_name=self._training_name(session, row.training_id), history=history)

    def serving_spec(self, ref: str) -> dict[str, Any]:
        """What a model server for this model needs: the runtime, the artifact,
        the parameters (as ``--param``), the environment (parameters as
        SCREAMING_SNAKE variables) and the secret environment (the Hugging Face
        token as HF_TOKEN, decrypted now: it must reach no file in clear)."""
        with self.db.session() as session:
            row = self.find(session, ref, "model_id")
            if row.status != S.ACTIVE:
                raise Conflict(f"model {row.name!r} is {row.status}; only an ACTIVE model can be served", field="model_id")
            params = dict(row.parameters or {})
            if row.huggingface_model_id and not row.model_dir:
                params["model_id"] = row.huggingface_model_id
            token = self.token_of(row)
            return {"model_id": row.id, "model_name": row.name, "framework": canonical_framework(row.framework),
                    "model_dir": row.model_dir, "task": params.get("task", ""), "parameters": params, "env": param_env(params),
                    "secret_env": {"HF_TOKEN": token} if token else {},
                    "generative": bool((row.artifact_info or {}).get("generative"))}

    # -- changes ------------------------------------------------------------
    def update(self, ref: str, body: Any) -> ModelOut:
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self.out(row, training_name=self._training_name(session, row.training_id))
        self.publish(row, "updated")
        return out

    def copy(self, ref: str) -> dict[str, Any]:
        """A create body pre-filled from a model (the token is not carried over)."""
        with self.db.session() as session:
            row = self.find(session, ref)
            body: dict[str, Any] = {"name": self.free_copy_name(session, row.name), "description": row.description,
                                    "framework": row.framework, "framework_version": row.framework_version,
                                    "parameters": dict(row.parameters or {})}
            if row.training_id:
                body["training_id"] = row.training_id
            elif row.hyperparameter_tuning_id:
                body["hyperparameter_tuning_id"] = row.hyperparameter_tuning_id
            elif row.artifact_path:
                body["artifact_path"] = row.artifact_path
            if row.huggingface_model_id:
                body["huggingface_model_id"] = row.huggingface_model_id
            return body

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status not in self.machine.deletable:
                raise Conflict(f"model {row.name!r} is {row.status}: wait until its creation ends", field="status")
            blocked = self.blockers_message(session, row)
            if blocked:
                raise Conflict(blocked)
            self.set_status(session, row, S.DELETE_IN_PROGRESS, "delete requested by user")
        self.publish(row, "status")
        own = self.own_dir(row.id)
        try:
            if os.path.exists(own):
                shutil.rmtree(own)
        except OSError as exc:
            with self.db.session() as session:
                row = session.get(Model, row.id)
                self.set_status(session, row, S.DELETE_FAILED, f"its files could not be removed: {exc}")
            self.publish(row, "status")
            raise Conflict(f"model {row.name!r} could not be deleted: {exc}") from None
        with self.db.session() as session:
            session.execute(delete(StatusEvent).where(StatusEvent.resource_id == row.id))
            session.execute(delete(Model).where(Model.id == row.id))
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)
