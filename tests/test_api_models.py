"""Models over REST: create from a path, a COMPLETE training or a Hugging Face
id; the artifact check; secrets; copy; deletion guards; the client."""
from __future__ import annotations

import asyncio
import json

import pytest

from tests import model_builders as mb

TRAIN = """
import os, joblib
from sklearn.linear_model import LogisticRegression
model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
joblib.dump(model, os.path.join(os.environ["EM_MODEL_DIR"], "model.joblib"))
print("saved")
"""


async def wait_model(api, ref, wanted, timeout=60.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        row = await api.get(f"models/{ref}")
        if row["status"] in wanted:
            return row
        assert loop.time() < end, row
        await asyncio.sleep(0.1)


async def test_model_from_path_validated_listed_copied_deleted(api, tmp_path, jp_serverapp):
    folder = mb.iris_sklearn(str(tmp_path / "iris"))
    created = await api.post("models", {"name": "iris", "description": "d", "framework": "scikit-learn", "artifact_path": folder,
                                        "parameters": {"method": "predict_proba", "maxBatch": 8}}, expect=201)
    assert created["status"] == "ACTIVE" and created["framework_version"] and created["model_dir"] == folder
    assert created["artifact_info"]["outputs"][0]["name"] == "output-0"
    got = await api.get("models/iris")
    assert [h["status"] for h in got["history"]] == ["CREATE REQUESTED", "CREATE IN PROGRESS", "ACTIVE"]
    assert "loaded with scikit-learn" in got["status_reason"]
    page = await api.get("models", params={"framework": "scikit-learn"})
    assert page["total"] == 1 and page["items"][0]["name"] == "iris"
    copy = await api.get("models/iris/copy")
    assert copy["name"] == "iris-copy" and copy["artifact_path"] == folder and copy["parameters"]["method"] == "predict_proba"
    renamed = await api.call("PATCH", "models/iris", {"description": "new"}, expect=200)
    assert renamed["description"] == "new"
    spec = jp_serverapp.web_app.settings["easymaker"].models.serving_spec("iris")
    assert spec["framework"] == "scikit-learn" and spec["env"]["MAX_BATCH"] == "8" and spec["parameters"]["maxBatch"] == "8"
    # areas whose rows use a model guard its deletion; a model in use cannot be deleted
    endpoints = jp_serverapp.web_app.settings["easymaker"].endpoints
    endpoints.count_for_model = lambda session, model_id: 1
    blocked = await api.call("DELETE", "models/iris", expect=409)
    assert "endpoint stage resources" in blocked["error"]
    del endpoints.count_for_model
    await api.call("DELETE", "models/iris", expect=204)
    await api.get("models/iris", expect=404)


async def test_artifact_problems_are_4xx_naming_the_field(api, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.joblib").write_bytes(b"not a pickle at all")
    bad = await api.post("models", {"name": "b", "framework": "scikit-learn", "artifact_path": str(broken)}, expect=422)
    assert bad["field"] == "artifact_path" and "joblib" in bad["error"]
    bad = await api.post("models", {"name": "b", "framework": "caffe", "artifact_path": str(broken)}, expect=422)
    assert bad["field"] == "framework"
    bad = await api.post("models", {"name": "b", "framework": "scikit-learn", "artifact_path": "/etc"}, expect=422)
    assert bad["field"] == "artifact_path" and "outside" in bad["error"]
    bad = await api.post("models", {"name": "b", "framework": "scikit-learn", "artifact_path": str(tmp_path / "missing")}, expect=422)
    assert bad["field"] == "artifact_path"
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text("{}")
    (hf / "pytorch_model.bin").write_bytes(b"x")
    bad = await api.post("models", {"name": "b", "framework": "huggingface", "artifact_path": str(hf)}, expect=422)
    assert bad["field"] == "artifact_path" and "safetensors" in bad["error"]
    bad = await api.post("models", {"name": "b", "framework": "pytorch", "artifact_path": str(broken)}, expect=422)
    assert "handler.py" in bad["error"]
    bad = await api.post("models", {"name": "b", "framework": "huggingface", "artifact_path": str(hf), "parameters": {"path": "x"}}, expect=422)
    assert bad["field"] == "parameters.path"
    bad = await api.post("models", {"name": "b", "framework": "huggingface", "parameters": {"task": "translation"}, "huggingface_model_id": "a/b"}, expect=422)
    assert bad["field"] == "parameters.task"
    bad = await api.post("models", {"name": "b", "framework": "onnx"}, expect=422)
    assert "artifact_path" in bad["error"]
    assert (await api.get("models"))["total"] == 0


async def test_huggingface_token_is_secret_and_hub_fetch_fails_clearly(api, tmp_path, easymaker_data, jp_serverapp):
    folder = mb.tiny_classifier(str(tmp_path / "clf"))
    token = "hf_secret_token_1234"
    created = await api.post("models", {"name": "clf", "framework": "huggingface", "artifact_path": folder, "validate_artifact": False,
                                        "parameters": {"task": "sequence_classification", "token": token}}, expect=201)
    assert created["huggingface_token"] == "****1234" and "token" not in created["parameters"]
    assert token not in json.dumps(await api.get("models/clf")) and token not in json.dumps(await api.get("models/clf/copy"))
    key = easymaker_data / "secret.key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    raw = (easymaker_data / "easymaker.db").read_bytes()
    assert token.encode() not in raw
    spec = jp_serverapp.web_app.settings["easymaker"].models.serving_spec("clf")
    assert spec["secret_env"] == {"HF_TOKEN": token} and token not in json.dumps(spec["env"]) and spec["task"] == "sequence_classification"
    # a Hub id is fetched by the controller; without network it fails with the reason
    hub = await api.post("models", {"name": "hub", "framework": "huggingface", "huggingface_model_id": "no-such-org/no-such-model"}, expect=201)
    assert hub["status"] == "CREATE REQUESTED"
    failed = await wait_model(api, "hub", {"CREATE FAILED"})
    assert "could not be fetched" in failed["status_reason"]
    assert [h["status"] for h in failed["history"]] == ["CREATE REQUESTED", "CREATE IN PROGRESS", "CREATE FAILED"]


async def test_model_from_a_complete_training_guards_the_training(api):
    body = {"name": "trainer", "experiment_name": "models-exp", "algorithm": {"type": "custom", "source_files": {"train.py": TRAIN}, "entry_point": "train.py"}}
    await api.post("trainings", body, expect=201)
    early = await api.post("trainings/trainer/model", {"name": "too-early", "framework": "scikit-learn"})
    done = await api.wait_status("trainer", timeout=90)
    assert done["status"] == "COMPLETE", done
    if early and early.get("field"):
        assert early["field"] == "training_id"
    model = await api.post("trainings/trainer/model", {"name": "from-training", "framework": "scikit-learn"}, expect=201)
    assert model["status"] == "ACTIVE" and model["training_id"] == done["id"] and model["training_name"] == "trainer"
    assert model["model_dir"] == done["model_dir"]
    blocked = await api.call("DELETE", "trainings/trainer", expect=409)
    assert "models" in blocked["error"]
    await api.call("DELETE", "models/from-training", expect=204)
    if early and early.get("id"):
        await api.call("DELETE", "models/too-early", expect=204)
    await api.call("DELETE", "trainings/trainer", expect=204)


async def test_client_model_methods(jp_fetch, jp_http_port, jp_base_url, jp_serverapp, tmp_path):
    from jupyter_easymaker.client import Client, EasyMakerError

    folder = mb.torchscript(str(tmp_path / "ts"))
    client = Client(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", jp_serverapp.identity_provider.token, timeout=60)
    frameworks = await asyncio.to_thread(client.model_frameworks)
    assert {f["name"] for f in frameworks} >= {"scikit-learn", "pytorch", "huggingface", "onnx", "tensorflow"}
    model = await asyncio.to_thread(client.create_model, name="ts", framework="pytorch", artifact_path=folder, validate_artifact=False)
    assert model["status"] == "ACTIVE"
    assert [m["name"] for m in await asyncio.to_thread(client.list_models)] == ["ts"]
    assert (await asyncio.to_thread(client.get_model, "ts"))["framework"] == "pytorch"
    copy = await asyncio.to_thread(client.copy_model, "ts", create=False)
    assert copy["name"] == "ts-copy"
    await asyncio.to_thread(client.update_model, "ts", description="scripted")
    with pytest.raises(EasyMakerError) as err:
        await asyncio.to_thread(client.create_model_from_training, "no-such-training", name="x", framework="pytorch")
    assert err.value.field == "training_id"
    await asyncio.to_thread(client.delete_model, "ts")
    assert len(await asyncio.to_thread(client.list_models)) == 0
