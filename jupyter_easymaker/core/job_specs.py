"""Building the job of a training-shaped resource (trainings, tuning trials,
and the kinds that run a model as a job): instance types, built-in
algorithms, storage paths resolved against the configured roots, and the
:class:`JobSpec` a backend runs. Shared by every area whose resources become
jobs, so none of them calls into another for it."""
from __future__ import annotations

import os
from typing import Any

from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.catalogs.algorithms import (
    BUILTIN_ALGORITHMS,
    IMAGE_ALGORITHM_DIR,
    algorithm_source_dir,
    validate_hyperparameters,
)
from jupyter_easymaker.core.errors import InvalidInput
from jupyter_easymaker.core.job_fields import BuiltinAlgorithm, TrainingFields
from jupyter_easymaker.core.settings import TENSORBOARD_FOLDER, Settings
from jupyter_easymaker.storage_uri import StoragePathError, resolve_path


class JobSpecs:
    def __init__(self, settings: Settings):
        self.settings = settings

    def tensorboard_dir(self, experiment_id: str) -> str:
        """Where an experiment's runs (one per training or trial) write TensorBoard logs."""
        return self.settings.path(TENSORBOARD_FOLDER, experiment_id)

    def instance_type_name(self, name: str | None) -> str:
        name = name or self.settings.default_instance_type
        if name not in self.settings.instance_types:
            known = ", ".join(sorted(self.settings.instance_types))
            raise InvalidInput(f"instance_type: unknown instance type {name!r} (known: {known})", field="instance_type")
        return name

    def builtin_hyperparameters(self, name: str, hps: dict[str, Any]) -> dict[str, Any]:
        if name not in BUILTIN_ALGORITHMS:
            known = ", ".join(sorted(BUILTIN_ALGORITHMS))
            raise InvalidInput(f"algorithm.name: unknown built-in algorithm {name!r} (known: {known})", field="algorithm.name")
        try:
            return dict(validate_hyperparameters(name, {k: str(v) for k, v in hps.items()}))
        except ValueError as exc:
            message = str(exc)
            field = message.split(":", 1)[0] if message.startswith("hyperparameters") else "hyperparameters"
            raise InvalidInput(message, field=field) from None

    def resolve(self, value: str, field: str) -> str:
        try:
            return resolve_path(value, local_roots=self.settings.local_roots, nas_mounts=self.settings.nas_mounts)
        except StoragePathError as exc:
            raise InvalidInput(f"{field}: {exc}", field=field) from None

    def resolve_paths(self, data: TrainingFields, experiment_id: str, *, own: str) -> dict[str, Any]:
        """Storage paths of a job resolved against the configured roots; ``own``
        is the resource's own directory."""
        algorithm = data.algorithm
        if isinstance(algorithm, BuiltinAlgorithm):
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
            "tensorboard_log_dir": os.path.join(self.tensorboard_dir(experiment_id), data.name),
            "work_dir": os.path.join(own, "job"),
        }

    @staticmethod
    def write_sources(source_dir: str, files: dict[str, str]) -> None:
        for rel, text in files.items():
            path = os.path.join(source_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)

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
            data_storage_gb=spec.get("data_storage_gb"),
            region=self.settings.region,
            appkey=self.settings.appkey,
            labels=labels,
            storage_options=self.settings.obs_storage_options,
        )
