"""Model files: create, edit, clone, hide, delete, import and export in Open
WebUI's shape, and the Chat Completions request a model file makes.

A model file answers through an LLM studio model: ``base_model_id`` names one,
or is null when the model file overrides the LLM studio model named like its id
(Open WebUI's "override of a base model"). Created or edited through the API,
a base that is not an LLM studio model is refused (422 naming the field).
Imported, the record is kept whatever its base (an export from another Open
WebUI names that server's models, e.g. ``deepseek.deepseek-chat``): it is
stored losslessly and answered ``available: false`` with the reason, and it
chats once its base exists here (register it, or edit ``base_model_id``).
Knowledge links must name RAGs of this server, in both cases."""
from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.modelfiles import chat
from jupyter_easymaker.areas.modelfiles.openwebui import (
    RecordError,
    check_knowledge,
    clone_id,
    clone_record,
    export_filename,
    export_text,
    import_elements,
    normalise,
    ordered,
    unwrap,
)
from jupyter_easymaker.areas.modelfiles.schemas import (
    HideBody,
    ImportOut,
    ModelFileCreate,
    ModelFileUpdate,
)
from jupyter_easymaker.areas.modelfiles.tables import ModelFile
from jupyter_easymaker.core.errors import Conflict, DomainError, InvalidInput, NotFound
from jupyter_easymaker.core.queries import int_arg
from jupyter_easymaker.core.validation import parse

RUNNING = "RUNNING"  # the LLM studio status of a loaded model
SORTABLE = ("id", "name", "created_at", "updated_at")
MAX_EXPORT_IDS = 1000


def _invalid(exc: RecordError) -> InvalidInput:
    return InvalidInput(f"{exc.field}: {exc.reason}", field=exc.field)


def _merge(old: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """One level of JSON merge patch: keys given replace, a null removes."""
    out = dict(old)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


class ModelFileService:
    kind = "model file"

    def __init__(self, platform: Any):
        self.platform = platform
        self.db = platform.db
        self.settings = platform.settings
        self.events = platform.events

    @property
    def llm(self) -> Any:
        return self.platform.service("llm")

    @property
    def rag(self) -> Any:
        return self.platform.service("rag")

    # -- the LLM studio ---------------------------------------------------------------------
    def llm_names(self, session: Session) -> set[str]:
        names = self.llm.names(session)
        return set(names.values() if isinstance(names, dict) else names)

    def llm_row(self, session: Session, name: str) -> Any:
        try:
            return self.llm.lookup(session, name)
        except DomainError:
            return None

    def is_loaded(self, session: Session, name: str, cache: dict[str, bool] | None = None) -> bool:
        if cache is not None and name in cache:
            return cache[name]
        row = self.llm_row(session, name)
        loaded = row is not None and getattr(row, "status", None) == RUNNING
        if cache is not None:
            cache[name] = loaded
        return loaded

    @staticmethod
    def base_of(record: dict[str, Any]) -> str:
        """The LLM studio model that answers for the model file."""
        return record.get("base_model_id") or record["id"]

    @staticmethod
    def unavailable(record: dict[str, Any], names: set[str]) -> tuple[str, str] | None:
        """``(field, reason)`` when the model file cannot chat here, else None."""
        model_id, base = record["id"], record.get("base_model_id")
        if base is None:
            if model_id not in names:
                return "base_model_id", (f"base_model_id is null, so {model_id!r} overrides the LLM studio model named like it, "
                                         f"and there is none: give base_model_id (an LLM studio model name)")
            return None
        if base not in names:
            return "base_model_id", (f"base model {base!r} is not an LLM studio model: register it in LLM studio "
                                     f"(POST llm/models) or change base_model_id")
        if model_id in names:
            return "id", (f"{model_id!r} is also the name of an LLM studio model: a model file with that id overrides it and "
                          f"has base_model_id null")
        return None

    def check_base(self, session: Session, record: dict[str, Any]) -> None:
        problem = self.unavailable(record, self.llm_names(session))
        if problem is not None:
            raise InvalidInput(f"{problem[0]}: {problem[1]}", field=problem[0])

    # -- the RAGs -----------------------------------------------------------------------------
    def linked_rags(self, session: Session, meta: dict[str, Any], field: str = "meta.knowledge") -> list[str]:
        """The names of the RAGs the knowledge links name (by id, then name); an unknown one
        is a RecordError naming its entry."""
        names = []
        for index, refs in check_knowledge(meta.get("knowledge"), field):
            for ref in refs:
                try:
                    names.append(self.rag.find(session, ref).name)
                    break
                except NotFound:
                    continue
            else:
                raise RecordError(f"{field}[{index}]", f"no RAG {refs[0]!r} on this server (knowledge must link RAGs)")
        return names

    # -- rows -----------------------------------------------------------------------------
    @staticmethod
    def write(row: ModelFile, record: dict[str, Any]) -> None:
        record = ordered(record)
        row.record = record
        row.name = record["name"]
        row.base_model_id = record.get("base_model_id")
        row.user_id = record.get("user_id") or ""
        row.hidden = bool((record.get("meta") or {}).get("hidden"))
        row.is_active = bool(record.get("is_active", True))
        row.created_at = int(record["created_at"])
        row.updated_at = int(record["updated_at"])

    def find(self, session: Session, model_id: str) -> ModelFile:
        row = session.get(ModelFile, model_id)
        if row is None:
            raise NotFound(f"model file {model_id!r} does not exist", field="id")
        return row

    def out(self, session: Session, row: ModelFile, names: set[str], loaded: dict[str, bool]) -> dict[str, Any]:
        record = dict(row.record)
        problem = self.unavailable(record, names)
        record["available"] = problem is None
        record["unavailable_reason"] = problem[1] if problem else None
        record["loaded"] = problem is None and self.is_loaded(session, self.base_of(record), loaded)
        return record

    def publish(self, model_id: str, change: str, name: str = "") -> None:
        self.events.publish(self.kind, model_id, change=change, name=name)

    # -- list and get -------------------------------------------------------------------------
    def list(self, args: dict[str, str]) -> dict[str, Any]:
        offset, limit = int_arg(args, "offset", 0, 10**9), int_arg(args, "limit", 50, 1000, low=1)
        sort = args.get("sort") or "-created_at"
        if sort.lstrip("-") not in SORTABLE:
            raise InvalidInput(f"sort must be one of {', '.join(SORTABLE)} (prefix '-' for descending)", field="sort")
        include_hidden = (args.get("include_hidden") or "false").lower()
        if include_hidden not in ("true", "false", "1", "0"):
            raise InvalidInput("include_hidden must be true or false", field="include_hidden")
        stmt = select(ModelFile)
        if include_hidden in ("false", "0"):
            stmt = stmt.where(ModelFile.hidden.is_(False))
        text = args.get("q") or args.get("name")
        if text:
            pattern = f"%{text}%"
            stmt = stmt.where(or_(ModelFile.id.like(pattern), ModelFile.name.like(pattern)))
        if args.get("base_model_id"):
            stmt = stmt.where(ModelFile.base_model_id == args["base_model_id"])
        column = getattr(ModelFile, sort.lstrip("-"))
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = session.scalars(stmt.order_by(column.desc() if sort.startswith("-") else column.asc(), ModelFile.id)
                                   .offset(offset).limit(limit)).all()
            names, loaded = self.llm_names(session), {}
            items = [self.out(session, r, names, loaded) for r in rows]
        return {"items": items, "total": total, "offset": offset, "limit": limit}

    def get(self, model_id: str) -> dict[str, Any]:
        with self.db.session() as session:
            return self.out(session, self.find(session, model_id), self.llm_names(session), {})

    # -- create, edit, hide, clone, delete ----------------------------------------------------
    def create(self, body: Any, *, user: str = "") -> dict[str, Any]:
        data = parse(ModelFileCreate, body)
        form = data.model_dump(exclude={"commit_message"}, exclude_none=True)
        form["base_model_id"] = data.base_model_id
        for key in ("access_control", "access_grants"):
            if key in (body or {}):
                form[key] = body[key]
        now = int(time.time())
        try:
            record = normalise({**form, "user_id": user, "created_at": now, "updated_at": now}, now=now, user_id=user)
        except RecordError as exc:
            raise _invalid(exc) from None
        with self.db.session() as session:
            if session.get(ModelFile, record["id"]) is not None:
                raise Conflict(f"a model file with id {record['id']!r} already exists", field="id")
            self.check_base(session, record)
            try:
                self.linked_rags(session, record["meta"])
            except RecordError as exc:
                raise _invalid(exc) from None
            row = ModelFile(id=record["id"])
            self.write(row, record)
            session.add(row)
            session.flush()
            out = self.out(session, row, self.llm_names(session), {})
        self.publish(row.id, "created", row.name)
        return out

    def update(self, model_id: str, body: Any) -> dict[str, Any]:
        data = parse(ModelFileUpdate, body)
        given = data.model_fields_set - {"commit_message"}
        if data.id is not None and data.id != model_id:
            raise InvalidInput(f"id: a model file's id does not change (this is {model_id!r}); clone it for a new id", field="id")
        with self.db.session() as session:
            row = self.find(session, model_id)
            merged = dict(row.record)
            for key in given - {"id"}:
                value = getattr(data, key)
                if key in ("params", "meta"):
                    if value is not None:
                        merged[key] = _merge(merged.get(key) or {}, value)
                elif key in ("name", "is_active"):
                    if value is not None:
                        merged[key] = value
                else:  # base_model_id (null: an override), access_control, access_grants
                    merged[key] = value
            merged["updated_at"] = max(int(time.time()), int(merged.get("created_at") or 0))
            try:
                record = normalise(merged, now=int(time.time()), user_id=row.user_id)
                if "knowledge" in (data.meta or {}):
                    self.linked_rags(session, record["meta"])
            except RecordError as exc:
                raise _invalid(exc) from None
            if "base_model_id" in given:
                self.check_base(session, record)
            self.write(row, record)
            out = self.out(session, row, self.llm_names(session), {})
        self.publish(model_id, "updated", row.name)
        return out

    def hide(self, model_id: str, body: Any) -> dict[str, Any]:
        data = parse(HideBody, body if body else {})
        with self.db.session() as session:
            row = self.find(session, model_id)
            record = dict(row.record)
            record["meta"] = {**(record.get("meta") or {}), "hidden": data.hidden}
            record["updated_at"] = max(int(time.time()), int(record.get("created_at") or 0))
            self.write(row, record)
            out = self.out(session, row, self.llm_names(session), {})
        self.publish(model_id, "updated", row.name)
        return out

    def clone(self, model_id: str, *, user: str = "") -> dict[str, Any]:
        """``id + "-clone"`` (``-clone-2`` ... when taken), ``name + " (Clone)"``. A base model
        override (base_model_id null) is the base model itself: Open WebUI cannot clone it."""
        with self.db.session() as session:
            row = self.find(session, model_id)
            if row.base_model_id is None:
                raise Conflict(f"model file {model_id!r} overrides the base model {model_id!r} (base_model_id is null): a base "
                               f"model cannot be cloned; create a model file with base_model_id {model_id!r} instead",
                               field="base_model_id")
            new_id = clone_id(row.id, lambda candidate: session.get(ModelFile, candidate) is not None)
            now = int(time.time())
            record = clone_record(row.record, new_id, now=now, user_id=user or row.user_id)
            copy = ModelFile(id=new_id)
            self.write(copy, record)
            session.add(copy)
            session.flush()
            out = self.out(session, copy, self.llm_names(session), {})
        self.publish(new_id, "created", copy.name)
        return out

    def delete(self, model_id: str) -> None:
        with self.db.session() as session:
            row = self.find(session, model_id)
            name = row.name
            session.delete(row)
        self.publish(model_id, "deleted", name)

    # -- export and import ----------------------------------------------------------------------
    def export(self, ids: list[str] | None) -> tuple[str, str]:
        """``(file name, text)``: a JSON array of records in Open WebUI's shape."""
        if ids is not None and len(ids) > MAX_EXPORT_IDS:
            raise InvalidInput(f"ids: at most {MAX_EXPORT_IDS} ids", field="ids")
        with self.db.session() as session:
            if ids:
                rows = [session.get(ModelFile, i) for i in ids]
                missing = [i for i, r in zip(ids, rows) if r is None]
                if missing:
                    raise NotFound(f"ids: no model file {', '.join(repr(m) for m in missing[:5])}", field="ids")
            else:
                rows = list(session.scalars(select(ModelFile).order_by(ModelFile.created_at, ModelFile.id)))
            records = [ordered(r.record) for r in rows]
        return export_filename(ids, int(time.time() * 1000)), export_text(records)

    def import_models(self, body: Any, *, user: str = "") -> ImportOut:
        """Each element (the DB record, a model-list entry, or ``{..., info: record}``) is
        created or replaces the model file with its id; a bad one is reported with its
        index, id and field and never stops the others. Records keep their times."""
        try:
            elements = import_elements(body)
        except RecordError as exc:
            raise _invalid(exc) from None
        now = int(time.time())
        created = updated = 0
        errors: list[dict[str, Any]] = []
        done: list[dict[str, Any]] = []
        with self.db.session() as session:
            names = self.llm_names(session)
            for index, element in enumerate(elements):
                raw = unwrap(element)
                source = raw if isinstance(raw, dict) else element
                raw_id = source.get("id") if isinstance(source, dict) and isinstance(source.get("id"), str) else None
                try:
                    if isinstance(element, dict) and "info" in element and not isinstance(element["info"], (dict, type(None))):
                        raise RecordError("info", "must be the model record (an object)")
                    record = normalise(raw, now=now, user_id=user)
                    self.linked_rags(session, record["meta"])
                except RecordError as exc:
                    errors.append({"index": index, "id": raw_id, "field": exc.field, "reason": exc.reason})
                    continue
                row = session.get(ModelFile, record["id"])
                action = "updated" if row is not None else "created"
                if row is None:
                    row = ModelFile(id=record["id"])
                    session.add(row)
                self.write(row, record)
                session.flush()
                created, updated = created + (action == "created"), updated + (action == "updated")
                problem = self.unavailable(record, names)
                done.append({"index": index, "id": record["id"], "action": action, "available": problem is None,
                             "unavailable_reason": problem[1] if problem else None})
        for item in done:
            self.publish(item["id"], item["action"])
        return ImportOut(imported=created, updated=updated, errors=errors, models=done)

    # -- what other areas ask ---------------------------------------------------------------------
    def count_for_base_model(self, session: Session, llm_model_id: str) -> int:
        """Model files answering through this LLM studio model (its base, or its override)."""
        row = self.llm_row(session, llm_model_id)
        if row is None:
            return 0
        name = row.name
        stmt = select(func.count()).select_from(ModelFile).where(or_(
            ModelFile.base_model_id == name, (ModelFile.base_model_id.is_(None)) & (ModelFile.id == name)))
        return session.scalar(stmt) or 0

    # -- the OpenAI-compatible API --------------------------------------------------------------
    def openai_models(self) -> dict[str, Any]:
        """Loaded LLM studio models and the visible, active model files (OpenAI's list)."""
        with self.db.session() as session:
            names = self.llm_names(session)
            loaded: dict[str, bool] = {}
            rows = list(session.scalars(select(ModelFile).where(ModelFile.hidden.is_(False), ModelFile.is_active.is_(True))
                                        .order_by(ModelFile.created_at, ModelFile.id)))
            files = {r.id for r in rows}
            data = []
            for name in sorted(names):
                if name in files or not self.is_loaded(session, name, loaded):
                    continue
                llm = self.llm_row(session, name)
                created = getattr(llm, "created_at", None)
                data.append({"id": name, "object": "model", "created": int(created.timestamp()) if created else 0,
                             "owned_by": "easymaker", "name": name, "base_model_id": None, "loaded": True})
            for row in rows:
                problem = self.unavailable(row.record, names)
                data.append({"id": row.id, "object": "model", "created": row.created_at, "owned_by": "easymaker",
                             "name": row.name, "base_model_id": row.base_model_id,
                             "description": (row.record.get("meta") or {}).get("description"),
                             "loaded": problem is None and self.is_loaded(session, self.base_of(row.record), loaded)})
        return {"object": "list", "data": data}

    def chat_request(self, body: dict[str, Any], *, user: str = "") -> dict[str, Any]:
        """Where a Chat Completions request goes and what is sent: ``{url, body, served,
        shown}``. A model file id gets its prompt, parameters and knowledge; an LLM
        studio model name passes through. NotFound / Conflict name what is wrong."""
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise InvalidInput("model: required (a model file id or an LLM studio model name)", field="model")
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            raise InvalidInput("messages: required (a non-empty list)", field="messages")
        with self.db.session() as session:
            row = session.get(ModelFile, model)
            names = self.llm_names(session)
            record, rags = None, []
            if row is None:
                if model not in names:
                    raise NotFound(f"model {model!r} is neither a model file nor an LLM studio model", field="model")
                base = model
            else:
                record = row.record
                if not row.is_active:
                    raise Conflict(f"model file {model!r} is deactivated (is_active false)", field="model")
                problem = self.unavailable(record, names)
                if problem is not None:
                    raise Conflict(f"model file {model!r} cannot answer: {problem[1]}", field=problem[0])
                base = self.base_of(record)
                try:
                    rags = self.linked_rags(session, record.get("meta") or {})
                except RecordError as exc:
                    raise Conflict(f"model file {model!r}: {exc.field}: {exc.reason} (edit its knowledge)", field=exc.field) from None
        passages: list[tuple[str, dict[str, Any]]] = []
        query = chat.retrieval_query(body["messages"]) if rags else ""
        for rag in rags if query else []:
            try:
                found = self.rag.retrieve(rag, {"query": query})
            except DomainError as exc:
                raise Conflict(f"model file {model!r}: its knowledge RAG {rag!r} cannot be searched: {exc.message}",
                               field="meta.knowledge") from None
            sources = found.sources if hasattr(found, "sources") else found.get("sources", [])
            passages += [(rag, s.model_dump() if hasattr(s, "model_dump") else dict(s)) for s in sources]
        try:
            upstream = self.llm.chat_upstream(base)
        except Conflict as exc:
            what = f"model file {model!r}: its base model {base!r}" if record is not None else f"LLM studio model {base!r}"
            raise Conflict(f"{what} is not loaded: load it first (POST llm/models/{base}/load, or %easymaker llm load {base}) "
                           f"- {exc.message}", field="model") from None
        served = upstream["model"]
        if record is None:
            shaped = {**body, "model": served}
        else:
            params = record.get("params") or {}
            system = params.get("system")
            if isinstance(system, str) and system:
                system = chat.render_system(system, user=user, now=datetime.now(UTC))
            shaped = chat.shape(body, params, served=served, system=system, passages=passages)
        return {"url": upstream["base_url"].rstrip("/") + "/v1/chat/completions", "body": shaped, "served": served,
                "shown": model}
