"""Trainings: validate and store the spec, resolve its paths, answer queries.

Running the job is the controller's work; this service only records what is
wanted (a new training, a stop) and wakes the controller.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jupyter_easymaker.backend.base import JobSpec
from jupyter_easymaker.domain.errors import Conflict, InvalidInput
from jupyter_easymaker.domain.statuses import TRAINING_MACHINE, ExperimentStatus, TrainingStatus
from jupyter_easymaker.schemas.common import StatusEventOut
from jupyter_easymaker.schemas.trainings import BuiltinAlgorithm, CustomAlgorithm, TrainingCreate, TrainingFields, TrainingOut
from jupyter_easymaker.services.experiments import ExperimentService
from jupyter_easymaker.services.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.storage_uri import StoragePathError, resolve_path
from jupyter_easymaker.store.tables import LogRecord, MetricPoint, ResourceSample, StatusEvent, Training, TrainingTemplate, utcnow

T = TrainingStatus

# fields of a training that are not part of its reusable spec
IDENTITY_FIELDS = ("name", "description", "experiment_id", "experiment_name", "template_id")


def elapsed_seconds(started: datetime | None, finished: datetime | None) -> float | None:
    if started is None:
        return None
    return max(0.0, ((finished or utcnow()) - started).total_seconds())


class TrainingService(ResourceService):
    table = Training
    machine = TRAINING_MACHINE
    kind = "training"

    def __init__(self, db, settings, events, experiments: ExperimentService, backend_names: Callable[[], list[str]]):
        super().__init__(db, settings, events)
        self.experiments = experiments
        self.backend_names = backend_names
        # (label, counting function) pairs that block deletion; the models service adds its own
        self.dependents: list[tuple[str, Callable[[Session, str], int]]] = []

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
            body = self.with_template(session, body)
            data = parse(TrainingCreate, body)
            experiment = self.resolve_experiment(session, data)
            self.check_name_free(session, data.name)
            training_id = new_id()
            backend = data.backend or self.settings.default_backend
            if backend not in self.backend_names():
                raise InvalidInput(f"backend: the {backend} backend is not configured on this server", field="backend")
            spec = data.model_dump(exclude={*IDENTITY_FIELDS, "backend"}, exclude_none=True)
            spec["instance_type"] = self.instance_type_name(data.instance_type)
            if isinstance(data.algorithm, BuiltinAlgorithm):
                spec["hyperparameters"] = self.builtin_hyperparameters(data.algorithm.name, data.hyperparameters)
            paths = self.resolve_paths(training_id, data, experiment.id)
            if isinstance(data.algorithm, CustomAlgorithm) and data.algorithm.source_files is not None:
                self.write_sources(paths["source_dir"], data.algorithm.source_files)
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

    def with_template(self, session: Session, body: dict[str, Any]) -> dict[str, Any]:
        """A template's fields under the request's own (the request wins)."""
        template_id = body.get("template_id")
        if not template_id:
            return body
        if not isinstance(template_id, str):
            raise InvalidInput("template_id: must be a string", field="template_id")
        template = session.get(TrainingTemplate, template_id) or session.scalar(
            select(TrainingTemplate).where(TrainingTemplate.name == template_id)
        )
        if template is None:
            raise InvalidInput(f"template_id: training template {template_id!r} does not exist", field="template_id")
        merged = {k: v for k, v in template.spec.items()}
        merged.update(body)
        merged["template_id"] = template.id
        return merged

    def resolve_experiment(self, session: Session, data: Any):
        """The experiment a create body names (``experiment_id`` or ``experiment_name``, created when missing)."""
        if data.experiment_id:
            experiment = session.get(self.experiments.table, data.experiment_id) or session.scalar(
                select(self.experiments.table).where(self.experiments.table.name == data.experiment_id)
            )
            if experiment is None:
                raise InvalidInput(f"experiment_id: experiment {data.experiment_id!r} does not exist", field="experiment_id")
        else:
            experiment = session.scalar(select(self.experiments.table).where(self.experiments.table.name == data.experiment_name))
            if experiment is None:
                experiment = self.experiments.create_in(session, data.experiment_name)
                self.experiments.publish(experiment, "created")
        if experiment.status == ExperimentStatus.CREATE_FAILED:
            raise InvalidInput(f"experiment_id: experiment {experiment.name!r} failed to be created; retry it first", field="experiment_id")
        return experiment

    def instance_type_name(self, name: str | None) -> str:
        name = name or self.settings.default_instance_type
        if name not in self.settings.instance_types:
            known = ", ".join(sorted(self.settings.instance_types))
            raise InvalidInput(f"instance_type: unknown instance type {name!r} (known: {known})", field="instance_type")
        return name

    def builtin_hyperparameters(self, name: str, hps: dict[str, Any]) -> dict[str, Any]:
        from jupyter_easymaker.runtime import algorithms

        if name not in algorithms.BUILTIN_ALGORITHMS:
            known = ", ".join(sorted(algorithms.BUILTIN_ALGORITHMS))
            raise InvalidInput(f"algorithm.name: unknown built-in algorithm {name!r} (known: {known})", field="algorithm.name")
        try:
            return dict(algorithms.validate_hyperparameters(name, {k: str(v) for k, v in hps.items()}))
        except ValueError as exc:
            message = str(exc)
            field = message.split(":", 1)[0] if message.startswith("hyperparameters") else "hyperparameters"
            raise InvalidInput(message, field=field) from None

    def resolve(self, value: str, field: str) -> str:
        try:
            return resolve_path(value, local_roots=self.settings.local_roots, nas_mounts=self.settings.nas_mounts)
        except StoragePathError as exc:
            raise InvalidInput(f"{field}: {exc}", field=field) from None

    def resolve_paths(self, training_id: str, data: TrainingFields, experiment_id: str, *, own: str | None = None) -> dict[str, Any]:
        """Storage paths of a job resolved against the configured roots; ``own``
        is the resource's own directory (default: the training's)."""
        own = own or self.settings.path("trainings", training_id)
        algorithm = data.algorithm
        if isinstance(algorithm, BuiltinAlgorithm):
            from jupyter_easymaker.runtime.algorithms import BUILTIN_ALGORITHMS, algorithm_source_dir

            source_dir = algorithm_source_dir()
            entry_point = BUILTIN_ALGORITHMS[algorithm.name]["entry_point"]
        elif algorithm.source_files is not None:
            source_dir, entry_point = os.path.join(own, "source"), algorithm.entry_point
        else:
            source_dir, entry_point = self.resolve(algorithm.source_dir, "algorithm.source_dir"), algorithm.entry_point
            if not source_dir.startswith("obs://"):
                if not os.path.isdir(source_dir):
                    raise InvalidInput("algorithm.source_dir: the directory does not exist", field="algorithm.source_dir")
                if not os.path.isfile(os.path.join(source_dir, entry_point)):
                    raise InvalidInput(f"algorithm.entry_point: {entry_point!r} is not in the algorithm path", field="algorithm.entry_point")
        datasets = {}
        for i, dataset in enumerate(data.datasets):
            datasets[dataset.name] = self.resolve(dataset.path, f"datasets[{i}].path")
        output = self.resolve(data.output_path, "output_path") if data.output_path else ""
        return {
            "source_dir": source_dir,
            "entry_point": entry_point,
            "datasets": datasets,
            "output_dir": output or os.path.join(own, "output"),
            "model_dir": output or os.path.join(own, "model"),
            "checkpoint_input_dir": self.resolve(data.checkpoint_input_path, "checkpoint_input_path") if data.checkpoint_input_path else "",
            "checkpoint_dir": self.resolve(data.checkpoint_path, "checkpoint_path") if data.checkpoint_path else os.path.join(own, "checkpoints"),
            "tensorboard_log_dir": os.path.join(self.experiments.tensorboard_dir(experiment_id), data.name),
            "work_dir": os.path.join(own, "job"),
        }

    @staticmethod
    def write_sources(source_dir: str, files: dict[str, str]) -> None:
        for rel, text in files.items():
            path = os.path.join(source_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)

    # -- queries ------------------------------------------------------------
    def list(self, query: ListQuery, experiment: str | None = None) -> tuple[list[TrainingOut], int]:
        with self.db.session() as session:
            stmt = select(Training)
            if experiment:
                stmt = stmt.where(Training.experiment_id == self.experiments.find(session, experiment, "experiment_id").id)
            rows, total = query.page(session, Training, stmt)
            names = dict(session.execute(select(self.experiments.table.id, self.experiments.table.name).where(
                self.experiments.table.id.in_({r.experiment_id for r in rows})
            )).all()) if rows else {}
            return [self.out(r, experiment_name=names.get(r.experiment_id)) for r in rows], total

    def get(self, ref: str, *, with_history: bool = True) -> TrainingOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            experiment = session.get(self.experiments.table, row.experiment_id)
            history = self.history(session, row.id) if with_history else None
            return self.out(row, experiment_name=experiment.name if experiment else None, history=history)

    def job_spec(self, row: Training) -> JobSpec:
        """What the backend runs, from the stored spec and resolved paths."""
        return self.build_job_spec(
            job_id=row.id, name=row.name, kind="training", spec=row.spec, paths=row.paths, backend=row.backend,
            labels={"easymaker/experiment-id": row.experiment_id},
        )

    def build_job_spec(
        self, *, job_id: str, name: str, kind: str, spec: dict[str, Any], paths: dict[str, Any], backend: str,
        labels: dict[str, str], hyperparameters: dict[str, Any] | None = None,
    ) -> JobSpec:
        """A JobSpec from a training-shaped spec and resolved paths (trainings and tuning trials)."""
        instance = self.settings.instance_types.get(spec.get("instance_type") or "") or self.settings.instance_types[
            self.settings.default_instance_type
        ]
        source_dir = paths["source_dir"]
        if spec.get("algorithm", {}).get("type") == "builtin" and backend != "local":
            from jupyter_easymaker.runtime.algorithms import IMAGE_ALGORITHM_DIR

            source_dir = IMAGE_ALGORITHM_DIR  # where the training images carry the built-ins
        if hyperparameters is None:
            hyperparameters = spec.get("hyperparameters") or {}
        return JobSpec(
            job_id=job_id,
            name=name,
            kind=kind,
            source_dir=source_dir,
            entry_point=paths["entry_point"],
            hyperparameters={k: str(v) for k, v in hyperparameters.items()},
            datasets=dict(paths.get("datasets") or {}),
            model_dir=paths["model_dir"],
            output_dir=paths["output_dir"],
            checkpoint_input_dir=paths.get("checkpoint_input_dir", ""),
            checkpoint_dir=paths["checkpoint_dir"],
            tensorboard_log_dir=paths["tensorboard_log_dir"],
            work_dir=paths["work_dir"],
            image=spec.get("image") or self.settings.default_image,
            instance_type=instance,
            nodes=int(spec.get("nodes", 1)),
            nproc_per_node=int(spec.get("nproc_per_node", 1)),
            use_torchrun=bool(spec.get("use_torchrun")),
            max_run_seconds=spec.get("max_run_seconds"),
            region=self.settings.region,
            appkey=self.settings.appkey,
            labels=labels,
            storage_options=self.settings.obs_storage_options,
        )

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
            for label, count in self.dependents:
                n = count(session, row.id)
                if n:
                    raise Conflict(f"training {row.name!r} is used by {n} {label}: delete them first")
            for table in (StatusEvent, LogRecord, MetricPoint, ResourceSample):
                session.execute(delete(table).where(table.resource_id == row.id))
            session.delete(row)
            own = self.settings.path("trainings", row.id)
        shutil.rmtree(own, ignore_errors=True)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)

