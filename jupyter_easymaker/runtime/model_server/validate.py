"""Load an artifact the way the server would and report what was found, as
one JSON line on stdout. Run in a subprocess by the models service, so a
broken artifact (or one that hangs or crashes the interpreter) cannot take
the Jupyter server down.

``python -m jupyter_easymaker.runtime.model_server.validate --framework F --model-dir D``
(parameters as JSON in ``EM_MODEL_PARAMS``; a Hugging Face token in ``HF_TOKEN``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--framework", required=True)
    p.add_argument("--model-dir", default="")
    p.add_argument("--name", default="model")
    args = p.parse_args(argv)
    params = json.loads(os.environ.get("EM_MODEL_PARAMS") or "{}")
    from jupyter_easymaker.runtime.model_server.errors import ArtifactError
    from jupyter_easymaker.runtime.model_server.predictors import load_predictor

    try:
        predictor = load_predictor(args.framework, args.model_dir, params, name=args.name)
        result = {"ok": True, **predictor.describe()}
    except ArtifactError as exc:
        result = {"ok": False, "error": exc.message, "field": exc.field}
    except Exception as exc:  # noqa: BLE001 - reported to the user as the reason
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "field": "artifact_path"}
    sys.stdout.write("\nEASYMAKER-VALIDATION " + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()
    return 0 if result["ok"] else 2


if __name__ == "__main__":
    sys.exit(main())
