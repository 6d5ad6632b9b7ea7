"""Hyperparameter tunings: validate and store the spec, answer queries about
tunings and their trials. Running trials is the tuning reconciler's work
(``controller/hpo.py``); this service records what is wanted and wakes it.

The job side of a tuning (algorithm, image, instance type, datasets, paths,
template pre-fill, experiment) is a training's, validated by the training
service's own helpers so that both accept exactly the same things.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.tuning.schemas import (
    KATIB_METRIC_FORMAT,
    BestTrialOut,
    HyperparameterTuningCreate,
    HyperparameterTuningOut,
    TrialCounts,
    TrialOut,
    TrialSeries,
    TuningMetricsOut,
)
from jupyter_easymaker.areas.tuning.search_space import (
    MAX_GRID_POINTS,
    compile_metric_format,
    format_value,
    grid_size,
    normalize_parameters,
)
from jupyter_easymaker.areas.tuning.statuses import (
    HYPERPARAMETER_TUNING_ACTIVE,
    HYPERPARAMETER_TUNING_MACHINE,
    TRIAL_MACHINE,
    HyperparameterTuningStatus,
    TrialStatus,
)
from jupyter_easymaker.areas.tuning.tables import (
    HpoJournal,
    HpoTrial,
    HyperparameterTuning,
)
from jupyter_easymaker.catalogs.algorithms import (
    BUILTIN_ALGORITHMS,
    validate_hyperparameters,
)
from jupyter_easymaker.core.errors import Conflict, InvalidInput, NotFound
from jupyter_easymaker.core.holding import Held
from jupyter_easymaker.core.job_fields import (
    IDENTITY_FIELDS,
    BuiltinAlgorithm,
    CustomAlgorithm,
)
from jupyter_easymaker.core.resources import (
    ListQuery,
    ResourceService,
    elapsed_seconds,
    new_id,
    parse,
)
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.tables import (
    LogRecord,
    MetricPoint,
    ResourceSample,
    StatusEvent,
    utcnow,
)

H, TR = HyperparameterTuningStatus, TrialStatus
TRIAL_KIND = "hyperparameter tuning trial"
DEFAULT_MAX_TRIALS = 10
# spec keys the service derives; a copy leaves them out so they are derived again
DERIVED = ("search_space", "sampler")
SAMPLERS = {"Random": "RandomSampler", "Grid": "GridSampler", "Bayesian": "GPSampler", "TPE": "TPESampler"}
TRIAL_SORTS = {"number": HpoTrial.number, "objective_value": HpoTrial.objective_value, "status": HpoTrial.status,
               "created_at": HpoTrial.created_at}


def _join(base: str, name: str) -> str:
    """A trial's folder under a user path (local, nas-resolved or obs://)."""
    return base.rstrip("/") + "/" + name


class HyperparameterTuningService(ResourceService):
    table = HyperparameterTuning
    machine = HYPERPARAMETER_TUNING_MACHINE
    kind = "hyperparameter tuning"

    def __init__(self, platform: Any):
        super().__init__(platform)
        # the reconciler changes statuses from a worker thread; this keeps its
        # read-check-write of a status and a user's stop or delete from interleaving
        self.status_lock = threading.RLock()

    @property
    def experiments(self) -> Any:
        return self.platform.service("experiments")

    def backend_names(self) -> list[str]:
        return self.platform.backend_names()

    def model_source(self, session: Session, ref: str) -> dict[str, str]:
        """Where the model of a COMPLETE tuning's best trial is (a model is created from it)."""
        field = "hyperparameter_tuning_id"
        tuning = session.get(HyperparameterTuning, ref) or session.scalar(select(HyperparameterTuning).where(HyperparameterTuning.name == ref))
        if tuning is None:
            raise InvalidInput(f"{field}: hyperparameter tuning {ref!r} does not exist", field=field)
        if tuning.status != H.COMPLETE:
            raise InvalidInput(f"{field}: hyperparameter tuning {tuning.name!r} is {tuning.status}; a model is created from a COMPLETE "
                               "tuning's best trial", field=field)
        trial = session.get(HpoTrial, tuning.best_trial_id) if tuning.best_trial_id else None
        if trial is None:
            raise InvalidInput(f"{field}: tuning {tuning.name!r} has no best trial yet", field=field)
        return {"hyperparameter_tuning_id": tuning.id, "trial_id": trial.id, "model_dir": (trial.paths or {}).get("model_dir", "")}

    def dashboard_counts(self) -> dict[str, int]:
        with self.db.session() as session:
            complete = session.scalar(select(func.count()).where(HyperparameterTuning.status == H.COMPLETE)) or 0
        return {"complete_hpo": complete}

    def holding(self) -> list[Held]:
        """The running trials, one instance of their tuning's type each (the dashboard's usage)."""
        with self.db.session() as session:
            rows = session.execute(select(HpoTrial.id, HpoTrial.name, HpoTrial.backend, HyperparameterTuning.spec)
                                   .join(HyperparameterTuning, HpoTrial.tuning_id == HyperparameterTuning.id)
                                   .where(HpoTrial.status == TR.RUNNING, HpoTrial.handle.is_not(None))).all()
        return [Held("trial", tid, name, (spec or {}).get("instance_type") or self.settings.default_instance_type,
                     backend=backend or "local") for tid, name, backend, spec in rows]

    @staticmethod
    def running_with_image(session: Session, image_id: str) -> list[str]:
        """Tunings being created or running with an image (a registry credentials change warns of them)."""
        rows = session.execute(select(HyperparameterTuning.name, HyperparameterTuning.spec)
                               .where(HyperparameterTuning.status.in_(HYPERPARAMETER_TUNING_ACTIVE)))
        return [f"hyperparameter tuning {name}" for name, spec in rows if (spec or {}).get("image") == image_id][:6]

    @staticmethod
    def count_in_experiment(session: Session, experiment_id: str) -> int:
        return session.scalar(select(func.count()).where(HyperparameterTuning.experiment_id == experiment_id)) or 0

    def own_dir(self, tuning_id: str) -> str:
        return self.settings.path("hyperparameter-tunings", tuning_id)

    # -- create -------------------------------------------------------------
    def create(self, body: Any) -> HyperparameterTuningOut:
        if not isinstance(body, dict):
            raise InvalidInput("the request body must be a JSON object", field="body")
        with self.db.session() as session:
            body = self.platform.service("templates").apply(session, body)
            data = parse(HyperparameterTuningCreate, body)
            spec = self._spec(data)
            if data.image:  # a private image by its id (a rename keeps it), else the reference as given
                spec["image"] = self.platform.service("images").resolve(session, data.image, "training")
            experiment = self.experiments.resolve_member(session, data.experiment_id, data.experiment_name)
            self.check_name_free(session, data.name)
            tuning_id = new_id()
            backend = data.backend or self.settings.default_backend
            if backend not in self.backend_names():
                raise InvalidInput(f"backend: the {backend} backend is not configured on this server", field="backend")
            own = self.own_dir(tuning_id)
            paths = self._paths(tuning_id, data, experiment.id, own)
            if isinstance(data.algorithm, CustomAlgorithm) and data.algorithm.source_files is not None:
                self.job_specs.write_sources(paths["source_dir"], data.algorithm.source_files)
                spec["algorithm"] = {"type": "custom", "source_dir": paths["source_dir"], "entry_point": data.algorithm.entry_point}
            row = HyperparameterTuning(
                id=tuning_id,
                name=data.name,
                description=data.description,
                experiment_id=experiment.id,
                template_id=data.template_id,
                spec=spec,
                backend=backend,
                paths=paths,
                status_detail="",
            )
            self.initial(session, row)
            session.add(row)
            session.flush()
            out = self.out(session, row, experiment_name=experiment.name)
        self.publish(row, "created")
        return out

    def _spec(self, data: HyperparameterTuningCreate) -> dict[str, Any]:
        """The stored spec: the request's fields plus the normalised search space;
        raises InvalidInput naming the field for anything Optuna could not run."""
        if importlib.util.find_spec("optuna") is None:
            raise InvalidInput("strategy: hyperparameter tuning needs Optuna on the server: pip install 'jupyter-easymaker[ml]'", field="strategy")
        if data.strategy == "Bayesian" and (importlib.util.find_spec("torch") is None or importlib.util.find_spec("scipy") is None):
            raise InvalidInput(
                "strategy: Bayesian runs on Optuna's GPSampler, which needs torch and scipy: "
                "pip install 'jupyter-easymaker[ml]' (or choose TPE)", field="strategy"
            )
        search_space = normalize_parameters(data.parameters, data.strategy)
        fixed = dict(data.hyperparameters)
        if len(fixed) + len([n for n in search_space if n["name"] not in fixed]) > 100:
            raise InvalidInput("parameters: at most 100 hyperparameters (fixed and tuned) are allowed", field="parameters")
        size = grid_size(search_space) if data.strategy == "Grid" else None
        if size is not None and size > MAX_GRID_POINTS:
            raise InvalidInput(f"parameters: the grid has more than {MAX_GRID_POINTS} points; raise the steps", field="parameters")
        metrics = []
        for i, metric in enumerate(data.metrics):
            if any(m["name"] == metric.name for m in metrics):
                raise InvalidInput(f"metrics[{i}].name: {metric.name!r} is listed twice", field=f"metrics[{i}].name")
            compile_metric_format(metric.format, f"metrics[{i}].format")
            metrics.append({"name": metric.name, "format": metric.format})
        if not any(m["name"] == data.objective_metric for m in metrics):
            if metrics:
                names = ", ".join(m["name"] for m in metrics)
                raise InvalidInput(f"objective_metric: {data.objective_metric!r} is not one of the metrics ({names})", field="objective_metric")
            metrics.append({"name": data.objective_metric, "format": KATIB_METRIC_FORMAT})
        if data.target_value is not None and not float("-inf") < data.target_value < float("inf"):
            raise InvalidInput("target_value: must be a finite number", field="target_value")
        spec = data.model_dump(exclude={*IDENTITY_FIELDS, "backend"}, exclude_none=True)
        spec["instance_type"] = self.job_specs.instance_type_name(data.instance_type)
        if isinstance(data.algorithm, BuiltinAlgorithm):
            spec["hyperparameters"] = self._builtin_check(data.algorithm.name, fixed, search_space)
        spec["metrics"] = metrics
        spec["search_space"] = search_space
        spec["max_trials"] = data.max_trials or (min(size, 10_000) if size is not None else DEFAULT_MAX_TRIALS)
        spec["objective_strategy"] = data.objective_strategy or ("min" if data.goal == "minimize" else "max")
        spec["sampler"] = SAMPLERS[data.strategy]
        return spec

    def _builtin_check(self, name: str, fixed: dict[str, Any], search_space: list[dict[str, Any]]) -> dict[str, Any]:
        """A built-in algorithm must know every tuned name and accept the ends of each range."""
        if name not in BUILTIN_ALGORITHMS:
            self.job_specs.builtin_hyperparameters(name, fixed)  # raises naming algorithm.name
        known = {hp["name"] for hp in BUILTIN_ALGORITHMS[name]["hyperparameters"]}
        for i, p in enumerate(search_space):
            if p["name"] not in known:
                raise InvalidInput(
                    f"parameters[{i}].name: {name} has no hyperparameter {p['name']!r}; known: {', '.join(sorted(known))}",
                    field=f"parameters[{i}].name",
                )
        tuned = {p["name"] for p in search_space}
        rest = {k: v for k, v in fixed.items() if k not in tuned}
        for i, p in enumerate(search_space):
            values = self._probe_values(p)
            keys = ["min", "max"] if p["type"] != "categorical" else ["values"] * len(values)
            for key, value in zip(keys, values):
                try:
                    validate_hyperparameters(name, {**rest, p["name"]: value})
                except ValueError as exc:
                    message = str(exc)
                    if message.startswith(f"hyperparameters.{p['name']}:"):
                        raise InvalidInput(f"parameters[{i}].{key}: {message.split(': ', 1)[-1]}", field=f"parameters[{i}].{key}") from None
        # the fixed ones, with each tuned one at its first value (a required one that is tuned need not be fixed)
        normalized = self.job_specs.builtin_hyperparameters(name, {**rest, **{p["name"]: self._probe_values(p)[0] for p in search_space}})
        return {k: v for k, v in normalized.items() if k not in tuned}

    @staticmethod
    def _probe_values(p: dict[str, Any]) -> list[Any]:
        if p["type"] == "categorical":
            return list(p["values"])
        cast = int if p["type"] == "int" else float
        return [cast(p["min"]), cast(p["max"])]

    def _paths(self, tuning_id: str, data: HyperparameterTuningCreate, experiment_id: str, own: str) -> dict[str, Any]:
        base = self.job_specs.resolve_paths(data, experiment_id, own=own)
        trials = os.path.join(own, "trials")
        return {
            "source_dir": base["source_dir"],
            "entry_point": base["entry_point"],
            "datasets": base["datasets"],
            "checkpoint_input_dir": base["checkpoint_input_dir"],
            # each trial writes into its own folder under these
            "output_base": base["output_dir"] if data.output_path else "",
            "checkpoint_base": base["checkpoint_dir"] if data.checkpoint_path else "",
            "trials_dir": trials,
            "tensorboard_log_dir": base["tensorboard_log_dir"],
        }

    def trial_paths(self, tuning: HyperparameterTuning, number: int) -> dict[str, Any]:
        return self.trial_paths_of(tuning.paths, number)

    @staticmethod
    def trial_paths_of(p: dict[str, Any], number: int) -> dict[str, Any]:
        """Where one trial's job reads and writes, from its tuning's paths."""
        name = f"trial-{number}"
        own = os.path.join(p["trials_dir"], str(number))
        output = _join(p["output_base"], name) if p.get("output_base") else ""
        return {
            "source_dir": p["source_dir"],
            "entry_point": p["entry_point"],
            "datasets": p["datasets"],
            "checkpoint_input_dir": p.get("checkpoint_input_dir", ""),
            "output_dir": output or os.path.join(own, "output"),
            "model_dir": output or os.path.join(own, "model"),
            "checkpoint_dir": _join(p["checkpoint_base"], name) if p.get("checkpoint_base") else os.path.join(own, "checkpoints"),
            "tensorboard_log_dir": os.path.join(p["tensorboard_log_dir"], name),
            "work_dir": os.path.join(own, "job"),
        }

    # -- answers ------------------------------------------------------------
    def counts(self, session: Session, tuning_ids: list[str]) -> dict[str, TrialCounts]:
        rows = session.execute(
            select(HpoTrial.tuning_id, HpoTrial.status, func.count()).where(HpoTrial.tuning_id.in_(tuning_ids))
            .group_by(HpoTrial.tuning_id, HpoTrial.status)
        ).all()
        out = {tid: TrialCounts() for tid in tuning_ids}
        for tid, status, n in rows:
            c = out[tid]
            c.total += n
            if status == TR.SUCCEEDED:
                c.completed += n
            elif status in (TR.CREATED, TR.RUNNING):
                c.running += n
            elif status in (TR.FAILED, TR.METRICS_UNAVAILABLE):
                c.failed += n
            elif status == TR.EARLY_STOPPED:
                c.early_stopped += n
            elif status == TR.KILLED:
                c.killed += n
        return out

    def out(
        self, session: Session, row: HyperparameterTuning, *, experiment_name: str | None = None, history: list | None = None,
        counts: TrialCounts | None = None, best: HpoTrial | None = None,
    ) -> HyperparameterTuningOut:
        spec = row.spec
        if counts is None:
            counts = self.counts(session, [row.id])[row.id]
        if best is None and row.best_trial_id:
            best = session.get(HpoTrial, row.best_trial_id)
        public = {k: v for k, v in spec.items() if k not in DERIVED}
        return HyperparameterTuningOut(
            id=row.id,
            name=row.name,
            description=row.description,
            status=row.status,
            status_detail=row.status_detail or "",
            status_reason=row.status_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
            experiment_id=row.experiment_id,
            experiment_name=experiment_name,
            template_id=row.template_id,
            spec=public,
            backend=row.backend,
            strategy=spec["strategy"],
            sampler=spec.get("sampler", ""),
            objective_metric=spec["objective_metric"],
            goal=spec["goal"],
            target_value=spec.get("target_value"),
            max_trials=spec["max_trials"],
            parallel_trials=spec.get("parallel_trials", 1),
            instance_count=int(spec.get("nodes", 1)) * int(spec.get("parallel_trials", 1)),
            started_at=row.started_at,
            finished_at=row.finished_at,
            elapsed_seconds=elapsed_seconds(row.started_at, row.finished_at),
            trials=counts,
            best_trial=self.trial_out(best, best_id=row.best_trial_id) if best is not None else None,
            tensorboard_log_dir=(row.paths or {}).get("tensorboard_log_dir", ""),
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    @staticmethod
    def trial_out(t: HpoTrial, *, best_id: str | None = None, history: list | None = None) -> TrialOut:
        return TrialOut(
            id=t.id,
            tuning_id=t.tuning_id,
            number=t.number,
            name=t.name,
            status=t.status,
            status_reason=t.status_reason,
            parameters=t.parameters,
            objective_value=t.objective_value,
            metrics=t.metrics or {},
            is_best=best_id is not None and t.id == best_id,
            created_at=t.created_at,
            updated_at=t.updated_at,
            started_at=t.started_at,
            finished_at=t.finished_at,
            elapsed_seconds=elapsed_seconds(t.started_at, t.finished_at),
            exit_code=t.exit_code,
            model_dir=(t.paths or {}).get("model_dir", ""),
            tensorboard_log_dir=(t.paths or {}).get("tensorboard_log_dir", ""),
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    # -- queries ------------------------------------------------------------
    def list(self, query: ListQuery, experiment: str | None = None) -> tuple[list[HyperparameterTuningOut], int]:
        with self.db.session() as session:
            stmt = select(HyperparameterTuning)
            if experiment:
                stmt = stmt.where(HyperparameterTuning.experiment_id == self.experiments.find(session, experiment, "experiment_id").id)
            rows, total = query.page(session, HyperparameterTuning, stmt)
            if not rows:
                return [], total
            names = self.experiments.names(session, {r.experiment_id for r in rows})
            counts = self.counts(session, [r.id for r in rows])
            best_ids = [r.best_trial_id for r in rows if r.best_trial_id]
            best = {t.id: t for t in session.scalars(select(HpoTrial).where(HpoTrial.id.in_(best_ids)))} if best_ids else {}
            return [
                self.out(session, r, experiment_name=names.get(r.experiment_id), counts=counts[r.id], best=best.get(r.best_trial_id or ""))
                for r in rows
            ], total

    def get(self, ref: str, *, with_history: bool = True) -> HyperparameterTuningOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            history = self.history(session, row.id) if with_history else None
            return self.out(session, row, experiment_name=self.experiments.names(session, {row.experiment_id}).get(row.experiment_id),
                            history=history)

    def find_trial(self, session: Session, tuning: HyperparameterTuning, ref: str) -> HpoTrial:
        """A trial by id, number or name."""
        trial = session.get(HpoTrial, ref)
        if trial is None or trial.tuning_id != tuning.id:
            stmt = select(HpoTrial).where(HpoTrial.tuning_id == tuning.id)
            stmt = stmt.where(HpoTrial.number == int(ref)) if ref.isdigit() else stmt.where(HpoTrial.name == ref)
            trial = session.scalar(stmt)
        if trial is None:
            raise NotFound(f"hyperparameter tuning {tuning.name!r} has no trial {ref!r}", field="trial")
        return trial

    def trials(self, ref: str, args: dict[str, str]) -> dict[str, Any]:
        """A page of trials with their parameters and objective (``sort``: number,
        objective_value, status, created_at, '-' for descending; ``status`` filter)."""
        query = ListQuery.from_args({k: v for k, v in args.items() if k != "sort"})
        sort = args.get("sort") or "number"
        if sort.lstrip("-") not in TRIAL_SORTS:
            raise InvalidInput(f"sort must be one of {', '.join(TRIAL_SORTS)} (prefix '-' for descending)", field="sort")
        with self.db.session() as session:
            tuning = self.find(session, ref)
            stmt = select(HpoTrial).where(HpoTrial.tuning_id == tuning.id)
            if query.status:
                stmt = stmt.where(HpoTrial.status.in_(query.status))
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            column = TRIAL_SORTS[sort.lstrip("-")]
            order = column.desc() if sort.startswith("-") else column.asc()
            rows = session.scalars(stmt.order_by(order.nulls_last(), HpoTrial.number).offset(query.offset).limit(query.limit)).all()
            items = [self.trial_out(t, best_id=tuning.best_trial_id) for t in rows]
        return {"items": items, "total": total, "offset": query.offset, "limit": query.limit}

    def trial(self, ref: str, trial_ref: str) -> TrialOut:
        with self.db.session() as session:
            tuning = self.find(session, ref)
            t = self.find_trial(session, tuning, trial_ref)
            return self.trial_out(t, best_id=tuning.best_trial_id, history=self.history(session, t.id))

    def trial_ids(self, ref: str, trial_ref: str | None = None) -> tuple[str, list[str]]:
        """The tuning's id and its trials' ids (or just the one named)."""
        with self.db.session() as session:
            tuning = self.find(session, ref)
            if trial_ref is not None:
                return tuning.id, [self.find_trial(session, tuning, trial_ref).id]
            return tuning.id, list(session.scalars(select(HpoTrial.id).where(HpoTrial.tuning_id == tuning.id)))

    def metrics(self, ref: str) -> TuningMetricsOut:
        """Parameters, objective and intermediate objective values of every trial:
        the data of the panel's parallel-coordinates and objective-over-trials charts."""
        with self.db.session() as session:
            tuning = self.find(session, ref)
            objective = tuning.spec["objective_metric"]
            trials = session.scalars(select(HpoTrial).where(HpoTrial.tuning_id == tuning.id).order_by(HpoTrial.number)).all()
            points = session.execute(
                select(MetricPoint.resource_id, MetricPoint.step, MetricPoint.value)
                .where(MetricPoint.resource_id.in_([t.id for t in trials]), MetricPoint.name == objective)
                .order_by(MetricPoint.resource_id, MetricPoint.step, MetricPoint.id)
            ).all() if trials else []
            series: dict[str, tuple[list[int], list[float]]] = {t.id: ([], []) for t in trials}
            for trial_id, step, value in points:
                steps, values = series[trial_id]
                steps.append(step)
                values.append(value)
            return TuningMetricsOut(
                tuning_id=tuning.id,
                objective_metric=objective,
                goal=tuning.spec["goal"],
                target_value=tuning.spec.get("target_value"),
                parameters=tuning.spec["search_space"],
                best_trial_id=tuning.best_trial_id,
                trials=[
                    TrialSeries(trial_id=t.id, number=t.number, status=t.status, parameters=t.parameters,
                                objective_value=t.objective_value, steps=series[t.id][0], values=series[t.id][1])
                    for t in trials
                ],
            )

    def best(self, ref: str) -> BestTrialOut:
        """The best trial's artifacts and parameters (what a model is created from)."""
        with self.db.session() as session:
            tuning = self.find(session, ref)
            if not tuning.best_trial_id:
                raise Conflict(f"hyperparameter tuning {tuning.name!r} has no succeeded trial yet", field="best_trial")
            t = session.get(HpoTrial, tuning.best_trial_id)
            return BestTrialOut(
                trial_id=t.id,
                number=t.number,
                name=t.name,
                objective_metric=tuning.spec["objective_metric"],
                objective_value=t.objective_value,
                parameters=t.parameters,
                hyperparameters=self.trial_hyperparameters(tuning.spec, t.parameters),
                metrics=t.metrics or {},
                model_dir=t.paths.get("model_dir", ""),
                checkpoint_dir=t.paths.get("checkpoint_dir", ""),
            )

    @staticmethod
    def trial_hyperparameters(spec: dict[str, Any], params: dict[str, Any]) -> dict[str, str]:
        """Everything a trial's job gets: the tuning's fixed hyperparameters, then the tuned ones."""
        merged = {k: str(v) for k, v in (spec.get("hyperparameters") or {}).items()}
        merged.update({k: format_value(v) for k, v in params.items()})
        algorithm = spec.get("algorithm") or {}
        if algorithm.get("type") == "builtin":
            merged = validate_hyperparameters(algorithm["name"], merged)
        return merged

    # -- changes ------------------------------------------------------------
    def update(self, ref: str, body: Any) -> HyperparameterTuningOut:
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self.out(session, row)
        self.publish(row, "updated")
        return out

    def stop(self, ref: str) -> HyperparameterTuningOut:
        with self.status_lock, self.db.session() as session:
            row = self.find(session, ref)
            if row.status != H.STOP_IN_PROGRESS:
                if not self.machine.can(row.status, H.STOP_IN_PROGRESS):
                    raise Conflict(
                        f"hyperparameter tuning {row.name!r} is {row.status}; only a running tuning can be stopped", field="status"
                    )
                self.set_status(session, row, H.STOP_IN_PROGRESS, "stop requested by user")
            out = self.out(session, row)
        self.publish(row, "status")
        return out

    def copy(self, ref: str) -> dict[str, Any]:
        """A create body pre-filled from an existing tuning (the guide's copy)."""
        with self.db.session() as session:
            row = self.find(session, ref)
            spec = {k: v for k, v in row.spec.items() if k not in DERIVED}
            body = {"name": self.free_copy_name(session, row.name), "description": row.description,
                    "experiment_id": row.experiment_id, **spec, "backend": row.backend}
            if row.template_id:
                body["template_id"] = row.template_id
            return body

    def delete(self, ref: str) -> None:
        with self.status_lock, self.db.session() as session:
            row = self.find(session, ref)
            if row.status not in self.machine.deletable:
                raise Conflict(f"hyperparameter tuning {row.name!r} is {row.status}: stop it before deleting it", field="status")
            blocked = self.blockers_message(session, row)
            if blocked:
                raise Conflict(blocked)
            trial_ids = list(session.scalars(select(HpoTrial.id).where(HpoTrial.tuning_id == row.id)))
            ids = [row.id, *trial_ids]
            for table in (StatusEvent, LogRecord, MetricPoint, ResourceSample):
                session.execute(delete(table).where(table.resource_id.in_(ids)))
            session.execute(delete(HpoJournal).where(HpoJournal.tuning_id == row.id))
            session.execute(delete(HpoTrial).where(HpoTrial.tuning_id == row.id))
            session.delete(row)
            own = self.own_dir(row.id)
        shutil.rmtree(own, ignore_errors=True)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)

    # -- trials (used by the reconciler) -----------------------------------
    def set_trial_status(self, session: Session, trial: HpoTrial, status: str, reason: str = "") -> None:
        TRIAL_MACHINE.check(trial.status, status)
        self.record_trial(session, trial, status, reason)

    @staticmethod
    def record_trial(session: Session, trial: HpoTrial, status: str, reason: str) -> None:
        trial.status = status
        trial.status_reason = reason
        trial.updated_at = utcnow()
        session.add(StatusEvent(kind=TRIAL_KIND, resource_id=trial.id, status=status, reason=reason, at=trial.updated_at))
