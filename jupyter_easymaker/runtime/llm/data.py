"""Fine-tuning data: JSONL rows read and checked, formatted with the model's
chat template, tokens labelled so that only the assistant's tokens count in the
loss, a deterministic validation split, and dynamically padded batches."""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from typing import Any

IGNORE = -100
ROLES = ("system", "user", "assistant", "tool")
# used when the tokenizer has no chat template of its own
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


class DataError(Exception):
    """A row that cannot be used: the message names the line."""


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    return value


def row_messages(row: Any) -> list[dict[str, str]]:
    """One JSONL row as chat messages: ``{"messages": [...]}`` or a prompt/response pair
    (``completion``/``output`` as the response, ``instruction`` + ``input`` as the prompt)."""
    if not isinstance(row, dict):
        raise TypeError("each line must be a JSON object")
    if "messages" in row:
        messages = row["messages"]
        if not isinstance(messages, list) or not messages:
            raise ValueError('"messages" must be a non-empty list')
        out = []
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or "role" not in m or "content" not in m:
                raise ValueError(f'message {i} must be an object with "role" and "content"')
            if m["role"] not in ROLES:
                raise ValueError(f"message {i} has an unknown role {m['role']!r} (one of {', '.join(ROLES)})")
            out.append({"role": m["role"], "content": _text(m["content"], f"message {i} content")})
        if not any(m["role"] == "assistant" for m in out):
            raise ValueError("no assistant message to learn from")
        return out
    if "prompt" in row:
        prompt = _text(row["prompt"], '"prompt"')
    elif "instruction" in row:
        prompt = _text(row["instruction"], '"instruction"')
        extra = row.get("input")
        if extra:
            prompt = prompt + "\n\n" + _text(extra, '"input"')
    else:
        raise ValueError('expected "messages", or "prompt"/"instruction" with "response"/"completion"/"output"')
    for key in ("response", "completion", "output"):
        if key in row:
            response = _text(row[key], f'"{key}"')
            break
    else:
        raise ValueError('a response is missing ("response", "completion" or "output")')
    return [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]


def read_jsonl(path: str) -> list[list[dict[str, str]]]:
    """Every row of the file as messages; the first bad line raises DataError naming it."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(row_messages(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise DataError(f"data line {number}: not valid JSON ({exc.msg})") from None
            except (TypeError, ValueError) as exc:
                raise DataError(f"data line {number}: {exc}") from None
    if not rows:
        raise DataError(f"no training rows in {path}: the file is empty")
    return rows


def file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def split(rows: list, fraction: float, seed: int) -> tuple[list, list, str | None]:
    """(train, validation, note): a seeded shuffle decides which rows are held out;
    the note says why there is no split when there are too few rows."""
    if not fraction or fraction <= 0:
        return rows, [], None
    n_val = int(len(rows) * fraction)
    if n_val < 1 or len(rows) - n_val < 1:
        return rows, [], (f"no validation split: {len(rows)} rows are too few for a split of {fraction:g} "
                          "(at least one row on each side)")
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    held = set(order[:n_val])
    return [r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held], None


def ensure_chat_template(tokenizer) -> None:
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = CHATML_TEMPLATE


def _render(tokenizer, messages, generation_prompt: bool = False) -> str:
    if not messages:
        return ""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)


def encode(tokenizer, messages: list[dict[str, str]], max_length: int) -> tuple[list[int], list[int]]:
    """(input_ids, labels) of one conversation: the template is rendered message by
    message; what each assistant turn adds is labelled, everything else is IGNORE."""
    ids: list[int] = []
    labels: list[int] = []
    done = ""

    def add(text: str, learn: bool) -> None:
        if not text:
            return
        piece = tokenizer(text, add_special_tokens=False)["input_ids"]
        ids.extend(piece)
        labels.extend(piece if learn else [IGNORE] * len(piece))

    for i, message in enumerate(messages):
        if message["role"] == "assistant":
            prefix = _render(tokenizer, messages[:i], generation_prompt=True)
            if prefix.startswith(done):
                add(prefix[len(done):], False)
                done = prefix
        full = _render(tokenizer, messages[:i + 1])
        if not full.startswith(done):  # a template that rewrites earlier turns: label the whole turn
            done = ""
            ids.clear()
            labels.clear()
        add(full[len(done):], message["role"] == "assistant")
        done = full
    return ids[:max_length], labels[:max_length]


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]

    @property
    def trained_tokens(self) -> int:
        return sum(1 for x in self.labels[1:] if x != IGNORE)


def tokenize_rows(tokenizer, rows: list, max_length: int) -> list[Example]:
    examples = [Example(*encode(tokenizer, m, max_length)) for m in rows]
    return [e for e in examples if e.trained_tokens > 0]


def collate(examples: list[Example], pad_id: int):
    """A batch padded to its own longest row (right padding; padding is masked)."""
    import torch

    width = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for i, e in enumerate(examples):
        n = len(e.input_ids)
        ids[i, :n] = torch.tensor(e.input_ids)
        labels[i, :n] = torch.tensor(e.labels)
        mask[i, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}
