#!/usr/bin/python3
"""Deep Compression of your own PyTorch model, in your own training loop, with eie.torch.

A small CNN (conv 8 -> conv 16 -> fc 64 -> fc 10) is trained on Fashion-MNIST, its per-layer sensitivity to
pruning is measured to pick each layer's density, then it is pruned iteratively and retrained, its weights are
shared (eie's k-means) and the centroids fine-tuned, and it is exported to an .eie file that the eie engine runs.
Prints accuracy, size and speed of the compressed model against PyTorch's dense one.

usage: examples/python/deep_compression.py [--data /usr/share/datasets/fashion-mnist] [--epochs 4] [--out cnn.eie]
                                          [--limit N]  (N training images, for a quick run)
                                          [--sensitivity-plot sensitivity.png]  (drawn when matplotlib is there)
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch

import eie
import eie.torch


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(directory, prefix):
    x = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


class SmallCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 8, 5)
        self.conv2 = torch.nn.Conv2d(8, 16, 5)
        self.fc1 = torch.nn.Linear(16 * 4 * 4, 64)
        self.fc2 = torch.nn.Linear(64, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


def train(model, optimizer, x, y, epochs, scheduler=None):
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for lo in range(0, len(x), 128):
            idx = order[lo:lo + 128]
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if scheduler:
            scheduler.step()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return 100.0 * float((model(x).argmax(1) == y).float().mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", default="cnn.eie")
    parser.add_argument("--sensitivity-plot", default="sensitivity.png")
    args = parser.parse_args()
    torch.manual_seed(1)
    x, y = load(args.data, "train")
    x_test, y_test = load(args.data, "t10k")
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]

    # 1. The dense model, trained as usual.
    model = SmallCnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    train(model, optimizer, x, y, args.epochs,
          torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs))
    dense_accuracy = accuracy(model, x_test, y_test)
    print(f"dense: {dense_accuracy:.2f}% test accuracy")

    # 2. Sensitivity: each layer pruned alone, no retraining; keep each layer's density where it loses < 1 point.
    densities = [0.5, 0.3, 0.2, 0.1, 0.05]
    try:
        import matplotlib  # noqa: F401
        plot = args.sensitivity_plot
    except ImportError:
        plot = None
        print("  (no sensitivity plot: matplotlib is not installed; Debian: python3-matplotlib)")
    table = eie.torch.sensitivity(model, lambda m: accuracy(m, x_test[:2000], y_test[:2000]), densities=densities,
                                  plot=plot)
    if plot:
        print(f"  sensitivity curves: {plot}")
    reference = accuracy(model, x_test[:2000], y_test[:2000])
    chosen = {}
    for layer, accuracies in table["layers"].items():
        ok = [d for d, a in zip(densities, accuracies) if a >= reference - 1.0]
        chosen[layer] = min(ok) if ok else 0.5
        print(f"  {layer}: " + ", ".join(f"{d:.0%} {a:.1f}%" for d, a in zip(densities, accuracies)) +
              f" -> density {chosen[layer]:.0%}")

    # 3. Iterative pruning with retraining, then weight sharing with centroid fine-tuning: all in this loop.
    dc = eie.torch.DeepCompression(model, density=chosen, bits={"conv*": 8, "fc*": 5})
    optimizer = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9, weight_decay=5e-4)
    steps = 3
    for step in range(1, steps + 1):
        dc.prune(step, of=steps)
        train(model, optimizer, x, y, 1)
        print(f"prune {step}/{steps}: density {dc.density():.1%}, {accuracy(model, x_test, y_test):.2f}%")
    centroids = dc.share_weights()
    print(f"shared: {accuracy(model, x_test, y_test):.2f}%")
    train(model, torch.optim.SGD(centroids, lr=1e-4, momentum=0.9), x, y, 1)
    compressed_accuracy = accuracy(model, x_test, y_test)
    print(f"fine-tuned centroids: {compressed_accuracy:.2f}%")

    # 4. Export the exact trained weights and run them on the eie engine.
    compressed = dc.export(args.out, x_test[:1])
    info = compressed.info()
    engine = compressed.engine(threads=1)
    inputs = x_test.numpy()
    logits = np.concatenate([engine(inputs[i:i + 256]) for i in range(0, len(inputs), 256)])
    engine_accuracy = 100.0 * float((logits.argmax(1) == y_test.numpy()).mean())
    batch = inputs[:1]
    reps = 200
    start = time.perf_counter()
    for _ in range(reps):
        engine(batch)
    eie_us = (time.perf_counter() - start) / reps * 1e6
    dense = dc.model
    dc.remove()
    torch.set_num_threads(1)
    with torch.no_grad():
        dense(torch.from_numpy(batch))
        start = time.perf_counter()
        for _ in range(reps):
            dense(torch.from_numpy(batch))
    torch_us = (time.perf_counter() - start) / reps * 1e6
    dense_bytes = sum(p.numel() * 4 for p in model.parameters())
    print(f"eie engine: {engine_accuracy:.2f}% (PyTorch dense {dense_accuracy:.2f}%, compressed in PyTorch "
          f"{compressed_accuracy:.2f}%)")
    print(f"size: {os.path.getsize(args.out)} bytes on disk, {info['total']['ratio_pqh']:.1f}x P+Q+H against "
          f"{dense_bytes} dense bytes")
    print(f"batch 1, one thread: eie {eie_us:.0f} us, PyTorch (pruned weights, dense kernels) {torch_us:.0f} us "
          f"({torch_us / eie_us:.2f}x)")


if __name__ == "__main__":
    sys.exit(main())
