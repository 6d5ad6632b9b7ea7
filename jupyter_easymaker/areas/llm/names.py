"""What a Hugging Face model name says (the seed's vocabulary): family,
size (135M, 7B, 8x7B), MoE active parameters ("A3B"), chat/instruct,
quantization (GGUF Q4_K_M, Q8_0, ..., GPTQ, AWQ) and format; and the context
length read from a model's own files (config.json, or a GGUF's metadata)."""
from __future__ import annotations

import json
import os
import re
from typing import Any

SIZE = re.compile(r"(?<![A-Za-z0-9])(?:(\d+)x)?(\d+(?:\.\d+)?)([MBT])(?![A-Za-z])", re.IGNORECASE)
ACTIVE = re.compile(r"(?<![A-Za-z0-9])A(\d+(?:\.\d+)?)([MB])(?![A-Za-z])", re.IGNORECASE)
GGUF_QUANT = re.compile(r"(?<![A-Za-z0-9])(I?Q\d(?:_[A-Z0-9]+)*|F16|F32|BF16)(?![A-Za-z0-9])", re.IGNORECASE)
CHAT = re.compile(r"(?<![A-Za-z])chat(?![A-Za-z])", re.IGNORECASE)
INSTRUCT = re.compile(r"(?<![A-Za-z])(instruct|it|sft)(?![A-Za-z])", re.IGNORECASE)
RECIPE_PREFIXES = {"all", "paraphrase", "multi", "msmarco", "nli", "stsb", "multilingual"}


def parse_name(name: str) -> dict[str, Any]:
    """``Mixtral-8x7B-Instruct-v0.1`` -> family Mixtral, size 8x7B, moe, instruct."""
    base = name.rsplit("/", 1)[-1]
    stem = base[:-5] if base.lower().endswith(".gguf") else base
    fmt = "gguf" if base.lower().endswith(".gguf") or re.search(r"(?<![A-Za-z])gguf(?![A-Za-z])", base, re.IGNORECASE) else "huggingface"
    quant = None
    if re.search(r"(?<![A-Za-z])GPTQ(?![A-Za-z])", stem, re.IGNORECASE):
        quant = "GPTQ"
    elif re.search(r"(?<![A-Za-z])AWQ(?![A-Za-z])", stem, re.IGNORECASE):
        quant = "AWQ"
    elif re.search(r"(?<![A-Za-z])QLoRA(?![A-Za-z])", stem, re.IGNORECASE):
        quant = "QLoRA"
    match = GGUF_QUANT.search(stem)
    if match and quant is None:
        quant = match.group(1).upper()
    active = ACTIVE.search(stem)
    size = None
    experts = None
    for m in SIZE.finditer(stem):
        if active is not None and m.start() == active.start() + 1:
            continue  # the "3B" of "A3B"
        experts = int(m.group(1)) if m.group(1) else None
        size = f"{m.group(1) + 'x' if m.group(1) else ''}{m.group(2)}{m.group(3).upper()}"
        break
    parts = re.split(r"[-_ ]", stem)
    # sentence-transformers name their training recipe first: all-MiniLM-L6-v2 is a MiniLM
    while len(parts) > 1 and parts[0].lower() in RECIPE_PREFIXES:
        parts = parts[1:]
    family_part = parts[0]
    family = re.sub(r"[\d.]+$", "", family_part) or family_part
    version = family_part[len(family):] or None
    return {
        "family": family, "version": version, "size": size,
        "active_params": f"{active.group(1)}{active.group(2).upper()}" if active else None,
        "moe": bool(experts or active), "experts": experts,
        "chat": bool(CHAT.search(stem)), "instruct": bool(INSTRUCT.search(stem)),
        "quantization": quant, "format": fmt,
    }


def parameters_label(info: dict[str, Any]) -> str | None:
    return info.get("size")


def context_length(path: str) -> int | None:
    """From a Hugging Face folder's config.json, or a GGUF file's metadata."""
    if os.path.isfile(path) and path.lower().endswith(".gguf"):
        return gguf_context_length(path)
    config = os.path.join(path, "config.json")
    if os.path.isfile(config):
        try:
            with open(config, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return None
        for source in (data, data.get("text_config") or {}):
            for key in ("max_position_embeddings", "n_ctx", "max_sequence_length", "seq_length", "n_positions"):
                value = source.get(key)
                if isinstance(value, int) and value > 0:
                    return value
        return None
    ggufs = sorted(f for f in os.listdir(path) if f.lower().endswith(".gguf")) if os.path.isdir(path) else []
    return gguf_context_length(os.path.join(path, ggufs[0])) if ggufs else None


def gguf_context_length(path: str) -> int | None:
    try:
        from gguf import GGUFReader  # light, still only when a GGUF is registered
    except ImportError:
        return None
    try:
        reader = GGUFReader(path, "r")
    except Exception:  # noqa: BLE001 - not a readable GGUF: no length
        return None
    for key, field in reader.fields.items():
        if key.endswith(".context_length"):
            try:
                return int(field.parts[field.data[0]][0])
            except (IndexError, TypeError, ValueError):
                return None
    return None
