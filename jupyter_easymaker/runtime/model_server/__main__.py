"""``python -m jupyter_easymaker.runtime.model_server --model NAME --model-dir DIR --framework F``"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jupyter_easymaker.runtime.model_server",
                                description="Serve one model over OIP v1/v2 (and OpenAI for text generation).")
    env = os.environ.get
    p.add_argument("--model", "--model-name", dest="model", default=env("EM_MODEL_NAME"), help="the served model name")
    p.add_argument("--model-dir", default=env("EM_MODEL_DIR", ""), help="the artifact directory")
    p.add_argument("--framework", default=env("EM_MODEL_FRAMEWORK"), help="scikit-learn, pytorch, huggingface, onnx, tensorflow (or a Triton layout)")
    p.add_argument("--task", default=None, help="Hugging Face task (sequence_classification, token_classification, fill_mask, text_generation, text2text_generation)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a model parameter (repeatable)")
    p.add_argument("--host", default=env("EM_MODEL_SERVER_HOST", "0.0.0.0"))
    p.add_argument("--port", type=int, default=int(env("EM_MODEL_SERVER_PORT", "8080")))
    grpc_port = env("EM_MODEL_SERVER_GRPC_PORT")
    p.add_argument("--grpc-port", type=int, default=int(grpc_port) if grpc_port else None,
                   help="also serve the v2 gRPC protocol on this port (default: no gRPC)")
    p.add_argument("--handoff-socket", default=env("EM_GATEWAY_HANDOFF_SOCKET"),
                   help="the inference gateway's handoff socket: answer the connections it hands over (local gateway)")
    p.add_argument("--workers", type=int, default=1, help="processes, each with its own copy of the model")
    p.add_argument("--max-batch-size", type=int, default=64, help="rows merged into one model call (1: no batching)")
    p.add_argument("--max-latency-ms", type=float, default=0.0, help="how long a batch may wait for more requests")
    p.add_argument("--log-level", default="info")
    return p


def main(argv: list[str] | None = None) -> int:
    args, extra = parser().parse_known_args(argv)
    if not args.model or not args.framework:
        parser().error("--model and --framework are required")
    from jupyter_easymaker.runtime.model_server.params import parse_params

    params = parse_params(args.param, extra)
    if args.task:
        params["task"] = args.task
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        import uvicorn

        from jupyter_easymaker.runtime.model_server.app import (
            CONFIG_ENV,
            ModelServer,
            ServerConfig,
        )
    except ImportError as exc:
        print(f"model server: {exc.name} is missing: pip install 'jupyter-easymaker[serving]'", file=sys.stderr)
        return 2

    config = ServerConfig(name=args.model, framework=args.framework, model_dir=args.model_dir, params=params,
                          max_batch_size=args.max_batch_size, max_latency_ms=args.max_latency_ms, exit_on_load_error=True,
                          grpc_port=args.grpc_port, grpc_host=args.host, handoff_socket=args.handoff_socket,
                          port=args.port)
    common = dict(host=args.host, port=args.port, log_level=args.log_level.lower(), access_log=False,
                  http="httptools", loop="uvloop", lifespan="on", timeout_keep_alive=30)
    for option, module in (("http", "httptools"), ("loop", "uvloop")):
        try:
            __import__(module)
        except ImportError:
            common[option] = "auto"
    if args.workers > 1:
        os.environ[CONFIG_ENV] = json.dumps(config.__dict__)
        uvicorn.run("jupyter_easymaker.runtime.model_server.app:app_from_env", factory=True, workers=args.workers, **common)
        return 0
    app = ModelServer(config)
    server = uvicorn.Server(uvicorn.Config(app, **common))
    failed: list[str] = []

    def fatal(message: str) -> None:
        print(f"model server: the model failed to load: {message}", file=sys.stderr, flush=True)
        failed.append(message)
        server.should_exit = True

    app.on_fatal = fatal
    server.run()
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
