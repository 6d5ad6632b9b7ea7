"""Fine-tunings: a fine-tuned model's row runs as one job on the shared
lifecycle (``TRAINING`` throughout; a stop is a flag of the row). Each
attempt gets a fresh work dir (the local backend's submit is idempotent on
it); the checkpoint dir is the model's own, so a restart continues from it."""
from __future__ import annotations

import json
import os
import re
from typing import Any

from sqlalchemy import delete

from jupyter_easymaker.areas.llm.statuses import FINETUNE_JOB, LLM_MODEL_MACHINE
from jupyter_easymaker.areas.llm.tables import LlmModel
from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.catalogs.jobs import (
    ERROR_LINE,
    FINETUNE_EVAL_LINE,
    FINETUNE_PROGRESS_LINE,
    IMAGE_JOBS_DIR,
    LLM_FINETUNE_ENTRY,
    jobs_source_dir,
)
from jupyter_easymaker.core.job_service import JobService
from jupyter_easymaker.core.jobs import Outcome
from jupyter_easymaker.core.tables import MetricPoint, utcnow

CONFIG_ENV = "EM_LLM_FINETUNE_CONFIG"
PROGRESS_METRICS = ("loss", "lr", "tokens_per_s", "epoch")
EVAL_METRICS = ("eval_loss", "perplexity")
CHECKPOINT_LINE = re.compile(r"^\[easymaker\] finetune (checkpoint|resumed) step=(\d+)")


def metric_points(resource_id: str, text: str) -> list[dict[str, Any]]:
    """The fine-tuning's own lines as metric points (the platform's scraper skips ``[easymaker]`` lines)."""
    now = utcnow()
    points: list[dict[str, Any]] = []
    for line in text.splitlines():
        match = FINETUNE_PROGRESS_LINE.match(line)
        if match:
            step, values, names = int(match.group(1)), pairs(match.group(3) or ""), PROGRESS_METRICS
        else:
            match = FINETUNE_EVAL_LINE.match(line)
            if not match:
                continue
            step, values, names = int(match.group(1)), pairs(match.group(2) or ""), EVAL_METRICS
        points.extend({"resource_id": resource_id, "name": name, "step": step, "value": values[name], "time": now}
                      for name in names if name in values)
    return points


def pairs(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in text.split():
        key, _, value = part.partition("=")
        try:
            out[key] = float(value)
        except ValueError:
            continue
    return out


class FinetuneJobs(JobService):
    table = LlmModel
    machine = LLM_MODEL_MACHINE
    kind = "llm model"
    statuses = FINETUNE_JOB
    log_category = "easymaker.llm"

    def __init__(self, platform: Any, models: Any):
        super().__init__(platform)
        self.models = models

    def job_rows(self) -> list[Any]:
        return [r for r in super().job_rows() if r.type == "fine-tuned"]

    def running_rows(self) -> list[Any]:
        return [r for r in super().running_rows() if r.type == "fine-tuned"]

    def stop_requested(self, row: LlmModel) -> bool:
        return bool((row.spec or {}).get("stop_requested"))

    def config(self, row: LlmModel) -> dict[str, Any]:
        ft = row.finetune or {}
        return {
            "model_name": row.name,
            "base": dict(ft["base"]),
            "data": {"train_path": ft["data_path"], "validation_path": ft.get("validation_path"),
                     "validation_split": ft.get("validation_split", 0.1)},
            "method": ft.get("method", "lora"), "lora": dict(ft["lora"]), "training": dict(ft["training"]),
            "checkpoint_dir": row.paths["checkpoint_dir"], "output_dir": row.paths["output_dir"],
        }

    def job_spec(self, row: LlmModel) -> JobSpec:
        paths = row.paths
        job_paths = {
            "source_dir": jobs_source_dir(), "entry_point": LLM_FINETUNE_ENTRY,
            "datasets": {"train": (row.finetune or {})["data_path"]}, "model_dir": "", "output_dir": paths["output_dir"],
            "checkpoint_dir": paths["checkpoint_dir"], "tensorboard_log_dir": "", "work_dir": paths["work_dir"],
        }
        job = self.job_specs.build_job_spec(job_id=f"{row.id}-{row.attempt}", name=f"{row.name}-{row.attempt}"[:63],
                                            kind="llm-finetune", spec=dict(row.spec), paths=job_paths, backend=row.backend,
                                            labels={"easymaker/llm-model-id": row.id})
        if row.backend != "local":
            job.source_dir = IMAGE_JOBS_DIR
        os.makedirs(paths["work_dir"], exist_ok=True)
        os.makedirs(paths["checkpoint_dir"], exist_ok=True)
        config_path = os.path.join(paths["work_dir"], "finetune.json")
        with open(config_path, "w", encoding="utf-8") as fh:
            json.dump(self.config(row), fh, indent=1)
        job.env = {CONFIG_ENV: config_path}
        token = self.models.base_token(row.base_model_id)
        job.secret_env = {"HF_TOKEN": token} if token else {}
        return job

    def _ingest(self, session: Any, row: Any, text: str, offset: int) -> bool:
        """The lines and their metric points (loss, eval_loss, tokens_per_s, ...) with the new offset."""
        stored = super()._ingest(session, row, text, offset)
        if stored:
            for line in text.splitlines():
                match = CHECKPOINT_LINE.match(line)
                if match and match.group(1) == "resumed":  # the steps after the checkpoint are run again
                    session.execute(delete(MetricPoint).where(MetricPoint.resource_id == row.id,
                                                              MetricPoint.step > int(match.group(2))))
            points = metric_points(row.id, text)
            if points:
                session.execute(MetricPoint.__table__.insert(), points)
        return stored

    def on_log_line(self, row: LlmModel, line: str) -> None:
        match = FINETUNE_PROGRESS_LINE.match(line)
        if match:
            step, total = int(match.group(1)), int(match.group(2))
            values = pairs(match.group(3) or "")
            progress = dict(row.progress or {})
            progress.update(step=step, total_steps=total, percent=round(100.0 * step / total, 1) if total else None)
            for key in ("loss", "lr", "epoch"):
                if key in values:
                    progress[key] = values[key]
            if "tokens_per_s" in values:
                progress["tokens_per_s"] = values["tokens_per_s"]
            if "eta_s" in values:
                progress["eta_s"] = values["eta_s"]
            row.progress = progress
            return
        match = FINETUNE_EVAL_LINE.match(line)
        if match:
            values = pairs(match.group(2) or "")
            progress = dict(row.progress or {})
            for key in ("eval_loss", "perplexity"):
                if key in values:
                    progress[key] = values[key]
            row.progress = progress
            return
        match = CHECKPOINT_LINE.match(line)
        if match:
            key = "checkpoint_step" if match.group(1) == "checkpoint" else "resumed_from_step"
            row.progress = {**(row.progress or {}), key: int(match.group(2))}
            return
        match = ERROR_LINE.match(line)
        if match:
            row.progress = {**(row.progress or {}), "error": match.group(1)[:2000]}

    def finished(self, row: LlmModel, state: Any, outcome: Outcome) -> tuple[Outcome, str | None, dict[str, Any]]:
        if outcome != Outcome.SUCCEEDED:
            reason = (row.progress or {}).get("error") or None
            if outcome == Outcome.STOPPED:
                reason = "stopped by request; the checkpoint is kept: restart continues from it"
            return outcome, reason, {}
        out = row.paths["output_dir"]
        try:
            with open(os.path.join(out, "summary.json"), encoding="utf-8") as fh:
                summary = json.load(fh)
        except (OSError, ValueError) as exc:
            return Outcome.FAILED, f"the fine-tuning's summary could not be read: {exc}", {}
        outputs = {"adapter": os.path.join(out, "adapter"), "merged": os.path.join(out, "merged"),
                   "modelfile": os.path.join(out, "Modelfile")}
        if not os.path.isdir(outputs["merged"]):
            return Outcome.FAILED, "the fine-tuning wrote no merged model", {}
        progress = {**(row.progress or {}), "percent": 100.0, "eta_s": 0}
        if summary.get("eval_loss") is not None:
            progress["eval_loss"] = summary["eval_loss"]
        fields: dict[str, Any] = {"result": summary, "outputs": outputs, "progress": progress}
        if summary.get("context_length"):
            fields["context_length"] = int(summary["context_length"])
        steps = summary.get("steps")
        reason = f"fine-tuned {steps} step(s); train loss {summary.get('train_loss')}, eval loss {summary.get('eval_loss')}"
        return outcome, reason, fields

    def log_fields(self, row: LlmModel) -> dict[str, Any]:
        return {"llmModelId": row.id, "attempt": row.attempt}
