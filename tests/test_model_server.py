"""The model server end to end: each framework with a small real model built
here, OIP v1/v2 as in KServe's documentation, and the OpenAI client against a
tiny generative model."""
from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests import model_builders as mb

from jupyter_easymaker.catalogs.frameworks import ArtifactError, param_env, screaming_snake
from jupyter_easymaker.runtime.model_server import load_predictor, parse_params
from jupyter_easymaker.runtime.model_server.app import ModelServer, ServerConfig

IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(name: str, framework: str, model_dir: str, params: dict | None = None, **config):
    """The ASGI app on uvicorn in a thread, on a free port; yields its base URL."""
    import uvicorn

    predictor = load_predictor(framework, model_dir, params or {}, name=name)
    app = ModelServer(ServerConfig(name=name, framework=framework, model_dir=model_dir, **config), predictor)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the model server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {
        "sklearn": mb.iris_sklearn(str(root / "sklearn")),
        "handler": mb.torch_handler(str(root / "handler")),
        "torchscript": mb.torchscript(str(root / "torchscript")),
        "onnx": mb.onnx_from_sklearn(str(root / "onnx")),
        "llama": mb.tiny_llama(str(root / "llama")),
        "classifier": mb.tiny_classifier(str(root / "classifier")),
    }


def test_server_cli_sklearn_v1_v2_errors_and_batching(built):
    """The real entry point: CLI arguments, SCREAMING_SNAKE parameters, OIP v1/v2, KServe errors."""
    port = free_port()
    env = {**os.environ, "METHOD": "predict_proba"}  # a parameter given as an environment variable
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_easymaker.runtime.model_server", "--model", "iris", "--model-dir", built["sklearn"],
         "--framework", "scikit-learn", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if http.get("/v2/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not become ready"
                time.sleep(0.1)
            assert http.get("/v2/health/live").json() == {"live": True}
            assert http.get("/v1/models").json() == {"models": ["iris"]}
            assert http.get("/v1/models/iris").json() == {"name": "iris", "ready": True}
            r = http.post("/v1/models/iris:predict", json={"instances": IRIS})
            probs = r.json()["predictions"]
            assert r.status_code == 200 and len(probs) == 2 and abs(sum(probs[0]) - 1) < 1e-6
            # the guide's path form, and the /{model_name} prefix of appendix 10
            assert http.post("/iris/v1/models/iris/predict", json={"instances": IRIS}).json()["predictions"] == probs
            assert "explanations" in http.post("/v1/models/iris:explain", json={"instances": IRIS}).json()
            assert http.get("/v2").json()["name"] == "jupyter-easymaker"
            meta = http.get("/v2/models/iris").json()
            assert meta["name"] == "iris" and meta["versions"] == ["1"] and meta["inputs"][0]["shape"] == [-1, 4]
            assert http.get("/v2/models/iris/versions/1/ready").json() == {"name": "iris", "ready": True}
            infer = {"id": "req-1", "inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32", "data": sum(IRIS, [])}]}
            out = http.post("/v2/models/iris/versions/1/infer", json=infer).json()
            assert out["model_name"] == "iris" and out["id"] == "req-1"
            assert out["outputs"][0]["shape"] == [2, 3] and out["outputs"][0]["datatype"] == "FP64"
            # KServe's error codes and bodies
            missing = http.post("/v1/models/nope:predict", json={"instances": IRIS})
            assert missing.status_code == 404 and missing.json() == {"error": "Model with name nope does not exist."}
            assert http.get("/v2/models/nope").status_code == 404
            bad = http.post("/v1/models/iris:predict", json={"instances": [[1.0, 2.0]]})
            assert bad.status_code == 400 and "4 features" in bad.json()["error"]
            assert http.post("/v1/models/iris:predict", content=b"{not json").status_code == 400
            short = dict(infer, inputs=[{"name": "input-0", "shape": [2, 4], "datatype": "FP32", "data": [1.0]}])
            assert http.post("/v2/models/iris/infer", json=short).status_code == 400
            assert http.post("/v2/models/iris/versions/9/infer", json=infer).status_code == 404

            # concurrent requests are merged into fewer model calls
            def one(_i):
                return http.post("/v2/models/iris/infer", json=infer).status_code

            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                assert set(pool.map(one, range(160))) == {200}
            metrics = http.get("/metrics").text
            batches = int(next(line.split()[-1] for line in metrics.splitlines() if line.startswith("easymaker_batches_total")))
            batched = int(next(line.split()[-1] for line in metrics.splitlines() if line.startswith("easymaker_batched_requests_total")))
            assert batched >= 160 and batches < batched, metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=15)[0]
    assert proc.returncode in (0, -signal.SIGTERM), output  # uvicorn re-raises the signal after a clean shutdown


def test_server_cli_exits_when_the_model_cannot_load(tmp_path):
    (tmp_path / "model.joblib").write_bytes(b"not a pickle")
    done = subprocess.run([sys.executable, "-m", "jupyter_easymaker.runtime.model_server", "--model", "m", "--model-dir", str(tmp_path),
                           "--framework", "scikit-learn", "--port", str(free_port()), "--host", "127.0.0.1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and "could not be loaded with joblib" in done.stderr


def test_pytorch_handler_and_torchscript(built):
    with serving("doubler", "pytorch", built["handler"]) as base, httpx.Client(base_url=base) as http:
        # the guide's request example; y = x1 + 2*x2 + 0.5
        assert http.post("/v1/models/doubler:predict", json={"instances": [[1.0, 2.0], [3.0, 4.0]]}).json() == {"predictions": [5.5, 11.5]}
        out = http.post("/v2/models/doubler/infer", json={"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 1]}]}).json()
        assert out["outputs"][0]["data"] == [3.5]
        assert http.get("/v2/models/doubler").json()["platform"] == "pytorch_torchserve"
    with serving("triple", "pytorch", built["torchscript"]) as base, httpx.Client(base_url=base) as http:
        assert http.post("/v1/models/triple:predict", json={"instances": [[1.0, 2.0]]}).json() == {"predictions": [[3.0, 6.0]]}
        out = http.post("/v2/models/triple/infer", json={"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1, 2]}]}).json()
        assert out["outputs"][0] == {"name": "output-0", "shape": [2], "datatype": "FP32", "data": [3.0, 6.0]}


def test_onnx_named_inputs_and_outputs(built):
    with serving("iris-onnx", "onnx", built["onnx"]) as base, httpx.Client(base_url=base) as http:
        meta = http.get("/v2/models/iris-onnx").json()
        name = meta["inputs"][0]["name"]
        assert meta["platform"] == "onnxruntime_onnx" and {o["name"] for o in meta["outputs"]} == {"label", "probabilities"}
        assert http.post("/v1/models/iris-onnx:predict", json={"instances": IRIS}).json() == {"predictions": [1, 1]}
        req = {"inputs": [{"name": name, "shape": [2, 4], "datatype": "FP32", "data": IRIS}], "outputs": [{"name": "probabilities"}]}
        out = http.post("/v2/models/iris-onnx/infer", json=req).json()["outputs"]
        assert [o["name"] for o in out] == ["probabilities"] and out[0]["shape"] == [2, 3]
        wrong = http.post("/v2/models/iris-onnx/infer", json={"inputs": [{"name": name, "shape": [1, 4], "datatype": "BOOL", "data": [1, 2, 3, 4]}], "outputs": [{"name": "nope"}]})
        assert wrong.status_code == 400


def test_huggingface_classification(built):
    with serving("sentiment", "huggingface", built["classifier"], {"task": "sequence_classification"}) as base, httpx.Client(base_url=base) as http:
        preds = http.post("/v1/models/sentiment:predict", json={"instances": ["the cat sat", "a dog ran in the park"]}).json()["predictions"]
        assert len(preds) == 2 and all(p in (0, 1) for p in preds)
        out = http.post("/v2/models/sentiment/infer", json={"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["hello world"]}]}).json()
        assert out["outputs"][0]["datatype"] == "INT64" and out["outputs"][0]["shape"] == [1]
        assert http.post("/v1/models/sentiment:predict", json={"instances": [1, 2]}).status_code == 400
        # not a generative model: the OpenAI routes say so in OpenAI's error shape
        r = http.post("/openai/v1/completions", json={"model": "sentiment", "prompt": "hi"})
        assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


def test_openai_client_against_a_tiny_generative_model(built):
    import openai

    with serving("tiny-llm", "huggingface", built["llama"]) as base:
        for base_url in (f"{base}/v1", f"{base}/openai/v1", f"{base}/tiny-llm/openai/v1"):
            client = openai.OpenAI(base_url=base_url, api_key="dummy", max_retries=0, timeout=30, _strict_response_validation=True)
            chat = client.chat.completions.create(model="tiny-llm", messages=[{"role": "user", "content": "hello"}], max_tokens=5, temperature=0)
            assert chat.object == "chat.completion" and chat.choices[0].message.role == "assistant"
            assert chat.choices[0].finish_reason in ("stop", "length") and chat.usage.completion_tokens <= 5
            text = client.completions.create(model="tiny-llm", prompt="the cat", max_tokens=4, temperature=0)
            assert text.object == "text_completion" and isinstance(text.choices[0].text, str)
        # streaming (SSE) gives the same text as the non-streamed answer
        stream = client.chat.completions.create(model="tiny-llm", messages=[{"role": "user", "content": "hello"}], max_tokens=5,
                                                temperature=0, stream=True, stream_options={"include_usage": True})
        chunks = list(stream)
        assert all(c.object == "chat.completion.chunk" for c in chunks)
        streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert streamed == chat.choices[0].message.content
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == chat.usage.completion_tokens
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == chat.choices[0].finish_reason
        # the SDK types a completion choice's finish_reason as never null, though streamed
        # chunks carry null until the last one (as OpenAI's own API does): not strict here
        loose = openai.OpenAI(base_url=f"{base}/v1", api_key="dummy", max_retries=0, timeout=30)
        pieces = list(loose.completions.create(model="tiny-llm", prompt="the cat", max_tokens=4, temperature=0, stream=True))
        assert "".join(p.choices[0].text for p in pieces) == text.choices[0].text
        # stop sequences cut the answer; sampling with a seed is repeatable
        long = client.completions.create(model="tiny-llm", prompt="the", max_tokens=12, temperature=0).choices[0].text
        if len(long) > 3:
            stop = long[2:4]
            cut = client.completions.create(model="tiny-llm", prompt="the", max_tokens=12, temperature=0, stop=[stop]).choices[0]
            assert cut.text == long[: long.index(stop)] and cut.finish_reason == "stop"
        a = client.completions.create(model="tiny-llm", prompt="dog", max_tokens=6, temperature=1.0, seed=7).choices[0].text
        b = client.completions.create(model="tiny-llm", prompt="dog", max_tokens=6, temperature=1.0, seed=7).choices[0].text
        assert a == b
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="other", messages=[{"role": "user", "content": "x"}])
        with pytest.raises(openai.BadRequestError):
            client.completions.create(model="tiny-llm", prompt="x", max_tokens=0)
        # OIP v1 on the same model: the generated text
        with httpx.Client(base_url=base) as http:
            assert isinstance(http.post("/v1/models/tiny-llm:predict", json={"instances": ["the cat"]}).json()["predictions"][0], str)
            assert http.get("/v1/models").json()["data"][0]["id"] == "tiny-llm"


def test_predictor_api_and_artifact_errors(built, tmp_path):
    p = load_predictor("sklearn", built["sklearn"], {"method": "predict_proba"})
    assert len(p.predict(IRIS)[0]) == 3
    out = p.infer({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": IRIS[0]}]})
    assert out["outputs"][0]["shape"] == [1, 3]
    with pytest.raises(ArtifactError) as err:
        load_predictor("sklearn", built["sklearn"], {"method": "transform"})
    assert err.value.field == "parameters.method"
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "config.json").write_text("{}")
    (tmp_path / "hf" / "pytorch_model.bin").write_bytes(b"x")
    with pytest.raises(ArtifactError, match="safetensors"):
        load_predictor("huggingface", str(tmp_path / "hf"))
    with pytest.raises(ArtifactError, match="handler.py"):
        load_predictor("pytorch", str(tmp_path))
    with pytest.raises(ArtifactError) as err:
        load_predictor("caffe", str(tmp_path))
    assert err.value.field == "framework"
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        (tmp_path / "tf").mkdir()
        (tmp_path / "tf" / "saved_model.pb").write_bytes(b"")
        with pytest.raises(ArtifactError, match="(?i)tensorflow.*not installed") as err:
            load_predictor("tensorflow", str(tmp_path / "tf"))
        assert err.value.field == "framework"


def test_parameters_as_arguments_and_environment():
    assert screaming_snake("maxNewTokens") == "MAX_NEW_TOKENS" == screaming_snake("max-new-tokens")
    env = param_env({"max_new_tokens": 8, "temperature": "0.5"})
    assert env["MAX_NEW_TOKENS"] == "8" and env["TEMPERATURE"] == "0.5"
    params = parse_params(["task=text_generation"], ["--temperature", "0.2", "--top_k=5"], {"MAX_NEW_TOKENS": "9", "UNRELATED": "x"})
    assert params == {"max_new_tokens": "9", "temperature": "0.2", "top_k": "5", "task": "text_generation"}


def test_huggingface_other_tasks_in_process(tmp_path):
    """token_classification, fill_mask and text2text_generation through the predictor API."""
    from jupyter_easymaker.runtime.model_server.predictors import GenerateOptions

    ner = load_predictor("huggingface", mb.tiny_token_classifier(str(tmp_path / "ner")))
    tokens = ner.predict(["the cat sat"])[0]
    assert ner.task == "token_classification" and tokens and {"token", "entity", "score"} <= set(tokens[0])
    assert tokens[0]["entity"] in ("O", "B-THING", "I-THING")
    mlm = load_predictor("huggingface", mb.tiny_masked_lm(str(tmp_path / "mlm")), {"task": "fill-mask"})
    assert mlm.task == "fill_mask" and isinstance(mlm.predict(["the <mask> sat"])[0], str)
    t5 = load_predictor("huggingface", mb.tiny_t5(str(tmp_path / "t5")))
    assert t5.task == "text2text_generation" and t5.generative
    result = t5.generate("translate: the cat", GenerateOptions(max_tokens=4, temperature=0))
    assert result.completion_tokens <= 4 and result.finish_reason in ("stop", "length")
    streamed = [p for p in t5.stream("translate: the cat", GenerateOptions(max_tokens=4, temperature=0))]
    assert "".join(p for p in streamed if isinstance(p, str)) == result.text


def test_pytorch_mar_archive(built, tmp_path):
    """A model-archiver .mar (MAR-INF/MANIFEST.json + handler + model file + weights)."""
    import json
    import zipfile

    mar = tmp_path / "mar"
    mar.mkdir()
    manifest = {"model": {"modelName": "doubler", "handler": "handler.py", "modelFile": "model.py", "serializedFile": "model.pt"}}
    with zipfile.ZipFile(mar / "doubler.mar", "w") as zf:
        zf.writestr("MAR-INF/MANIFEST.json", json.dumps(manifest))
        for name in ("handler.py", "model.py", "model.pt"):
            zf.write(os.path.join(built["handler"], name), name)
    predictor = load_predictor("pytorch", str(mar), name="doubler")
    assert predictor.layout == "mar" and predictor.predict([[1.0, 2.0], [3.0, 4.0]]) == [5.5, 11.5]
