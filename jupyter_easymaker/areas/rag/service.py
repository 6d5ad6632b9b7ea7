"""RAGs: validate and store the settings (secrets encrypted), start
ingestions, answer queries; the reconciler makes the statuses true.

A RAG lives in its folder ``{data_dir}/rags/{id}/``: ``store/`` (the faiss
store's generations; a pgvector store keeps them in PostgreSQL),
``server/config.json`` (what the query server reads, re-read on change) and
``ingestions/{id}/`` (each ingestion job's work and output)."""
from __future__ import annotations

import json
import os
import shutil
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.rag.ingestions import IngestionJobs
from jupyter_easymaker.areas.rag.query_routes import QueryRoutes
from jupyter_easymaker.areas.rag.schemas import (
    DEFAULT_EMBEDDING_MODEL,
    ApiKeyCreate,
    ApiKeyOut,
    AskBody,
    IngestionFileOut,
    IngestionOut,
    LlmOut,
    RagCreate,
    RagOut,
    RagStatsOut,
    RagUpdate,
    RetrieveBody,
    RetrieveOut,
    VectorStoreOut,
)
from jupyter_easymaker.areas.rag.statuses import (
    RAG_MACHINE,
    SYNCABLE,
    IngestionStatus,
    RagStatus,
)
from jupyter_easymaker.areas.rag.tables import (
    Rag,
    RagApiKey,
    RagApiStat,
    RagIngestion,
    RagIngestionFile,
)
from jupyter_easymaker.backend.serving import serving_backends
from jupyter_easymaker.backend.serving.base import ServingOptions
from jupyter_easymaker.core.api_keys import ApiKeyService
from jupyter_easymaker.core.api_stats import ApiStats
from jupyter_easymaker.core.errors import Conflict, DomainError, InvalidInput, NotFound
from jupyter_easymaker.core.holding import Held
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.secrets import SecretBox
from jupyter_easymaker.core.tables import utcnow
from jupyter_easymaker.storage_uri import StoragePathError, resolve_path

R, I = RagStatus, IngestionStatus
SHIPPED_EMBEDDERS = {DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"}
QUERY_PATH = "easymaker/rag/v1/query"
OPENAI_BASE_PATH = "easymaker/rag/v1"
QUERY_SERVER_MODULE = "jupyter_easymaker.runtime.rag.query_server"
SERVER_URL_ENV = "JUPYTER_EASYMAKER_URL"  # set by the server extension: the server's own URL
RETRIEVE_TIMEOUT_SECONDS = 30.0
FAILED_FIRST = case((RagIngestionFile.outcome == "failed", 0), else_=1)


def masked_url(url: str) -> str:
    """The URL with its password replaced (what is stored and shown)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


class RagService(ResourceService):
    table = Rag
    machine = RAG_MACHINE
    kind = "rag"

    def __init__(self, platform: Any):
        super().__init__(platform)
        self.options = self.settings.options("rag")
        self.secrets = SecretBox(self.settings.data_dir)
        self.ingestions = IngestionJobs(platform, self)
        self.keys = ApiKeyService(self.db, RagApiKey, "rag_id", create=ApiKeyCreate, out=ApiKeyOut, kind="RAG")
        self.stats = ApiStats(self.db, RagApiStat, owner="rag_id", part="rag_id")
        self.routes = QueryRoutes(self.db, self.keys, self.stats)
        self.serving = ServingOptions.from_dict(self.options.get("serving"))
        self.serving_backends = serving_backends(platform.backends, self.serving)

    def holding(self) -> list[Held]:
        """Its ingestions running (the dashboard's usage)."""
        return self.ingestions.holding()

    def close(self) -> None:
        self.routes.flush()

    # -- paths ------------------------------------------------------------------------------
    def rag_dir(self, rag_id: str) -> str:
        return self.settings.path("rags", rag_id)

    def server_config_path(self, rag_id: str) -> str:
        return os.path.join(self.rag_dir(rag_id), "server", "config.json")

    def gateway_url(self) -> str:
        """Where the query servers reach this server's endpoint gateway (an endpoint LLM)."""
        url = self.options.get("gateway_url") or os.environ.get(SERVER_URL_ENV) or "http://127.0.0.1:8888/"
        return url if url.endswith("/") else url + "/"

    # -- answers ----------------------------------------------------------------------------
    def out(self, session: Session, row: Rag, origin: str | None = None, *, history: list | None = None) -> RagOut:
        spec = row.spec
        secrets = self._secrets(row)
        store, llm, embedding = spec["vector_store"], spec["llm"], spec["embedding"]
        latest = self.ingestions.latest(session, row.id)
        base = (origin or "").rstrip("/") + self.settings.base_url
        return RagOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, gateway_status=row.gateway_status,
            instance_type=spec["instance_type"], instance_count=spec["instance_count"], prompt_template=spec["prompt_template"],
            vector_store=VectorStoreOut(type=store["type"], url=store.get("url"), password_set=bool(secrets.get("store_url"))),
            data_path=spec["data_path"], chunking=spec["chunking"], retrieval=spec["retrieval"],
            embedding={k: embedding.get(k) for k in ("model", "instance_type", "instance_count", "dimension")},
            llm=LlmOut(type=llm["type"], endpoint=llm.get("endpoint"), model=llm.get("model"), base_url=llm.get("base_url"),
                       api_key_set=bool(secrets.get("llm_api_key")), instance_type=llm.get("instance_type"),
                       instance_count=llm.get("instance_count", 1), max_tokens=llm["max_tokens"], temperature=llm["temperature"]),
            log_enabled=spec.get("log_enabled", True), backend=row.backend, query_url=base + QUERY_PATH,
            openai_base_url=base + OPENAI_BASE_PATH, files=row.files, chunks=row.chunks, live_generation=row.live_generation,
            last_ingestion=self.ingestions.out(latest) if latest is not None else None,
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    def _secrets(self, row: Rag) -> dict[str, str]:
        return json.loads(self.secrets.decrypt(row.secrets)) if row.secrets else {}

    # -- create -----------------------------------------------------------------------------
    def create(self, body: Any, *, user: str = "", origin: str | None = None) -> RagOut:
        data = parse(RagCreate, body)
        rag_id = new_id()
        backend = data.backend or self.settings.default_backend
        if backend not in self.platform.backend_names() or backend not in self.serving_backends:
            raise InvalidInput(f"backend: the {backend} backend is not configured on this server", field="backend")
        instance_types = {field: self.instance_type(value, field) for field, value in (
            ("instance_type", data.instance_type), ("embedding.instance_type", data.embedding.instance_type),
            ("llm.instance_type", data.llm.instance_type))}
        data_path = self.resolve(data.data_path, "data_path")
        if "://" not in data_path and not os.path.exists(data_path):
            raise InvalidInput("data_path: the folder does not exist", field="data_path")
        secrets: dict[str, str] = {}
        store: dict[str, Any] = {"type": data.vector_store.type}
        if data.vector_store.type == "pgvector":
            url = data.vector_store.url
            self.check_postgres(url)
            secrets["store_url"] = url
            store["url"] = masked_url(url)
        with self.db.session() as session:
            self.check_name_free(session, data.name)
            embedding = {"model": data.embedding.model, "path": self.embedding_source(session, data.embedding.model),
                         "instance_type": instance_types["embedding.instance_type"], "instance_count": data.embedding.instance_count}
            llm = {"base_url": None, "model": None, **data.llm.model_dump(exclude={"api_key"})}
            llm["instance_type"] = instance_types["llm.instance_type"]
            if data.llm.type == "endpoint":
                try:
                    target = self.platform.service("endpoints").model_target(data.llm.endpoint, data.llm.model, "llm.endpoint")
                except NotFound as exc:  # a name in the body: the body is wrong
                    raise InvalidInput(f"llm.endpoint: {exc.message}", field="llm.endpoint") from None
                key = self.platform.service("endpoints").create_key(target["endpoint_id"], {"name": f"rag-{data.name}"[:50]})
                llm.update(endpoint=target["endpoint"], endpoint_id=target["endpoint_id"], model=target["model"],
                           path=target["path"], key_id=key.id)
                secrets["llm_api_key"] = key.key
            elif data.llm.type == "external" and data.llm.api_key:
                secrets["llm_api_key"] = data.llm.api_key
            elif data.llm.type == "model":
                model = self.platform.service("models").require_active(session, data.llm.model, "llm.model",
                                                                       "answer a RAG's questions")
                llm.update(model=model.name, model_id=model.id)
            spec = {
                "instance_type": instance_types["instance_type"], "instance_count": data.instance_count,
                "prompt_template": data.prompt_template, "vector_store": store, "data_path": data.data_path,
                "chunking": data.chunking.model_dump(), "retrieval": data.retrieval.model_dump(), "embedding": embedding,
                "llm": llm, "log_enabled": data.log_enabled, "max_ingestion_seconds": data.max_ingestion_seconds,
            }
            row = Rag(id=rag_id, name=data.name, description=data.description, spec=spec, backend=backend,
                      llm_model_id=llm.get("model_id"),
                      secrets=self.secrets.encrypt(json.dumps(secrets)) if secrets else None,
                      paths={"data_path": data_path, "rag_dir": self.rag_dir(rag_id)}, files=0, chunks=0)
            self.initial(session, row)
            session.add(row)
            self.new_ingestion(session, row, trigger="create", user=user)
            session.flush()
            out = self.out(session, row, origin)
        self.write_server_config(rag_id)
        self.publish(row, "created")
        return out

    def instance_type(self, name: str | None, field: str) -> str:
        try:
            return self.job_specs.instance_type_name(name)
        except InvalidInput as exc:
            raise InvalidInput(field + exc.message.removeprefix("instance_type"), field=field) from None

    def resolve(self, value: str, field: str) -> str:
        try:
            return resolve_path(value, local_roots=self.settings.local_roots, nas_mounts=self.settings.nas_mounts)
        except StoragePathError as exc:
            raise InvalidInput(f"{field}: {exc}", field=field) from None

    def embedding_source(self, session: Session, model: str) -> str:
        """The shipped model by name, a sentence-transformers folder, or a registered model's folder."""
        if model in SHIPPED_EMBEDDERS:
            return DEFAULT_EMBEDDING_MODEL
        if "://" not in model and os.path.isabs(model):
            folder = self.resolve(model, "embedding.model")
            if not os.path.isdir(folder) or not any(os.path.exists(os.path.join(folder, f)) for f in ("modules.json", "config.json")):
                raise InvalidInput("embedding.model: not a sentence-transformers folder (no modules.json or config.json)",
                                   field="embedding.model")
            return folder
        registered = self.platform.service("models").lookup(session, model)
        if registered is None:
            raise InvalidInput(f"embedding.model: {model!r} is neither {DEFAULT_EMBEDDING_MODEL}, a folder, nor a registered model",
                               field="embedding.model")
        folder = self.platform.service("models").serving_spec(registered.id).get("model_dir") or ""
        if not os.path.isdir(folder):
            raise InvalidInput(f"embedding.model: model {model!r} has no local folder to load", field="embedding.model")
        return folder

    @staticmethod
    def check_postgres(url: str) -> None:
        """Refuse a store that cannot be reached, naming the host but never the password."""
        try:
            import psycopg
        except ImportError:
            raise InvalidInput("vector_store: a pgvector store needs psycopg (pip install 'jupyter-easymaker[rag]')",
                               field="vector_store.type") from None
        parts = urlsplit(url)
        where = f"{parts.hostname or 'localhost'}{':' + str(parts.port) if parts.port else ''}{parts.path}"
        try:
            with psycopg.connect(url, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - every connection failure is the user's URL
            message = str(exc).replace(parts.password or "\0", "***") if parts.password else str(exc)
            raise InvalidInput(f"vector_store.url: cannot connect to PostgreSQL at {where}: {message.strip()[:300]}",
                               field="vector_store.url") from None

    def new_ingestion(self, session: Session, row: Rag, *, trigger: str, user: str) -> RagIngestion:
        ingestion_id = new_id()
        count = session.scalar(select(func.count()).select_from(RagIngestion).where(RagIngestion.rag_id == row.id)) or 0
        folder = os.path.join(self.rag_dir(row.id), "ingestions", ingestion_id)
        spec = {"instance_type": row.spec["embedding"]["instance_type"], "instance_count": 1,
                "log_enabled": row.spec.get("log_enabled", True)}
        if row.spec.get("max_ingestion_seconds"):
            spec["max_run_seconds"] = row.spec["max_ingestion_seconds"]
        ingestion = RagIngestion(
            id=ingestion_id, name=f"rag-{row.id[:8]}-{count + 1}", description=f"{trigger} of RAG {row.name}", rag_id=row.id,
            trigger=trigger, requested_by=user[:128], spec=spec, backend=row.backend, progress={}, result={},
            paths={"work_dir": os.path.join(folder, "job"), "output_dir": os.path.join(folder, "output")},
        )
        self.ingestions.initial(session, ingestion)
        session.add(ingestion)
        return ingestion

    # -- what the ingestion job and the query server get -----------------------------------
    def store_config(self, row: Rag) -> dict[str, Any]:
        return {"type": row.spec["vector_store"]["type"], "namespace": row.id}

    def secret_env(self, row: Rag) -> dict[str, str]:
        secrets = self._secrets(row)
        env = {}
        if secrets.get("store_url"):
            env["EM_RAG_STORE_URL"] = secrets["store_url"]
        if secrets.get("llm_api_key"):
            env["EM_RAG_LLM_API_KEY"] = secrets["llm_api_key"]
        return env

    def job_settings(self, rag_id: str) -> dict[str, Any]:
        with self.db.session() as session:
            row = session.get(Rag, rag_id)
            if row is None:
                raise NotFound(f"rag {rag_id!r} does not exist")
            secret_env = self.secret_env(row)
            secret_env.pop("EM_RAG_LLM_API_KEY", None)  # ingestion never calls the LLM
            return {"data_path": row.paths["data_path"], "secret_env": secret_env, "config": {
                "rag_id": row.id, "store": self.store_config(row), "store_root": os.path.join(row.paths["rag_dir"], "store"),
                "chunking": row.spec["chunking"], "embedding": {"model": row.spec["embedding"]["path"]}}}

    def llm_base_urls(self, row: Rag, llm_addresses: tuple[str, ...] = ()) -> list[str]:
        """Where the query server asks the LLM: the endpoint's default stage through the
        gateway, the external API, or the pods of the LLM the RAG serves itself."""
        llm = row.spec["llm"]
        if llm["type"] == "endpoint":
            return [self.gateway_url() + llm["path"] + "/v1"]
        if llm["type"] == "external":
            return [llm["base_url"]]
        return [address.rstrip("/") + "/v1" for address in llm_addresses]

    def server_config(self, row: Rag, llm_addresses: tuple[str, ...] = ()) -> dict[str, Any]:
        llm = row.spec["llm"]
        return {"name": row.name, "rag_id": row.id, "store": self.store_config(row),
                "store_root": os.path.join(row.paths["rag_dir"], "store"), "embedding": {"model": row.spec["embedding"]["path"]},
                "retrieval": row.spec["retrieval"], "prompt_template": row.spec["prompt_template"],
                "llm": {"base_urls": self.llm_base_urls(row, llm_addresses), "model": llm["model"],
                        "max_tokens": llm["max_tokens"], "temperature": llm["temperature"]}}

    def write_server_config(self, rag_id: str, llm_addresses: tuple[str, ...] | None = None) -> str:
        """The query server's settings file; ``llm_addresses``: the pods of the RAG's own LLM
        (None: as the file has them)."""
        path = self.server_config_path(rag_id)
        if llm_addresses is None:
            llm_addresses = self.written_llm_addresses(path)
        with self.db.session() as session:
            row = session.get(Rag, rag_id)
            config = self.server_config(row, llm_addresses)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(config, fh)
        os.replace(tmp, path)  # the server re-reads it on its next question
        return path

    @staticmethod
    def written_llm_addresses(path: str) -> tuple[str, ...]:
        """The LLM pods the settings file names (an LLM the RAG serves itself)."""
        try:
            with open(path, encoding="utf-8") as fh:
                urls = json.load(fh).get("llm", {}).get("base_urls") or []
        except (OSError, ValueError):
            return ()
        return tuple(url.removesuffix("/v1") for url in urls)

    def llm_server_spec(self, rag_id: str) -> Any:
        """The model server of an LLM the RAG serves itself: instance_count pods of the LLM's instance type."""
        from jupyter_easymaker.backend.serving.base import ServerSpec

        with self.db.session() as session:
            row = session.get(Rag, rag_id)
            llm = row.spec["llm"]
        model = self.platform.service("models").serving_spec(llm["model_id"])
        it = self.settings.instance_types.get(llm.get("instance_type") or "") or \
            self.settings.instance_types[self.settings.default_instance_type]
        return ServerSpec(
            server_id=f"{row.id}-llm", name=f"rag-{row.name}-llm", endpoint_id=row.id, stage_id=row.id, model_id=model["model_id"],
            model_name=model["model_name"], model_dir=model["model_dir"], framework=model["framework"], task=model["task"],
            parameters=dict(model["parameters"]), instance_type=it, cpu=float(it.cpu), memory_mib=int(it.memory_mib),
            gpu=int(it.gpu), pods=int(llm.get("instance_count") or 1),
            work_dir=os.path.join(row.paths["rag_dir"], "llm", "pods"), env=dict(model["env"]),
            secret_env=dict(model["secret_env"]), labels={"easymaker/rag-id": row.id},
            storage_options=dict(self.settings.obs_storage_options),
        )

    def server_spec(self, rag_id: str) -> Any:
        """What the serving backend runs: the query server, instance_count pods of the RAG's instance type."""
        from jupyter_easymaker.backend.serving.base import ServerSpec

        config_path = self.write_server_config(rag_id)
        with self.db.session() as session:
            row = session.get(Rag, rag_id)
            it = self.settings.instance_types.get(row.spec["instance_type"]) or \
                self.settings.instance_types[self.settings.default_instance_type]
            return ServerSpec(
                server_id=row.id, name=f"rag-{row.name}", endpoint_id=row.id, stage_id=row.id, model_id="", model_name=row.name,
                model_dir="", framework="rag", instance_type=it, cpu=float(it.cpu), memory_mib=int(it.memory_mib), gpu=int(it.gpu),
                pods=int(row.spec["instance_count"]), work_dir=os.path.join(row.paths["rag_dir"], "server", "pods"),
                secret_env=self.secret_env(row), labels={"easymaker/rag-id": row.id},
                storage_options=dict(self.settings.obs_storage_options), server_module=QUERY_SERVER_MODULE,
                server_args=["--config", config_path],
            )

    @staticmethod
    def count_for_model(session: Session, model_id: str) -> int:
        """RAGs that serve this model as their LLM (its deletion waits for theirs)."""
        return session.scalar(select(func.count()).select_from(Rag).where(Rag.llm_model_id == model_id)) or 0

    # -- list / get / update ---------------------------------------------------------------------
    def list(self, query: ListQuery, origin: str | None = None) -> tuple[list[RagOut], int]:
        with self.db.session() as session:
            rows, total = query.page(session, Rag, select(Rag))
            return [self.out(session, r, origin) for r in rows], total

    def get(self, ref: str, origin: str | None = None, *, with_history: bool = True) -> RagOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            return self.out(session, row, origin, history=self.history(session, row.id) if with_history else None)

    def update(self, ref: str, body: Any, origin: str | None = None) -> RagOut:
        data = parse(RagUpdate, body)
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status in (R.DELETE_IN_PROGRESS, R.DELETE_FAILED):
                raise Conflict(f"rag {row.name!r} is {row.status}: it cannot be changed", field="status")
            spec = dict(row.spec)
            if data.description is not None:
                row.description = data.description
            if data.prompt_template is not None:
                spec["prompt_template"] = data.prompt_template
            if data.retrieval is not None:
                spec["retrieval"] = data.retrieval.model_dump()
            if data.chunking is not None:
                spec["chunking"] = data.chunking.model_dump()
            if data.log_enabled is not None:
                spec["log_enabled"] = data.log_enabled
            row.spec = spec
            row.updated_at = utcnow()
            out = self.out(session, row, origin)
        self.write_server_config(row.id)
        self.refresh_route(row.id)
        self.publish(row, "updated")
        return out

    # -- sync and delete -------------------------------------------------------------------------
    def sync(self, ref: str, *, user: str = "") -> IngestionOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            running = session.scalar(select(RagIngestion.name).where(RagIngestion.rag_id == row.id,
                                                                    RagIngestion.status.in_(self.ingestions.statuses.active)))
            if running is not None:
                raise Conflict(f"rag {row.name!r} is already ingesting ({running}): wait for it or stop it", field="status")
            if row.status not in SYNCABLE:
                raise Conflict(f"rag {row.name!r} is {row.status}: a sync needs an ACTIVE RAG (or one whose last update failed)",
                               field="status")
            self.set_status(session, row, R.UPDATE_IN_PROGRESS, "ingestion sync requested")
            ingestion = self.new_ingestion(session, row, trigger="sync", user=user)
            session.flush()
            out = self.ingestions.out(ingestion)
        self.publish(row, "status")
        self.ingestions.publish(ingestion, "created")
        return out

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status not in self.machine.deletable:
                raise Conflict(f"rag {row.name!r} is {row.status}: a RAG being created or deleted cannot be deleted", field="status")
            self.set_status(session, row, R.DELETE_IN_PROGRESS, "deletion requested")
            for ingestion in session.scalars(select(RagIngestion).where(RagIngestion.rag_id == row.id,
                                                                        RagIngestion.status.in_(self.ingestions.statuses.active))):
                if self.ingestions.machine.can(ingestion.status, I.STOP_IN_PROGRESS):
                    self.ingestions.set_status(session, ingestion, I.STOP_IN_PROGRESS, "the RAG is being deleted")
        self.routes.remove(row.id)
        self.keys.forget(owner_id=row.id)
        self.publish(row, "status")

    # -- ingestions ---------------------------------------------------------------------------
    def list_ingestions(self, ref: str, query: ListQuery) -> tuple[list[IngestionOut], int]:
        with self.db.session() as session:
            row = self.find(session, ref)
            stmt = select(RagIngestion).where(RagIngestion.rag_id == row.id)
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = session.scalars(stmt.order_by(RagIngestion.created_at.desc(), RagIngestion.id.desc())
                                   .offset(query.offset).limit(query.limit)).all()
            return [self.ingestions.out(r) for r in rows], total

    def find_ingestion(self, session: Session, ref: str, ingestion_ref: str) -> tuple[Rag, RagIngestion]:
        row = self.find(session, ref)
        ingestion = session.get(RagIngestion, ingestion_ref) or session.scalar(
            select(RagIngestion).where(RagIngestion.name == ingestion_ref))
        if ingestion is None or ingestion.rag_id != row.id:
            raise NotFound(f"ingestion {ingestion_ref!r} of rag {row.name!r} does not exist", field="ingestion")
        return row, ingestion

    def get_ingestion(self, ref: str, ingestion_ref: str) -> IngestionOut:
        with self.db.session() as session:
            return self.ingestions.out(self.find_ingestion(session, ref, ingestion_ref)[1])

    def ingestion_files(self, ref: str, ingestion_ref: str, *, outcome: str | None, offset: int, limit: int) -> dict[str, Any]:
        if outcome is not None and outcome not in ("added", "changed", "deleted", "failed"):
            raise InvalidInput("outcome must be one of added, changed, deleted, failed", field="outcome")
        with self.db.session() as session:
            _, ingestion = self.find_ingestion(session, ref, ingestion_ref)
            stmt = select(RagIngestionFile).where(RagIngestionFile.ingestion_id == ingestion.id)
            if outcome:
                stmt = stmt.where(RagIngestionFile.outcome == outcome)
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = session.scalars(stmt.order_by(FAILED_FIRST, RagIngestionFile.path).offset(offset).limit(limit)).all()
            items = [IngestionFileOut(path=r.path, outcome=r.outcome, reason_code=r.reason_code, reason=r.reason,
                                      size_bytes=r.size_bytes, chunks=r.chunks) for r in rows]
        return {"items": items, "total": total, "offset": offset, "limit": limit,
                "unchanged": int((ingestion.result or {}).get("files_unchanged") or 0)}

    def stop_ingestion(self, ref: str, ingestion_ref: str) -> IngestionOut:
        with self.db.session() as session:
            _, ingestion = self.find_ingestion(session, ref, ingestion_ref)
            if ingestion.status != I.STOP_IN_PROGRESS:
                if not self.ingestions.machine.can(ingestion.status, I.STOP_IN_PROGRESS):
                    raise Conflict(f"ingestion {ingestion.name!r} is {ingestion.status}: only one that has not ended can be stopped",
                                   field="status")
                self.ingestions.set_status(session, ingestion, I.STOP_IN_PROGRESS, "stop requested by user")
            out = self.ingestions.out(ingestion)
        self.ingestions.publish(ingestion, "status")
        return out

    def ingestion_ids(self, ref: str, ingestion_ref: str) -> tuple[str, str, str]:
        with self.db.session() as session:
            _, ingestion = self.find_ingestion(session, ref, ingestion_ref)
            return ingestion.id, ingestion.name, ingestion.status

    # -- retrieval (the REST route): the RAG's query server answers ----------------------------------
    def retrieve(self, ref: str, body: Any) -> RetrieveOut:
        data = parse(RetrieveBody, body)
        with self.db.session() as session:
            row = self.find(session, ref)
        payload = {"query": data.query, **data.model_dump(exclude={"query"}, exclude_none=True)}
        return RetrieveOut(**self.call_server(row, "/v1/retrieve", payload, timeout=RETRIEVE_TIMEOUT_SECONDS))

    def ask(self, ref: str, body: Any) -> dict[str, Any]:
        """A question from a signed-in user (the client, the magics, the panel): the
        RAG's answer with its sources, counted with the API's statistics."""
        data = parse(AskBody, body)
        with self.db.session() as session:
            row = self.find(session, ref)
        messages = data.messages or [{"role": "user", "content": data.question}]
        payload = {"model": row.name, "messages": messages, **data.model_dump(exclude={"question", "messages"}, exclude_none=True)}
        started = time.perf_counter()
        status = 200
        try:
            return self.call_server(row, "/rag/v1/query", payload, timeout=self.serving.gateway_timeout_seconds)
        except DomainError as exc:
            status = exc.http_status
            raise
        finally:
            route = self.routes.current(row.id)
            if route is not None:
                self.routes.record(route, request_id=new_id(), status=status, stream=False,
                                   latency_ms=(time.perf_counter() - started) * 1000.0)

    def call_server(self, row: Rag, path: str, payload: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        addresses = self.routes.addresses(row.id)
        if not addresses:
            raise Conflict(f"rag {row.name!r} has no query server ready ({row.status}, gateway {row.gateway_status})",
                           field="status")
        request = urllib.request.Request(addresses[0].rstrip("/") + path, data=json.dumps(payload).encode(),
                                         headers={"content-type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read()).get("error", {})
                message, param = detail.get("message", ""), detail.get("param")
            except (ValueError, AttributeError):
                message, param = "", None
            error = InvalidInput if exc.code in (400, 404, 422) else Conflict
            raise error(f"the query server of rag {row.name!r} answered {exc.code}: {message}", field=param or "query") from None
        except (urllib.error.URLError, OSError) as exc:
            raise Conflict(f"the query server of rag {row.name!r} is not reachable: {exc}", field="status") from None

    # -- API keys, statistics, monitoring ------------------------------------------------------
    def create_key(self, ref: str, body: Any) -> ApiKeyOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status in (R.DELETE_IN_PROGRESS, R.DELETE_FAILED):
                raise Conflict(f"rag {row.name!r} is being deleted", field="status")
            return self.keys.create_in(session, row.id, body)

    def list_keys(self, ref: str) -> list[ApiKeyOut]:
        with self.db.session() as session:
            return self.keys.list_in(session, self.find(session, ref).id)

    def revoke_key(self, ref: str, key_ref: str) -> ApiKeyOut:
        with self.db.session() as session:
            return self.keys.revoke_in(session, self.find(session, ref).id, key_ref)

    def statistics(self, ref: str, *, since=None, until=None, interval: int | None = None) -> RagStatsOut:
        with self.db.session() as session:
            row = self.find(session, ref)
        since, until, interval = self.stats.window(since, until, interval)
        self.routes.flush()  # what was answered so far counts
        totals, points = self.stats.series(row.id, since, until, interval)
        return RagStatsOut(rag_id=row.id, since=since, until=until, interval=interval, totals=totals, points=points)

    def monitoring(self, ref: str) -> dict[str, Any]:
        with self.db.session() as session:
            row = self.find(session, ref)
            handle, backend = row.server_handle, self.serving_backends.get(row.backend)
        pods: list[dict[str, Any]] = []
        if handle and backend is not None:
            try:
                state = backend.status(handle)
                pods = [{"name": p.name, "ready": p.ready, "address": p.address, "restarts": p.restarts, "reason": p.reason}
                        for p in state.pods]
            except Exception as exc:  # noqa: BLE001 - monitoring shows what it can
                pods = [{"name": "?", "ready": False, "address": "", "restarts": 0, "reason": str(exc)}]
        return {"rag_id": row.id, "gateway_status": row.gateway_status, "pods": pods, "usage": self.platform.logs.samples(row.id)}

    def server_logs(self, ref: str, tail: int = 200) -> str:
        with self.db.session() as session:
            row = self.find(session, ref)
            handle, backend = row.server_handle, self.serving_backends.get(row.backend)
        return backend.read_logs(handle, tail) if handle and backend is not None else ""

    # -- the gateway's table ----------------------------------------------------------------------
    def refresh_route(self, rag_id: str, addresses: tuple[str, ...] | None = None) -> None:
        from jupyter_easymaker.areas.rag.query_routes import RagRoute

        with self.db.session() as session:
            row = session.get(Rag, rag_id)
            if row is None or row.status == R.DELETE_IN_PROGRESS:
                self.routes.remove(rag_id)
                return
            route = RagRoute(row.id, row.name, self.routes.addresses(row.id) if addresses is None else addresses, row.status,
                             bool(row.spec.get("log_enabled", True)))
        self.routes.set(route)

    # -- clean-up (the reconciler, once the servers and jobs are gone) ----------------------------
    def purge(self, rag_id: str) -> None:
        from jupyter_easymaker.core.tables import LogRecord, ResourceSample, StatusEvent

        with self.db.session() as session:
            row = session.get(Rag, rag_id)
            if row is None:
                return
            key_ids = [k.id for k in session.scalars(select(RagApiKey).where(RagApiKey.rag_id == rag_id))]
            self.ingestions.remove_all(session, rag_id)
            self.stats.delete_in(session, owner_id=rag_id)
            for table in (StatusEvent, LogRecord, ResourceSample):
                session.execute(table.__table__.delete().where(table.resource_id == rag_id))
            session.execute(RagApiKey.__table__.delete().where(RagApiKey.rag_id == rag_id))
            spec = row.spec
            session.delete(row)
        for key_id in key_ids:
            self.keys.forget(key_id=key_id)
        llm = spec.get("llm") or {}
        if llm.get("key_id"):  # the key this RAG was given on its LLM's endpoint
            try:
                self.platform.service("endpoints").revoke_key(llm["endpoint_id"], llm["key_id"])
            except NotFound:
                pass  # the endpoint went first
        shutil.rmtree(self.rag_dir(rag_id), ignore_errors=True)
        self.events.publish(self.kind, rag_id, change="deleted")
