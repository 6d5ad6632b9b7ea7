"""Hugging Face transformers models (safetensors, or a GGUF file), from a local
folder or a Hub model id, for the guide's five tasks. Gated models take a token
(parameter ``token``, or ``HF_TOKEN`` in the environment)."""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any

from jupyter_easymaker.catalogs.artifacts import check_huggingface_folder
from jupyter_easymaker.catalogs.frameworks import normalize_task
from jupyter_easymaker.runtime.model_server.errors import ArtifactError, InvalidInput
from jupyter_easymaker.runtime.model_server.predictors.base import (
    GenerateOptions,
    Generation,
    Predictor,
    call_model,
)

GENERATIVE = ("text_generation", "text2text_generation")

_ARCH_SUFFIXES = (
    ("ForSequenceClassification", "sequence_classification"),
    ("ForTokenClassification", "token_classification"),
    ("ForMaskedLM", "fill_mask"),
    ("ForCausalLM", "text_generation"),
    ("LMHeadModel", "text_generation"),
    ("ForConditionalGeneration", "text2text_generation"),
    ("ForSeq2SeqLM", "text2text_generation"),
)


def task_from_config(config: Any) -> str | None:
    for arch in getattr(config, "architectures", None) or []:
        for suffix, task in _ARCH_SUFFIXES:
            if arch.endswith(suffix):
                return task
    return "text2text_generation" if getattr(config, "is_encoder_decoder", False) else None


def gguf_file_in(folder: str, name: str | None) -> str | None:
    """The GGUF file to load from ``folder``: ``name`` when given, else the only one there."""
    if name:
        if not os.path.isfile(os.path.join(folder, name)):
            raise ArtifactError(f"the GGUF file {name} is not in the model folder", field="parameters.gguf_file")
        return name
    ggufs = sorted(n for n in os.listdir(folder) if n.endswith(".gguf"))
    if not ggufs:
        check_huggingface_folder(folder)
        return None
    if len(ggufs) > 1 and not any(n.endswith(".safetensors") for n in os.listdir(folder)):
        raise ArtifactError(f"several GGUF files ({', '.join(ggufs)}): name one with the parameter gguf_file",
                            field="parameters.gguf_file")
    if len(ggufs) > 1:
        check_huggingface_folder(folder)
        return None
    return ggufs[0]


class _Recorder:
    """A StoppingCriteria that remembers the length and stops on stop strings or on request."""

    def __init__(self, tokenizer: Any, prompt_len: int, stops: list[str]):
        self.tokenizer, self.prompt_len, self.stops = tokenizer, prompt_len, stops
        self.length = prompt_len
        self.cancelled = False
        self.hit_stop = False

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
        self.length = int(input_ids.shape[1])
        if self.cancelled:
            return True
        if self.stops:
            tail = self.tokenizer.decode(input_ids[0][self.prompt_len:][-32:], skip_special_tokens=True)
            if any(s in tail for s in self.stops):
                self.hit_stop = True
                return True
        return False


class HuggingFacePredictor(Predictor):
    framework = "huggingface"
    platform = "huggingface"

    def _load(self) -> None:
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise ArtifactError("Hugging Face models need transformers and torch: pip install 'jupyter-easymaker[serving]'", field="framework") from exc
        model_id = str(self.param("model_id", "") or self.param("hf_model_id", "") or "")
        local = bool(self.model_dir) and os.path.isdir(self.model_dir) and bool(os.listdir(self.model_dir))
        gguf = None
        if self.model_dir and os.path.isfile(self.model_dir) and self.model_dir.endswith(".gguf"):
            source, gguf = os.path.split(os.path.abspath(self.model_dir))
        elif local:
            gguf = gguf_file_in(self.model_dir, str(self.param("gguf_file", "") or "") or None)
            source = self.model_dir
        elif model_id:
            source = model_id
        else:
            raise ArtifactError("a Hugging Face model needs an artifact folder or a Hugging Face model id")
        token = self.param("token") or self.param("hf_token") or os.environ.get("HF_TOKEN") or None
        common: dict[str, Any] = {"token": token}
        if self.param("revision"):
            common["revision"] = str(self.param("revision"))
        if gguf:
            common["gguf_file"] = gguf
        elif self.param("gguf_file") and not local:
            common["gguf_file"] = str(self.param("gguf_file"))
        try:
            config = transformers.AutoConfig.from_pretrained(source, **common)
            task = normalize_task(str(self.param("task"))) if self.param("task") else task_from_config(config)
            if task is None and "gguf_file" in common:  # GGUF holds decoder-only language models
                task = "text_generation"
            if task is None:
                raise ArtifactError("cannot tell the model's task from its config: set the parameter task", field="parameters.task")
            self.task = task
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(source, **common)
            classes = {
                "sequence_classification": transformers.AutoModelForSequenceClassification,
                "token_classification": transformers.AutoModelForTokenClassification,
                "fill_mask": transformers.AutoModelForMaskedLM,
                "text_generation": transformers.AutoModelForCausalLM,
                "text2text_generation": transformers.AutoModelForSeq2SeqLM,
            }
            dtype = str(self.param("dtype", "auto"))
            weights = {} if "gguf_file" in common else {"use_safetensors": True}
            self.model = classes[task].from_pretrained(source, dtype=dtype, **weights, **common)
        except ArtifactError:
            raise
        except OSError as exc:  # missing files, gated or unknown repo, no network
            raise ArtifactError(f"the Hugging Face model could not be loaded: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - wrong task for the weights and the like
            raise ArtifactError(f"the Hugging Face model could not be loaded as {self.param('task') or 'its task'}: {type(exc).__name__}: {exc}") from None
        self.device = torch.device("cuda:0" if torch.cuda.is_available() and self.param("device", "") != "cpu" else "cpu")
        self.model.to(self.device)
        self.model.eval()
        self.generative = self.task in GENERATIVE
        self.batchable = not self.generative
        self.max_length = int(self.param("max_length", 0) or 0) or None
        if self.tokenizer.pad_token is None and self.tokenizer.eos_token is not None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._lock = threading.Lock()  # the encoder-decoder path: one generation at a time
        self.engine = None
        if self.task == "text_generation" and not self.model.config.is_encoder_decoder:
            from jupyter_easymaker.runtime.model_server.generation import (
                GenerationEngine,
            )

            self.engine = GenerationEngine(self.model, self.tokenizer, self.device,
                                           max_batch_size=int(self.param("max_batch_size", 8) or 8))

    def framework_version(self) -> str:
        import transformers

        return transformers.__version__

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "task": self.task}

    # -- OIP -------------------------------------------------------------------
    def prepare(self, instances: Any) -> Any:
        if not isinstance(instances, list):
            raise InvalidInput('Expected "instances" to be a list')
        texts = []
        for item in instances:
            if isinstance(item, dict):
                item = item.get("text", item.get("prompt", item.get("inputs")))
            if not isinstance(item, str):
                raise InvalidInput("each instance must be a string (or an object with a text field)")
            texts.append(item)
        return texts

    def predict_many(self, items: list[Any]) -> list[Any]:
        merged = [t for item in items for t in item]
        out = call_model(self.predict_texts, merged)
        results, offset = [], 0
        for item in items:
            results.append(out[offset: offset + len(item)])
            offset += len(item)
        return results

    def predict_batch(self, array: Any) -> Any:
        import numpy as np

        texts = [v.decode() if isinstance(v, bytes) else str(v) for v in array.reshape(-1).tolist()]
        out = call_model(self.predict_texts, texts)
        if out and not isinstance(out[0], (int, float, str)):
            out = [json.dumps(o) for o in out]
        return np.asarray(out, dtype=object if out and isinstance(out[0], str) else None)

    def input_metadata(self) -> list[dict[str, Any]]:
        return [{"name": "input-0", "datatype": "BYTES", "shape": [-1]}]

    def output_metadata(self) -> list[dict[str, Any]]:
        datatype = "INT64" if self.task == "sequence_classification" else "BYTES"
        return [{"name": "output-0", "datatype": datatype, "shape": [-1]}]

    def predict_texts(self, texts: list[str]) -> list[Any]:
        if not texts:
            return []
        if self.generative:
            options = GenerateOptions(max_tokens=int(self.param("max_new_tokens", 32)), temperature=0.0)
            return [self.generate(t, options).text for t in texts]
        import torch

        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt").to(self.device)
        with torch.inference_mode():
            logits = self.model(**enc).logits
        if self.task == "sequence_classification":
            if str(self.param("return_probabilities", "")).lower() in ("1", "true", "yes"):
                probs = torch.softmax(logits.float(), dim=-1).cpu().tolist()
                labels = self.model.config.id2label
                return [{labels.get(i, str(i)): p for i, p in enumerate(row)} for row in probs]
            return logits.argmax(-1).cpu().tolist()
        if self.task == "token_classification":
            probs = torch.softmax(logits.float(), dim=-1)
            best, idx = probs.max(-1)
            labels = self.model.config.id2label
            out = []
            for row in range(len(texts)):
                tokens = []
                mask = enc["attention_mask"][row].tolist()
                ids = enc["input_ids"][row].tolist()
                special = set(self.tokenizer.all_special_ids)
                for pos, (tid, keep) in enumerate(zip(ids, mask)):
                    if not keep or tid in special:
                        continue
                    tokens.append({"token": self.tokenizer.convert_ids_to_tokens(tid), "entity": labels.get(int(idx[row, pos]), str(int(idx[row, pos]))),
                                   "score": round(float(best[row, pos]), 6), "index": pos})
                out.append(tokens)
            return out
        # fill_mask: the best token for each mask position
        mask_id = self.tokenizer.mask_token_id
        if mask_id is None:
            raise InvalidInput("this tokenizer has no mask token")
        out = []
        for row in range(len(texts)):
            positions = (enc["input_ids"][row] == mask_id).nonzero().flatten().tolist()
            if not positions:
                raise InvalidInput(f"instance {row} has no {self.tokenizer.mask_token} token")
            words = [self.tokenizer.decode([int(logits[row, p].argmax())]).strip() for p in positions]
            out.append(words[0] if len(words) == 1 else words)
        return out

    # -- generation ------------------------------------------------------------
    def chat_prompt(self, messages: list[dict[str, Any]]) -> str:
        plain = []
        for m in messages:
            content = m.get("content")
            if isinstance(content, list):
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            plain.append({"role": str(m.get("role", "user")), "content": content or ""})
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(plain, tokenize=False, add_generation_prompt=True)
        return "".join(f"{m['role']}: {m['content']}\n" for m in plain) + "assistant:"

    def _kwargs(self, options: GenerateOptions, recorder: _Recorder) -> dict[str, Any]:
        import transformers

        kwargs: dict[str, Any] = {"max_new_tokens": max(1, options.max_tokens), "pad_token_id": self.tokenizer.pad_token_id,
                                  "stopping_criteria": transformers.StoppingCriteriaList([recorder])}
        if options.temperature and options.temperature > 0:
            kwargs.update(do_sample=True, temperature=options.temperature, top_p=options.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    def _encode(self, prompt: str) -> Any:
        enc = self.tokenizer(prompt, return_tensors="pt", truncation=self.max_length is not None, max_length=self.max_length)
        return enc.to(self.device)

    @staticmethod
    def _cut(text: str, stops: list[str]) -> tuple[str, bool]:
        cut = min((text.find(s) for s in stops if s and s in text), default=-1)
        return (text[:cut], True) if cut >= 0 else (text, False)

    def _finish(self, text: str, recorder: _Recorder, prompt_len: int, options: GenerateOptions) -> Generation:
        text, stopped = self._cut(text, options.stop)
        # an encoder-decoder's output starts with the decoder start token
        completion = max(0, recorder.length - (1 if self.model.config.is_encoder_decoder else prompt_len))
        finish = "stop" if stopped or recorder.hit_stop or completion < options.max_tokens else "length"
        return Generation(text=text, finish_reason=finish, prompt_tokens=prompt_len, completion_tokens=completion)

    def generate(self, prompt: str, options: GenerateOptions) -> Generation:
        if self.engine is not None:
            result = None
            for item in self.stream(prompt, options):
                if isinstance(item, Generation):
                    result = item
            assert result is not None
            return result
        import torch

        with self._lock:
            if options.seed is not None:
                torch.manual_seed(options.seed)
            enc = self._encode(prompt)
            prompt_len = int(enc["input_ids"].shape[1])
            start = 0 if self.model.config.is_encoder_decoder else prompt_len
            recorder = _Recorder(self.tokenizer, start, options.stop)
            with torch.inference_mode():
                out = call_model(lambda: self.model.generate(**enc, **self._kwargs(options, recorder)))
            new = out[0][start:]
            recorder.length = int(out.shape[1])
            # an early eos counts as a natural stop
            if len(new) and int(new[-1]) == self.tokenizer.eos_token_id:
                recorder.hit_stop = True
            text = self.tokenizer.decode(new, skip_special_tokens=True)
            return self._finish(text, recorder, prompt_len, options)

    def stream(self, prompt: str, options: GenerateOptions) -> Iterator[str | Generation]:
        if self.engine is not None:
            ids = self._encode(prompt)["input_ids"][0].tolist()
            yield from self.engine.stream(ids, options)
            return
        import torch
        import transformers

        with self._lock:
            if options.seed is not None:
                torch.manual_seed(options.seed)
            enc = self._encode(prompt)
            prompt_len = int(enc["input_ids"].shape[1])
            encdec = self.model.config.is_encoder_decoder
            recorder = _Recorder(self.tokenizer, 0 if encdec else prompt_len, options.stop)
            streamer = transformers.TextIteratorStreamer(self.tokenizer, skip_prompt=not encdec, skip_special_tokens=True, timeout=600)
            errors: list[BaseException] = []
            outputs: list[Any] = []

            def run() -> None:
                try:
                    with torch.inference_mode():
                        outputs.append(self.model.generate(**enc, streamer=streamer, **self._kwargs(options, recorder)))
                except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                    errors.append(exc)
                    streamer.end()

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            text, sent = "", 0
            hold = max((len(s) for s in options.stop), default=1) - 1
            try:
                for piece in streamer:
                    text += piece
                    shown, stopped = self._cut(text, options.stop)
                    safe = len(shown) if stopped else max(sent, len(shown) - hold)
                    if safe > sent:
                        yield shown[sent:safe]
                        sent = safe
                    if stopped:
                        recorder.cancelled = True
                        recorder.hit_stop = True
                        break
            finally:
                recorder.cancelled = True  # the client went away, or a stop string came
                worker.join()
            if errors:
                raise errors[0]
            if outputs:
                out = outputs[0]
                recorder.length = int(out.shape[1])
                new = out[0][0 if encdec else prompt_len:]
                if len(new) and int(new[-1]) == self.tokenizer.eos_token_id:
                    recorder.hit_stop = True
            shown, _ = self._cut(text, options.stop)
            if len(shown) > sent:
                yield shown[sent:]
            yield self._finish(text, recorder, prompt_len, options)
