"""The job contract: the environment and arguments user code receives.

Identical on every backend, because both run the same launcher that calls
these functions inside the job. Standard library only: this module is imported
at the start of every job.
"""
from __future__ import annotations

import json
import re
import sys
from typing import Any, Mapping

_NOT_ENV_SAFE = re.compile(r"[^A-Za-z0-9_]")


def env_key(name: str) -> str:
    """``learning-rate`` -> ``LEARNING_RATE`` (the guide upper-cases user keys)."""
    return _NOT_ENV_SAFE.sub("_", name).upper()


def hyperparameter_args(hyperparameters: Mapping[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in hyperparameters.items():
        args += [f"--{key}", str(value)]
    return args


def job_env(spec: Mapping[str, Any]) -> dict[str, str]:
    """The ``EM_*`` variables of the guide's appendix 4 for one job."""
    hps = {k: str(v) for k, v in (spec.get("hyperparameters") or {}).items()}
    datasets = dict(spec.get("datasets") or {})
    env = {
        "EM_JOB_ID": spec["job_id"],
        "EM_SOURCE_DIR": spec["source_dir"],
        "EM_ENTRY_POINT": spec["entry_point"],
        "EM_DATASETS": json.dumps(datasets),
        "EM_MODEL_DIR": spec.get("model_dir", ""),
        "EM_OUTPUT_DIR": spec.get("output_dir", ""),
        "EM_CHECKPOINT_INPUT_DIR": spec.get("checkpoint_input_dir", ""),
        "EM_CHECKPOINT_DIR": spec.get("checkpoint_dir", ""),
        "EM_HPS": json.dumps(hps),
        "EM_TENSORBOARD_LOG_DIR": spec.get("tensorboard_log_dir", ""),
        "EM_REGION": spec.get("region", ""),
        "EM_APPKEY": spec.get("appkey", ""),
        "PYTHONUNBUFFERED": "1",  # so log lines and metrics arrive while the job runs
    }
    for name, path in datasets.items():
        env[f"EM_DATASET_{env_key(name)}"] = path
    for key, value in hps.items():
        env[f"EM_HP_{env_key(key)}"] = value
    env.update({k: str(v) for k, v in (spec.get("env") or {}).items()})
    return env


def distributed_env(
    *, nodes: int, node_rank: int, nproc_per_node: int, master_addr: str, master_port: int, use_torchrun: bool
) -> dict[str, str]:
    """Rendezvous variables for multi-node jobs.

    torchrun sets RANK/WORLD_SIZE per worker itself; without torchrun each node
    is one process, so RANK is the node rank. TF_CONFIG lists one worker per
    node, on consecutive ports after the master port.
    """
    env = {
        "MASTER_ADDR": master_addr,
        "MASTER_PORT": str(master_port),
        "NODE_RANK": str(node_rank),
        "EM_NNODES": str(nodes),
        "EM_NODE_RANK": str(node_rank),
    }
    if not use_torchrun:
        env["RANK"] = str(node_rank)
        env["WORLD_SIZE"] = str(nodes)
    if nodes > 1:
        workers = [f"{master_addr}:{master_port + 1 + i}" for i in range(nodes)]
        env["TF_CONFIG"] = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": node_rank}})
    return env


def entry_command(
    spec: Mapping[str, Any], *, node_rank: int, master_addr: str, master_port: int, python: str = sys.executable
) -> list[str]:
    """The command line of one node: the entry point with ``--key value`` args,
    under torchrun when asked for."""
    if spec.get("command"):  # a command line of its own (a pipeline task's), run as given
        return [str(part) for part in spec["command"]]
    entry = spec["entry_point"]
    args = hyperparameter_args(spec.get("hyperparameters") or {})
    if spec.get("use_torchrun"):
        return [
            python,
            "-m",
            "torch.distributed.run",
            f"--nnodes={int(spec.get('nodes', 1))}",
            f"--node_rank={node_rank}",
            f"--nproc_per_node={int(spec.get('nproc_per_node', 1))}",
            f"--master_addr={master_addr}",
            f"--master_port={master_port}",
            entry,
            *args,
        ]
    if entry.endswith(".sh"):
        return ["bash", entry, *args]
    return [python, entry, *args]
