"""Model parameters: given to the server as arguments (the name as is) and as
environment variables (the name in SCREAMING_SNAKE_CASE), as the guide says.
The naming rule and the environment the server gives a model server are in
:mod:`jupyter_easymaker.catalogs.frameworks`. Standard library only."""
from __future__ import annotations

import json
import os
from typing import Any, Mapping

from jupyter_easymaker.catalogs.frameworks import PARAMS_ENV, screaming_snake

# parameters the runtimes understand; read from SCREAMING_SNAKE variables when no argument gives them
KNOWN = ("task", "method", "model_id", "revision", "dtype", "max_length", "max_new_tokens", "return_probabilities",
         "output_name", "signature_name", "intra_op_threads", "device", "model_version", "token",
         "compile")


def param_args(params: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in params.items():
        out += ["--param", f"{key}={value}"]
    return out


def parse_params(pairs: list[str], extra_args: list[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Parameters from ``--param k=v``, then leftover ``--k v`` arguments, over
    SCREAMING_SNAKE variables of known names, over ``EM_MODEL_PARAMS``."""
    environ = os.environ if environ is None else environ
    params: dict[str, str] = {}
    try:
        params.update({str(k): str(v) for k, v in json.loads(environ.get(PARAMS_ENV) or "{}").items()})
    except (ValueError, AttributeError):
        raise SystemExit(f"{PARAMS_ENV} must be a JSON object") from None
    for name in KNOWN:
        if screaming_snake(name) in environ:
            params[name] = environ[screaming_snake(name)]
    i = 0
    while i < len(extra_args):
        arg = extra_args[i]
        if not arg.startswith("--") or len(arg) < 3:
            raise SystemExit(f"unexpected argument {arg!r}: parameters are --param NAME=VALUE or --NAME VALUE")
        key, eq, value = arg[2:].partition("=")
        if not eq:
            if i + 1 >= len(extra_args):
                raise SystemExit(f"parameter {arg} has no value")
            value = extra_args[i + 1]
            i += 1
        params[key] = value
        i += 1
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise SystemExit(f"--param takes NAME=VALUE, got {pair!r}")
        params[key] = value
    return params
