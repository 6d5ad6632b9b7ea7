"""Checkpoints of a fine-tuning: the adapter's weights, the optimizer, the
scheduler, every RNG state, the data order and position and the loss history,
written to a temporary folder and renamed into place, so that a kill while
saving leaves the previous checkpoint whole. Only the latest one is kept."""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from typing import Any

NAME = "checkpoint"
VERSION = 1


def fingerprint(config: dict[str, Any], data_hashes: dict[str, str | None]) -> str:
    """What decides the loss curve: base, data, method, LoRA and training settings."""
    relevant = {"version": VERSION, "base": config["base"], "data": {**config["data"], "hashes": data_hashes},
                "method": config.get("method", "lora"), "lora": config.get("lora"), "training": config.get("training")}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[:24]


def rng_state() -> dict[str, Any]:
    import numpy as np
    import torch

    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    import numpy as np
    import torch

    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def trainable_state(model) -> dict[str, Any]:
    return {k: p.detach().to("cpu").clone() for k, p in model.named_parameters() if p.requires_grad}


def save(folder: str, fp: str, model, optimizer, scheduler, state: dict[str, Any]) -> str:
    """Write the checkpoint atomically; ``state`` holds step, epoch, position, order, histories."""
    import torch

    os.makedirs(folder, exist_ok=True)
    final = os.path.join(folder, NAME)
    tmp = os.path.join(folder, f".{NAME}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    torch.save(trainable_state(model), os.path.join(tmp, "adapter.pt"))
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "rng": rng_state(),
                "state": state}, os.path.join(tmp, "trainer.pt"))
    with open(os.path.join(tmp, "meta.json"), "w", encoding="utf-8") as fh:
        json.dump({"fingerprint": fp, "step": state["step"], "version": VERSION}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    old = os.path.join(folder, f".{NAME}.old")
    shutil.rmtree(old, ignore_errors=True)
    if os.path.isdir(final):
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def find(folder: str) -> str | None:
    """The latest whole checkpoint (the previous one when a save was cut between its renames)."""
    for name in (NAME, f".{NAME}.old"):
        path = os.path.join(folder, name)
        if os.path.isfile(os.path.join(path, "meta.json")):
            return path
    return None


def read_meta(path: str) -> dict[str, Any]:
    with open(os.path.join(path, "meta.json"), encoding="utf-8") as fh:
        return json.load(fh)


def load(path: str, model, optimizer, scheduler) -> dict[str, Any]:
    """Restore weights, optimizer and scheduler; returns the saved state and RNG (set them last)."""
    import torch

    weights = torch.load(os.path.join(path, "adapter.pt"), map_location="cpu", weights_only=True)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for key, value in weights.items():
            params[key].copy_(value)
    saved = torch.load(os.path.join(path, "trainer.pt"), map_location="cpu", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    return {"state": saved["state"], "rng": saved["rng"]}
