"""An independent BERT sentence embedder in numpy (float64), for reference values.

Reads the same model folder as kesou (config.json, model.safetensors, tokenizer.json),
runs the encoder by the textbook formulas (no candle, no torch), pools by the mean over the
attention mask and L2-normalises, and prints the first components of each sentence's vector
and the cosine similarities, in the form `models/tests/minilm.rs` pastes.

    python3 -m venv env && env/bin/pip install numpy tokenizers safetensors
    env/bin/python models/tests/reference/bert_numpy.py ~/.cache/kesou-models/all-minilm-l6-v2
"""

import json
import math
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

SENTENCES = [
    "the cat sits on the mat",
    "a kitten rests on a rug",
    "stock markets fell sharply",
    "Our supplier ships solar panels and inverters to Europe.",
]


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def embed(model_dir, text):
    cfg = json.load(open(f"{model_dir}/config.json"))
    w = {k: v.astype(np.float64) for k, v in load_file(f"{model_dir}/model.safetensors").items()}
    p = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.no_padding()
    tok.enable_truncation(256)
    ids = tok.encode(text).ids
    n, h, heads = len(ids), cfg["hidden_size"], cfg["num_attention_heads"]
    d = h // heads
    eps = cfg["layer_norm_eps"]
    x = (w[p + "embeddings.word_embeddings.weight"][ids]
         + w[p + "embeddings.position_embeddings.weight"][:n]
         + w[p + "embeddings.token_type_embeddings.weight"][0])
    x = layer_norm(x, w[p + "embeddings.LayerNorm.weight"], w[p + "embeddings.LayerNorm.bias"], eps)
    for i in range(cfg["num_hidden_layers"]):
        L = f"{p}encoder.layer.{i}."
        lin = lambda name, v: v @ w[L + name + ".weight"].T + w[L + name + ".bias"]
        q = lin("attention.self.query", x).reshape(n, heads, d).transpose(1, 0, 2)
        k = lin("attention.self.key", x).reshape(n, heads, d).transpose(1, 0, 2)
        v = lin("attention.self.value", x).reshape(n, heads, d).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, h)
        a = layer_norm(lin("attention.output.dense", ctx) + x,
                       w[L + "attention.output.LayerNorm.weight"], w[L + "attention.output.LayerNorm.bias"], eps)
        m = gelu(lin("intermediate.dense", a))
        x = layer_norm(lin("output.dense", m) + a, w[L + "output.LayerNorm.weight"], w[L + "output.LayerNorm.bias"], eps)
    pooled = x.mean(0)  # one text, no padding: the mask keeps every token
    return pooled / np.linalg.norm(pooled)


def main():
    model_dir = sys.argv[1]
    vectors = [embed(model_dir, s) for s in SENTENCES]
    for s, v in zip(SENTENCES, vectors):
        print(f'("{s}", [{", ".join(f"{x:.6f}" for x in v[:8])}]),')
    for i in range(len(SENTENCES)):
        for j in range(i + 1, len(SENTENCES)):
            print(f"cos({i},{j}) = {float(vectors[i] @ vectors[j]):.6f}")


if __name__ == "__main__":
    main()
