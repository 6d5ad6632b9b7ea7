"""Built-in algorithm ``torch-text-classifier``: a bag-of-words classifier in PyTorch.

Regex word tokens -> vocabulary of the ``max_vocab`` most frequent words ->
EmbeddingBag (mean) -> linear head or one hidden layer. Prints
``epoch=N loss=... val_loss=... val_accuracy=...`` every epoch, writes
TensorBoard scalars, checkpoints every epoch to ``EM_CHECKPOINT_DIR`` and
resumes from ``EM_CHECKPOINT_INPUT_DIR``. Under torchrun (``WORLD_SIZE>1``) it
trains data-parallel with DistributedDataParallel; rank 0 writes everything.
"""
from __future__ import annotations

import argparse
import collections
import csv
import glob
import gzip
import io
import os
import random
import re
import sys
import time
from typing import Any

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared helper lives next to this file
from _algo_common import (  # noqa: E402
    DataError,
    ScalarLogger,
    add_hp,
    csv_files,
    dataset_path,
    emit,
    fail,
    log,
    parse_args,
    str2bool,
    write_json,
)

TOKEN_PATTERN = r"[\w']+"
_TOKEN = re.compile(TOKEN_PATTERN)
PAD, UNK = "<pad>", "<unk>"
CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = "easymaker-text-classifier/1"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="PyTorch text classifier (jupyter-easymaker built-in algorithm)")
    add_hp(p, "text_column", str, "text", "column holding the text")
    add_hp(p, "label_column", str, "label", "column holding the label")
    add_hp(p, "epochs", int, 5, "total epochs")
    add_hp(p, "batch_size", int, 32, "examples per step and process")
    add_hp(p, "learning_rate", float, 0.01, "Adam learning rate")
    add_hp(p, "embedding_dim", int, 64, "embedding size")
    add_hp(p, "hidden_dim", int, 0, "hidden layer size, 0 = linear head")
    add_hp(p, "max_vocab", int, 20000, "vocabulary size including <pad> and <unk>")
    add_hp(p, "lowercase", str2bool, True, "lower-case before tokenizing")
    add_hp(p, "validation_split", float, 0.1, "held-out fraction when no validation dataset is given")
    add_hp(p, "seed", int, 42, "random seed")
    return p


# -- data --------------------------------------------------------------------
def tokenize(text: str, lowercase: bool = True) -> list[str]:
    return _TOKEN.findall(text.lower() if lowercase else text)


def read_rows(name: str, required: bool, text_column: str, label_column: str) -> list[tuple[str, str]] | None:
    path = dataset_path(name)
    if not path:
        if required:
            raise DataError(f"dataset {name!r} is required (datasets.{name}, env EM_DATASET_{name.upper()})")
        return None
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long documents
    rows: list[tuple[str, str]] = []
    skipped = 0
    for file in csv_files(path, name):
        opener = gzip.open if file.endswith(".gz") else open
        with opener(file, "rt", encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            missing = [c for c in (text_column, label_column) if c not in columns]
            if missing:
                raise DataError(
                    f"dataset {name!r}: column {missing[0]!r} not found in {os.path.basename(file)}; "
                    f"columns are: {', '.join(columns)} (set text_column / label_column)"
                )
            for row in reader:
                label = (row.get(label_column) or "").strip()
                if not label:
                    skipped += 1
                    continue
                rows.append((row.get(text_column) or "", label))
    if skipped:
        log(f"dataset {name}: skipped {skipped} rows without a label")
    if not rows:
        raise DataError(f"dataset {name!r}: no labelled rows in {path}")
    return rows


def build_vocab(token_lists: list[list[str]], max_vocab: int) -> dict[str, int]:
    counts = collections.Counter(t for tokens in token_lists for t in tokens)
    # sorted by count then token: the same vocabulary on every rank and every run
    words = sorted(counts, key=lambda t: (-counts[t], t))[: max(0, max_vocab - 2)]
    return {token: index for index, token in enumerate([PAD, UNK, *words])}


def encode(tokens: list[str], vocab: dict[str, int]) -> list[int]:
    return [vocab.get(t, 1) for t in tokens] or [0]  # an empty text is one <pad>, which the mean ignores


def collate(batch: list[tuple[list[int], int]]):
    lengths = torch.tensor([len(ids) for ids, _ in batch])
    tokens = torch.tensor([i for ids, _ in batch for i in ids], dtype=torch.long)
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
    labels = torch.tensor([label for _, label in batch], dtype=torch.long)
    return tokens, offsets, labels


# -- model -------------------------------------------------------------------
class TextClassifier(nn.Module):
    def __init__(self, vocab_size: int, embedding_dim: int, hidden_dim: int, num_classes: int):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embedding_dim, mode="mean", padding_idx=0)
        if hidden_dim > 0:
            self.head = nn.Sequential(nn.Linear(embedding_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, num_classes))
        else:
            self.head = nn.Linear(embedding_dim, num_classes)

    def forward(self, tokens: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        return self.head(self.embedding(tokens, offsets))


def load_model(model_dir: str, map_location: str = "cpu"):
    """Load a saved model: ``(model, vocab, labels, config)``."""
    import json

    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as fh:
        config = json.load(fh)
    with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as fh:
        vocab = json.load(fh)
    with open(os.path.join(model_dir, "labels.json"), encoding="utf-8") as fh:
        labels = json.load(fh)
    model = TextClassifier(config["vocab_size"], config["embedding_dim"], config["hidden_dim"], config["num_classes"])
    model.load_state_dict(torch.load(os.path.join(model_dir, "model.pt"), map_location=map_location, weights_only=True))
    model.eval()
    return model, vocab, labels, config


def predict(model: TextClassifier, vocab: dict[str, int], labels: list[str], texts: list[str], lowercase: bool = True) -> list[str]:
    tokens, offsets, _ = collate([(encode(tokenize(t, lowercase), vocab), 0) for t in texts])
    with torch.no_grad():
        return [labels[i] for i in model(tokens, offsets).argmax(1).tolist()]


@torch.no_grad()
def evaluate(model: nn.Module, examples: list[tuple[list[int], int]], batch_size: int, device) -> dict[str, float]:
    model.eval()
    criterion = nn.CrossEntropyLoss(reduction="sum")
    total_loss, correct = 0.0, 0
    for start in range(0, len(examples), max(batch_size, 256)):
        tokens, offsets, labels = (t.to(device) for t in collate(examples[start : start + max(batch_size, 256)]))
        logits = model(tokens, offsets)
        total_loss += criterion(logits, labels).item()
        correct += (logits.argmax(1) == labels).sum().item()
    model.train()
    return {"loss": total_loss / len(examples), "accuracy": correct / len(examples)}


# -- checkpoints -------------------------------------------------------------
def find_checkpoint(directory: str) -> str | None:
    if not directory or not os.path.isdir(directory):
        return None
    preferred = os.path.join(directory, CHECKPOINT_NAME)
    if os.path.isfile(preferred):
        return preferred
    candidates = sorted(glob.glob(os.path.join(directory, "**", "*.pt"), recursive=True), key=os.path.getmtime)
    return candidates[-1] if candidates else None


def save_checkpoint(directory: str, state: dict[str, Any]) -> None:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, CHECKPOINT_NAME)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(buffer.getvalue())
    os.replace(tmp, path)  # a stop mid-write leaves the previous checkpoint intact


# -- training ----------------------------------------------------------------
class Distributed:
    """WORLD_SIZE/RANK/LOCAL_RANK as torchrun (or the launcher, one process per node) sets them."""

    def __init__(self) -> None:
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device("cuda", self.local_rank)
        else:
            self.device = torch.device("cpu")
        self.enabled = self.world_size > 1
        if self.enabled:
            import torch.distributed as dist

            backend = "nccl" if self.device.type == "cuda" else "gloo"
            dist.init_process_group(backend=backend)  # env://: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE
            self.rank = dist.get_rank()
            if self.rank == 0:
                log(f"distributed training: {self.world_size} processes, backend {backend}")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def sum(self, *values: float) -> list[float]:
        if not self.enabled:
            return list(values)
        import torch.distributed as dist

        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def close(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()
            dist.destroy_process_group()


def split_rows(rows, fraction: float, seed: int):
    if fraction <= 0 or len(rows) < 2:
        return rows, []
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_val = min(len(rows) - 1, max(1, round(len(rows) * fraction)))
    return [rows[i] for i in order[n_val:]], [rows[i] for i in order[:n_val]]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(build_parser(), argv)
    started = time.time()
    try:
        train_rows = read_rows("train", True, args.text_column, args.label_column)
        val_rows = read_rows("validation", False, args.text_column, args.label_column)
        test_rows = read_rows("test", False, args.text_column, args.label_column)
    except DataError as exc:
        fail(str(exc))
    if val_rows is None:
        train_rows, val_rows = split_rows(train_rows, args.validation_split, args.seed)

    dist_ctx = Distributed()
    device = dist_ctx.device
    checkpoint_path = find_checkpoint(os.environ.get("EM_CHECKPOINT_INPUT_DIR", ""))
    checkpoint = None
    if checkpoint_path:
        checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        if checkpoint.get("format") != CHECKPOINT_FORMAT:
            fail(f"{checkpoint_path} is not a checkpoint of torch-text-classifier")
        vocab, labels, arch = checkpoint["vocab"], checkpoint["labels"], checkpoint["config"]
        lowercase = arch.get("lowercase", args.lowercase)
        for key in ("embedding_dim", "hidden_dim"):
            if getattr(args, key) != arch[key]:
                log(f"resuming: {key}={arch[key]} from the checkpoint overrides {getattr(args, key)}")
    else:
        lowercase = args.lowercase
        labels = sorted({label for _, label in train_rows})
        vocab = build_vocab([tokenize(text, lowercase) for text, _ in train_rows], args.max_vocab)
        arch = {"embedding_dim": args.embedding_dim, "hidden_dim": args.hidden_dim, "lowercase": lowercase}
    if len(labels) < 2:
        fail(f"column {args.label_column!r} has a single label ({labels[0]!r}): nothing to classify")
    label_index = {label: i for i, label in enumerate(labels)}

    def examples(rows, name):
        known = [(encode(tokenize(text, lowercase), vocab), label_index[label]) for text, label in rows if label in label_index]
        if len(known) < len(rows) and dist_ctx.main:
            log(f"dataset {name}: ignoring {len(rows) - len(known)} rows whose label is not among the training labels")
        return known

    train_examples = examples(train_rows, "train")
    val_examples = examples(val_rows, "validation")
    test_examples = examples(test_rows, "test") if test_rows else []

    torch.manual_seed(args.seed)
    model = TextClassifier(len(vocab), arch["embedding_dim"], arch["hidden_dim"], len(labels)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    start_epoch = 1
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model_state"])
        optimizer.load_state_dict(checkpoint["optimizer_state"])
        for group in optimizer.param_groups:
            group["lr"] = args.learning_rate  # the new run's learning rate wins
        start_epoch = int(checkpoint["epoch"]) + 1
        if dist_ctx.main:
            print(f"resumed from epoch {checkpoint['epoch']} ({checkpoint_path})", flush=True)
    module = model
    if dist_ctx.enabled:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    generator = torch.Generator()
    sampler = None
    if dist_ctx.enabled:
        sampler = DistributedSampler(train_examples, num_replicas=dist_ctx.world_size, rank=dist_ctx.rank, shuffle=True, seed=args.seed)
    loader = DataLoader(
        train_examples, batch_size=args.batch_size, shuffle=sampler is None, sampler=sampler,
        generator=generator if sampler is None else None, collate_fn=collate,
    )
    if dist_ctx.main:
        log(f"{len(train_examples)} train / {len(val_examples)} validation examples, {len(vocab)} words, "
            f"{len(labels)} labels, epochs {start_epoch}..{args.epochs}, device {device}")

    tb = ScalarLogger(os.environ.get("EM_TENSORBOARD_LOG_DIR", "") if dist_ctx.main else "", prefer_torch=True)
    checkpoint_dir = os.environ.get("EM_CHECKPOINT_DIR", "")
    criterion = nn.CrossEntropyLoss()
    val_metrics: dict[str, float] = {}
    last_epoch = start_epoch - 1
    for epoch in range(start_epoch, args.epochs + 1):
        # seeded per epoch, so a resumed run shuffles as an uninterrupted one would
        if sampler is not None:
            sampler.set_epoch(epoch)
        else:
            generator.manual_seed(args.seed + epoch)
        total, count = 0.0, 0
        for tokens, offsets, targets in loader:
            tokens, offsets, targets = tokens.to(device), offsets.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = criterion(model(tokens, offsets), targets)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(targets)
            count += len(targets)
        total, count = dist_ctx.sum(total, count)
        train_loss = total / max(count, 1)
        val_metrics = evaluate(module, val_examples, args.batch_size, device) if val_examples else {}
        last_epoch = epoch
        if dist_ctx.main:
            line = {"loss": train_loss}
            if val_metrics:
                line.update(val_loss=val_metrics["loss"], val_accuracy=val_metrics["accuracy"])
            emit(epoch=epoch, **line)
            for name, value in line.items():
                tb.scalar(name, value, epoch)
            if checkpoint_dir:
                save_checkpoint(checkpoint_dir, {
                    "format": CHECKPOINT_FORMAT,
                    "epoch": epoch,
                    "model_state": module.state_dict(),
                    "optimizer_state": optimizer.state_dict(),
                    "vocab": vocab,
                    "labels": labels,
                    "config": arch,
                    "metrics": line,
                })
    if last_epoch < start_epoch and dist_ctx.main:
        log(f"the checkpoint is already at epoch {last_epoch} of {args.epochs}: saving it without training")
        if val_examples:
            val_metrics = evaluate(module, val_examples, args.batch_size, device)
            emit(epoch=last_epoch, val_loss=val_metrics["loss"], val_accuracy=val_metrics["accuracy"])

    if dist_ctx.main:
        final = {f"val_{k}": v for k, v in val_metrics.items()}
        if test_examples:
            test_metrics = evaluate(module, test_examples, args.batch_size, device)
            final.update(test_loss=test_metrics["loss"], test_accuracy=test_metrics["accuracy"])
            emit(test_loss=test_metrics["loss"], test_accuracy=test_metrics["accuracy"])
            tb.scalar("test_accuracy", test_metrics["accuracy"], last_epoch)
        tb.close()
        model_dir = os.environ.get("EM_MODEL_DIR") or os.path.abspath("model")
        os.makedirs(model_dir, exist_ok=True)
        torch.save({k: v.cpu() for k, v in module.state_dict().items()}, os.path.join(model_dir, "model.pt"))
        write_json(os.path.join(model_dir, "vocab.json"), vocab)
        write_json(os.path.join(model_dir, "labels.json"), labels)
        write_json(os.path.join(model_dir, "config.json"), {
            "algorithm": "torch-text-classifier",
            "framework": "pytorch",
            "framework_version": torch.__version__.split("+")[0],
            "architecture": "EmbeddingBag(mean) + " + ("MLP" if arch["hidden_dim"] else "linear"),
            "vocab_size": len(vocab),
            "embedding_dim": arch["embedding_dim"],
            "hidden_dim": arch["hidden_dim"],
            "num_classes": len(labels),
            "tokenizer": {"pattern": TOKEN_PATTERN, "lowercase": lowercase, "pad_index": 0, "unk_index": 1},
            "text_column": args.text_column,
            "label_column": args.label_column,
            "epochs": last_epoch,
            "metrics": final,
        })
        log(f"saved model.pt, vocab.json, labels.json and config.json to {model_dir} ({time.time() - started:.1f} s)")
    dist_ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
