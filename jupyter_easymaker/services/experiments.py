"""Experiments: groups of trainings (and later tunings and pipeline runs)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.domain.errors import Conflict
from jupyter_easymaker.domain.statuses import EXPERIMENT_MACHINE, ExperimentStatus
from jupyter_easymaker.schemas.experiments import ExperimentCreate, ExperimentOut
from jupyter_easymaker.services.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.store.tables import Experiment, Training


class ExperimentService(ResourceService):
    table = Experiment
    machine = EXPERIMENT_MACHINE
    kind = "experiment"

    # dependents that block deletion: (label, counting function); later kinds add theirs
    dependents: list[tuple[str, Any]] = []

    def tensorboard_dir(self, experiment_id: str) -> str:
        return self.settings.path("tensorboard", experiment_id)

    def out(self, session: Session, row: Experiment) -> ExperimentOut:
        count = session.scalar(select(func.count()).where(Training.experiment_id == row.id)) or 0
        return ExperimentOut(
            **{c: getattr(row, c) for c in ExperimentOut.model_fields if hasattr(row, c)},
            training_count=count,
            tensorboard_log_dir=self.tensorboard_dir(row.id),
        )

    def create(self, body: Any) -> ExperimentOut:
        data = parse(ExperimentCreate, body)
        with self.db.session() as session:
            row = self.create_in(session, data.name, data.description)
            out = self.out(session, row)
        self.publish(row, "created")
        return out

    def create_in(self, session: Session, name: str, description: str = "") -> Experiment:
        """Create inside a caller's unit of work (a training may create its experiment)."""
        self.check_name_free(session, name)
        row = Experiment(id=new_id(), name=name, description=description)
        self.initial(session, row)
        session.add(row)
        session.flush()
        return row

    def list(self, query: ListQuery) -> tuple[list[ExperimentOut], int]:
        with self.db.session() as session:
            rows, total = query.page(session, Experiment, select(Experiment))
            return [self.out(session, r) for r in rows], total

    def get(self, ref: str) -> ExperimentOut:
        with self.db.session() as session:
            return self.out(session, self.find(session, ref))

    def update(self, ref: str, body: Any) -> ExperimentOut:
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self.out(session, row)
        self.publish(row, "updated")
        return out

    def retry(self, ref: str) -> ExperimentOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            self.set_status(session, row, ExperimentStatus.CREATE_REQUESTED, "retry requested")
            out = self.out(session, row)
        self.publish(row, "status")
        return out

    def copy(self, ref: str) -> dict[str, Any]:
        with self.db.session() as session:
            row = self.find(session, ref)
            return {"name": self.free_copy_name(session, row.name), "description": row.description}

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status not in self.machine.deletable:
                raise Conflict(f"experiment {row.name!r} is {row.status} and cannot be deleted until it is created")
            names = session.scalars(select(Training.name).where(Training.experiment_id == row.id).limit(6)).all()
            if names:
                shown = ", ".join(repr(n) for n in names[:5]) + (", ..." if len(names) > 5 else "")
                raise Conflict(f"experiment {row.name!r} still has trainings ({shown}): delete them first")
            for label, count in self.dependents:
                n = count(session, row.id)
                if n:
                    raise Conflict(f"experiment {row.name!r} still has {n} {label}: delete them first")
            session.delete(row)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)
