"""The LLM fine-tuning job: SFT with LoRA or QLoRA (peft) in a plain training
loop whose every state can be saved and restored, so that a run stopped
(SIGTERM) and restarted produces the same loss curve as an uninterrupted one.

Config: the JSON file named by ``EM_LLM_FINETUNE_CONFIG``. Prints
``[easymaker] finetune step=...`` / ``finetune eval ...`` / ``finetune
checkpoint ...`` / ``finetune resumed ...`` lines; exits 143 after a stop's
checkpoint, 1 with ``[easymaker] ERROR: ...`` on failure."""
from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from typing import Any

from jupyter_easymaker.catalogs.jobs import (
    format_finetune_eval,
    format_finetune_progress,
)
from jupyter_easymaker.runtime.llm import checkpoint, data, loading, outputs

STOPPED_EXIT = 143
PROGRESS_SECONDS = 1.0
EVERY_STEP_UP_TO = 100  # runs this short print every step
TRAINING_DEFAULTS: dict[str, Any] = {
    "epochs": 1, "max_steps": None, "learning_rate": 2e-4, "batch_size": 4, "gradient_accumulation_steps": 1,
    "max_seq_length": 512, "warmup_ratio": 0.03, "lr_scheduler": "cosine", "weight_decay": 0.0, "seed": 42,
    "eval_steps": 0, "checkpoint_steps": 50,
}
LORA_DEFAULTS: dict[str, Any] = {"r": 8, "alpha": 16, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"]}


class JobError(Exception):
    """A failure reported as ``[easymaker] ERROR: <message>``."""


class Stop:
    requested = False

    def __call__(self, signum, frame) -> None:
        self.requested = True


def log(message: str) -> None:
    print(f"[easymaker] {message}", flush=True)


def normalize(config: dict[str, Any]) -> dict[str, Any]:
    config = dict(config)
    config["method"] = config.get("method") or "lora"
    if config["method"] not in ("lora", "qlora"):
        raise JobError(f"unknown method {config['method']!r}: lora or qlora")
    config["lora"] = {**LORA_DEFAULTS, **{k: v for k, v in (config.get("lora") or {}).items() if v is not None}}
    config["training"] = {**TRAINING_DEFAULTS, **{k: v for k, v in (config.get("training") or {}).items() if v is not None
                                                  or k == "max_steps"}}
    config["data"] = {"validation_path": None, "validation_split": 0.1, **(config.get("data") or {})}
    return config


def seed_all(seed: int) -> None:
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    """The epoch's row order: a permutation drawn from its own generator (seed, epoch)."""
    import torch

    g = torch.Generator()
    g.manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=g).tolist()


def evaluate(model, examples: list, batch_size: int, pad_id: int, device, autocast) -> float | None:
    """Mean loss per trained token over the validation rows."""
    import torch

    if not examples:
        return None
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            batch = {k: v.to(device) for k, v in data.collate(examples[i:i + batch_size], pad_id).items()}
            with autocast():
                logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            loss, n = token_loss(logits, batch["labels"])
            total += float(loss)
            count += n
    model.train(was_training)
    return total / max(count, 1)


def token_loss(logits, labels):
    """(summed cross-entropy over the labelled next tokens, how many there are)."""
    import torch.nn.functional as F

    shift_logits = logits[:, :-1, :].float()
    shift_labels = labels[:, 1:]
    loss = F.cross_entropy(shift_logits.reshape(-1, shift_logits.size(-1)), shift_labels.reshape(-1),
                           ignore_index=data.IGNORE, reduction="sum")
    return loss, int((shift_labels != data.IGNORE).sum())


def _perplexity(loss: float | None) -> float | None:
    return None if loss is None else math.exp(min(loss, 50.0))


def prepare(config: dict[str, Any]):
    """Tokenizer, model with its LoRA adapter, train and validation examples."""
    from peft import LoraConfig, get_peft_model

    train_cfg = config["training"]
    base = config["base"]
    train_rows = data.read_jsonl(config["data"]["train_path"])
    if config["data"].get("validation_path"):
        val_rows = data.read_jsonl(config["data"]["validation_path"])
    else:
        train_rows, val_rows, note = data.split(train_rows, float(config["data"].get("validation_split") or 0),
                                                int(train_cfg["seed"]))
        if note:
            log(note)
    tokenizer = loading.load_tokenizer(base)
    data.ensure_chat_template(tokenizer)
    max_len = int(train_cfg["max_seq_length"])
    train = data.tokenize_rows(tokenizer, train_rows, max_len)
    val = data.tokenize_rows(tokenizer, val_rows, max_len)
    if not train:
        raise JobError("no training row has an assistant token left to learn from (check max_seq_length)")
    seed_all(int(train_cfg["seed"]))
    model = loading.load_model(base, config["method"])
    lora = config["lora"]
    target = lora["target_modules"]
    peft_config = LoraConfig(r=int(lora["r"]), lora_alpha=float(lora["alpha"]), lora_dropout=float(lora["dropout"]),
                             target_modules=target if target == "all-linear" else list(target), task_type="CAUSAL_LM")
    model = get_peft_model(model, peft_config)
    return tokenizer, model, train, val


def train(config: dict[str, Any], stop: Stop | None = None) -> dict[str, Any]:
    """Run (or continue) the fine-tuning; returns the summary. Raises SystemExit(143) when stopped."""
    import contextlib

    import torch
    from transformers import get_scheduler

    config = normalize(config)
    stop = stop or Stop()
    t = config["training"]
    seed = int(t["seed"])
    tokenizer, model, train_ex, val_ex = prepare(config)
    device = next(model.parameters()).device
    dtype = loading.compute_dtype()
    autocast = ((lambda: torch.autocast("cuda", dtype=dtype)) if device.type == "cuda" and dtype != torch.float32
                else contextlib.nullcontext)
    pad_id = tokenizer.pad_token_id

    batch_size, accum = int(t["batch_size"]), int(t["gradient_accumulation_steps"])
    batches_per_epoch = math.ceil(len(train_ex) / batch_size)
    steps_per_epoch = max(1, math.ceil(batches_per_epoch / accum))
    total_steps = int(t["max_steps"]) if t.get("max_steps") else steps_per_epoch * int(t["epochs"])

    params = [p for p in model.parameters() if p.requires_grad]
    decay = float(t["weight_decay"])
    optimizer = torch.optim.AdamW(params, lr=float(t["learning_rate"]), weight_decay=decay)
    scheduler = get_scheduler(t["lr_scheduler"], optimizer=optimizer,
                              num_warmup_steps=math.ceil(total_steps * float(t["warmup_ratio"])),
                              num_training_steps=total_steps)

    hashes = {"train": data.file_hash(config["data"]["train_path"]),
              "validation": data.file_hash(config["data"]["validation_path"]) if config["data"].get("validation_path") else None}
    fp = checkpoint.fingerprint(config, hashes)
    ckpt_dir = config.get("checkpoint_dir") or os.path.join(config["output_dir"], "checkpoints")
    state: dict[str, Any] = {"step": 0, "epoch": 0, "position": 0, "order": None, "loss_history": [],
                             "eval_history": [], "train_tokens": 0, "train_seconds": 0.0,
                             "eval_loss_before": None, "resumed_from_step": None}
    rng = None
    found = checkpoint.find(ckpt_dir)
    if found:
        meta = checkpoint.read_meta(found)
        if meta.get("fingerprint") == fp:
            restored = checkpoint.load(found, model, optimizer, scheduler)
            state, rng = restored["state"], restored["rng"]
            state["resumed_from_step"] = state["step"]
            log(f"finetune resumed step={state['step']}")
        else:
            log(f"ignoring the checkpoint at step {meta.get('step')} in {ckpt_dir}: it was made with other settings")

    model.train()
    if state["step"] == 0 and state["eval_loss_before"] is None:
        state["eval_loss_before"] = evaluate(model, val_ex, batch_size, pad_id, device, autocast)
        if state["eval_loss_before"] is not None:
            print(format_finetune_eval(0, eval_loss=state["eval_loss_before"],
                                       perplexity=_perplexity(state["eval_loss_before"])), flush=True)
    if rng is not None:
        checkpoint.set_rng_state(rng)  # last: nothing above may draw from it

    def save_checkpoint() -> None:
        checkpoint.save(ckpt_dir, fp, model, optimizer, scheduler, state)
        log(f"finetune checkpoint step={state['step']}")

    started = time.monotonic()
    seconds_before = state["train_seconds"]
    last_print = 0.0
    recent: list[tuple[float, int, int]] = [(started, state["step"], state["train_tokens"])]
    checkpoint_steps = int(t["checkpoint_steps"] or 0)
    eval_steps = int(t["eval_steps"] or 0)
    while state["step"] < total_steps:
        if stop.requested:
            if state["step"] > 0:
                state["train_seconds"] = seconds_before + time.monotonic() - started
                save_checkpoint()
            raise SystemExit(STOPPED_EXIT)
        if state["order"] is None or state["position"] >= batches_per_epoch:
            if state["order"] is not None:
                state["epoch"] += 1
            state["order"] = epoch_order(len(train_ex), seed, state["epoch"])
            state["position"] = 0
        micro = []
        while len(micro) < accum and state["position"] < batches_per_epoch:
            start = state["position"] * batch_size
            micro.append([train_ex[i] for i in state["order"][start:start + batch_size]])
            state["position"] += 1
        n_tokens = sum(e.trained_tokens for b in micro for e in b)  # the loss is the mean over these
        n_seen = sum(len(e.input_ids) for b in micro for e in b)  # non-padding tokens: what tokens/s counts
        step_loss = 0.0
        for rows in micro:
            batch = {k: v.to(device) for k, v in data.collate(rows, pad_id).items()}
            with autocast():
                logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            loss_sum, _ = token_loss(logits, batch["labels"])
            loss = loss_sum / max(n_tokens, 1)
            loss.backward()
            step_loss += float(loss.detach())
        lr = scheduler.get_last_lr()[0]
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        state["step"] += 1
        state["train_tokens"] += n_seen
        state["loss_history"].append({"step": state["step"], "loss": step_loss})
        now = time.monotonic()
        recent.append((now, state["step"], state["train_tokens"]))
        recent = [r for r in recent if now - r[0] <= 30.0] or recent[-1:]
        step = state["step"]
        if step == total_steps or step == 1 or total_steps <= EVERY_STEP_UP_TO or now - last_print >= PROGRESS_SECONDS:
            last_print = now
            t0, s0, k0 = recent[0]
            span = max(now - t0, 1e-9)
            tokens_per_s = (state["train_tokens"] - k0) / span if step > s0 else 0.0
            step_rate = (step - s0) / span
            eta = round((total_steps - step) / step_rate) if step_rate > 0 else 0
            epoch = state["epoch"] + state["position"] / batches_per_epoch
            print(format_finetune_progress(step, total_steps, epoch=epoch, loss=step_loss, lr=float(lr),
                                           tokens_per_s=float(tokens_per_s), eta_s=eta), flush=True)
        if eval_steps > 0 and step % eval_steps == 0 and step < total_steps and val_ex:
            eval_loss = evaluate(model, val_ex, batch_size, pad_id, device, autocast)
            state["eval_history"].append({"step": step, "eval_loss": eval_loss})
            print(format_finetune_eval(step, eval_loss=eval_loss, perplexity=_perplexity(eval_loss)), flush=True)
        if checkpoint_steps > 0 and step % checkpoint_steps == 0 and step < total_steps:
            state["train_seconds"] = seconds_before + time.monotonic() - started
            save_checkpoint()

    train_seconds = seconds_before + time.monotonic() - started
    eval_loss = evaluate(model, val_ex, batch_size, pad_id, device, autocast)
    if eval_loss is not None:
        print(format_finetune_eval(state["step"], eval_loss=eval_loss, perplexity=_perplexity(eval_loss)), flush=True)
    history = state["loss_history"]
    tail = history[-max(1, min(10, len(history))):]
    config_ctx = getattr(model.config, "max_position_embeddings", None)
    summary = {
        "model_name": config.get("model_name"), "steps": state["step"],
        "epochs": round(state["epoch"] + state["position"] / batches_per_epoch, 4),
        "train_loss": sum(h["loss"] for h in tail) / len(tail) if tail else None,
        "eval_loss_before": state["eval_loss_before"], "eval_loss": eval_loss,
        "perplexity_before": _perplexity(state["eval_loss_before"]), "perplexity": _perplexity(eval_loss),
        "train_tokens": state["train_tokens"], "train_seconds": round(train_seconds, 3),
        "tokens_per_second": state["train_tokens"] / train_seconds if train_seconds > 0 else None,
        "context_length": config_ctx, "method": config["method"], "lora": config["lora"],
        "resumed_from_step": state["resumed_from_step"], "train_rows": len(train_ex), "validation_rows": len(val_ex),
        "eval_history": state["eval_history"],
    }
    return {"summary": summary, "model": model, "tokenizer": tokenizer, "loss_history": history}


def run(config: dict[str, Any], stop: Stop | None = None) -> dict[str, Any]:
    """Train, then write the outputs; returns the summary."""
    config = normalize(config)
    if config["method"] == "qlora":
        reason = loading.qlora_unavailable_reason()
        if reason:
            raise JobError(f"QLoRA needs a CUDA GPU and bitsandbytes: {reason}")
    output_dir = config["output_dir"]
    os.makedirs(output_dir, exist_ok=True)
    try:
        os.remove(os.path.join(output_dir, outputs.SUMMARY))  # a stale summary never claims this run's success
    except FileNotFoundError:
        pass
    result = train(config, stop)
    outputs.write_all(result["model"], result["tokenizer"], output_dir, model_name=config.get("model_name") or "fine-tuned",
                      from_gguf=loading.is_gguf(config["base"]), loss_history=result["loss_history"],
                      summary=result["summary"])
    return result["summary"]


def main() -> int:
    stop = Stop()
    signal.signal(signal.SIGTERM, stop)
    try:
        with open(os.environ["EM_LLM_FINETUNE_CONFIG"], encoding="utf-8") as fh:
            config = json.load(fh)
        summary = run(config, stop)
    except SystemExit:
        raise
    except (JobError, data.DataError) as exc:
        log(f"ERROR: {exc}")
        return 1
    except Exception as exc:  # noqa: BLE001 - the job's one failure line
        log(f"ERROR: {type(exc).__name__}: {exc}")
        return 1
    log("finetune done " + json.dumps({k: summary[k] for k in ("steps", "train_loss", "eval_loss", "perplexity",
                                                                 "tokens_per_second")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
