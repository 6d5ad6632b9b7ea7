"""KServe's scikit-learn server, as ``kserve/sklearnserver`` builds it, for
benchmark P2 (``p2_serving_peers.py``). Runs in the benchmark-only venv (benchmarks/.venv-kserve)."""
from __future__ import annotations

import argparse
import logging
import os

import joblib
import kserve
from kserve.utils.utils import get_predict_input, get_predict_response


class SKLearnModel(kserve.Model):
    def __init__(self, name: str, model_dir: str):
        super().__init__(name)
        self.model_dir = model_dir
        self.ready = False

    def load(self) -> bool:
        self._model = joblib.load(os.path.join(self.model_dir, "model.joblib"))
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None):
        instances = get_predict_input(payload)
        result = self._model.predict(instances)
        return get_predict_response(payload, result, self.name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[kserve.model_server.parser])
    parser.add_argument("--model_dir", required=True)
    args, _ = parser.parse_known_args()
    if not args.configure_logging:
        # its best configuration (with --enable_latency_logging false): no log line per request
        logging.basicConfig(level=logging.WARNING)
        for name in ("kserve", "kserve.trace", "uvicorn", "uvicorn.access", "uvicorn.error"):
            logging.getLogger(name).setLevel(logging.WARNING)
    model = SKLearnModel(args.model_name, args.model_dir)
    model.load()
    kserve.ModelServer().start([model])
