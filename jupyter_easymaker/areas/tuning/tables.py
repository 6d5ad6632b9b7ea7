"""SQLAlchemy tables. Changing them needs an Alembic revision in migrations/."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, ResourceColumns, UTCDateTime, utcnow


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
