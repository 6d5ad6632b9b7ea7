"""What a finished fine-tuning leaves in its output folder: ``adapter/`` (the
peft adapter), ``merged/`` (the adapter merged into the base, a safetensors
Hugging Face folder with tokenizer, chat template and generation config), an
Ollama ``Modelfile``, ``loss_history.json`` and, written last and atomically,
``summary.json`` (its presence means the outputs are complete)."""
from __future__ import annotations

import json
import os
import shutil
from typing import Any

SUMMARY = "summary.json"

CHATML_OLLAMA = '''{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
'''
LLAMA3_OLLAMA = '''{{- if .System }}<|start_header_id|>system<|end_header_id|>

{{ .System }}<|eot_id|>{{ end }}{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>

{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>

'''


def write_json(path: str, data: Any) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _replace_dir(tmp: str, final: str) -> None:
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def modelfile(model_name: str, chat_template: str | None, eos_token: str | None) -> str:
    """An Ollama Modelfile for ``./merged``: TEMPLATE and stop words from the chat template's markers."""
    template = chat_template or ""
    lines = [f"# {model_name}: fine-tuned by easymaker", "FROM ./merged", ""]
    stops: list[str] = []
    if "<|im_start|>" in template and "<|im_end|>" in template:
        lines.append(f'TEMPLATE """{CHATML_OLLAMA}"""')
        stops = ["<|im_end|>", "<|im_start|>"]
    elif "<|start_header_id|>" in template and "<|eot_id|>" in template:
        lines.append(f'TEMPLATE """{LLAMA3_OLLAMA}"""')
        stops = ["<|eot_id|>", "<|start_header_id|>"]
    if eos_token and eos_token not in stops:
        stops.append(eos_token)
    lines += [f'PARAMETER stop "{s}"' for s in stops]
    return "\n".join(lines) + "\n"


def write_adapter(model, output_dir: str) -> str:
    final = os.path.join(output_dir, "adapter")
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    _replace_dir(tmp, final)
    return final


def write_merged(model, tokenizer, output_dir: str, from_gguf: bool) -> str:
    """Merge the adapter into (a copy of) the base and save it as safetensors with the tokenizer."""
    from jupyter_easymaker.runtime.llm.loading import plain_copy

    final = os.path.join(output_dir, "merged")
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    merged = model.merge_and_unload()
    if from_gguf or getattr(merged.config, "quantization_config", None) is not None or merged.device.type != "cpu":
        merged = plain_copy(merged)
    merged.config.use_cache = True
    merged.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    if merged.generation_config is not None:
        merged.generation_config.save_pretrained(tmp)
    _replace_dir(tmp, final)
    return final


def write_all(model, tokenizer, output_dir: str, *, model_name: str, from_gguf: bool,
              loss_history: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    os.makedirs(output_dir, exist_ok=True)
    write_adapter(model, output_dir)
    write_merged(model, tokenizer, output_dir, from_gguf)
    tmp = os.path.join(output_dir, f"Modelfile.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(modelfile(model_name, getattr(tokenizer, "chat_template", None), tokenizer.eos_token))
    os.replace(tmp, os.path.join(output_dir, "Modelfile"))
    write_json(os.path.join(output_dir, "loss_history.json"), loss_history)
    write_json(os.path.join(output_dir, SUMMARY), summary)
