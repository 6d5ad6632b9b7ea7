"""The Open Inference Protocol v2, complete, on the model server: the binary
tensor data extension (tritonclient.http with its binary default and with
JSON), the gRPC protocol (tritonclient.grpc, raw and typed contents), KServe's
conformance payloads, and what is refused (400 naming it)."""
from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import httpx
import numpy as np
import pytest

from tests import model_builders as mb

from jupyter_easymaker.backend.serving.base import GRPC_PORT_OFFSET, ServerSpec, grpc_address, model_server_args
from jupyter_easymaker.runtime.model_server import load_predictor
from jupyter_easymaker.runtime.model_server.app import ModelServer, ServerConfig

tritonhttp = pytest.importorskip("tritonclient.http")
tritongrpc = pytest.importorskip("tritonclient.grpc")

SHARED = Path(os.environ.get("EASYMAKER_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
PAYLOADS = SHARED / "oip-conformance" / "kserve-e2e-requests"
needs_payloads = pytest.mark.skipif(not (PAYLOADS / "iris_input_v2.json").is_file(), reason=f"KServe's payloads are not "
                                    f"here ({PAYLOADS}); set EASYMAKER_SHARED_DATA to the shared data folder")
IRIS = np.array([[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]], dtype=np.float32)
TEXTS = ["win money now", "lunch at noon?", "free prize, click", "see you at the meeting"]
LABELS = ["spam", "ham", "spam", "ham"]


def text_pipeline(folder: str) -> str:
    """A scikit-learn text classifier: BYTES in, BYTES (string labels) out."""
    import joblib
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    os.makedirs(folder, exist_ok=True)
    model = make_pipeline(FunctionTransformer(np.ravel), CountVectorizer(), LogisticRegression()).fit(TEXTS, LABELS)
    joblib.dump(model, os.path.join(folder, "model.joblib"))
    return folder


@contextlib.contextmanager
def serving(name: str, model_dir: str):
    """The model server (HTTP and gRPC) on uvicorn's uvloop in a thread; yields (app, HTTP host:port, gRPC host:port)."""
    import uvicorn

    predictor = load_predictor("scikit-learn", model_dir, {}, name=name)
    app = ModelServer(ServerConfig(name=name, framework="scikit-learn", model_dir=model_dir, grpc_port=0,
                                   grpc_host="127.0.0.1"), predictor)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", loop="uvloop"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the model server did not start"
        time.sleep(0.01)
    try:
        yield app, f"127.0.0.1:{sock.getsockname()[1]}", f"127.0.0.1:{app.grpc_port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    with serving("iris", mb.iris_sklearn(str(tmp_path_factory.mktemp("oip") / "iris"))) as s:
        yield s


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    with serving("texts", text_pipeline(str(tmp_path_factory.mktemp("oip") / "texts"))) as s:
        yield s


def payload(name: str) -> dict:
    with open(PAYLOADS / name) as f:
        return json.load(f)


def split_binary(response: httpx.Response) -> tuple[dict, bytes]:
    length = int(response.headers["inference-header-content-length"])
    return json.loads(response.content[:length]), response.content[length:]


# -- HTTP: the binary tensor data extension -------------------------------------------------------
def test_tritonclient_http_binary_default_and_json(iris, texts):
    _app, http, _grpc = iris
    client = tritonhttp.InferenceServerClient(http)
    assert "binary_tensor_data" in client.get_server_metadata()["extensions"]
    assert client.is_server_live() and client.is_model_ready("iris")
    for binary_in, binary_out in ((True, True), (False, False), (True, False), (False, True)):
        tensor = tritonhttp.InferInput("input-0", list(IRIS.shape), "FP32")
        tensor.set_data_from_numpy(IRIS, binary_data=binary_in)
        result = client.infer("iris", [tensor], outputs=[tritonhttp.InferRequestedOutput("output-0", binary_data=binary_out)],
                              request_id="r-1")
        assert result.as_numpy("output-0").tolist() == [1, 1], (binary_in, binary_out)
        output = result.get_output("output-0")
        assert ("binary_data_size" in output.get("parameters", {})) is binary_out and ("data" in output) is not binary_out
        assert result.get_response()["id"] == "r-1"
    # tritonclient's defaults, unchanged: binary inputs, every output binary (request parameter binary_data_output)
    tensor = tritonhttp.InferInput("input-0", list(IRIS.shape), "FP32")
    tensor.set_data_from_numpy(IRIS)
    assert client.infer("iris", [tensor]).as_numpy("output-0").tolist() == [1, 1]
    # gzip-compressed request body
    assert client.infer("iris", [tensor], request_compression_algorithm="gzip").as_numpy("output-0").tolist() == [1, 1]
    # BYTES in and out, length-prefixed
    _app, text_http, _ = texts
    text_client = tritonhttp.InferenceServerClient(text_http)
    words = np.array(["free money prize", "meeting at noon"], dtype=object)
    for binary in (True, False):
        tensor = tritonhttp.InferInput("input-0", [2], "BYTES")
        tensor.set_data_from_numpy(words, binary_data=binary)
        result = text_client.infer("texts", [tensor], outputs=[tritonhttp.InferRequestedOutput("output-0", binary_data=binary)])
        assert [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("output-0").tolist()] == ["spam", "ham"]
        assert result.get_output("output-0")["datatype"] == "BYTES"


@needs_payloads
def test_kserve_payloads_over_http(iris):
    _app, http, _grpc = iris
    base = f"http://{http}"
    with httpx.Client(base_url=base, timeout=10) as client:
        r = client.post("/v1/models/iris:predict", json=payload("iris_input.json"))
        assert r.status_code == 200 and r.json() == {"predictions": [1, 1]}
        r = client.post("/v2/models/iris/infer", json=payload("iris_input_v2.json"))
        assert r.status_code == 200 and r.json()["outputs"][0]["data"] == [1, 1]
        assert "inference-header-content-length" not in r.headers
        for name in ("iris_input_v2_binary.json", "iris_input_v2_all_binary.json"):
            r = client.post("/v2/models/iris/infer", json=payload(name))
            assert r.status_code == 200, r.text
            header, rest = split_binary(r)
            out = header["outputs"][0]
            assert out["parameters"]["binary_data_size"] == len(rest) == 16 and "data" not in out
            assert np.frombuffer(rest, dtype="<i8").tolist() == [1, 1], name
        r = client.post("/v2/models/iris/infer", json=payload("pmml-input-v2.json"))  # one setosa row
        assert r.status_code == 200 and r.json()["outputs"][0]["data"] == [0]
        answers = [client.post("/v1/models/iris:predict", json=body).json() for body in payload("iris_batch_input.json")]
        assert len(answers) == 4 and all(a == answers[0] for a in answers) and "predictions" in answers[0]
        # KServe's column-per-input (pandas codec) payloads are for other models: a clear 400, never a 500
        for name in ("sklearn_mixed_v2.json", "mlflow_input_v2.json", "autogluon_titanic_input_v2.json",
                     "autogluon_titanic_input_v2_binary.json"):
            r = client.post("/v2/models/iris/infer", json=payload(name))
            assert r.status_code == 400 and "takes exactly one input tensor" in r.json()["error"], (name, r.text)
        # a binary request by hand: the JSON header, then the tensor's bytes
        header = json.dumps({"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32",
                                         "parameters": {"binary_data_size": IRIS.nbytes}}]}).encode()
        r = client.post("/v2/models/iris/infer", content=header + IRIS.tobytes(),
                        headers={"Inference-Header-Content-Length": str(len(header)), "Content-Type": "application/octet-stream"})
        assert r.status_code == 200 and r.json()["outputs"][0]["data"] == [1, 1]


def test_unsupported_and_inconsistent_binary_requests_are_400_naming_the_problem(iris):
    _app, http, _grpc = iris
    data = IRIS.tobytes()

    def binary(inputs, extra: bytes = b"", header_length: str | None = None, **body):
        header = json.dumps({"inputs": inputs, **body}).encode()
        return httpx.post(f"http://{http}/v2/models/iris/infer", content=header + extra, timeout=10,
                          headers={"Inference-Header-Content-Length": header_length or str(len(header))})

    tensor = {"name": "input-0", "shape": [2, 4], "datatype": "FP32", "parameters": {"binary_data_size": len(data)}}
    cases = [
        (binary([tensor], data + b"xx"), "add up to 32"),
        (binary([tensor], data[:-4]), "runs past the end"),
        (binary([{**tensor, "parameters": {"binary_data_size": 16}}], data[:16]), "needs 32 bytes, the binary data has 16"),
        (binary([tensor], data, header_length="lots"), "Inference-Header-Content-Length must be an integer"),
        (binary([tensor], data, header_length="999999"), "but the body has only"),
        (binary([{**tensor, "data": IRIS.tolist()}], data), "both data and parameters.binary_data_size"),
        (binary([{**tensor, "parameters": {"binary_data_size": -1}}]), "binary_data_size must be a non-negative integer"),
        (binary([{"name": "input-0", "shape": [2, 4], "datatype": "FP32",
                  "parameters": {"shared_memory_region": "r0", "shared_memory_byte_size": 32}}]),
         "shared_memory_region, shared_memory_byte_size: the shared memory extension is not supported"),
        (binary([tensor], data, outputs=[{"name": "output-0", "parameters": {"classification": 2}}]),
         "the classification extension is not supported"),
        (binary([{"name": "input-0", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": 6}}],
                b"\x09\x00\x00\x00ab"), "BYTES element of 9 bytes runs past the end"),
        (httpx.post(f"http://{http}/v2/models/iris/infer", json={"inputs": [tensor]}),
         "binary_data_size needs the Inference-Header-Content-Length header"),
        (httpx.post(f"http://{http}/v2/models/iris/infer", content=gzip.compress(b"{}"), headers={"Content-Encoding": "br"}),
         "Content-Encoding 'br' is not supported"),
    ]
    for response, text in cases:
        assert response.status_code == 400, (text, response.status_code, response.text)
        assert text in response.json()["error"], (text, response.json())


# -- gRPC ------------------------------------------------------------------------------------------
def test_tritonclient_grpc_health_metadata_and_inference(iris, texts):
    app, _http, address = iris
    client = tritongrpc.InferenceServerClient(address)
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("iris")
    assert "binary_tensor_data" in client.get_server_metadata().extensions
    meta = client.get_model_metadata("iris")
    assert meta.name == "iris" and meta.platform == "sklearn" and meta.inputs[0].name == "input-0"
    before, counted = app.batcher.items, app.stats.count
    tensor = tritongrpc.InferInput("input-0", list(IRIS.shape), "FP32")
    tensor.set_data_from_numpy(IRIS)  # raw_input_contents
    result = client.infer("iris", [tensor], request_id="g-1")
    assert result.as_numpy("output-0").tolist() == [1, 1] and result.get_response().id == "g-1"
    assert result.get_response().raw_output_contents  # raw in, raw out
    assert app.batcher.items == before + 1  # through the same micro-batcher as HTTP
    assert app.stats.count == counted + 1  # and in GET /metrics
    with pytest.raises(tritongrpc.InferenceServerException) as missing:
        client.infer("nope", [tensor])
    assert missing.value.status() == "StatusCode.NOT_FOUND" and "nope does not exist" in missing.value.message()
    wrong = tritongrpc.InferInput("input-0", [2, 2], "FP32")
    wrong.set_data_from_numpy(IRIS[:, :2].copy())
    with pytest.raises(tritongrpc.InferenceServerException) as bad:
        client.infer("iris", [wrong])
    assert bad.value.status() == "StatusCode.INVALID_ARGUMENT" and "expected 4 features" in bad.value.message()
    # BYTES, raw (length-prefixed)
    text_client = tritongrpc.InferenceServerClient(texts[2])
    words = tritongrpc.InferInput("input-0", [2], "BYTES")
    words.set_data_from_numpy(np.array([b"free money prize", b"meeting at noon"], dtype=object))
    assert text_client.infer("texts", [words]).as_numpy("output-0").tolist() == [b"spam", b"ham"]


@needs_payloads
def test_typed_contents_and_the_kserve_grpc_payload(iris, texts):
    from google.protobuf import json_format

    from jupyter_easymaker.runtime.model_server.oip_grpc import grpc_predict_v2_pb2 as pb
    from jupyter_easymaker.runtime.model_server.oip_grpc import grpc_predict_v2_pb2_grpc as pb_grpc

    with grpc.insecure_channel(iris[2]) as channel:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        request = json_format.ParseDict(payload("iris_input_v2_grpc.json"), pb.ModelInferRequest())
        request.model_name = "iris"
        response = stub.ModelInfer(request, timeout=10)
        assert not response.raw_output_contents  # typed in, typed out
        assert list(response.outputs[0].contents.int64_contents) == [1, 1] and list(response.outputs[0].shape) == [2]
        # asked for raw outputs with typed inputs
        request.parameters["binary_data_output"].bool_param = True
        response = stub.ModelInfer(request, timeout=10)
        assert np.frombuffer(response.raw_output_contents[0], dtype="<i8").tolist() == [1, 1]
        bad = pb.ModelInferRequest(model_name="iris", raw_input_contents=[b"x", b"y"])
        bad.inputs.add(name="input-0", datatype="FP32", shape=[2])
        with pytest.raises(grpc.RpcError) as error:
            stub.ModelInfer(bad, timeout=10)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "2 entries for 1 inputs" in error.value.details()
        half = pb.ModelInferRequest(model_name="iris")
        half.inputs.add(name="input-0", datatype="FP16", shape=[1, 4])
        with pytest.raises(grpc.RpcError) as error:
            stub.ModelInfer(half, timeout=10)
        assert "FP16 must be sent in raw_input_contents" in error.value.details()
        shm = pb.ModelInferRequest(model_name="iris")
        tensor = shm.inputs.add(name="input-0", datatype="FP32", shape=[1, 4])
        tensor.parameters["shared_memory_region"].string_param = "r0"
        with pytest.raises(grpc.RpcError) as error:
            stub.ModelInfer(shm, timeout=10)
        assert "shared memory extension is not supported" in error.value.details()
        assert stub.ModelReady(pb.ModelReadyRequest(name="iris"), timeout=10).ready
        with pytest.raises(grpc.RpcError) as error:
            stub.ModelReady(pb.ModelReadyRequest(name="iris", version="7"), timeout=10)
        assert error.value.code() == grpc.StatusCode.NOT_FOUND and "iris (version 7) does not exist" in error.value.details()
    with grpc.insecure_channel(texts[2]) as channel:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        request = pb.ModelInferRequest(model_name="texts")
        request.inputs.add(name="input-0", datatype="BYTES", shape=[1]).contents.bytes_contents.append(b"win a free prize")
        response = stub.ModelInfer(request, timeout=10)
        assert list(response.outputs[0].contents.bytes_contents) == [b"spam"]


def test_generated_grpc_modules_are_in_sync_with_the_proto():
    pytest.importorskip("grpc_tools")
    from jupyter_easymaker.runtime.model_server.oip_grpc import generate

    descriptor, methods = generate.contract(generate.committed())
    fresh_descriptor, fresh_methods = generate.contract(generate.generate())
    stale = "is stale: python -m jupyter_easymaker.runtime.model_server.oip_grpc.generate"
    assert descriptor == fresh_descriptor, f"{generate.MODULES[0]} {stale}"
    assert methods == fresh_methods and "/inference.GRPCInferenceService/ModelInfer" in methods, f"{generate.MODULES[1]} {stale}"


def test_cli_serves_grpc_on_the_port_the_backends_derive(tmp_path):
    """The entry point as the backends start it: HTTP on P, gRPC on P + 1 (model_server_args)."""
    from jupyter_easymaker.backend.processes import free_port_pair

    folder = mb.iris_sklearn(str(tmp_path / "iris"))
    port = free_port_pair("127.0.0.1")
    spec = ServerSpec(server_id="s1", name="iris", endpoint_id="e1", stage_id="st1", model_id="m1", model_name="iris",
                      model_dir=folder, framework="scikit-learn")
    args = model_server_args(spec, "127.0.0.1", port)
    assert args[-2:] == ["--grpc-port", str(port + GRPC_PORT_OFFSET)]
    assert grpc_address(f"http://127.0.0.1:{port}") == f"127.0.0.1:{port + 1}"
    assert grpc_address("http://iris.ns.svc.cluster.local:80") == "iris.ns.svc.cluster.local:81"
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_easymaker.runtime.model_server", *args, "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        client = tritongrpc.InferenceServerClient(grpc_address(f"http://127.0.0.1:{port}"))
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.is_model_ready("iris"):
                    break
            except tritongrpc.InferenceServerException:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the model server did not start"
            time.sleep(0.2)
        tensor = tritongrpc.InferInput("input-0", list(IRIS.shape), "FP32")
        tensor.set_data_from_numpy(IRIS)
        assert client.infer("iris", [tensor]).as_numpy("output-0").tolist() == [1, 1]
        assert httpx.get(f"http://127.0.0.1:{port}/v2/health/ready").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
