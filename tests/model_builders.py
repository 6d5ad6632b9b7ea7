"""Small real models built in the test, one per framework (no downloads)."""
from __future__ import annotations

import os

HANDLER = '''
import torch
from ts.torch_handler.base_handler import BaseHandler


class TestHandler(BaseHandler):
    def preprocess(self, data):  # data = [[1.0, 2.0], [3.0, 4.0]] as in the guide
        features = []
        for row in data:
            features.append(row)
        return torch.tensor(features, dtype=torch.float32).to(self.device)

    def postprocess(self, data):
        return [round(v, 4) for v in data.flatten().tolist()]
'''

MODEL_PY = '''
import torch


class Doubler(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, x):
        return self.linear(x)
'''

TEXTS = ["the cat sat on the mat", "a dog ran in the park", "hello world, this is a tiny model",
         "models answer questions", "the quick brown fox jumps over the lazy dog"] * 4


def iris_sklearn(folder: str) -> str:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    os.makedirs(folder, exist_ok=True)
    X, y = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(X, y), os.path.join(folder, "model.joblib"))
    return folder


def torch_handler(folder: str) -> str:
    """model.py + handler.py + weights: y = x1 + 2*x2 + 0.5."""
    import torch

    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.py"), "w") as fh:
        fh.write(MODEL_PY)
    with open(os.path.join(folder, "handler.py"), "w") as fh:
        fh.write(HANDLER)
    torch.save({"linear.weight": torch.tensor([[1.0, 2.0]]), "linear.bias": torch.tensor([0.5])}, os.path.join(folder, "model.pt"))
    return folder


def torchscript(folder: str) -> str:
    """A TorchScript model.pt: y = 3x."""
    import torch

    class Triple(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * 3

    os.makedirs(folder, exist_ok=True)
    torch.jit.script(Triple()).save(os.path.join(folder, "model.pt"))
    return folder


def onnx_from_sklearn(folder: str) -> str:
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    os.makedirs(folder, exist_ok=True)
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    onx = to_onnx(model, X[:1].astype("float32"), options={"zipmap": False})
    with open(os.path.join(folder, "model.onnx"), "wb") as fh:
        fh.write(onx.SerializeToString())
    return folder


def tokenizer(folder: str):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=["<pad>", "<s>", "</s>", "<mask>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(TEXTS, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", mask_token="<mask>")
    fast.chat_template = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                          "{% if add_generation_prompt %}assistant:{% endif %}")
    fast.save_pretrained(folder)
    return fast


def _llama_config(tok, **extra):
    from transformers import LlamaConfig

    return LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, max_position_embeddings=256, bos_token_id=tok.bos_token_id,
                       eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, tie_word_embeddings=True, **extra)


def tiny_llama(folder: str) -> str:
    """A tiny Llama for text_generation (random weights, deterministic seed)."""
    import torch
    from transformers import LlamaForCausalLM

    torch.manual_seed(0)
    tok = tokenizer(folder)
    LlamaForCausalLM(_llama_config(tok)).save_pretrained(folder)
    return folder


def tiny_classifier(folder: str) -> str:
    """A tiny Llama for sequence_classification with two labels."""
    import torch
    from transformers import LlamaForSequenceClassification

    torch.manual_seed(0)
    tok = tokenizer(folder)
    config = _llama_config(tok, num_labels=2, id2label={0: "negative", 1: "positive"}, label2id={"negative": 0, "positive": 1})
    LlamaForSequenceClassification(config).save_pretrained(folder)
    return folder


def tiny_token_classifier(folder: str) -> str:
    import torch
    from transformers import LlamaForTokenClassification

    torch.manual_seed(0)
    tok = tokenizer(folder)
    config = _llama_config(tok, num_labels=3, id2label={0: "O", 1: "B-THING", 2: "I-THING"})
    LlamaForTokenClassification(config).save_pretrained(folder)
    return folder


def tiny_masked_lm(folder: str) -> str:
    import torch
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    tok = tokenizer(folder)
    config = BertConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                        max_position_embeddings=128, pad_token_id=tok.pad_token_id)
    BertForMaskedLM(config).save_pretrained(folder)
    return folder


def tiny_t5(folder: str) -> str:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    tok = tokenizer(folder)
    config = T5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4, pad_token_id=tok.pad_token_id,
                      eos_token_id=tok.eos_token_id, decoder_start_token_id=tok.pad_token_id)
    T5ForConditionalGeneration(config).save_pretrained(folder)
    return folder
