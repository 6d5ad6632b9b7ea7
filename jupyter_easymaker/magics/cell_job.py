"""The cell as a job's code, for the cell magics that run it (``%%easymaker
train``, ``%%easymaker hpo``): the cell becomes ``main.py``, ``--vars`` ship
notebook variables with it, ``--requirements`` are installed first, and the
options every training-shaped job has (hyperparameters, datasets, a
template, resources) fill the create body."""
from __future__ import annotations

import base64
import time
from typing import Any

from jupyter_easymaker.magics.arguments import MagicUsageError, scalar

DEFAULT_EXPERIMENT = "notebook"
ENTRY_POINT = "main.py"
VARS_FILE = "__easymaker_vars__.pkl"
# one line, so that the cell's own line numbers move by one only; nothing is left in the namespace
VARS_PRELUDE = (
    'globals().update(__import__("cloudpickle").loads(__import__("base64").b64decode(open(__import__("os").path.join('
    '__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "' + VARS_FILE + '"), "rb").read())))'
    "  # %%easymaker --vars\n"
)
MAX_VARS_BYTES = 14 * 1024 * 1024  # base64 of it stays under the server's 20 MB of inline sources


def job_body(magics: Any, args: Any, cell: str) -> dict[str, Any]:
    """The training fields of the create body; raises MagicUsageError before anything is sent."""
    if not cell.strip():
        raise MagicUsageError("%%easymaker train: the cell is empty; write the training code below the magic line")
    main = cell
    files: dict[str, str] = {}
    if args.vars:
        files[VARS_FILE] = pickled_vars(magics.shell, args.vars)
        main = VARS_PRELUDE + main
    files[ENTRY_POINT] = main
    if args.requirements:
        packages = [p for p in args.requirements.replace(",", " ").split() if p]
        files["requirements.txt"] = "\n".join(packages) + "\n"
    body: dict[str, Any] = {
        "name": args.name or f"cell-{time.strftime('%Y%m%d-%H%M%S')}",
        "description": args.description,
        "experiment_name": args.experiment or DEFAULT_EXPERIMENT,
        "algorithm": {"type": "custom", "source_files": files, "entry_point": ENTRY_POINT},
    }
    hps = {k: scalar(v) for k, v in args.hp}
    if args.template:
        body["template_id"] = args.template
        if hps:  # the template's hyperparameters stay unless the cell changes them
            spec = magics.client.get_template(args.template).get("spec") or {}
            hps = {**(spec.get("hyperparameters") or {}), **hps}
    if hps:
        body["hyperparameters"] = hps
    if args.dataset:
        body["datasets"] = [{"name": k, "path": v} for k, v in args.dataset]
    for key, value in (
        ("instance_type", args.instance_type),
        ("nodes", args.nodes),
        ("nproc_per_node", args.nproc_per_node),
        ("max_run_seconds", args.max_time),
        ("backend", args.backend),
    ):
        if value is not None:
            body[key] = value
    if args.torchrun:
        body["use_torchrun"] = True
    return body


def pickled_vars(shell: Any, names: list[str]) -> str:
    user_ns = shell.user_ns if shell is not None else {}
    missing = [n for n in names if n not in user_ns]
    if missing:
        raise MagicUsageError(f"%%easymaker train: --vars: no variable named {', '.join(map(repr, missing))} in the notebook")
    try:
        import cloudpickle
    except ImportError:
        raise MagicUsageError("%%easymaker train: --vars needs cloudpickle in this kernel: pip install cloudpickle") from None
    try:
        data = cloudpickle.dumps({n: user_ns[n] for n in names})
    except Exception as exc:  # noqa: BLE001 - whatever pickling raises, name it
        raise MagicUsageError(f"%%easymaker train: --vars: cannot pickle the variables: {exc}") from None
    if len(data) > MAX_VARS_BYTES:
        raise MagicUsageError(
            f"%%easymaker train: --vars: {len(data) / 1e6:.1f} MB is too much to send inline; save the data to a dataset path instead"
        )
    return base64.b64encode(data).decode("ascii")
