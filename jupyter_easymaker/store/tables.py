"""SQLAlchemy tables. Changing them needs an Alembic revision in migrations/."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Times are stored in UTC; SQLite drops the zone, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime()}


class ResourceColumns:
    """What every resource kind has (SPEC: cross-cutting rules)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(32), index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Experiment(ResourceColumns, Base):
    __tablename__ = "experiments"


class TrainingTemplate(ResourceColumns, Base):
    __tablename__ = "training_templates"

    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Training(ResourceColumns, Base):
    __tablename__ = "trainings"

    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id"), index=True)
    template_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    backend: Mapped[str] = mapped_column(String(32), default="local")
    # what the backend returned from submit(): enough to find the job again
    handle: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # resolved paths the job got (model dir, tensorboard dir, ...)
    paths: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    log_offset: Mapped[int] = mapped_column(Integer, default=0)  # job log ingested so far

    __table_args__ = (Index("ix_trainings_experiment_status", "experiment_id", "status"),)


class StatusEvent(Base):
    """Every status change of every resource, for the history tab."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    # 64: "FAIL HYPERPARAMETER TUNING IN PROGRESS" is longer than 32 (revision 0002)
    status: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LogRecord(Base):
    """Structured logs with the guide's fields (appendix 2)."""

    __tablename__ = "log_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    log_level: Mapped[str] = mapped_column(String(16), default="INFO")
    log_type: Mapped[str] = mapped_column(String(64), default="jupyter-easymaker")
    body: Mapped[str] = mapped_column(Text)
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # trainingId, endpointId, ...


class MetricPoint(Base):
    """A metric value scraped from a job's stdout."""

    __tablename__ = "metric_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(128))
    step: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_metric_points_resource_name", "resource_id", "name", "step"),)


class ResourceSample(Base):
    """CPU / memory / GPU usage of a running job, for the monitoring tab."""

    __tablename__ = "resource_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cpu_percent: Mapped[float] = mapped_column(Float, default=0.0)
    memory_bytes: Mapped[int] = mapped_column(Integer, default=0)
    gpu_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    gpu_memory_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)


class HyperparameterTuning(ResourceColumns, Base):
    """A tuning: the search spec and where its study stands. Trials are rows of
    ``hpo_trials``; the Optuna study is replayed from ``hpo_journal``."""

    __tablename__ = "hyperparameter_tunings"

    status: Mapped[str] = mapped_column(String(64), index=True)  # the guide's longest status is 38 characters
    status_detail: Mapped[str] = mapped_column(String(32), default="")  # GoalReached, MaxTrialsReached, ...
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id"), index=True)
    template_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    backend: Mapped[str] = mapped_column(String(32), default="local")
    paths: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    best_trial_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # the sampler (its random state) as of the last suggestion, so a restart continues the same sequence
    sampler_state: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class HpoTrial(Base):
    """One trial of a tuning: a training-like job with suggested hyperparameters."""

    __tablename__ = "hpo_trials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tuning_id: Mapped[str] = mapped_column(ForeignKey("hyperparameter_tunings.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # Optuna's trial number, 0-based
    optuna_trial_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # EARLY_STOPPED or KILLED: what the trial becomes once the stop the controller sent takes effect
    stop_as: Mapped[str | None] = mapped_column(String(32), nullable=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    objective_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # final value per metric
    last_step: Mapped[int] = mapped_column(Integer, default=-1)  # last objective step reported to Optuna
    backend: Mapped[str] = mapped_column(String(32), default="local")
    handle: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    paths: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    log_offset: Mapped[int] = mapped_column(Integer, default=0)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("tuning_id", "number", name="uq_hpo_trials_tuning_number"),
        Index("ix_hpo_trials_tuning_status", "tuning_id", "status"),
    )


class HpoJournal(Base):
    """Optuna's journal of one tuning's study (JournalStorage operations), kept in
    the project's database so that a trial row and the study step that created it
    commit together."""

    __tablename__ = "hpo_journal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tuning_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    entry: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("tuning_id", "seq", name="uq_hpo_journal_tuning_seq"),)


class Model(ResourceColumns, Base):
    """A model artifact registered for serving (revision 0003)."""

    __tablename__ = "models"

    framework: Mapped[str] = mapped_column(String(32))
    framework_version: Mapped[str] = mapped_column(String(64), default="")
    artifact_path: Mapped[str] = mapped_column(Text, default="")  # as the user gave it
    model_dir: Mapped[str] = mapped_column(Text, default="")  # resolved: what a model server loads
    huggingface_model_id: Mapped[str] = mapped_column(String(255), default="")
    huggingface_token: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # Fernet-encrypted
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    training_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    hyperparameter_tuning_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    trial_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    artifact_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what loading it found


# endpoints' tables live in their own module, on this metadata (imported last: it imports this one)
from jupyter_easymaker.store import endpoint_tables  # noqa: E402,F401
from jupyter_easymaker.store import batch_tables  # noqa: E402,F401 - batch inferences and model evaluations (revision 0005)
