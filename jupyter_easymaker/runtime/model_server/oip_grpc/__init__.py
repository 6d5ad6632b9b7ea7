"""The Open Inference Protocol v2 gRPC messages and service stubs, generated
from ``grpc_predict_v2.proto`` (``generate.py`` regenerates them)."""
