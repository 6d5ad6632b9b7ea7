"""Loading a base model and its tokenizer: a Hugging Face folder (safetensors)
or a GGUF file (dequantized by transformers), in full precision for LoRA or in
4-bit through bitsandbytes for QLoRA."""
from __future__ import annotations

import importlib.util
import os
from typing import Any


def qlora_unavailable_reason() -> str | None:
    """Why QLoRA cannot run here (None when it can)."""
    missing = []
    try:
        import torch

        if not torch.cuda.is_available():
            missing.append("no CUDA GPU is available")
    except ImportError:
        missing.append("torch is not installed")
    if importlib.util.find_spec("bitsandbytes") is None:
        missing.append("bitsandbytes is not installed")
    return " and ".join(missing) or None


def _source(base: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(folder, extra from_pretrained arguments) for the base."""
    path = base["path"]
    kwargs: dict[str, Any] = {}
    token = os.environ.get("HF_TOKEN")
    if token:
        kwargs["token"] = token
    if base.get("format") == "gguf" or path.endswith(".gguf"):
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.endswith(".gguf"))
            if not names:
                raise FileNotFoundError(f"no .gguf file in {path}")
            return path, {**kwargs, "gguf_file": names[0]}
        return os.path.dirname(path) or ".", {**kwargs, "gguf_file": os.path.basename(path)}
    return path, kwargs


def is_gguf(base: dict[str, Any]) -> bool:
    return "gguf_file" in _source(base)[1]


def load_tokenizer(base: dict[str, Any]):
    from transformers import AutoTokenizer

    folder, kwargs = _source(base)
    tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def compute_dtype():
    """bf16 on a GPU that supports it, else float32."""
    import torch

    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def load_model(base: dict[str, Any], method: str = "lora"):
    """The base model on its device, ready for peft (4-bit and k-bit prepared for QLoRA)."""
    import torch
    from transformers import AutoModelForCausalLM

    folder, kwargs = _source(base)
    if method == "qlora":
        reason = qlora_unavailable_reason()
        if reason:
            raise RuntimeError(f"QLoRA needs a CUDA GPU and bitsandbytes: {reason}")
        from peft import prepare_model_for_kbit_training
        from transformers import BitsAndBytesConfig

        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                   bnb_4bit_compute_dtype=compute_dtype())
        model = AutoModelForCausalLM.from_pretrained(folder, quantization_config=quant, device_map={"": 0}, **kwargs)
        return prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=compute_dtype(), **kwargs)
    return model.to(device)


def plain_copy(model):
    """A plain (non-GGUF, non-quantized) model of the same class holding ``model``'s weights:
    what can be saved as safetensors."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(**{k: v for k, v in model.config.to_dict().items()
                                     if k not in ("quantization_config", "_name_or_path")})
    plain = AutoModelForCausalLM.from_config(config, dtype=next(model.parameters()).dtype)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    plain.load_state_dict(state, strict=False)
    if getattr(config, "tie_word_embeddings", False):
        plain.tie_weights()
    plain.generation_config = model.generation_config
    return plain
