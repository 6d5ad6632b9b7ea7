"""A continuous-batching text-generation engine for causal language models.

One engine thread owns the model. Requests (prompt token ids + GenerateOptions)
join a queue; at every step boundary the engine prefills the new ones (each on
its own, exactly as a solo run would), merges their key/value caches into the
running batch by left-padding to a common length, then decodes one token for
every active row with the attention mask and per-row position ids. Finished,
stopped and cancelled rows leave the batch at the next boundary. Each request
gets its text pieces through a thread-safe queue, detokenized incrementally
(multi-byte characters are held until complete)."""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jupyter_easymaker.runtime.model_server.predictors.base import (
    GenerateOptions,
    Generation,
)

_END = object()


@dataclass
class _Request:
    prompt_ids: list[int]
    options: GenerateOptions
    out: queue.Queue[Any] = field(default_factory=queue.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)


class _Row:
    """One active sequence in the batch."""

    def __init__(self, engine: GenerationEngine, request: _Request):
        import torch

        self.request = request
        self.options = request.options
        self.tokenizer = engine.tokenizer
        self.prompt_len = len(request.prompt_ids)
        self.length = self.prompt_len  # real tokens in the cache + the pending one
        self.ids: list[int] = []
        self.prefix_offset = 0
        self.read_offset = 0
        self.text = ""
        self.sent = 0
        self.hold = max((len(s) for s in self.options.stop), default=1) - 1
        self.finish: str | None = None
        self.generator = None
        if self.options.seed is not None:
            self.generator = torch.Generator(device=engine.device)
            self.generator.manual_seed(int(self.options.seed))

    def _delta(self) -> str:
        prefix = self.tokenizer.decode(self.ids[self.prefix_offset:self.read_offset], skip_special_tokens=True)
        full = self.tokenizer.decode(self.ids[self.prefix_offset:], skip_special_tokens=True)
        if len(full) > len(prefix) and not full.endswith("\ufffd"):
            self.prefix_offset, self.read_offset = self.read_offset, len(self.ids)
            return full[len(prefix):]
        return ""

    def push(self, token: int, eos: set[int]) -> None:
        """Take the next token: stream the new text, decide whether the row is done."""
        if token in eos:
            self.finish = "stop"
        else:
            self.ids.append(token)
            self.text += self._delta()
            stops = self.options.stop
            cut = min((self.text.find(s) for s in stops if s and s in self.text), default=-1)
            if cut >= 0:
                self.text = self.text[:cut]
                self.finish = "stop"
            elif len(self.ids) >= self.options.max_tokens:
                self.finish = "length"
        if self.finish is not None:
            # the held-back tail of an incomplete character, if any
            if self.finish == "length" or token in eos:
                rest = self.tokenizer.decode(self.ids[self.prefix_offset:], skip_special_tokens=True)
                prefix = self.tokenizer.decode(self.ids[self.prefix_offset:self.read_offset], skip_special_tokens=True)
                if len(rest) > len(prefix):
                    self.text += rest[len(prefix):].replace("\ufffd", "")
            safe = len(self.text)
        else:
            safe = max(self.sent, len(self.text) - self.hold)
        if safe > self.sent:
            self.request.out.put(self.text[self.sent:safe])
            self.sent = safe
        if self.finish is not None:
            completion = len(self.ids) + (1 if token in eos else 0)
            self.request.out.put(Generation(text=self.text, finish_reason=self.finish, prompt_tokens=self.prompt_len,
                                            completion_tokens=completion))
            self.request.out.put(_END)


class GenerationEngine:
    """Batches concurrent generations on one model; ``stream`` is thread-safe."""

    def __init__(self, model: Any, tokenizer: Any, device: Any, max_batch_size: int = 8):
        self.model, self.tokenizer, self.device = model, tokenizer, device
        self.max_batch_size = max(1, int(max_batch_size))
        eos = getattr(model.generation_config, "eos_token_id", None)
        if eos is None:
            eos = tokenizer.eos_token_id
        self.eos = set(eos if isinstance(eos, (list, tuple)) else [eos]) - {None}
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.pending: queue.Queue[_Request] = queue.Queue()
        self.rows: list[_Row] = []
        self.cache: Any = None
        self.mask: Any = None  # [B, L] over the cache columns
        self.next_tokens: Any = None  # [B] the token each row feeds at the next step
        import inspect

        accepted = inspect.signature(model.forward).parameters
        # transformers 5.x renamed past_key_values to cache
        self._cache_kw = "cache" if "cache" in accepted else "past_key_values"
        self._keep = {"logits_to_keep": 1} if "logits_to_keep" in accepted else {}
        self.steps = 0  # decoding steps run
        self.max_rows_seen = 0  # the largest batch decoded so far
        self.cancelled_rows = 0  # rows dropped because their client went away
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="generation-engine", daemon=True)
        self._thread.start()

    # -- the request side --------------------------------------------------------
    def stream(self, prompt_ids: list[int], options: GenerateOptions) -> Iterator[str | Generation]:
        """Text pieces as they come, then the Generation. Closing the iterator cancels the request."""
        request = _Request(list(prompt_ids), options)
        self.pending.put(request)
        self._wake.set()
        try:
            while True:
                item = request.out.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            request.cancelled.set()
            self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    # -- the engine thread ---------------------------------------------------------
    def _loop(self) -> None:
        import torch

        while not self._closed:
            if not self.rows and self.pending.empty():
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                with torch.inference_mode():
                    self._admit()
                    self._drop_done()
                    if self.rows:
                        self._step()
                        self._drop_done()
            except BaseException as exc:  # noqa: BLE001 - every waiting request hears of it
                for row in self.rows:
                    row.request.out.put(exc)
                    row.request.out.put(_END)
                self._reset()

    def _reset(self) -> None:
        self.rows, self.cache, self.mask, self.next_tokens = [], None, None, None

    def _admit(self) -> None:
        import torch

        while len(self.rows) < self.max_batch_size:
            try:
                request = self.pending.get_nowait()
            except queue.Empty:
                return
            if request.cancelled.is_set():
                request.out.put(_END)
                continue
            try:
                row = _Row(self, request)
                ids = torch.tensor([request.prompt_ids], dtype=torch.long, device=self.device)
                out = self.model(input_ids=ids, use_cache=True, **self._keep)
                token = self._sample(out.logits[:, -1, :], [row])[0]
            except BaseException as exc:  # noqa: BLE001 - this request alone fails
                request.out.put(exc)
                request.out.put(_END)
                continue
            row.push(int(token), self.eos)
            self._merge(row, _cache_of(out), int(token))

    def _merge(self, row: _Row, cache: Any, token: int) -> None:
        import torch

        plen = row.prompt_len
        new_mask = torch.ones((1, plen), dtype=torch.long, device=self.device)
        tok = torch.tensor([token], dtype=torch.long, device=self.device)
        if self.cache is None:
            self.rows, self.cache, self.mask, self.next_tokens = [row], cache, new_mask, tok
            return
        length = self.mask.shape[1]
        total = max(length, plen)
        for old, new in zip(self.cache.layers, cache.layers):
            old.keys = torch.cat([_left_pad(old.keys, total), _left_pad(new.keys, total)], dim=0)
            old.values = torch.cat([_left_pad(old.values, total), _left_pad(new.values, total)], dim=0)
        self.mask = torch.cat([_left_pad(self.mask, total, dim=1), _left_pad(new_mask, total, dim=1)], dim=0)
        self.next_tokens = torch.cat([self.next_tokens, tok])
        self.rows.append(row)

    def _drop_done(self) -> None:
        keep = [i for i, row in enumerate(self.rows) if row.finish is None and not row.request.cancelled.is_set()]
        if len(keep) == len(self.rows):
            return
        for i, row in enumerate(self.rows):
            if i not in keep and row.finish is None:  # cancelled: the stream already went away
                self.cancelled_rows += 1
                row.request.out.put(_END)
        if not keep:
            self._reset()
            return
        import torch

        index = torch.tensor(keep, dtype=torch.long, device=self.device)
        self.rows = [self.rows[i] for i in keep]
        self.mask = self.mask.index_select(0, index)
        self.next_tokens = self.next_tokens.index_select(0, index)
        # columns that are padding in every remaining row go away
        used = self.mask.any(dim=0).nonzero()
        start = int(used[0]) if len(used) else 0
        self.mask = self.mask[:, start:]
        for layer in self.cache.layers:
            layer.keys = layer.keys.index_select(0, index)[:, :, start:, :]
            layer.values = layer.values.index_select(0, index)[:, :, start:, :]

    def _step(self) -> None:
        import torch

        self.steps += 1
        self.max_rows_seen = max(self.max_rows_seen, len(self.rows))
        batch = len(self.rows)
        self.mask = torch.cat([self.mask, torch.ones((batch, 1), dtype=self.mask.dtype, device=self.device)], dim=1)
        positions = torch.tensor([[row.length] for row in self.rows], dtype=torch.long, device=self.device)
        out = self.model(input_ids=self.next_tokens.view(batch, 1), attention_mask=self.mask, position_ids=positions,
                         use_cache=True, **{self._cache_kw: self.cache})
        self.cache = _cache_of(out)
        tokens = self._sample(out.logits[:, -1, :], self.rows)
        self.next_tokens = tokens
        for row, token in zip(self.rows, tokens.tolist()):
            row.length += 1
            if not row.request.cancelled.is_set():
                row.push(int(token), self.eos)

    def _sample(self, logits: Any, rows: list[_Row]) -> Any:
        import torch

        tokens = logits.argmax(dim=-1)
        for i, row in enumerate(rows):
            temperature = row.options.temperature or 0.0
            if temperature <= 0:
                continue
            probs = torch.softmax(logits[i].float() / temperature, dim=-1)
            top_p = row.options.top_p
            if top_p is not None and 0 < top_p < 1:
                sorted_probs, order = probs.sort(descending=True)
                cumulative = sorted_probs.cumsum(-1)
                drop = cumulative - sorted_probs > top_p
                sorted_probs[drop] = 0
                probs = torch.zeros_like(probs).scatter(0, order, sorted_probs)
            tokens[i] = torch.multinomial(probs, 1, generator=row.generator)[0]
        return tokens


def _cache_of(out: Any) -> Any:
    cache = getattr(out, "cache", None)
    return cache if cache is not None else out.past_key_values


def _left_pad(tensor: Any, total: int, dim: int = 2) -> Any:
    import torch.nn.functional as F

    missing = total - tensor.shape[dim]
    if missing <= 0:
        return tensor
    pad = [0, 0] * (tensor.dim() - 1 - dim) + [missing, 0]
    return F.pad(tensor, pad)
