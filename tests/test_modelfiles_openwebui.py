"""Model files in Open WebUI's own shapes, against a real server: the real
export file in ``../shared/data/openwebui-models/`` imported (the facts its
SOURCES.md lists) and exported back unchanged, the three element shapes Open
WebUI's importer accepts, a bad entry among good ones reported on its own,
and export -> import -> export losing nothing."""
from __future__ import annotations

import copy
import json
import os
import re
from datetime import UTC

import pytest

from tests.llm_builders import build_tiny_llama
from tests.server_config import server_config

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "openwebui-models")
REAL = os.path.join(SHARED, "rosehill-acronym-to-organisation-1737821822373.json")
AVATAR = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return build_tiny_llama(str(tmp_path_factory.mktemp("llm") / "tiny"))


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path, llama):
    return server_config(easymaker_data, tmp_path, local_roots=[str(tmp_path), os.path.dirname(llama)])


def real_export() -> list[dict]:
    with open(REAL, encoding="utf-8") as fh:
        return json.load(fh)


async def export(api, ids: str | None = None) -> tuple[str, list[dict]]:
    response = await api.jp_fetch("easymaker", "api", "v1", "modelfiles", "export", method="GET",
                                  params={"ids": ids} if ids else None)
    assert response.headers["Content-Type"].startswith("application/json")
    found = re.fullmatch(r'attachment; filename="([^"]+)"', response.headers["Content-Disposition"])
    assert found, response.headers["Content-Disposition"]
    return found.group(1), json.loads(response.body)


async def register_base(api, llama, name="tiny"):
    await api.post("llm/models", {"name": name, "kind": "instruction", "path": llama}, expect=201)


def rich(model_id: str, base: str | None, **extra) -> dict:
    """A model file using every part of Open WebUI's record, and keys this server does not know."""
    return {
        "id": model_id, "base_model_id": base, "name": f"Model {model_id}",
        "params": {"system": "You are terse.", "temperature": 0.3, "top_p": 0.9, "max_tokens": 64, "stop": ["###"], "seed": 7,
                   "num_ctx": 2048, "function_calling": "native", "reasoning_tags": ["<think>", "</think>"],
                   "model_controls": {"effort": {"display": "menu", "label": "Effort", "options": {"low": {"label": "Low",
                                                                                                           "params": {"temperature": 0.1}}}}}},
        "meta": {"profile_image_url": AVATAR, "description": "a rich one", "capabilities": {"vision": True, "citations": False},
                 "suggestion_prompts": [{"content": "Say hi", "title": ["Greet", "the user"]}, {"content": "Count to 3"}],
                 "toolIds": ["calculator"], "filterIds": [], "tags": ["alpha", {"name": "beta"}], "voice": {"id": "x"},
                 "i18n": {"ko": {"name": "모델"}}},
        "access_control": {"read": {"group_ids": ["g1"], "user_ids": []}, "write": {"group_ids": [], "user_ids": []}},
        **extra,
    }


async def test_real_export_imported_and_exported_unchanged(api, llama):
    original = real_export()
    result = await api.post("modelfiles/import", original, expect=200)
    assert (result["imported"], result["updated"], result["errors"]) == (1, 0, [])
    # its base is the DeepSeek model of the server it came from: kept, and marked as unable to chat here
    entry = result["models"][0]
    assert entry["id"] == "acronym-to-organisation" and entry["action"] == "created" and entry["available"] is False
    assert "deepseek.deepseek-chat" in entry["unavailable_reason"] and "LLM studio" in entry["unavailable_reason"]

    # the facts SOURCES.md lists
    model = await api.get("modelfiles/acronym-to-organisation")
    assert model["name"] == "Acronym To Organisation" and model["base_model_id"] == "deepseek.deepseek-chat"
    assert model["params"]["system"].startswith(
        "Your purpose is to act as a friendly assistant to the user to perform the single task of converting from acronyms")
    assert model["meta"]["profile_image_url"] == "/static/favicon.png"  # Open WebUI's own default avatar is valid
    assert model["meta"]["capabilities"] == {"vision": True, "usage": False, "citations": True}
    assert model["access_control"] == original[0]["access_control"] and model["user"] == original[0]["user"]
    assert (model["created_at"], model["updated_at"]) == (1737729071, 1737729071)
    assert model["available"] is False and model["loaded"] is False

    # exported alone: <id>-<ms>.json, the same array of one as the file
    name, exported = await export(api, "acronym-to-organisation")
    assert re.fullmatch(r"acronym-to-organisation-\d{13}\.json", name), name
    assert exported == original

    # chatting with it names why it cannot: the base model is not in LLM studio
    refused = await api.post("modelfiles/openai/v1/chat/completions",
                             {"model": "acronym-to-organisation", "messages": [{"role": "user", "content": "NASA"}]}, expect=409)
    assert "deepseek.deepseek-chat" in refused["error"]["message"]

    # once the base exists here (an LLM studio model of that name) it is available; the user's file never changed
    await api.post("llm/models", {"name": "deepseek-chat", "kind": "instruction", "path": llama}, expect=201)
    await api.call("PATCH", "modelfiles/acronym-to-organisation", {"base_model_id": "deepseek-chat"}, expect=200)
    assert (await api.get("modelfiles/acronym-to-organisation"))["available"] is True

    # importing the file again, as Open WebUI's front end posts it ({"models": [m.info ?? m]}): the record is replaced
    again = await api.post("modelfiles/import", {"models": original}, expect=200)
    assert (again["imported"], again["updated"], again["errors"]) == (0, 1, [])
    assert (await export(api, "acronym-to-organisation"))[1] == original


async def test_three_shapes_and_a_bad_entry_among_good_ones(api, llama):
    await register_base(api, llama)
    record = rich("as-record", "tiny")
    list_entry = {  # a flattened model-list entry (GET /api/models): the record's fields next to the list's own
        "id": "as-list-entry", "name": "From the model list", "object": "model", "created": 1737000000, "owned_by": "openai",
        "base_model_id": "tiny", "params": {"system": "list"}, "meta": {"tags": [{"name": "x"}]}, "preset": True, "actions": [],
        "tags": [{"name": "x"}], "is_active": True,
    }
    info_wrapped = {"id": "as-info", "name": "wrapped", "object": "model", "owned_by": "openai", "preset": True, "actions": [],
                    "info": {**rich("as-info", "tiny"), "user_id": "u1", "created_at": 1736000000, "updated_at": 1736000500}}
    healed = {"id": "tiny", "base_model_id": "tiny", "name": "Tiny, customised", "params": {"system": "override"}, "meta": {}}
    bad = [
        ({**rich("has space", "tiny")}, "id"),
        ({**rich("bad-temp", "tiny"), "params": {"temperature": "hot"}}, "params.temperature"),
        ({**rich("bad-knowledge", "tiny"), "meta": {"knowledge": [{"name": "no-such-rag", "type": "rag"}]}}, "meta.knowledge[0]"),
        ({**rich("bad-prompt", "tiny"), "meta": {"suggestion_prompts": [{"title": "no content"}]}}, "meta.suggestion_prompts[0].content"),
        ({"id": "no-name", "base_model_id": "tiny"}, "name"),
        ({"id": "bad-info", "info": "not a record", "name": "x"}, "info"),
        ("not an object", "body"),
    ]
    elements = [record, bad[0][0], list_entry, bad[1][0], info_wrapped, bad[2][0], healed, *[b for b, _ in bad[3:]]]
    result = await api.post("modelfiles/import", elements, expect=200)
    assert (result["imported"], result["updated"]) == (4, 0), result
    errors = {e["index"]: e for e in result["errors"]}
    expected = {1: ("has space", "id"), 3: ("bad-temp", "params.temperature"), 5: ("bad-knowledge", "meta.knowledge[0]"),
                7: ("bad-prompt", "meta.suggestion_prompts[0].content"), 8: ("no-name", "name"), 9: ("bad-info", "info"),
                10: (None, "body")}
    assert {i: (e["id"], e["field"]) for i, e in errors.items()} == expected, result["errors"]
    assert all(e["reason"] for e in result["errors"])
    assert "no-such-rag" in errors[5]["reason"] and "whitespace" in errors[1]["reason"]
    assert [(m["index"], m["id"], m["available"]) for m in result["models"]] == [
        (0, "as-record", True), (2, "as-list-entry", True), (4, "as-info", True), (6, "tiny", True)]

    # each shape stored as its record
    stored = await api.get("modelfiles/as-record")
    assert stored["params"] == record["params"]
    assert stored["meta"]["tags"] == [{"name": "alpha"}, {"name": "beta"}]  # strings normalised to {name}
    assert stored["meta"]["suggestion_prompts"] == record["meta"]["suggestion_prompts"]
    assert stored["meta"]["voice"] == {"id": "x"} and stored["meta"]["i18n"] == {"ko": {"name": "모델"}}  # unknown keys kept
    listed = await api.get("modelfiles/as-list-entry")
    assert listed["created_at"] == 1737000000 and listed["params"] == {"system": "list"}
    assert not {"object", "owned_by", "preset", "actions", "created"} & set(listed)
    wrapped = await api.get("modelfiles/as-info")
    assert (wrapped["user_id"], wrapped["created_at"], wrapped["updated_at"]) == ("u1", 1736000000, 1736000500)
    assert wrapped["name"] == "Model as-info" and "preset" not in wrapped
    override = await api.get("modelfiles/tiny")
    assert override["base_model_id"] is None and override["available"] is True  # base_model_id == id healed to null
    for missing in ("has space", "bad-temp", "bad-knowledge"):
        await api.call("GET", f"modelfiles/{missing}", expect=404)

    # the whole body must be a list or {"models": [...]}
    refused = await api.post("modelfiles/import", {"model": []}, expect=422)
    assert refused["field"] == "body"


async def test_export_import_export_loses_nothing(api, llama):
    await register_base(api, llama)
    await api.post("modelfiles/import", real_export(), expect=200)
    for body in (rich("first", "tiny"), rich("second", "tiny", access_grants=[{"id": "g", "resource_type": "model"}]),
                 {"id": "tiny", "base_model_id": None, "name": "Tiny override", "params": {}, "meta": {"hidden": True}}):
        await api.post("modelfiles", body, expect=201)
    await api.post("modelfiles/first/clone", expect=201)
    await api.post("modelfiles/second/hide", {"hidden": True}, expect=200)

    name, first = await export(api)
    assert re.fullmatch(r"models-export-\d{13}\.json", name), name
    assert {m["id"] for m in first} == {"acronym-to-organisation", "first", "second", "tiny", "first-clone"}
    assert all(not {"available", "unavailable_reason", "loaded"} & set(m) for m in first)  # Open WebUI's shape only
    by_id = {m["id"]: m for m in first}
    assert by_id["first"]["meta"]["profile_image_url"] == AVATAR and by_id["first"]["access_control"]["read"]["group_ids"] == ["g1"]
    assert by_id["second"]["access_grants"] == [{"id": "g", "resource_type": "model"}] and by_id["second"]["meta"]["hidden"] is True
    assert by_id["first-clone"]["name"] == "Model first (Clone)"
    assert by_id["acronym-to-organisation"] == real_export()[0]

    # into the same server: every record replaced by itself
    same = await api.post("modelfiles/import", copy.deepcopy(first), expect=200)
    assert (same["imported"], same["updated"], same["errors"]) == (0, 5, [])
    assert (await export(api))[1] == first
    # into an empty store: created again, equal to the byte once parsed
    for model in first:
        await api.call("DELETE", f"modelfiles/{model['id']}", expect=204)
    assert (await api.get("modelfiles", params={"include_hidden": "true"}))["total"] == 0
    fresh = await api.post("modelfiles/import", copy.deepcopy(first), expect=200)
    assert (fresh["imported"], fresh["updated"], fresh["errors"]) == (5, 0, [])
    name, second = await export(api)
    assert second == first
    assert json.loads(json.dumps(second, separators=(",", ":"), ensure_ascii=False)) == first
    # one of them, exported alone, is an array of one
    assert (await export(api, "second"))[1] == [by_id["second"]]
    missing = await api.call("GET", "modelfiles/export", params={"ids": "first,nope"}, expect=404)
    assert missing["field"] == "ids" and "nope" in missing["error"]


def test_request_shaping_and_renaming_without_a_server():
    """The request a model file makes (its prompt, defaults under the request's own, passages) and the
    answer's model renamed even when the served name is split between two chunks."""
    from jupyter_easymaker.areas.modelfiles.chat import (
        ModelRenamer,
        knowledge_block,
        render_system,
        shape,
    )

    params = {"system": "ignored here", "temperature": 0.1, "top_p": 0.5, "num_predict": 7, "stop": ["##"], "seed": 3, "num_ctx": 9}
    body = {"model": "mine", "messages": [{"role": "user", "content": "q"}], "temperature": 0.9, "stream": True}
    passages = [("kb", {"file": "a.txt", "chunk": 2, "score": 0.5, "text": " Zanzibar \n"})]
    out = shape(body, params, served="srv", system="Be brief.", passages=passages)
    assert out["model"] == "srv" and out["stream"] is True
    assert (out["temperature"], out["top_p"], out["max_tokens"], out["stop"], out["seed"]) == (0.9, 0.5, 7, ["##"], 3)
    assert "num_ctx" not in out and body["messages"] == [{"role": "user", "content": "q"}]  # the caller's body untouched
    assert out["messages"][0] == {"role": "system", "content": "Be brief.\n\n" + knowledge_block(passages)}
    assert "[1] kb: a.txt (chunk 2)\nZanzibar" in out["messages"][0]["content"]
    own = shape({**body, "messages": [{"role": "system", "content": "Mine."}, {"role": "user", "content": "q"}],
                 "max_completion_tokens": 2}, params, served="srv", system="Be brief.", passages=[])
    assert own["messages"][0] == {"role": "system", "content": "Mine."} and "max_tokens" not in own
    assert shape(body, {}, served="srv", system=None, passages=[])["messages"] == body["messages"]

    from datetime import datetime

    when = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    assert render_system("{{USER_NAME}} on {{CURRENT_DATE}} ({{CURRENT_WEEKDAY}})", user="ann", now=when) == "ann on 2026-12-05 (Saturday)"

    renamer = ModelRenamer("served-model", "my-file")
    stream = (b'data: {"id":"c1","model":"served-model","choices":[]}\n\n'
              b'data: {"id":"c1", "model": "served-model", "choices":[]}\n\ndata: [DONE]\n\n')
    for cut in range(1, len(stream)):
        got = renamer.feed(stream[:cut]) + renamer.feed(stream[cut:]) + renamer.end()
        assert got == stream.replace(b"served-model", b"my-file"), cut
    whole = b'{"id":"c","object":"chat.completion","model":"served-model","usage":{}}'
    assert renamer.feed(whole[:30]) == b"" and renamer.feed(whole[30:]) + renamer.end() == whole.replace(b"served-model", b"my-file")


def test_shaped_requests_reach_a_real_model_server(llama, tmp_path):
    """What a model file sends, posted to a real model server process (the one the LLM studio loads
    models into): its system prompt and passages count in the prompt tokens, its max_tokens and stop
    change the answer, the request's own values win, and the streamed answer's model is renamed."""
    import socket
    import subprocess
    import sys
    import time

    import httpx
    from transformers import AutoTokenizer

    from jupyter_easymaker.areas.modelfiles.chat import (
        ModelRenamer,
        knowledge_block,
        shape,
    )

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_easymaker.runtime.model_server", "--model", "tiny", "--model-dir", llama,
                             "--framework", "huggingface", "--task", "text_generation", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if http.get("/v2/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, "the model server did not start"
                time.sleep(0.2)
            tokenizer = AutoTokenizer.from_pretrained(llama)

            def count(messages):
                return len(tokenizer(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))["input_ids"])

            user = [{"role": "user", "content": "Where do pineapples grow?"}]
            passages = [("kb", {"file": "islands.txt", "chunk": 0, "score": 1.0, "text": "Pineapples grow on Zanzibar."})]
            params = {"system": "Use the context.", "temperature": 0, "max_tokens": 10}
            body = shape({"model": "reader", "messages": user}, params, served="tiny", system=params["system"], passages=passages)
            answer = http.post("/v1/chat/completions", json=body).json()
            system = "Use the context.\n\n" + knowledge_block(passages)
            assert answer["usage"]["prompt_tokens"] == count([{"role": "system", "content": system}, *user])
            assert answer["usage"]["completion_tokens"] <= 10
            short = http.post("/v1/chat/completions", json=shape({"model": "reader", "messages": user, "max_tokens": 2}, params,
                                                                  served="tiny", system=None, passages=[])).json()
            assert short["usage"]["completion_tokens"] <= 2 and short["usage"]["prompt_tokens"] == count(user)
            text = answer["choices"][0]["message"]["content"]
            if len(text) >= 3:  # the model file's stop sequence cuts the greedy answer where it occurs
                stop = text[1:3]
                cut = http.post("/v1/chat/completions", json=shape({"model": "reader", "messages": user}, {**params, "stop": [stop]},
                                                                    served="tiny", system=params["system"], passages=passages)).json()
                assert cut["choices"][0]["message"]["content"] == text[:text.find(stop)]
                assert cut["choices"][0]["finish_reason"] == "stop"
            renamer, raw = ModelRenamer("tiny", "reader"), b""
            with http.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as response:
                for piece in response.iter_raw():
                    raw += renamer.feed(piece)
            raw += renamer.end()
            events = [json.loads(line[5:]) for line in raw.decode().splitlines() if line.startswith("data:") and "[DONE]" not in line]
            assert events and all(e["model"] == "reader" for e in events)
            assert "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"]) == text
    finally:
        proc.kill()
        proc.wait(10)
