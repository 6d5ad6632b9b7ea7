"""Model files through the REST API, the client and the magics against a real
server: validation naming the field, edit, clone and its rules, hide, the
delete guard on an LLM studio base model; and (the one end-to-end test) the
unmodified ``openai`` client, streaming and not, on model files whose base is
a loaded tiny Llama, checking that the system prompt, the parameters and the
passages of a linked RAG reach the model server."""
from __future__ import annotations

import asyncio
import json
import os
import time

import psutil
import pytest

from tests.llm_builders import build_tiny_llama
from tests.server_config import server_config

try:
    from tests.test_magics import cell, client, line, magics, server_url, shell
except ImportError:
    from test_magics import cell, client, line, magics, server_url, shell  # noqa: F401 - fixtures

AVATAR = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return build_tiny_llama(str(tmp_path_factory.mktemp("llm") / "tiny"))


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path, llama):
    return server_config(easymaker_data, tmp_path, local_roots=[str(tmp_path), os.path.dirname(llama)],
                         local_cpu=64.0, local_memory_mib=1 << 20)


@pytest.fixture
def started_processes():
    """Processes this test's server started (model and query servers): any still running at the end are killed."""
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    yield
    for child in me.children(recursive=True):
        if child.pid not in before:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass


def model_file(model_id: str, base: str | None = "tiny", **fields) -> dict:
    return {"id": model_id, "base_model_id": base, "name": fields.pop("name", f"Model {model_id}"),
            "params": fields.pop("params", {"system": "You are terse."}), "meta": fields.pop("meta", {}), **fields}


async def test_crud_validation_clone_hide_and_guard(api, llama, tmp_path, shell, magics, capsys):
    await api.post("llm/models", {"name": "tiny", "kind": "instruction", "path": llama}, expect=201)

    # bad input: 4xx naming the field, nothing stored
    for body, field in [
        (model_file("has space"), "id"),
        (model_file("x" * 257), "id"),
        (model_file("export"), "id"),
        (model_file("m", base="no-such-model"), "base_model_id"),
        (model_file("custom", base=None), "base_model_id"),  # an override must be named like an LLM studio model
        (model_file("m", name=""), "name"),
        (model_file("m", params={"temperature": 5}), "params.temperature"),
        (model_file("m", params={"max_tokens": 0}), "params.max_tokens"),
        (model_file("m", params={"stop": [1]}), "params.stop[0]"),
        (model_file("m", params="hot"), "params"),
        (model_file("m", meta={"knowledge": [{"name": "no-such-rag", "type": "rag"}]}), "meta.knowledge[0]"),
        (model_file("m", meta={"knowledge": [{"id": "f1", "type": "file"}]}), "meta.knowledge[0].type"),
        (model_file("m", meta={"suggestion_prompts": [{"content": " "}]}), "meta.suggestion_prompts[0].content"),
        (model_file("m", meta={"tags": [3]}), "meta.tags[0]"),
        (model_file("m", meta={"hidden": "yes"}), "meta.hidden"),
        (model_file("m", meta={"profile_image_url": "data:image/png;base64," + "A" * (3 * 1024 * 1024)}), "meta.profile_image_url"),
        ({**model_file("m"), "colour": "red"}, "colour"),
    ]:
        code, text = await api.call("POST", "modelfiles", body, raw=True)
        error = json.loads(text)
        assert 400 <= code < 500 and error["field"] == field, (field, code, error)
        assert field.split("[")[0].split(".")[-1] in error["error"], error
    code, text = await api.call("POST", "modelfiles", "[1, 2]", raw=True)
    assert code == 422 and json.loads(text)["field"] == "body"
    assert (await api.get("modelfiles", params={"include_hidden": "true"}))["total"] == 0

    # create: Open WebUI's ModelForm; tags normalised, an invalid avatar becomes null (as Open WebUI does)
    body = model_file("helper", name="Helper", params={"system": "Be brief.", "temperature": 0.2, "top_p": 0.9, "custom": [1]},
                      meta={"profile_image_url": "javascript:alert(1)", "description": "helps", "tags": ["a", {"name": "b"}],
                            "suggestion_prompts": [{"content": "Hi", "title": ["Say", "hi"]}], "toolIds": ["t1"],
                            "capabilities": {"vision": True}, "extra": {"kept": True}})
    created = await api.post("modelfiles", body, expect=201)
    assert created["meta"]["profile_image_url"] is None and created["meta"]["tags"] == [{"name": "a"}, {"name": "b"}]
    assert created["params"]["custom"] == [1] and created["meta"]["extra"] == {"kept": True}
    assert created["available"] is True and created["loaded"] is False and created["is_active"] is True
    assert isinstance(created["created_at"], int) and created["created_at"] == created["updated_at"]
    assert created["access_grants"] == [] and created["user_id"]
    assert (await api.post("modelfiles", body, expect=409))["field"] == "id"
    await api.call("GET", "modelfiles/nope", expect=404)

    # edit: params and meta merged one level deep (null removes a key); the id never changes
    edited = await api.call("PATCH", "modelfiles/helper", {"name": "Helper 2", "params": {"temperature": 0.7, "top_p": None},
                                                          "meta": {"profile_image_url": AVATAR}}, expect=200)
    assert edited["name"] == "Helper 2" and edited["params"] == {"system": "Be brief.", "temperature": 0.7, "custom": [1]}
    assert edited["meta"]["profile_image_url"] == AVATAR and edited["meta"]["description"] == "helps"
    assert edited["created_at"] == created["created_at"]
    for patch, field in [({"id": "other"}, "id"), ({"base_model_id": "nope"}, "base_model_id"),
                         ({"params": {"top_p": 2}}, "params.top_p"), ({"meta": {"knowledge": [{"name": "nope"}]}}, "meta.knowledge[0]")]:
        assert (await api.call("PATCH", "modelfiles/helper", patch, expect=422))["field"] == field
    assert (await api.get("modelfiles/helper"))["name"] == "Helper 2"

    # clone: id + "-clone" (then -clone-2), name + " (Clone)"; the copy is its own
    first = await api.post("modelfiles/helper/clone", expect=201)
    second = await api.post("modelfiles/helper/clone", expect=201)
    assert (first["id"], first["name"], second["id"]) == ("helper-clone", "Helper 2 (Clone)", "helper-clone-2")
    assert first["params"] == edited["params"] and first["meta"] == edited["meta"]
    assert (await api.post("modelfiles/helper-clone/clone", expect=201))["id"] == "helper-clone-clone"
    # an override of a base model (base_model_id null, named like the LLM studio model) cannot be cloned
    override = await api.post("modelfiles", model_file("tiny", base=None, params={"system": "override"}), expect=201)
    assert override["base_model_id"] is None and override["available"] is True
    refused = await api.post("modelfiles/tiny/clone", expect=409)
    assert "cannot be cloned" in refused["error"] and refused["field"] == "base_model_id"

    # hide from the model picker (meta.hidden), and show again
    hidden = await api.post("modelfiles/helper-clone-2/hide", {"hidden": True}, expect=200)
    assert hidden["meta"]["hidden"] is True
    listed = await api.get("modelfiles")
    assert "helper-clone-2" not in {m["id"] for m in listed["items"]} and listed["total"] == 4
    everything = await api.get("modelfiles", params={"include_hidden": "true", "sort": "id"})
    assert [m["id"] for m in everything["items"]] == ["helper", "helper-clone", "helper-clone-2", "helper-clone-clone", "tiny"]
    assert (await api.post("modelfiles/helper-clone-2/hide", {"hidden": False}, expect=200))["meta"]["hidden"] is False
    assert (await api.get("modelfiles", params={"q": "clone"}))["total"] == 3
    await api.call("GET", "modelfiles", params={"sort": "colour"}, expect=422)

    # the LLM studio model cannot be deleted while model files answer through it
    refused = await api.call("DELETE", "llm/models/tiny", expect=409)
    assert "model files" in refused["error"], refused

    # the magics
    await line(shell, "modelfiles list")
    out = capsys.readouterr().out
    assert "helper-clone-clone" in out and "Helper 2 (Clone)" in out and "(overrides tiny)" in out
    from jupyter_easymaker.areas.modelfiles.magics import ModelFileTable

    page = ModelFileTable(await asyncio.to_thread(magics.client.list_modelfiles))
    html = page._repr_html_()
    assert "<table>" in html and AVATAR in html and "helper-clone" in html
    await line(shell, "modelfiles show helper")
    out = capsys.readouterr().out
    assert "Helper 2" in out and "Be brief." in out and "a, b" in out
    target = tmp_path / "exported.json"
    assert await line(shell, f"modelfiles export helper tiny --out {target}") == str(target)
    exported = json.loads(target.read_text())
    assert [m["id"] for m in exported] == ["helper", "tiny"]
    folder = tmp_path / "exports"
    folder.mkdir()
    path = await line(shell, f"modelfiles export --out {folder}")
    assert os.path.basename(path).startswith("models-export-") and len(json.loads((folder / os.path.basename(path)).read_text())) == 5
    assert await line(shell, "modelfiles clone helper") == "helper-clone-3"
    await line(shell, "modelfiles hide helper-clone-3")
    assert (await api.get("modelfiles/helper-clone-3"))["meta"]["hidden"] is True
    await line(shell, "modelfiles unhide helper-clone-3")
    assert (await api.get("modelfiles/helper-clone-3"))["meta"]["hidden"] is False
    for model_id in ("helper-clone", "helper-clone-2", "helper-clone-3", "helper-clone-clone", "helper", "tiny"):
        await line(shell, f"modelfiles delete {model_id}")
    assert "deleted" in capsys.readouterr().out
    result = await line(shell, f"modelfiles import {target}")
    assert (result["imported"], result["updated"], result["errors"]) == (2, 0, [])
    assert "imported 2 new" in capsys.readouterr().out

    # create and update from the magics: options, or a JSON cell (the options win over it)
    made = await line(shell, "modelfiles create poet --base tiny --name Poet --system 'Answer in verse.' "
                             "--param temperature=0.3 --param stop='[\"END\"]' --description rhymes --tag art")
    assert "created model file poet (Poet) on tiny" in capsys.readouterr().out
    stored = await api.get("modelfiles/poet")
    assert stored["params"] == {"system": "Answer in verse.", "temperature": 0.3, "stop": ["END"]}
    assert stored["meta"]["description"] == "rhymes" and stored["meta"]["tags"] == [{"name": "art"}]
    assert made["id"] == "poet" and made["available"] is True
    form = {"base_model_id": "tiny", "name": "From cell", "params": {"system": "Cell prompt.", "top_p": 0.5}}
    await cell(shell, "modelfiles create celled --param top_p=0.8", json.dumps(form))
    stored = await api.get("modelfiles/celled")
    assert stored["name"] == "From cell" and stored["params"] == {"system": "Cell prompt.", "top_p": 0.8}
    await line(shell, "modelfiles update poet --name 'Poet 2' --param temperature=0.9 --system 'Haiku only.'")
    assert "updated model file poet (Poet 2)" in capsys.readouterr().out
    stored = await api.get("modelfiles/poet")
    assert stored["name"] == "Poet 2" and stored["params"] == {"system": "Haiku only.", "temperature": 0.9, "stop": ["END"]}
    await cell(shell, "modelfiles update poet", json.dumps({"meta": {"description": "short poems"}, "params": {"stop": None}}))
    stored = await api.get("modelfiles/poet")
    assert stored["meta"]["description"] == "short poems" and "stop" not in stored["params"]
    # refused: no base model, nothing to change, a bad value (the server names the field), a cell that is not JSON
    assert await line(shell, "modelfiles create nobase --name X") is None
    assert "--base MODEL" in capsys.readouterr().err
    assert await line(shell, "modelfiles update poet") is None
    assert "give --name" in capsys.readouterr().err
    assert await line(shell, "modelfiles update poet --param temperature=5") is None
    assert "params.temperature" in capsys.readouterr().err
    assert await cell(shell, "modelfiles create broken --base tiny", "{not json") is None
    assert "not JSON" in capsys.readouterr().err
    assert (await api.get("modelfiles/poet"))["params"]["temperature"] == 0.9
    await api.call("GET", "modelfiles/nobase", expect=404)
    for model_id in ("poet", "celled"):
        await api.call("DELETE", f"modelfiles/{model_id}", expect=204)

    # once no model file uses it, the LLM studio model can go
    for model_id in ("helper", "tiny"):
        await api.call("DELETE", f"modelfiles/{model_id}", expect=204)
    await api.call("DELETE", "modelfiles/helper", expect=404)
    await api.call("DELETE", "llm/models/tiny", expect=204)


# -- the OpenAI-compatible API, end to end -------------------------------------------------------------
async def wait_for(api, path, statuses, timeout=180.0):
    deadline = time.monotonic() + timeout
    while True:
        row = await api.get(path)
        if row["status"] in statuses:
            return row
        assert time.monotonic() < deadline, f"{path} stayed {row['status']} ({row.get('status_reason')})"
        await asyncio.sleep(0.2)


def prompt_tokens(tokenizer, messages) -> int:
    """What the model server counts: the chat template applied, then tokenised."""
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return len(tokenizer(text)["input_ids"])


async def test_openai_client_on_model_files(api, llama, tmp_path, jp_serverapp, server_url, started_processes):
    """The one end-to-end test of model files: a loaded tiny Llama, a RAG, the ``openai`` client."""
    import openai
    from transformers import AutoTokenizer

    from jupyter_easymaker.areas.modelfiles.chat import knowledge_block

    tokenizer = AutoTokenizer.from_pretrained(llama)
    await api.post("llm/models", {"name": "tiny", "kind": "instruction", "path": llama}, expect=201)
    await api.post("llm/models/tiny/load", {}, expect=200)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "islands.txt").write_text("Pineapples grow on the island of Zanzibar, east of Africa.\n\n"
                                      "The lighthouse keeper on Skerry counts seabirds every morning.\n")
    await api.post("rags", {"name": "kb", "data_path": str(docs), "chunking": {"size": 60, "overlap": 0},
                            "llm": {"type": "external", "base_url": "http://127.0.0.1:9/v1", "model": "unused"}}, expect=201)
    loaded = await wait_for(api, "llm/models/tiny", {"RUNNING", "ERROR"})
    assert loaded["status"] == "RUNNING", loaded["status_reason"]
    rag = await wait_for(api, "rags/kb", {"ACTIVE", "CREATE FAILED"})
    assert rag["status"] == "ACTIVE", rag["status_reason"]

    await api.post("modelfiles", model_file("plain", params={"system": "You answer in one word.", "temperature": 0,
                                                               "max_tokens": 12}), expect=201)
    await api.post("modelfiles", model_file("reader", params={"system": "Use the context.", "temperature": 0, "max_tokens": 4},
                                            meta={"knowledge": [{"name": "kb", "type": "rag"}]}), expect=201)
    await api.post("modelfiles", model_file("secret", meta={"hidden": True}), expect=201)
    question = "Where do pineapples grow?"
    user = [{"role": "user", "content": question}]
    root = server_url + "easymaker/api/v1/modelfiles/openai/v1"
    token = jp_serverapp.identity_provider.token
    passages = (await api.post("rags/kb/retrieve", {"query": question}, expect=200))["sources"]
    assert passages and "Zanzibar" in passages[0]["text"]

    def use_openai():
        llm = openai.OpenAI(base_url=root, api_key=token, max_retries=0, timeout=120, _strict_response_validation=True)
        out = {"models": [m.id for m in llm.models.list()]}
        out["plain"] = llm.chat.completions.create(model="plain", messages=user)
        out["short"] = llm.chat.completions.create(model="plain", messages=user, max_tokens=3)
        out["own_system"] = llm.chat.completions.create(model="plain", messages=[{"role": "system", "content": "Mine."}, *user])
        out["stream"] = list(llm.chat.completions.create(model="plain", messages=user, stream=True,
                                                         stream_options={"include_usage": True}))
        out["base"] = llm.chat.completions.create(model="tiny", messages=user, max_tokens=2)
        out["reader"] = llm.chat.completions.create(model="reader", messages=user)
        with pytest.raises(openai.NotFoundError) as missing:
            llm.chat.completions.create(model="nope", messages=user)
        out["missing"] = missing.value
        with pytest.raises(openai.PermissionDeniedError) as denied:  # the Jupyter token is the API key
            openai.OpenAI(base_url=root, api_key="not-the-token", max_retries=0, timeout=30).models.list()
        out["denied"] = denied.value
        return out

    got = await asyncio.to_thread(use_openai)
    assert {"tiny", "plain", "reader"} <= set(got["models"]) and "secret" not in got["models"]

    # the model file's system prompt and max_tokens reached the server; the answer names the model file
    plain = got["plain"]
    assert plain.model == "plain" and plain.object == "chat.completion"
    assert plain.usage.prompt_tokens == prompt_tokens(tokenizer, [{"role": "system", "content": "You answer in one word."}, *user])
    assert plain.usage.completion_tokens <= 12
    assert got["short"].usage.completion_tokens <= 3  # the request's own parameter wins
    assert got["own_system"].usage.prompt_tokens == prompt_tokens(tokenizer, [{"role": "system", "content": "Mine."}, *user])
    # streamed: every chunk renamed, the same greedy text, the same usage
    chunks = got["stream"]
    assert chunks and all(c.model == "plain" for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == plain.choices[0].message.content
    assert [c.usage.prompt_tokens for c in chunks if c.usage] == [plain.usage.prompt_tokens]
    # an LLM studio model name passes through unchanged
    assert got["base"].model == "tiny" and got["base"].usage.prompt_tokens == prompt_tokens(tokenizer, user)
    assert got["base"].usage.completion_tokens <= 2
    # the linked RAG's passages are in the system prompt, with their sources
    system = "Use the context.\n\n" + knowledge_block([("kb", p) for p in passages])
    assert "[1] kb: islands.txt" in system
    assert got["reader"].model == "reader" and got["reader"].usage.completion_tokens <= 4
    assert got["reader"].usage.prompt_tokens == prompt_tokens(tokenizer, [{"role": "system", "content": system}, *user])
    assert "nope" in str(got["missing"]) and got["missing"].body["code"] == "model_not_found"
    assert set(got["denied"].body) == {"message", "type", "param", "code"}  # OpenAI's error shape, even for Jupyter's refusal

    # a stop sequence of the model file cuts the answer where the greedy text had it
    text = plain.choices[0].message.content
    if len(text) >= 3:
        stop = text[1:3]
        await api.call("PATCH", "modelfiles/plain", {"params": {"stop": [stop]}}, expect=200)
        stopped = await asyncio.to_thread(lambda: openai.OpenAI(base_url=root, api_key=token, max_retries=0).chat.completions.create(
            model="plain", messages=user))
        assert stopped.choices[0].message.content == text[:text.find(stop)] and stopped.choices[0].finish_reason == "stop"

    # not loaded: 409 in OpenAI's shape, saying to load it
    await api.post("llm/models/tiny/unload", {}, expect=200)
    await wait_for(api, "llm/models/tiny", {"TRAINED"})

    def unloaded():
        with pytest.raises(openai.ConflictError) as refused:
            openai.OpenAI(base_url=root, api_key=token, max_retries=0).chat.completions.create(model="plain", messages=user)
        return refused.value

    refused = await asyncio.to_thread(unloaded)
    assert "load" in str(refused) and "tiny" in str(refused)
    await api.call("DELETE", "rags/kb", expect=204)
