"""Experiments: groups of trainings (and later tunings and pipeline runs)."""
from __future__ import annotations

import os
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.experiments.schemas import ExperimentCreate, ExperimentOut
from jupyter_easymaker.areas.experiments.statuses import (
    EXPERIMENT_MACHINE,
    EXPERIMENT_PENDING,
    ExperimentStatus,
)
from jupyter_easymaker.areas.experiments.tables import Experiment
from jupyter_easymaker.core.errors import Conflict, InvalidInput
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse


class ExperimentService(ResourceService):
    table = Experiment
    machine = EXPERIMENT_MACHINE
    kind = "experiment"

    # -- what other areas ask ----------------------------------------------
    def lookup(self, session: Session, ref: str, *, by_id: bool = True) -> Experiment | None:
        """By id (when ``by_id``) or name; None when there is none."""
        row = session.get(Experiment, ref) if by_id else None
        return row or session.scalar(select(Experiment).where(Experiment.name == ref))

    @staticmethod
    def names(session: Session, ids: set[str]) -> dict[str, str]:
        """id -> name of the experiments among ``ids``."""
        return dict(session.execute(select(Experiment.id, Experiment.name).where(Experiment.id.in_(ids))).all()) if ids else {}

    def resolve_member(self, session: Session, experiment_id: str | None, experiment_name: str | None) -> Experiment:
        """The experiment a new member (training, tuning, ...) names: by id, or by
        name and created when missing (the guide's "add")."""
        if experiment_id:
            experiment = self.lookup(session, experiment_id)
            if experiment is None:
                raise InvalidInput(f"experiment_id: experiment {experiment_id!r} does not exist", field="experiment_id")
        else:
            experiment = self.lookup(session, experiment_name, by_id=False)
            if experiment is None:
                try:
                    with session.begin_nested():  # another request may create it at the same moment
                        experiment = self.create_in(session, experiment_name)
                except (Conflict, IntegrityError):
                    experiment = self.lookup(session, experiment_name, by_id=False)
                    if experiment is None:
                        raise
                else:
                    self.publish(experiment, "created")
        if experiment.status == ExperimentStatus.CREATE_FAILED:
            raise InvalidInput(f"experiment_id: experiment {experiment.name!r} failed to be created; retry it first", field="experiment_id")
        return experiment

    def tensorboard_dir(self, experiment_id: str) -> str:
        return self.platform.job_specs.tensorboard_dir(experiment_id)

    def out(self, session: Session, row: Experiment) -> ExperimentOut:
        count = self.platform.service("trainings").count_in_experiment(session, row.id)
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

    def create_pending(self) -> None:
        """Give every experiment waiting to be created its storage (the controller's work)."""
        with self.db.session() as session:
            pending = session.scalars(select(Experiment).where(Experiment.status.in_(EXPERIMENT_PENDING))).all()
            for row in pending:
                if row.status == ExperimentStatus.CREATE_REQUESTED:
                    self.set_status(session, row, ExperimentStatus.CREATE_IN_PROGRESS)
                try:
                    os.makedirs(self.tensorboard_dir(row.id), exist_ok=True)
                except OSError as exc:
                    self.set_status(session, row, ExperimentStatus.CREATE_FAILED, f"could not create its storage: {exc}")
                else:
                    self.set_status(session, row, ExperimentStatus.ACTIVE)
        for row in pending:
            self.publish(row, "status")

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
            for label, found in self.platform.blockers(self.kind, session, row.id):
                if isinstance(found, list):
                    shown = ", ".join(repr(n) for n in found[:5]) + (", ..." if len(found) > 5 else "")
                    raise Conflict(f"experiment {row.name!r} still has {label} ({shown}): delete them first")
                raise Conflict(f"experiment {row.name!r} still has {found} {label}: delete them first")
            session.delete(row)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)
