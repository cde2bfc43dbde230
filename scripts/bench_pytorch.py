#!/usr/bin/env python3
"""PyTorch reference timings for the CBSA network (moodtap core/benches/model.rs).

Builds the same architecture as core/src/model/network.rs (Cao & Liu 2025, Table 2):
[Conv2d 1->4 3x3 pad 1 -> BatchNorm -> ReLU -> MaxPool 2x2] x2 -> (B, T/4, 4*N/4)
-> BiLSTM 16+16 -> self-attention (Q, K, V 32->32, softmax(QK^T/sqrt 32) V)
-> mean over time -> Linear 32->2 -> sigmoid, and times on CPU with one thread:
  infer/T{99,199,299}: one input (batch 1), eval mode, no_grad
  train_step/T{99,199,299}: batch 4, MSE, Adam lr 1e-3 (zero_grad, forward, backward, step)
Prints one line per case: `<case> <median ms>`; the driver scripts/bench_model.sh reads it.

Usage: bench_pytorch.py [--seconds S] [--threads N]
"""
import argparse
import statistics
import time

import torch
from torch import nn


class Cbsa(nn.Module):
    def __init__(self, n_features: int, channels: int = 4, hidden: int = 16):
        super().__init__()
        blocks = []
        c_in = 1
        for _ in range(2):
            blocks += [nn.Conv2d(c_in, channels, 3, padding=1), nn.BatchNorm2d(channels),
                       nn.ReLU(), nn.MaxPool2d(2)]
            c_in = channels
        self.cnn = nn.Sequential(*blocks)
        d_in = channels * (n_features // 2 // 2)
        self.lstm = nn.LSTM(d_in, hidden, batch_first=True, bidirectional=True)
        d = 2 * hidden
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.head = nn.Linear(d, 2)
        self.scale = d ** -0.5

    def forward(self, x):  # [B, 1, T, N]
        x = self.cnn(x)  # [B, 4, T/4, N/4]
        b, c, t, n = x.shape
        x = x.transpose(1, 2).reshape(b, t, c * n)  # [B, T', 4*N']
        x, _ = self.lstm(x)  # [B, T', 32]
        q, k, v = self.q(x), self.k(x), self.v(x)
        a = torch.softmax(q @ k.transpose(1, 2) * self.scale, dim=-1) @ v  # [B, T', 32]
        return torch.sigmoid(self.head(a.mean(dim=1)))  # [B, 2]


def median_ms(fn, seconds: float) -> float:
    for _ in range(10):
        fn()
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 20:
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(66)
    n = 94
    print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}")
    for t in (99, 199, 299):
        model = Cbsa(n).eval()
        x = torch.randn(1, 1, t, n)

        def infer():
            with torch.no_grad():
                model(x)

        print(f"infer/T{t} {median_ms(infer, args.seconds):.4f}", flush=True)
    for t in (99, 199, 299):
        model = Cbsa(n).train()
        optim = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.randn(4, 1, t, n)
        y = torch.rand(4, 2)
        loss_fn = nn.MSELoss()

        def step():
            optim.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optim.step()

        print(f"train_step/T{t} {median_ms(step, args.seconds):.4f}", flush=True)


if __name__ == "__main__":
    main()
