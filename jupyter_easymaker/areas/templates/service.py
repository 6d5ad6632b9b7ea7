"""Training templates: every training field saved under a name."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.templates.schemas import (
    TemplateCreate,
    TemplateFromTraining,
    TemplateOut,
)
from jupyter_easymaker.areas.templates.statuses import TEMPLATE_MACHINE
from jupyter_easymaker.areas.templates.tables import TrainingTemplate
from jupyter_easymaker.core.errors import InvalidInput
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.core.tables import utcnow

IDENTITY = ("name", "description")


class TemplateService(ResourceService):
    table = TrainingTemplate
    machine = TEMPLATE_MACHINE
    kind = "training template"

    def out(self, row: TrainingTemplate) -> TemplateOut:
        return TemplateOut(
            id=row.id,
            name=row.name,
            description=row.description,
            status=row.status,
            status_reason=row.status_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
            spec=row.spec,
            hyperparameter_names=sorted((row.spec.get("hyperparameters") or {}).keys()),
        )

    def _store(self, session: Session, data: TemplateCreate) -> TrainingTemplate:
        self.check_name_free(session, data.name)
        row = TrainingTemplate(
            id=new_id(), name=data.name, description=data.description, spec=data.model_dump(exclude=set(IDENTITY), exclude_none=True)
        )
        self.initial(session, row)
        session.add(row)
        return row

    # -- what other areas ask ----------------------------------------------
    def lookup(self, session: Session, ref: str) -> TrainingTemplate | None:
        return session.get(TrainingTemplate, ref) or session.scalar(select(TrainingTemplate).where(TrainingTemplate.name == ref))

    def apply(self, session: Session, body: dict[str, Any]) -> dict[str, Any]:
        """A create body with the fields of the template it names under its own (the request wins)."""
        template_id = body.get("template_id")
        if not template_id:
            return body
        if not isinstance(template_id, str):
            raise InvalidInput("template_id: must be a string", field="template_id")
        template = self.lookup(session, template_id)
        if template is None:
            raise InvalidInput(f"template_id: training template {template_id!r} does not exist", field="template_id")
        merged = {k: v for k, v in template.spec.items()}
        merged.update(body)
        merged["template_id"] = template.id
        return merged

    def create(self, body: Any) -> TemplateOut:
        data = parse(TemplateCreate, body)
        with self.db.session() as session:
            row = self._store(session, data)
            out = self.out(row)
        self.publish(row, "created")
        return out

    def from_training(self, training_ref: str, body: Any) -> TemplateOut:
        """Save a training's fields (not its identity) as a new template."""
        names = parse(TemplateFromTraining, body)
        with self.db.session() as session:
            fields = self.platform.service("trainings").template_fields(session, training_ref)
            data = parse(TemplateCreate, {**fields, **names.model_dump()})
            row = self._store(session, data)
            out = self.out(row)
        self.publish(row, "created")
        return out

    def list(self, query: ListQuery) -> tuple[list[TemplateOut], int]:
        with self.db.session() as session:
            rows, total = query.page(session, TrainingTemplate, select(TrainingTemplate))
            return [self.out(r) for r in rows], total

    def get(self, ref: str) -> TemplateOut:
        with self.db.session() as session:
            return self.out(self.find(session, ref))

    def update(self, ref: str, body: Any) -> TemplateOut:
        """The guide lets every template field change; the merged result is validated whole."""
        if not isinstance(body, dict):
            body = {}
        with self.db.session() as session:
            row = self.find(session, ref)
            merged = {**row.spec, "name": row.name, "description": row.description, **body}
            data = parse(TemplateCreate, merged)
            if data.name != row.name:
                self.check_name_free(session, data.name, except_id=row.id)
            row.name, row.description = data.name, data.description
            row.spec = data.model_dump(exclude=set(IDENTITY), exclude_none=True)
            row.updated_at = utcnow()
            out = self.out(row)
        self.publish(row, "updated")
        return out

    def copy(self, ref: str) -> dict[str, Any]:
        with self.db.session() as session:
            row = self.find(session, ref)
            return {"name": self.free_copy_name(session, row.name), "description": row.description, **row.spec}

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            session.delete(row)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)
