#!/usr/bin/python3
"""Writes tiny_gpt.onnx: a small causal transformer language model (token and position embeddings, two
pre-norm TransformerEncoder layers with GELU, causal mask, final LayerNorm, Linear head) exported by
torch.onnx.export at opset 14 with dynamic batch and sequence axes, untrained (seed 0), and for two input shapes
its token ids (int64 .npy) and PyTorch's logits. tests/engine/dynamic_shapes_test.cpp runs it.
Regenerate: /usr/bin/python3 tests/engine/data/make_tiny_gpt.py"""
import os

import numpy as np
import torch
import torch.nn as nn

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)


class TinyGpt(nn.Module):
    def __init__(self, vocab=32, width=16, heads=2, layers=2, context=12):
        super().__init__()
        self.tokens = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(context, width)
        layer = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0, batch_first=True, norm_first=True,
                                           activation="gelu")
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        for p in self.blocks.parameters():  # the cloned layers start equal; make each its own
            nn.init.normal_(p, std=0.3)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, ids):
        n = ids.shape[1]
        mask = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
        x = self.tokens(ids) + self.positions(torch.arange(n))
        return self.head(self.norm(self.blocks(x, mask=mask)))


model = TinyGpt().eval()
torch.onnx.export(model, (torch.zeros((1, 4), dtype=torch.int64),), os.path.join(here, "tiny_gpt.onnx"),
                  input_names=["ids"], output_names=["logits"],
                  dynamic_axes={"ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}},
                  opset_version=14)
rng = np.random.default_rng(0)
for shape in [(1, 1), (2, 7)]:
    ids = rng.integers(0, 32, shape).astype(np.int64)
    with torch.no_grad():
        logits = model(torch.from_numpy(ids)).numpy().astype(np.float32)
    name = f"{shape[0]}x{shape[1]}"
    np.save(os.path.join(here, f"tiny_gpt_ids_{name}.npy"), ids)
    np.save(os.path.join(here, f"tiny_gpt_logits_{name}.npy"), logits)
