#!/usr/bin/env python3
"""Affine map from a short-context reading to the long reading's scale, fitted on real clips.

Input: CSVs written by `cargo run --release -p moodtap-core --example short_context -- CLIP K 299`
for clips of at least the model's context (45 s). Per clip: x = mean of `arousal_K` over steps
at or after K steps (once the short context is full), y = `arousal_299` at the last step (the long
reading with its context full). Prints the least-squares y = a + b*x, Pearson r and the ranges.
Standard library only.

Usage: scripts/short_context_fit.py K clip1.csv clip2.csv ...
"""
import csv
import statistics
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    k, files = int(sys.argv[1]), sys.argv[2:]
    xs, ys = [], []
    for f in files:
        rows = list(csv.DictReader(open(f)))
        hop = float(rows[1]["time_s"]) - float(rows[0]["time_s"])
        xs.append(statistics.mean(float(r[f"arousal_{k}"]) for r in rows if float(r["time_s"]) >= k * hop - 1e-9))
        ys.append(float(rows[-1]["arousal_299"]))
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    b = sxy / sxx
    print(f"clips {len(xs)}  K {k}  a {my - b * mx:.3f}  b {b:.3f}  r {sxy / (sxx * syy) ** 0.5:.3f}  "
          f"short {min(xs):.3f}..{max(xs):.3f}  long {min(ys):.3f}..{max(ys):.3f}")


if __name__ == "__main__":
    main()
