"""Trainings: validate and store the spec, resolve its paths, answer queries.

Running the job is the controller's work; this service only records what is
wanted (a new training, a stop) and wakes the controller.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.trainings.schemas import (
    BuiltinAlgorithm,
    CustomAlgorithm,
    TrainingCreate,
    TrainingOut,
)
from jupyter_easymaker.areas.trainings.statuses import (
    TRAINING_ACTIVE,
    TRAINING_JOB,
    TRAINING_MACHINE,
    TrainingStatus,
)
from jupyter_easymaker.areas.trainings.tables import Training
from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.core.errors import Conflict, InvalidInput
from jupyter_easymaker.core.job_fields import IDENTITY_FIELDS
from jupyter_easymaker.core.job_service import JobService
from jupyter_easymaker.core.resources import ListQuery, elapsed_seconds, new_id, parse
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.tables import (
    LogRecord,
    MetricPoint,
    ResourceSample,
    StatusEvent,
)

T = TrainingStatus



class TrainingService(JobService):
    table = Training
    machine = TRAINING_MACHINE
    kind = "training"
    statuses = TRAINING_JOB
    log_category = "easymaker.training"

    @property
    def experiments(self) -> Any:
        return self.platform.service("experiments")

    def backend_names(self) -> list[str]:
        return self.platform.backend_names()

    # -- what other areas ask ----------------------------------------------
    @staticmethod
    def count_in_experiment(session: Session, experiment_id: str) -> int:
        return session.scalar(select(func.count()).where(Training.experiment_id == experiment_id)) or 0

    @staticmethod
    def names(session: Session, ids: set[str]) -> dict[str, str]:
        """id -> name of the trainings among ``ids``."""
        return dict(session.execute(select(Training.id, Training.name).where(Training.id.in_(ids))).all()) if ids else {}

    def model_source(self, session: Session, ref: str) -> dict[str, str]:
        """Where the model of a COMPLETE training is (a model is created from it)."""
        training = session.get(Training, ref) or session.scalar(select(Training).where(Training.name == ref))
        if training is None:
            raise InvalidInput(f"training_id: training {ref!r} does not exist", field="training_id")
        if training.status != T.COMPLETE:
            raise InvalidInput(f"training_id: training {training.name!r} is {training.status}; a model is created from a COMPLETE training",
                               field="training_id")
        return {"training_id": training.id, "model_dir": (training.paths or {}).get("model_dir", "")}

    def dashboard_counts(self) -> dict[str, int]:
        with self.db.session() as session:
            statuses = dict(session.execute(select(Training.status, func.count()).group_by(Training.status)).all())
        return {
            "complete_trainings": statuses.get(T.COMPLETE, 0),
            "running_trainings": sum(n for s, n in statuses.items() if s in TRAINING_ACTIVE),
            "failed_trainings": statuses.get(T.FAIL_TRAIN, 0) + statuses.get(T.CREATE_FAILED, 0),
        }

    @staticmethod
    def running_with_image(session: Session, image_id: str) -> list[str]:
        """Trainings being created or running with an image (a registry credentials change warns of them)."""
        rows = session.execute(select(Training.name, Training.spec).where(Training.status.in_(TRAINING_ACTIVE)))
        return [f"training {name}" for name, spec in rows if (spec or {}).get("image") == image_id][:6]

    @staticmethod
    def names_in_experiment(session: Session, experiment_id: str) -> list[str]:
        """Up to six names of the experiment's trainings (its deletion guard)."""
        return list(session.scalars(select(Training.name).where(Training.experiment_id == experiment_id).limit(6)))

    # -- answers ------------------------------------------------------------
    def out(self, row: Training, *, experiment_name: str | None = None, history: list | None = None) -> TrainingOut:
        return TrainingOut(
            id=row.id,
            name=row.name,
            description=row.description,
            status=row.status,
            status_reason=row.status_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
            experiment_id=row.experiment_id,
            experiment_name=experiment_name,
            template_id=row.template_id,
            spec=row.spec,
            backend=row.backend,
            exit_code=row.exit_code,
            started_at=row.started_at,
            finished_at=row.finished_at,
            elapsed_seconds=elapsed_seconds(row.started_at, row.finished_at),
            model_dir=(row.paths or {}).get("model_dir", ""),
            tensorboard_log_dir=(row.paths or {}).get("tensorboard_log_dir", ""),
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    # -- create -------------------------------------------------------------
    def create(self, body: Any) -> TrainingOut:
        if not isinstance(body, dict):
            raise InvalidInput("the request body must be a JSON object", field="body")
        with self.db.session() as session:
            body = self.platform.service("templates").apply(session, body)
            data = parse(TrainingCreate, body)
            experiment = self.experiments.resolve_member(session, data.experiment_id, data.experiment_name)
            self.check_name_free(session, data.name)
            training_id = new_id()
            backend = data.backend or self.settings.default_backend
            if backend not in self.backend_names():
                raise InvalidInput(f"backend: the {backend} backend is not configured on this server", field="backend")
            spec = data.model_dump(exclude={*IDENTITY_FIELDS, "backend"}, exclude_none=True)
            if data.image:  # a private image by its id (a rename keeps it), else the reference as given
                spec["image"] = self.platform.service("images").resolve(session, data.image, "training")
            spec["instance_type"] = self.job_specs.instance_type_name(data.instance_type)
            if isinstance(data.algorithm, BuiltinAlgorithm):
                spec["hyperparameters"] = self.job_specs.builtin_hyperparameters(data.algorithm.name, data.hyperparameters)
            paths = self.job_specs.resolve_paths(data, experiment.id, own=self.settings.path("trainings", training_id))
            if isinstance(data.algorithm, CustomAlgorithm) and data.algorithm.source_files is not None:
                self.job_specs.write_sources(paths["source_dir"], data.algorithm.source_files)
                # the stored spec points at the saved copy, so copies and templates reuse it
                spec["algorithm"] = {"type": "custom", "source_dir": paths["source_dir"], "entry_point": data.algorithm.entry_point}
            row = Training(
                id=training_id,
                name=data.name,
                description=data.description,
                experiment_id=experiment.id,
                template_id=data.template_id,
                spec=spec,
                backend=backend,
                paths=paths,
            )
            self.initial(session, row)
            session.add(row)
            out = self.out(row, experiment_name=experiment.name)
        self.publish(row, "created")
        return out

    # -- queries ------------------------------------------------------------
    def list(self, query: ListQuery, experiment: str | None = None) -> tuple[list[TrainingOut], int]:
        with self.db.session() as session:
            stmt = select(Training)
            if experiment:
                stmt = stmt.where(Training.experiment_id == self.experiments.find(session, experiment, "experiment_id").id)
            rows, total = query.page(session, Training, stmt)
            names = self.experiments.names(session, {r.experiment_id for r in rows})
            return [self.out(r, experiment_name=names.get(r.experiment_id)) for r in rows], total

    def get(self, ref: str, *, with_history: bool = True) -> TrainingOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            history = self.history(session, row.id) if with_history else None
            return self.out(row, experiment_name=self.experiments.names(session, {row.experiment_id}).get(row.experiment_id),
                            history=history)

    def log_fields(self, row: Training) -> dict[str, Any]:
        return {"trainingId": row.id}

    def job_spec(self, row: Training) -> JobSpec:
        """What the backend runs, from the stored spec and resolved paths."""
        job = self.job_specs.build_job_spec(
            job_id=row.id, name=row.name, kind="training", spec=row.spec, paths=row.paths, backend=row.backend,
            labels={"easymaker/experiment-id": row.experiment_id},
        )
        # the image's container reference, pull login and (locally) interpreter; none named: as built
        return dataclasses.replace(job, **self.platform.service("images").job_fields(row.spec.get("image"), "training", row.backend))

    # -- changes ------------------------------------------------------------
    def update(self, ref: str, body: Any) -> TrainingOut:
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self.out(row)
        self.publish(row, "updated")
        return out

    def stop(self, ref: str) -> TrainingOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status == T.STOP_IN_PROGRESS:
                return self.out(row)  # stopping twice is harmless
            if not self.machine.can(row.status, T.STOP_IN_PROGRESS):
                raise Conflict(f"training {row.name!r} is {row.status}; only a training that has not ended can be stopped", field="status")
            self.set_status(session, row, T.STOP_IN_PROGRESS, "stop requested by user")
            out = self.out(row)
        self.publish(row, "status")
        return out

    def template_fields(self, session: Session, ref: str) -> dict[str, Any]:
        """What a template saved from this training holds: its spec and backend."""
        row = self.find(session, ref)
        return {**self.portable_spec(row), "backend": row.backend}

    def portable_spec(self, row: Training) -> dict[str, Any]:
        """The training's spec with inline sources carried along as files, so a
        copy or template does not depend on this training's folder (deleted with it)."""
        spec = dict(row.spec)
        algorithm = spec.get("algorithm") or {}
        own_source = self.settings.path("trainings", row.id, "source")
        if algorithm.get("type") == "custom" and algorithm.get("source_dir") == own_source:
            files = {}
            for folder, _dirs, names in os.walk(own_source):
                for name in names:
                    path = os.path.join(folder, name)
                    with open(path, encoding="utf-8") as fh:
                        files[os.path.relpath(path, own_source)] = fh.read()
            spec["algorithm"] = {"type": "custom", "entry_point": algorithm["entry_point"], "source_files": files}
        return spec

    def copy(self, ref: str) -> dict[str, Any]:
        """A create body pre-filled from an existing training (the guide's copy)."""
        with self.db.session() as session:
            row = self.find(session, ref)
            body = {
                "name": self.free_copy_name(session, row.name),
                "description": row.description,
                "experiment_id": row.experiment_id,
                **self.portable_spec(row),
                "backend": row.backend,
            }
            if row.template_id:
                body["template_id"] = row.template_id
            return body

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status not in self.machine.deletable:
                raise Conflict(f"training {row.name!r} is {row.status}: stop it before deleting it", field="status")
            blocked = self.blockers_message(session, row)
            if blocked:
                raise Conflict(blocked)
            for table in (StatusEvent, LogRecord, MetricPoint, ResourceSample):
                session.execute(delete(table).where(table.resource_id == row.id))
            session.delete(row)
            own = self.settings.path("trainings", row.id)
        shutil.rmtree(own, ignore_errors=True)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)

