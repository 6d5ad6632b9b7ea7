"""The model server: one process serving one model over the Open Inference
Protocol (v1, v2) and, for text-generation models, the OpenAI API.

Run it with ``python -m jupyter_easymaker.runtime.model_server --help``; the
same command is the container entry point on Kubernetes. In-process use
(batch inference, evaluation): :func:`load_predictor`.
"""
from jupyter_easymaker.catalogs.frameworks import (
    ArtifactError,
    param_env,
    screaming_snake,
)
from jupyter_easymaker.runtime.model_server.params import parse_params
from jupyter_easymaker.runtime.model_server.predictors import (
    GenerateOptions,
    Generation,
    Predictor,
    load_predictor,
)

__all__ = ["ArtifactError", "GenerateOptions", "Generation", "Predictor", "load_predictor", "param_env", "parse_params", "screaming_snake"]
