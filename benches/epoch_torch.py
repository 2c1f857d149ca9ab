#!/usr/bin/env python3
"""One epoch of the MNIST example in a plain PyTorch loop: the PyTorch side of
`examples/epoch_breakdown` (README, Performance).

The Keras document's CNN (Conv2D(32, 3x3, ReLU) -> MaxPool 2x2 -> Dense(128, ReLU) -> Dense(10)), Glorot-uniform
kernels and zero biases (Keras's initialisation, as the Rust model), the focal loss on softmax outputs (gamma 2,
alpha 0.25, probabilities clipped to [1e-7, 1 - 1e-7] as Keras's focal cross-entropy), Adam 1e-3, batch 16, the
first --train MNIST training images shuffled, then a forward pass over the first --test test images; pixels / 255;
torch.set_num_threads(--threads). Prints the epoch + validation wall time (and, with --repeat, each run's).

Run:  <venv>/bin/python benches/epoch_torch.py [--train 12000] [--test 1000] [--threads 2]
(the venv of scripts/setup-torch-venv.sh)
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def idx(name):
    with gzip.open(os.path.join(ROOT, "data", "mnist", name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class KerasDocumentCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 32, 3)
        self.hidden = torch.nn.Linear(32 * 13 * 13, 128)
        self.output = torch.nn.Linear(128, 10)
        for layer in (self.conv, self.hidden, self.output):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.output(F.relu(self.hidden(x.flatten(1))))


def focal(logits, target, gamma=2.0, alpha=0.25, eps=1e-7):
    p = logits.softmax(1).clamp(eps, 1 - eps)
    p_t = p.gather(1, target[:, None])[:, 0]
    return (-alpha * (1 - p_t) ** gamma * p_t.log()).mean()


def epoch(x, y, vx, batch, seed):
    torch.manual_seed(seed)
    model = KerasDocumentCnn()
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    order = torch.randperm(len(x))
    for i in range(0, len(x), batch):
        b = order[i:i + batch]
        optim.zero_grad()
        focal(model(x[b]), y[b]).backward()
        optim.step()
    with torch.no_grad():
        for i in range(0, len(vx), batch):
            model(vx[i:i + batch]).argmax(1)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=12_000)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.from_numpy(idx("train-images-idx3-ubyte.gz")[:args.train].astype(np.float32) / 255.0)[:, None]
    y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz")[:args.train].astype(np.int64))
    vx = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz")[:args.test].astype(np.float32) / 255.0)[:, None]
    times = [epoch(x, y, vx, args.batch_size, 42 + r) for r in range(args.repeat)]
    print(f"torch {torch.__version__}, {args.threads} threads, {args.train} train / {args.test} valid images, "
          f"batch {args.batch_size}: epoch + validation {min(times):.2f} s (runs: "
          f"{', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
