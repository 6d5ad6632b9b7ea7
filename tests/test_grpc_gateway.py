"""The inference gateway's v2 gRPC side (areas/endpoints/grpc_gateway.py),
hosted by the Jupyter server when the ``grpc_port`` serving option is set:
tritonclient.grpc through it to a real model server on the local backend,
with the endpoint's API key (and refused without one); and tritonclient.http
with its binary default through the HTTP gateway."""
from __future__ import annotations

import asyncio
import os
import signal
import socket

import numpy as np
import pytest

from tests.test_api_endpoints import register, server_pids, wait_endpoint, wait_for  # noqa: F401 - fixtures

from jupyter_easymaker.areas.endpoints.grpc_gateway import model_name
from tests.server_config import server_config

tritongrpc = pytest.importorskip("tritonclient.grpc")
tritonhttp = pytest.importorskip("tritonclient.http")

IRIS = np.array([[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]], dtype=np.float32)


@pytest.fixture
def grpc_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path, grpc_port):
    return server_config(easymaker_data, tmp_path, serving={
        "stats_flush_seconds": 0.2, "start_timeout_seconds": 60.0, "max_restarts": 1, "grpc_port": grpc_port})


def iris_input(module):
    tensor = module.InferInput("input-0", list(IRIS.shape), "FP32")
    tensor.set_data_from_numpy(IRIS)
    return tensor


def test_model_name_is_read_from_field_one_only():
    from jupyter_easymaker.runtime.model_server.oip_grpc import grpc_predict_v2_pb2 as pb

    request = pb.ModelInferRequest(model_name="iris", id="x" * 300, raw_input_contents=[b"\x00" * 70000])
    request.inputs.add(name="input-0", datatype="FP32", shape=[1, 17500])
    assert model_name(request.SerializeToString()) == "iris"
    # fields in any order (protobuf allows it): field 1 after a big length-delimited field
    assert model_name(pb.ModelInferRequest(raw_input_contents=[b"1" * 200]).SerializeToString()
                      + pb.ModelInferRequest(model_name="m2").SerializeToString()) == "m2"
    assert model_name(pb.ModelReadyRequest(name="r", version="3").SerializeToString()) == "r"
    assert model_name(b"") == ""
    with pytest.raises(ValueError):
        model_name(b"\x0a\xff")  # a length that never ends


async def test_grpc_and_http_binary_through_the_gateways(api, tmp_path, jp_http_port, jp_base_url, server_pids, grpc_port):
    await register(api, tmp_path)
    created = await api.post("endpoints", {"name": "iris-ep", "resources": [{"model": "iris", "pod_count": 2, "cpu": 0.4}]},
                             expect=201)
    key = created["api_key"]["key"]
    await wait_endpoint(api, "iris-ep")
    # where and how to call it: the stage's gateway settings (REST, the client's stage_gateway, %easymaker endpoint gateway, the panel)
    grpc_target = (await api.get("endpoints/iris-ep/stages/default/gateway"))["grpc"]
    assert grpc_target["address"] == f"127.0.0.1:{grpc_port}"
    assert grpc_target["metadata"] == {"x-easymaker-endpoint": "iris-ep", "x-easymaker-stage": "default"}
    address = grpc_target["address"]

    def grpc_calls() -> list[tuple[str, str]]:
        client = tritongrpc.InferenceServerClient(address)
        bearer = {"x-easymaker-endpoint": "iris-ep", "authorization": f"Bearer {key}"}
        result = client.infer("iris", [iris_input(tritongrpc)], headers=bearer)
        assert result.as_numpy("output-0").tolist() == [1, 1]
        staged = {"x-easymaker-endpoint": "iris-ep", "x-easymaker-stage": "default", "x-api-key": key}
        assert client.infer("iris", [iris_input(tritongrpc)], headers=staged).as_numpy("output-0").tolist() == [1, 1]
        assert client.is_server_live(headers=bearer) and client.is_server_ready(headers=bearer)
        assert client.is_model_ready("iris", headers=bearer)
        assert "binary_tensor_data" in client.get_server_metadata(headers=bearer).extensions
        assert client.get_model_metadata("iris", headers=staged).platform == "sklearn"
        refused = []
        wrong_shape = tritongrpc.InferInput("input-0", [1, 2], "FP32")
        wrong_shape.set_data_from_numpy(IRIS[:1, :2].copy())
        for model, inputs, headers in [
            ("iris", [iris_input(tritongrpc)], {"x-easymaker-endpoint": "iris-ep"}),
            ("iris", [iris_input(tritongrpc)], {"x-easymaker-endpoint": "iris-ep", "x-api-key": key + "x"}),
            ("iris", [iris_input(tritongrpc)], {"authorization": f"Bearer {key}"}),
            ("iris", [iris_input(tritongrpc)], {**bearer, "x-easymaker-endpoint": "nowhere"}),
            ("iris", [iris_input(tritongrpc)], {**bearer, "x-easymaker-stage": "canary"}),
            ("rose", [iris_input(tritongrpc)], bearer),
            ("iris", [wrong_shape], bearer),  # the model server's own answer, passed on
        ]:
            with pytest.raises(tritongrpc.InferenceServerException) as error:
                client.infer(model, inputs, headers=headers)
            refused.append((error.value.status(), error.value.message()))
        return refused

    refused = await asyncio.to_thread(grpc_calls)
    expected = [("UNAUTHENTICATED", "an API key is required"), ("UNAUTHENTICATED", "not a valid key of endpoint 'iris-ep'"),
                ("INVALID_ARGUMENT", "x-easymaker-endpoint"), ("NOT_FOUND", "endpoint 'nowhere' does not exist"),
                ("NOT_FOUND", "has no stage 'canary'"), ("NOT_FOUND", "model 'rose' is not deployed"),
                ("INVALID_ARGUMENT", "expected 4 features")]
    for (status, message), (code, text) in zip(refused, expected):
        assert status == f"StatusCode.{code}" and text in message, (status, message, code, text)

    # tritonclient.http, binary by default, through the HTTP gateway's stage URL
    def http_binary() -> list:
        client = tritonhttp.InferenceServerClient(f"127.0.0.1:{jp_http_port}{jp_base_url}easymaker/inference/iris-ep/default/iris")
        auth = {"Authorization": f"Bearer {key}"}
        result = client.infer("iris", [iris_input(tritonhttp)], headers=auth)
        assert result.get_output("output-0")["parameters"]["binary_data_size"] == 16
        with pytest.raises(tritonhttp.InferenceServerException) as error:
            client.infer("iris", [iris_input(tritonhttp)])
        assert "an API key is required" in error.value.message()
        return result.as_numpy("output-0").tolist()

    assert await asyncio.to_thread(http_binary) == [1, 1]

    # the gRPC calls count in the stage's statistics and inference logs like HTTP ones
    async def counted():
        stats = await api.get("endpoints/iris-ep/stages/default/statistics", params={"interval": "60"})
        return stats["totals"] if stats["totals"]["calls"] >= 14 else None

    # gRPC: 7 answered, 5 refused on the stage (no endpoint, an unknown endpoint: no stage to count for); HTTP: 1 + 1
    totals = await wait_for(counted, 10, "statistics")
    assert totals["calls"] == 14 and totals["failure"] == 6, totals
    logs = await api.get("endpoints/iris-ep/stages/default/logs")
    assert any(r["body"].startswith("GRPC /iris/inference.GRPCInferenceService/ModelInfer 200") for r in logs["records"])

    # a pod that dies: a call routed to it is refused and goes to the other pod (as over HTTP)
    os.killpg(sorted(server_pids())[0], signal.SIGKILL)

    def after_a_crash() -> list:
        client = tritongrpc.InferenceServerClient(address)
        headers = {"x-easymaker-endpoint": "iris-ep", "x-api-key": key}
        return [client.infer("iris", [iris_input(tritongrpc)], headers=headers).as_numpy("output-0").tolist() for _ in range(6)]

    assert await asyncio.to_thread(after_a_crash) == [[1, 1]] * 6
